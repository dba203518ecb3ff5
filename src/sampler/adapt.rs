//! Step-size adaptation of MALA toward a target acceptance rate, in a warm-up that is not
//! counted as sampling.
//!
//! How it works: the warm-up runs the first level of the schedule in rounds. After each
//! round the acceptance rate is read back and the step moves in log scale by
//! (rate - target) times a gain that shrinks with the rounds (a Robbins-Monro iteration),
//! since a smaller step raises MALA's acceptance. The warm-up's Philox counters start at
//! `WARMUP_STEP_BASE`, far above any schedule's steps, so the sampling run that follows
//! draws fresh noise. The particles keep their warm-up positions (a burn-in at the first
//! level), and the schedule table is rebuilt with the final step.

use super::{Integrator, ParticleSystem, SamplerError, gpu_data::SamplerStatus};
use crate::gpu::GpuContext;

/// First Philox step counter of the warm-up.
pub const WARMUP_STEP_BASE: u32 = 1 << 31;
/// Rounds of the warm-up; each ends with one readback of the acceptance counters.
const ROUNDS: u32 = 20;

/// Outcome of the adaptation.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptationReport {
    pub initial_step_size: f64,
    pub step_size: f64,
    /// Acceptance rate of the last round, at the final step size.
    pub acceptance_rate: f64,
    pub warmup_steps: u32,
}

impl ParticleSystem {
    /// Adapts MALA's step size toward `target` acceptance over `warmup_steps` steps of the
    /// first level, then rebuilds the schedule with it and restarts the step counter.
    pub fn adapt_step_size(
        &mut self,
        ctx: &GpuContext,
        target: f64,
        warmup_steps: u32,
    ) -> Result<AdaptationReport, SamplerError> {
        debug_assert_eq!(self.setup.integrator, Integrator::Mala);
        let initial_step_size = self.setup.schedule.step_size;
        let mut step_size = initial_step_size;
        let steps_per_round = (warmup_steps / ROUNDS).max(1);
        let mut counter = WARMUP_STEP_BASE;
        let mut rate = 0.0;

        for round in 0..ROUNDS {
            self.replace_schedule(ctx, step_size)?;
            ctx.queue.write_buffer(&self.status, 0, bytemuck::bytes_of(&SamplerStatus::RESET));
            let first_row = self.setup.schedule.levels[0].first_step;
            let mut begin = counter;
            let end = counter + steps_per_round;
            while begin < end {
                let blocks: Vec<(u32, u32)> = (0..4)
                    .map(|i| (begin + i * 32, (begin + (i + 1) * 32).min(end)))
                    .filter(|(b, e)| b < e)
                    .collect();
                begin = blocks.last().map_or(end, |b| b.1);
                let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("sampler.adaptation"),
                });
                self.write_field_params(ctx, 0);
                self.record_blocks(ctx, &mut encoder, &blocks, Some(first_row), None);
                ctx.queue.submit([encoder.finish()]);
                ctx.wait("adapting the MALA step size")?;
            }
            counter = end;

            let status = self.read_status(ctx)?;
            rate = status.accepted() as f64 / status.proposed().max(1) as f64;
            let gain = 2.0 / f64::from(round + 1).sqrt();
            step_size *= (gain * (rate - target)).exp();
            log::debug!("adaptation round {round}: acceptance {rate:.3}, next step {step_size:.4e}");
        }

        // The last round ran at the step before the final update; keep that one, whose
        // acceptance rate was measured.
        let measured_step = self.setup.schedule.step_size;
        self.replace_schedule(ctx, measured_step)?;
        ctx.queue.write_buffer(&self.status, 0, bytemuck::bytes_of(&SamplerStatus::RESET));
        Ok(AdaptationReport {
            initial_step_size,
            step_size: measured_step,
            acceptance_rate: rate,
            warmup_steps: steps_per_round * ROUNDS,
        })
    }

    /// Rebuilds the schedule with step size `step_size`, of the same length, and uploads it.
    fn replace_schedule(&mut self, ctx: &GpuContext, step_size: f64) -> Result<(), SamplerError> {
        let schedule = self.setup.schedule.with_step_size(step_size)?;
        Ok(self.set_schedule(ctx, schedule)?)
    }
}
