//! Statistics of an expression field sampled on the GPU against its exact density, built
//! the way `scoreforce render --potential` builds it.

mod common;

use glam::DVec2;
use rand::SeedableRng;
use scoreforce::accuracy;
use scoreforce::density::View;
use scoreforce::sampler::{ParticleSystem, SamplerSetup};
use scoreforce::scene::{Scene, ScheduleName};

#[test]
fn double_well_expression_matches_exact_density() {
    let ctx = common::gpu();
    let mut scene = Scene::expression("(x^2-1)^2 + 0.5*y^2").unwrap();
    // T = 1 throughout, from the uniform start over the view [-3, 3]^2. The slowest mode
    // the start excites is the y variance, which relaxes as exp(-2 t) (curvature 1), so
    // t = steps * h = 4 shrinks its initial excess of 2 to 2 exp(-8) = 7e-4. The curvature
    // in x is 8 at the minima and 23 at |x| = 1.5, so h = 2e-3 inflates the variance there
    // by 0.8% to 2.3% (ULA's 1 / (1 - h lambda / 2)). The chain is stable up to curvature
    // 2 / h = 1000, above the 104 at the corners of the start.
    scene.schedule.kind = ScheduleName::Constant;
    scene.sampler.steps = 2000;
    scene.sampler.step_size = 2e-3;
    scene.sampler.particles = 1_000_000;
    scene.sampler.seed = 12;
    let config = scene.validate().unwrap();
    assert_eq!(config.schedule.levels.len(), 1);
    assert_eq!(config.schedule.levels[0].temperature, 1.0);

    let setup = SamplerSetup::from_config(&config);
    let mut system = ParticleSystem::new(&ctx, setup).unwrap();
    system.run(&ctx, &mut |_| {}).unwrap();
    assert_eq!(system.total_diverged(), 0);
    let positions = system.read_positions(&ctx).unwrap();

    // The view contains all but about 1e-5 of the mass: the y marginal is N(0, 1), cut at
    // 4.5 standard deviations, and V > 27 at |x| = 2.5.
    let view = View::new(-2.5, 2.5, -4.5, 4.5);
    let domain = accuracy::normalising_domain(view);
    let density = accuracy::gibbs_density(&config.field, 1.0, 0.0, DVec2::new(1.0, 0.0));
    let exact = accuracy::bin_probabilities(&density, view, 64, 8, domain);
    let mass_in_view: f64 = exact.iter().sum();
    assert!(
        mass_in_view > 0.9999,
        "the view holds only {mass_in_view} of the mass"
    );
    let sampled = accuracy::total_variation(&accuracy::histogram(&positions, view, 64), &exact);

    // The same number of exact samples sets the Monte Carlo floor and the bound.
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    let fresh = accuracy::grid_samples(&density, domain, 2048, positions.len(), &mut rng);
    let monte_carlo = accuracy::total_variation(&accuracy::histogram(&fresh, view, 64), &exact);
    let bound = 1.5 * monte_carlo;

    // A sampler with noise scaled by sqrt 2 draws from exp(-V / 2): exact samples of it.
    let hot_density = |x: DVec2| density(x).sqrt();
    let hot = accuracy::grid_samples(&hot_density, domain, 2048, positions.len(), &mut rng);
    let wrong = accuracy::total_variation(&accuracy::histogram(&hot, view, 64), &exact);

    println!(
        "TV of 1M particles: sampler {sampled:.4}, exact samples {monte_carlo:.4} (bound \
         {bound:.4}), sqrt(2)-noise sampler {wrong:.4}; mass in view {mass_in_view:.6}"
    );
    assert!(
        sampled <= bound,
        "TV {sampled} exceeds 1.5 times the exact samples' {monte_carlo}"
    );
    assert!(
        wrong > bound,
        "a sqrt(2)-noise sampler would pass with TV {wrong}"
    );
}
