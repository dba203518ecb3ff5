//! Accuracy against exact densities: histograms of particles, their total variation
//! distance from bin probabilities integrated from the unnormalised density, and exact
//! samples drawn from a fine grid. Used by `scoreforce bench` and the statistical tests.

use glam::DVec2;
use rayon::prelude::*;

use crate::density::View;
use crate::field::Field;

/// Fractions of `points` in each of `bins` x `bins` cells of `view`, row 0 at the bottom.
/// Points outside the view, or non-finite, count in the total only.
pub fn histogram(points: &[[f32; 2]], view: View, bins: usize) -> Vec<f64> {
    let mut counts = vec![0.0; bins * bins];
    let size = view.size();
    for p in points {
        let u = (f64::from(p[0]) - view.min.x) / size.x;
        let v = (f64::from(p[1]) - view.min.y) / size.y;
        if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
            let (i, j) = ((u * bins as f64) as usize, (v * bins as f64) as usize);
            counts[j * bins + i] += 1.0;
        }
    }
    let total = points.len() as f64;
    counts.iter().map(|c| c / total).collect()
}

/// Total variation distance 0.5 * sum |p - q| over the bins, counting the mass outside
/// them as one more bin.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    let inside: f64 = p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum();
    let outside = (1.0 - p.iter().sum::<f64>()) - (1.0 - q.iter().sum::<f64>());
    0.5 * (inside + outside.abs())
}

/// Midpoint-rule integral of `density` over `domain` with `n` x `n` points.
pub fn integrate(density: &(dyn Fn(DVec2) -> f64 + Sync), domain: View, n: usize) -> f64 {
    let cell = domain.size() / n as f64;
    let sum: f64 = (0..n)
        .into_par_iter()
        .map(|j| {
            (0..n)
                .map(|i| density(domain.min + cell * DVec2::new(i as f64 + 0.5, j as f64 + 0.5)))
                .sum::<f64>()
        })
        .sum();
    sum * cell.x * cell.y
}

/// Probabilities of the `bins` x `bins` cells of `view` under the unnormalised `density`,
/// by the midpoint rule with `sub` x `sub` points per cell, normalised by the integral
/// over `domain`, which must contain nearly all of the mass.
pub fn bin_probabilities(
    density: &(dyn Fn(DVec2) -> f64 + Sync),
    view: View,
    bins: usize,
    sub: usize,
    domain: View,
) -> Vec<f64> {
    let cell = view.size() / bins as f64;
    let mass: Vec<f64> = (0..bins * bins)
        .into_par_iter()
        .map(|index| {
            let (i, j) = (index % bins, index / bins);
            let mut sum = 0.0;
            for b in 0..sub {
                for a in 0..sub {
                    let offset = DVec2::new(
                        i as f64 + (a as f64 + 0.5) / sub as f64,
                        j as f64 + (b as f64 + 0.5) / sub as f64,
                    );
                    sum += density(view.min + cell * offset);
                }
            }
            sum * cell.x * cell.y / (sub * sub) as f64
        })
        .collect();
    let total = integrate(density, domain, 1024);
    mass.iter().map(|m| m / total).collect()
}

/// exp(-V / T) of `field` smoothed to `sigma`, divided by its value at `reference` so it
/// stays finite for deep potentials.
pub fn gibbs_density(
    field: &Field,
    temperature: f64,
    sigma: f64,
    reference: DVec2,
) -> impl Fn(DVec2) -> f64 + Sync + '_ {
    let offset = field.potential(reference, sigma);
    move |x| (-(field.potential(x, sigma) - offset) / temperature).exp()
}

/// The view enlarged by half its size on every side: the domain for normalising densities
/// whose mass lies mostly inside the view.
pub fn normalising_domain(view: View) -> View {
    let margin = 0.5 * view.size();
    View { min: view.min - margin, max: view.max + margin }
}

/// Draws `count` samples of the unnormalised `density` on `domain`: a cell of an `n` x `n`
/// grid chosen with probability proportional to its midpoint density, then a uniform point
/// in it. Exact up to the variation of the density within one cell.
pub fn grid_samples(
    density: &(dyn Fn(DVec2) -> f64 + Sync),
    domain: View,
    n: usize,
    count: usize,
    rng: &mut impl rand::Rng,
) -> Vec<[f32; 2]> {
    let cell = domain.size() / n as f64;
    let mut cumulative = Vec::with_capacity(n * n);
    let mut total = 0.0;
    for j in 0..n {
        for i in 0..n {
            total += density(domain.min + cell * DVec2::new(i as f64 + 0.5, j as f64 + 0.5));
            cumulative.push(total);
        }
    }
    (0..count)
        .map(|_| {
            let pick = rng.random::<f64>() * total;
            let index = cumulative.partition_point(|&c| c < pick).min(n * n - 1);
            let (i, j) = (index % n, index / n);
            let x = domain.min
                + cell * DVec2::new(i as f64 + rng.random::<f64>(), j as f64 + rng.random::<f64>());
            [x.x as f32, x.y as f32]
        })
        .collect()
}
