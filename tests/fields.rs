//! Fields: the WGSL force and potential agree with the f64 reference, and the reference
//! force is -grad V.

mod common;

use glam::DVec2;
use rand::{Rng, SeedableRng};
use scoreforce::field::Field;
use scoreforce::field::probe::FieldProbe;
use scoreforce::scene::{PRESETS, Scene};

/// Each preset's field with the view it is drawn in, plus noise levels to test at.
fn cases() -> Vec<(String, Field, [f64; 4], Vec<f64>)> {
    let mut cases: Vec<_> = PRESETS
        .iter()
        .map(|(name, _)| {
            let config = Scene::preset(name).unwrap().validate().unwrap();
            let sigmas = if config.field.has_smoothed_score() { vec![0.0, 0.3, 3.0] } else { vec![0.0] };
            (name.to_string(), config.field, config.view.to_array(), sigmas)
        })
        .collect();

    // The window's sliders can set a mixture weight to zero. The shader still loops over
    // that component, the first one included, which must then add nothing.
    let config = Scene::preset("gmm8-ring").unwrap().validate().unwrap();
    let Field::GaussianMixture(mut mixture) = config.field else { panic!("gmm8-ring is not a mixture") };
    mixture.components[0].weight = 0.0;
    mixture.components[5].weight = 0.0;
    let view = config.view.to_array();
    cases.push(("gmm8-ring with two zero weights".into(), Field::GaussianMixture(mixture), view, vec![0.0, 0.3]));
    cases
}

fn random_points(rect: [f64; 4], count: usize, seed: u64) -> Vec<DVec2> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            DVec2::new(
                rect[0] + (rect[1] - rect[0]) * rng.random::<f64>(),
                rect[2] + (rect[3] - rect[2]) * rng.random::<f64>(),
            )
        })
        .collect()
}

#[test]
fn gpu_force_matches_f64_reference() {
    let ctx = common::gpu();
    for (name, field, rect, sigmas) in cases() {
        let probe = FieldProbe::new(&ctx, &field).unwrap();
        for sigma in sigmas {
            let points = random_points(rect, 4096, 11);
            // Round the points to f32 first, so both sides see the same inputs.
            let gpu_points: Vec<[f32; 2]> = points.iter().map(|p| [p.x as f32, p.y as f32]).collect();
            let results = probe.evaluate(&ctx, &gpu_points, sigma).unwrap();

            let references: Vec<(f64, DVec2)> = gpu_points
                .iter()
                .map(|p| field.potential_and_gradient(DVec2::new(f64::from(p[0]), f64::from(p[1])), sigma))
                .collect();
            // Near a stationary point the force is a difference of much larger terms, so
            // f32 cannot give it to 1e-4 of itself: there the error is measured against 1%
            // of the root-mean-square force instead (an absolute bound of 1e-6 of it).
            let rms_force = (references.iter().map(|(_, g)| g.length_squared()).sum::<f64>()
                / references.len() as f64)
                .sqrt();
            let floor = 0.01 * rms_force;

            let mut worst_force = 0.0f64;
            let mut worst_potential = 0.0f64;
            for ((potential, gradient), result) in references.iter().zip(&results) {
                let (potential, force) = (*potential, -*gradient);
                let gpu_force = DVec2::new(f64::from(result.force[0]), f64::from(result.force[1]));
                let force_error = (gpu_force - force).length() / force.length().max(floor);
                let potential_error =
                    (f64::from(result.potential) - potential).abs() / potential.abs().max(1.0);
                worst_force = worst_force.max(force_error);
                worst_potential = worst_potential.max(potential_error);
            }
            // The unsmoothed picture's log density changes by 7 across two pixels, so its
            // curvature reaches 1e4 and the f32 rounding of a position near |x| = 4
            // (about 5e-7) moves the force by up to 1e-3 of itself, whatever the
            // arithmetic: the sharp image level gets that bound instead of 1e-4.
            let bound = if matches!(field, Field::Image(_)) && sigma == 0.0 { 5e-3 } else { 1e-4 };
            println!(
                "{name} sigma {sigma}: largest relative error of force {worst_force:.2e} (bound {bound:e}), of V {worst_potential:.2e}"
            );
            assert!(worst_force < bound, "{name} sigma {sigma}: force relative error {worst_force:e}");
            assert!(worst_potential < 1e-4, "{name} sigma {sigma}: V relative error {worst_potential:e}");
        }
    }
}

#[test]
fn force_is_minus_gradient_of_potential() {
    for (name, field, rect, sigmas) in cases() {
        for sigma in sigmas {
            let mut worst = 0.0f64;
            // The image's Catmull-Rom interpolant is C1 with second derivatives that jump
            // by up to 1e4 at cell edges, so differences across an edge are skipped. Its flat
            // dark regions have forces near 0, where rounding in V dominates the
            // differences, so there the error is measured against 1% of the RMS force.
            let is_image = matches!(field, Field::Image(_));
            let relative_step = if is_image { 1e-7 } else { 1e-5 };
            let near_cell_edge = |x: DVec2| match &field {
                Field::Image(image) => {
                    let grid = image.level(sigma);
                    let u = (x - grid.origin) / grid.cell;
                    let margin = 3.0 * relative_step * (1.0 + x.length()) / grid.cell.min_element();
                    (u.x - u.x.round()).abs() < margin || (u.y - u.y.round()).abs() < margin
                }
                _ => false,
            };
            let points: Vec<DVec2> =
                random_points(rect, 2000, 5).into_iter().filter(|x| !near_cell_edge(*x)).collect();
            let rms_force = (points.iter().map(|x| field.force(*x, sigma).length_squared()).sum::<f64>()
                / points.len() as f64)
                .sqrt();
            let floor = if is_image { 0.01 * rms_force } else { 1e-3 };
            for x in points {
                let step = relative_step * (1.0 + x.length());
                let dx = DVec2::new(step, 0.0);
                let dy = DVec2::new(0.0, step);
                let central = DVec2::new(
                    field.potential(x + dx, sigma) - field.potential(x - dx, sigma),
                    field.potential(x + dy, sigma) - field.potential(x - dy, sigma),
                ) / (2.0 * step);
                let force = field.force(x, sigma);
                let error = (force + central).length() / force.length().max(floor);
                worst = worst.max(error);
            }
            println!("{name} sigma {sigma}: largest relative |F + grad V| {worst:.2e}");
            assert!(worst < 1e-5, "{name} sigma {sigma}: force differs from -grad V by {worst:e}");
        }
    }
}

#[test]
fn mueller_brown_minima_and_saddles() {
    // Stationary points of the unscaled potential (Mueller and Brown 1979).
    let field = Field::MuellerBrown(scoreforce::field::MuellerBrown { scale: 1.0 });
    for point in [[-0.558, 1.442], [0.623, 0.028], [-0.050, 0.467], [-0.822, 0.624], [0.212, 0.293]] {
        let x = DVec2::from_array(point);
        let force = field.force(x, 0.0);
        // The published coordinates have three decimals, so |F| is small, not zero.
        assert!(force.length() < 5.0, "|F| = {} at {point:?}", force.length());
    }
    let deepest = field.potential(DVec2::new(-0.558, 1.442), 0.0);
    assert!((deepest - -146.7).abs() < 0.1, "global minimum V = {deepest}");
}
