//! MALA, underdamped Langevin (BAOAB) and tamed ULA against exact references. Each test
//! prints what it measured and checks that a wrong sampler would fail its bound.

mod common;

use glam::{DMat2, DVec2};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use scoreforce::accuracy;
use scoreforce::density::View;
use scoreforce::field::{Component, Field, GaussianMixture};
use scoreforce::gpu::GpuContext;
use scoreforce::sampler::{InitialDistribution, Integrator, LevelReport, ParticleSystem, SamplerSetup};
use scoreforce::scene::{ScheduleName, Scene};
use scoreforce::schedule::{Schedule, ScheduleKind};

fn constant_setup(field: Field, integrator: Integrator, step_size: f64, steps: u32, init: InitialDistribution, particles: u32) -> SamplerSetup {
    SamplerSetup {
        field,
        schedule: Schedule::build(ScheduleKind::Constant, steps, step_size, 1.0).unwrap(),
        integrator,
        particles,
        seed: 5,
        init,
        friction: 1.0,
        tamed: false,
        max_diverged: None,
        max_particles_per_buffer: None,
    }
}

fn run(ctx: &GpuContext, setup: SamplerSetup) -> (ParticleSystem, Vec<LevelReport>, Vec<[f32; 2]>) {
    let mut system = ParticleSystem::new(ctx, setup).unwrap();
    let reports = system.run(ctx, &mut |_| {}).unwrap();
    let positions = system.read_positions(ctx).unwrap();
    (system, reports, positions)
}

fn standard_gaussian(variance: f64) -> Field {
    Field::GaussianMixture(GaussianMixture {
        components: vec![Component { weight: 1.0, mean: DVec2::ZERO, covariance: [variance, 0.0, variance] }],
    })
}

/// Runs MALA and ULA at `step_size` from exact samples of exp(-V) and compares the
/// histograms over `view` with the exact bin probabilities.
fn mala_against_ula(
    name: &str,
    field: Field,
    step_size: f64,
    steps: u32,
    view: View,
    start: Vec<[f32; 2]>,
    fresh: Vec<[f32; 2]>,
    density: &(dyn Fn(DVec2) -> f64 + Sync),
    domain: View,
) {
    let ctx = common::gpu();
    let particles = start.len() as u32;
    let exact = accuracy::bin_probabilities(density, view, 64, 8, domain);
    let monte_carlo = accuracy::total_variation(&accuracy::histogram(&fresh, view, 64), &exact);

    let mut results = Vec::new();
    for integrator in [Integrator::Mala, Integrator::Ula] {
        let init = InitialDistribution::Positions(start.clone());
        let setup = constant_setup(field.clone(), integrator, step_size, steps, init, particles);
        let (system, reports, positions) = run(&ctx, setup);
        assert_eq!(system.total_diverged(), 0, "{name} {}", integrator.name());
        let tv = accuracy::total_variation(&accuracy::histogram(&positions, view, 64), &exact);
        let acceptance = reports[0].accepted as f64 / reports[0].proposed.max(1) as f64;
        results.push((tv, acceptance));
    }
    let (mala, acceptance) = results[0];
    let (ula, _) = results[1];
    println!(
        "{name}, h = {step_size}: TV MALA {mala:.4} (acceptance {acceptance:.3}), ULA {ula:.4}, exact samples {monte_carlo:.4}"
    );
    assert!(mala <= 1.2 * monte_carlo, "{name}: MALA TV {mala} exceeds 1.2 x {monte_carlo}");
    assert!(ula > 1.2 * monte_carlo, "{name}: ULA at this step would pass too, so the step is too small to tell");
}

#[test]
fn mala_keeps_mueller_brown_exact() {
    let mut scene = Scene::preset("mueller-brown").unwrap();
    scene.schedule.kind = ScheduleName::Constant;
    let config = scene.validate().unwrap();
    let field = config.field.clone();
    let density = accuracy::gibbs_density(&field, 1.0, 0.0, DVec2::new(-0.558, 1.442));
    let domain = View::new(-2.2, 1.5, -0.8, 2.6);
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let start = accuracy::grid_samples(&density, domain, 2048, 1_000_000, &mut rng);
    let fresh = accuracy::grid_samples(&density, domain, 2048, 1_000_000, &mut rng);
    // The deepest minimum has a curvature near 600, so h = 1e-3 inflates ULA's variance
    // across it by about 40%.
    mala_against_ula("mueller-brown", field.clone(), 1e-3, 500, config.view, start, fresh, &density, domain);
}

#[test]
fn mala_keeps_ring_exact() {
    let config = Scene::preset("gmm8-ring").unwrap().validate().unwrap();
    let Field::GaussianMixture(mixture) = &config.field else { panic!("gmm8-ring is a mixture") };
    let mut rng = rand::rngs::StdRng::seed_from_u64(22);
    let mut draw = |count| -> Vec<[f32; 2]> {
        (0..count).map(|_| mixture.sample(&mut rng, 0.0).as_vec2().to_array()).collect()
    };
    let (start, fresh) = (draw(1_000_000), draw(1_000_000));
    let density = |x: DVec2| mixture.log_density_and_score(x, 0.0).0.exp();
    // The components' curvature is 4, so h = 0.1 inflates ULA's variance by 25%.
    let view = View::new(-6.0, 6.0, -6.0, 6.0);
    mala_against_ula("gmm8-ring", config.field.clone(), 0.1, 500, view, start, fresh, &density, View::new(-12.0, 12.0, -12.0, 12.0));
}

/// log of MALA's acceptance ratio on N(0, I) with T = 1, as the shader computes it.
fn mala_log_ratio(x: DVec2, y: DVec2, h: f64) -> f64 {
    let log_q = |end: DVec2, start: DVec2| -(end - start + h * start).length_squared() / (4.0 * h);
    -(0.5 * y.length_squared() - 0.5 * x.length_squared()) + log_q(x, y) - log_q(y, x)
}

#[test]
fn mala_acceptance_matches_cpu_rate() {
    let ctx = common::gpu();
    let step_size = 0.8;
    let particles = 1_000_000;
    let init = InitialDistribution::Gaussian { mean: DVec2::ZERO, std: DVec2::ONE };
    let setup = constant_setup(standard_gaussian(1.0), Integrator::Mala, step_size, 100, init, particles);
    let (_, reports, _) = run(&ctx, setup);
    let proposed = reports[0].proposed;
    assert_eq!(proposed, u64::from(particles) * 100);
    let gpu_rate = reports[0].accepted as f64 / proposed as f64;

    // The expected acceptance at stationarity, by Monte Carlo on the CPU with its own
    // random numbers: E[min(1, exp(log ratio))] for x ~ N(0, I) and MALA's proposal y.
    let draws = 4_000_000;
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let mut normal = || DVec2::new(rng.sample(StandardNormal), rng.sample(StandardNormal));
    let mut sum = 0.0;
    let mut sum_squares = 0.0;
    for _ in 0..draws {
        let x = normal();
        let y = x - step_size * x + (2.0 * step_size).sqrt() * normal();
        let alpha = mala_log_ratio(x, y, step_size).exp().min(1.0);
        sum += alpha;
        sum_squares += alpha * alpha;
    }
    let cpu_rate = sum / draws as f64;
    let cpu_error = ((sum_squares / draws as f64 - cpu_rate * cpu_rate) / draws as f64).sqrt();
    // Each particle's 100 acceptances are correlated; bound the GPU's error as if each
    // particle gave one independent draw.
    let gpu_error = (gpu_rate * (1.0 - gpu_rate) / f64::from(particles)).sqrt();
    let tolerance = 5.0 * (cpu_error.powi(2) + gpu_error.powi(2)).sqrt();
    println!("acceptance GPU {gpu_rate:.5}, CPU {cpu_rate:.5}, tolerance {tolerance:.5}");
    assert!((gpu_rate - cpu_rate).abs() < tolerance, "acceptance {gpu_rate} differs from {cpu_rate}");
    // Reusing the forward force in the reverse density (a known published bug) changes
    // the rate by far more than the tolerance.
    assert!((gpu_rate - 1.0).abs() > tolerance);
}

/// Exact stationary covariance of BAOAB on V = x^2 / (2 s2) per coordinate, for the
/// position and the velocity after the O step (the one the sampler stores). The step is a
/// linear map z' = M z + n xi on z = (x, v), so the covariance solves S = M S M^T + n n^T.
fn baoab_stationary_covariance(variance: f64, step_size: f64, friction: f64, temperature: f64) -> DMat2 {
    let omega2 = 1.0 / variance;
    let c = (-friction * step_size).exp();
    let noise = ((1.0 - c * c) * temperature).sqrt();
    let half = 0.5 * step_size;
    // B A O A B written from one O to the next: the final half kick of one step and the
    // first of the next make one full kick.
    let apply = |x: f64, v: f64, xi: f64| {
        let v = v - step_size * omega2 * x;
        let x = x + half * v;
        let v = c * v + noise * xi;
        let x = x + half * v;
        DVec2::new(x, v)
    };
    let m = DMat2::from_cols(apply(1.0, 0.0, 0.0), apply(0.0, 1.0, 0.0));
    let n = apply(0.0, 0.0, 1.0);
    let nn = DMat2::from_cols(n * n.x, n * n.y);
    let mut s = DMat2::IDENTITY;
    for _ in 0..100_000 {
        s = m * s * m.transpose() + nn;
    }
    s
}

#[test]
fn baoab_matches_exact_configurational_variance() {
    let ctx = common::gpu();
    let (variance, step_size, friction) = (1.0, 0.5, 1.0);
    let particles = 1_000_000;
    let init = InitialDistribution::Gaussian { mean: DVec2::ZERO, std: DVec2::splat(2.0) };
    let mut setup = constant_setup(standard_gaussian(variance), Integrator::Underdamped, step_size, 400, init, particles);
    setup.friction = friction;
    let mut system = ParticleSystem::new(&ctx, setup).unwrap();
    system.run(&ctx, &mut |_| {}).unwrap();
    let positions = system.read_positions(&ctx).unwrap();
    let velocities = system.read_velocities(&ctx).unwrap();

    let second_moment = |values: &[[f32; 2]]| {
        values.iter().map(|p| f64::from(p[0]).powi(2) + f64::from(p[1]).powi(2)).sum::<f64>()
            / (2.0 * values.len() as f64)
    };
    let position_variance = second_moment(&positions);
    let velocity_variance = second_moment(&velocities);
    let exact = baoab_stationary_covariance(variance, step_size, friction, 1.0);
    let standard_error = (2.0 / (2.0 * f64::from(particles))).sqrt();
    println!(
        "position variance {position_variance:.5} (BAOAB exact {:.5}, target {variance}), velocity variance \
         {velocity_variance:.5} (BAOAB exact {:.5}, T = 1), relative standard error {standard_error:.1e}",
        exact.x_axis.x, exact.y_axis.y
    );
    assert!((position_variance - exact.x_axis.x).abs() / exact.x_axis.x < 0.02);
    assert!((velocity_variance - exact.y_axis.y).abs() / exact.y_axis.y < 0.02);
    assert!((velocity_variance - 1.0).abs() < 0.02);
    // Noise scaled by sqrt 2 doubles both variances.
    assert!((2.0 * exact.x_axis.x - exact.x_axis.x) / exact.x_axis.x > 0.02);
}

#[test]
fn tamed_drift_survives_where_ula_diverges() {
    let ctx = common::gpu();
    let mut scene = Scene::preset("double-well").unwrap();
    scene.schedule.kind = ScheduleName::Constant;
    scene.sampler.step_size = 0.05;
    scene.sampler.steps = 200;
    scene.sampler.particles = 200_000;
    let config = scene.validate().unwrap();
    // At |x| = 3.5 the curvature is about 140, so h = 0.05 overshoots without bound.
    let init = InitialDistribution::Uniform { min: DVec2::splat(-4.0), max: DVec2::splat(4.0) };

    let mut diverged = Vec::new();
    for tamed in [false, true] {
        let setup =
            SamplerSetup { tamed, init: init.clone(), max_diverged: None, ..SamplerSetup::from_config(&config) };
        let (system, reports, positions) = run(&ctx, setup);
        let finite = positions.iter().filter(|p| p[0].is_finite() && p[1].is_finite()).count();
        println!("tamed {tamed}: {} diverged, {finite} finite, first at step {:?}", system.total_diverged(), reports[0].first_diverged_step);
        assert_eq!(system.total_diverged() as usize + finite, positions.len());
        diverged.push(system.total_diverged());
    }
    assert!(diverged[0] > 0, "plain ULA did not diverge at this step");
    assert_eq!(diverged[1], 0, "tamed ULA diverged");
}
