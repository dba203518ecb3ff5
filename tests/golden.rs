//! Golden pictures: small renders through the real binary, compared with the PNGs in
//! tests/golden/ within a tolerance that software and hardware renderers both meet (the
//! particles are the same on every device up to floating-point rounding, so a particle on
//! a pixel edge may land one pixel over).
//!
//! On a mismatch the test writes `tests/output/NAME.actual.png` and `NAME.diff.png`. To
//! accept new pictures after an intended change, run
//! `SCOREFORCE_UPDATE_GOLDEN=1 cargo test --release --test golden` and commit the files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Mean absolute channel difference allowed, on the 0-255 scale.
const MAX_MEAN_DIFFERENCE: f64 = 2.0;
/// Share of pixels allowed to differ by more than `LARGE_DIFFERENCE` in some channel.
const MAX_LARGE_SHARE: f64 = 0.01;
const LARGE_DIFFERENCE: u8 = 48;

fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba, "{}", path.display());
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn write_rgba(path: &Path, width: u32, height: u32, rgba: &[u8]) {
    scoreforce::density::export::write_png(path, width, height, rgba, &Vec::new(), None).unwrap();
}

fn check_golden(name: &str, args: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden = root.join("tests/golden").join(format!("{name}.png"));
    let output_folder = root.join("tests/output");
    std::fs::create_dir_all(&output_folder).unwrap();
    let actual = output_folder.join(format!("{name}.actual.png"));

    Command::cargo_bin("scoreforce")
        .unwrap()
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args(["-q", "render"])
        .args(args)
        .arg("--out")
        .arg(&actual)
        .assert()
        .success();

    if std::env::var_os("SCOREFORCE_UPDATE_GOLDEN").is_some() {
        std::fs::copy(&actual, &golden).unwrap();
        println!("updated {}", golden.display());
        return;
    }
    assert!(golden.exists(), "no golden picture {}; see this file's header to create it", golden.display());
    let (width, height, expected) = decode(&golden);
    let (actual_width, actual_height, pixels) = decode(&actual);
    assert_eq!((actual_width, actual_height), (width, height), "{name}: size");

    let mut total = 0u64;
    let mut large = 0usize;
    let mut diff = Vec::with_capacity(pixels.len());
    for (a, b) in pixels.chunks(4).zip(expected.chunks(4)) {
        let channel_differences: Vec<u8> = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).collect();
        total += channel_differences.iter().map(|&d| u64::from(d)).sum::<u64>();
        let worst = *channel_differences.iter().max().unwrap();
        if worst > LARGE_DIFFERENCE {
            large += 1;
        }
        diff.extend_from_slice(&[worst, worst, worst, 255]);
    }
    let mean = total as f64 / pixels.len() as f64;
    let share = large as f64 / (pixels.len() / 4) as f64;
    println!("{name}: mean channel difference {mean:.3}, share of pixels off by more than {LARGE_DIFFERENCE}: {share:.4}");
    if mean > MAX_MEAN_DIFFERENCE || share > MAX_LARGE_SHARE {
        let diff_path: PathBuf = output_folder.join(format!("{name}.diff.png"));
        write_rgba(&diff_path, width, height, &diff);
        panic!(
            "{name} differs from {}: mean {mean:.3} (limit {MAX_MEAN_DIFFERENCE}), large share {share:.4} \
             (limit {MAX_LARGE_SHARE}); see {} and {}",
            golden.display(),
            actual.display(),
            diff_path.display()
        );
    }
}

#[test]
fn golden_density() {
    check_golden("density", &["--particles", "50k", "--steps", "200", "--size", "96x96"]);
}

#[test]
fn golden_filmstrip() {
    check_golden("filmstrip", &["--particles", "50k", "--steps", "200", "--size", "64x64", "--filmstrip", "4"]);
}

#[test]
fn golden_colorbar_and_axes() {
    check_golden(
        "colorbar",
        &[
            "--field", "mueller-brown", "--particles", "50k", "--steps", "400", "--size", "120x100",
            "--colorbar", "--axes", "--scale", "eq-hist", "--background", "white",
        ],
    );
}

#[test]
fn golden_arrows_and_contours() {
    check_golden(
        "arrows",
        &[
            "--field", "mueller-brown", "--particles", "50k", "--steps", "400", "--size", "160x130",
            "--arrows", "--contours",
        ],
    );
}
