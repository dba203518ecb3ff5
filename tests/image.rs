//! The image field: the preset's density resembles its picture, and pictures load from
//! files with clear errors for bad ones.

mod common;

use assert_cmd::Command;
use glam::DVec2;
use rand::SeedableRng;
use scoreforce::accuracy;
use scoreforce::density::View;
use scoreforce::field::image::BUILTIN_SCORE_RING;
use scoreforce::sampler::{ParticleSystem, SamplerSetup};
use scoreforce::scene::Scene;

/// The picture's brightness (floor + luma) summed into `columns` x `rows` bins over its
/// rectangle, row 0 at the bottom, normalised to 1; `power` raises it first.
fn binned_brightness(columns: usize, rows: usize, floor: f64, power: f64) -> Vec<f64> {
    let picture = image::load_from_memory(BUILTIN_SCORE_RING).unwrap().to_rgb8();
    let (width, height) = picture.dimensions();
    let mut bins = vec![0.0; columns * rows];
    for (x, y, pixel) in picture.enumerate_pixels() {
        let [r, g, b] = pixel.0.map(f64::from);
        let brightness = floor + (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0;
        let column = (x as usize * columns) / width as usize;
        let row = ((height - 1 - y) as usize * rows) / height as usize;
        bins[row * columns + column] += brightness.powf(power);
    }
    let total: f64 = bins.iter().sum();
    bins.iter().map(|b| b / total).collect()
}

#[test]
fn image_preset_resembles_picture() {
    let ctx = common::gpu();
    let config = Scene::preset("score-ring").unwrap().validate().unwrap();
    let mut system = ParticleSystem::new(&ctx, SamplerSetup::from_config(&config)).unwrap();
    system.run(&ctx, &mut |_| {}).unwrap();
    assert_eq!(system.total_diverged(), 0);
    let positions = system.read_positions(&ctx).unwrap();

    let rect = View::new(-4.0, 4.0, -2.5, 2.5);
    // 64 x 40 bins of 5 x 5 pixels.
    let (columns, rows) = (64, 40);
    let histogram = |points: &[[f32; 2]]| -> Vec<f64> {
        let mut bins = vec![0.0; columns * rows];
        for p in points {
            let u = (f64::from(p[0]) - rect.min.x) / rect.size().x;
            let v = (f64::from(p[1]) - rect.min.y) / rect.size().y;
            if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                bins[(v * rows as f64) as usize * columns + (u * columns as f64) as usize] += 1.0;
            }
        }
        bins.iter().map(|b| b / points.len() as f64).collect()
    };
    let brightness = binned_brightness(columns, rows, 1e-3, 1.0);
    let sampled = accuracy::total_variation(&histogram(&positions), &brightness);

    // Exact samples of the field's own density, as many as the particles.
    let density = accuracy::gibbs_density(&config.field, 1.0, 0.0, DVec2::ZERO);
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    let exact = accuracy::grid_samples(&density, View::new(-4.2, 4.2, -2.7, 2.7), 1024, positions.len(), &mut rng);
    let reference = accuracy::total_variation(&histogram(&exact), &brightness);
    // A sampler with sqrt(2)-scaled noise targets the square root of the brightness.
    let wrong = accuracy::total_variation(&binned_brightness(columns, rows, 1e-3, 0.5), &brightness);
    let bound = 1.5 * reference;
    println!("TV from the picture: sampler {sampled:.4}, exact samples {reference:.4}, bound {bound:.4}, sqrt(2)-noise target {wrong:.4}");
    assert!(sampled <= bound, "TV {sampled} exceeds {bound}");
    assert!(wrong > bound, "a sqrt(2)-noise sampler would pass");
}

fn scoreforce() -> Command {
    let mut command = Command::cargo_bin("scoreforce").unwrap();
    command.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    command
}

#[test]
fn image_from_file_follows_darkness_with_invert() {
    let folder = tempfile::tempdir().unwrap();
    // A white picture with a black square on its left half.
    let mut picture = image::RgbImage::from_pixel(40, 20, image::Rgb([255, 255, 255]));
    for y in 5..15 {
        for x in 5..15 {
            picture.put_pixel(x, y, image::Rgb([0, 0, 0]));
        }
    }
    let path = folder.path().join("square.png");
    picture.save(&path).unwrap();
    let npy = folder.path().join("particles.npy");
    scoreforce()
        .args(["sample", "--particles", "20k", "--steps", "300", "--invert", "--image"])
        .arg(&path)
        .arg("--out")
        .arg(&npy)
        .assert()
        .success();
    let positions = scoreforce::density::export::read_npy(&npy).unwrap();
    // The picture spans [-4, 4] x [-2, 2]; the square covers x in [-3, -1], y in [-1, 1].
    let inside = positions
        .iter()
        .filter(|p| (-3.0..-1.0).contains(&p[0]) && (-1.0..1.0).contains(&p[1]))
        .count();
    let share = inside as f64 / positions.len() as f64;
    println!("share of particles on the dark square: {share:.3}");
    // The square is 1/8 of the picture but holds nearly all of the inverted brightness.
    assert!(share > 0.8, "{share}");
}

#[test]
fn bad_pictures_are_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let text = folder.path().join("notes.png");
    std::fs::write(&text, "not a picture").unwrap();
    for (path, phrase) in [
        (folder.path().join("missing.png"), "is not a readable PNG or JPEG image"),
        (text, "is not a readable PNG or JPEG image"),
    ] {
        let output = scoreforce().arg("render").arg("--image").arg(&path).arg("--out").arg(folder.path().join("out.png")).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(phrase), "{stderr}");
        assert!(!folder.path().join("out.png").exists());
    }
    // A scene file with a picture that is not an image.
    let scene = folder.path().join("scene.toml");
    std::fs::write(&scene, "[field]\nkind = \"image\"\nimage = \"notes.png\"\n").unwrap();
    let output = scoreforce().arg("render").arg(&scene).arg("--out").arg(folder.path().join("out.png")).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a PNG or JPEG image"), "{stderr}");
}
