//! The CPU baseline of the benchmark: the same ULA update, the same Philox stream and the
//! f64 field reference, one particle per rayon task, written plainly.

use glam::DVec2;
use rayon::prelude::*;

use crate::field::Field;
use crate::rng;
use crate::sampler::{InitialDistribution, initial_position};
use crate::schedule::Schedule;

/// Runs every step of `schedule` for particles `0..particles` and returns their positions.
/// A particle that turns non-finite stops there, as on the GPU.
pub fn run_ula(
    field: &Field,
    schedule: &Schedule,
    init: &InitialDistribution,
    seed: u64,
    particles: u32,
) -> Vec<[f32; 2]> {
    (0..particles)
        .into_par_iter()
        .map(|index| {
            let mut x = initial_position(init, seed, index);
            for (step, row) in schedule.steps.iter().enumerate() {
                let [z0, z1] = rng::particle_normal_pair(seed, index, step as u32, rng::STREAM_STEP);
                let noise = DVec2::new(f64::from(z0), f64::from(z1));
                x += f64::from(row.step_size) * field.force(x, f64::from(row.sigma))
                    + f64::from(row.noise_scale) * noise;
                if !x.is_finite() {
                    break;
                }
            }
            [x.x as f32, x.y as f32]
        })
        .collect()
}
