//! The changes the panel and the keys make to the sampler, the picture and the overlays,
//! and the figures the panel shows.

use super::Session;
use crate::sampler::{InitialDistribution, ParticleSystem, SamplerSetup};
use crate::schedule::{Schedule, ScheduleKind};
use crate::viewer::ViewerError;
use crate::viewer::panel::{Figures, PanelAction, Progress};

impl Session {
    pub(super) fn figures(&self) -> Figures {
        let schedule = &self.particles.setup.schedule;
        let next_step = self.particles.next_step();
        let level = schedule.level_of(next_step);
        Figures {
            recent: self.frame_log.recent(),
            steps_per_frame: self.steps_per_frame,
            particles: self.particles.particle_count(),
            non_finite: self.non_finite,
            progress: Progress {
                next_step,
                total_steps: schedule.total_steps(),
                level,
                levels: schedule.levels.len(),
                level_label: schedule.levels[level].label(),
                schedule_kind: schedule.kind.name(),
                replaced: self.schedule_replaced,
            },
            view: self.transform.map(|t| t.view(self.area.size)),
            adapter: self.ctx.adapter_summary(),
            message: self.message.clone(),
        }
    }

    /// Applies a change from the panel or a key. Errors of the user's values go to the
    /// panel's message; GPU failures end the session.
    pub(super) fn apply(&mut self, action: PanelAction) -> Result<(), ViewerError> {
        match action {
            PanelAction::Field => match self.controls.field.validate() {
                Ok(()) => match self.particles.set_field(&self.ctx, self.controls.field.clone()) {
                    Ok(()) => {
                        self.applied_field = self.controls.field.clone();
                        self.overlays.set_field(&self.ctx, &self.applied_field, self.overlay_sigma);
                        self.field_generation += 1;
                        self.message = None;
                    }
                    Err(error) => self.message = Some(format!("not applied: {error}")),
                },
                Err(error) => self.message = Some(format!("not applied: {error}")),
            },
            PanelAction::ConstantSchedule => {
                let rows = self.particles.schedule_capacity();
                let built = Schedule::build(
                    ScheduleKind::Constant,
                    rows,
                    self.controls.step_size,
                    self.controls.temperature,
                );
                match built.and_then(|schedule| self.particles.set_schedule(&self.ctx, schedule)) {
                    Ok(()) => {
                        self.schedule_replaced = true;
                        self.message = None;
                    }
                    Err(error) => self.message = Some(format!("not applied: {error}")),
                }
            }
            PanelAction::SceneSchedule => {
                let schedule = self.options.config.schedule.clone();
                let last_level = &schedule.levels[schedule.last_langevin_level()];
                self.controls.temperature = last_level.temperature;
                self.controls.step_size = last_level.step_size;
                match self.particles.set_schedule(&self.ctx, schedule) {
                    Ok(()) => {
                        self.schedule_replaced = false;
                        self.restart()?;
                    }
                    Err(error) => self.message = Some(format!("not applied: {error}")),
                }
            }
            PanelAction::Restart => self.restart()?,
            PanelAction::Reallocate => self.reallocate()?,
            PanelAction::Seed => {
                self.particles.setup.seed = self.controls.seed;
                self.restart()?;
            }
            PanelAction::Style => {
                if let Some(density) = &mut self.density {
                    density.update_style(&self.ctx, self.controls.style);
                    density.set_origin(&self.ctx, self.area.origin);
                }
                // eq-hist needs the histogram passes of the binning.
                self.binned = None;
            }
            PanelAction::Screenshot => self.screenshot_requested = true,
        }
        Ok(())
    }

    fn restart(&mut self) -> Result<(), ViewerError> {
        self.particles.reset(&self.ctx)?;
        self.particles_generation += 1;
        self.non_finite = None;
        self.status_read_at = None;
        Ok(())
    }

    /// Replaces the particle system by one of `controls.particles` particles with the same
    /// field, schedule and seed. A count the device cannot hold leaves the old one in place.
    fn reallocate(&mut self) -> Result<(), ViewerError> {
        let Ok(count) = u32::try_from(self.controls.particles) else {
            self.message =
                Some(format!("not applied: {} particles exceed {}", self.controls.particles, u32::MAX));
            return Ok(());
        };
        let mut init = self.options.config.init.clone();
        if let InitialDistribution::Positions(positions) = &init
            && positions.len() != count as usize
        {
            // The positions from --init fit only their own count; other counts start
            // uniformly over the scene's view.
            let view = self.options.config.view;
            init = InitialDistribution::Uniform { min: view.min, max: view.max };
        }
        let setup = SamplerSetup {
            field: self.applied_field.clone(),
            schedule: self.particles.setup.schedule.clone(),
            integrator: self.particles.setup.integrator,
            particles: count,
            seed: self.controls.seed,
            init,
            friction: self.particles.setup.friction,
            tamed: self.particles.setup.tamed,
            max_diverged: None,
            max_particles_per_buffer: None,
        };
        match ParticleSystem::new(&self.ctx, setup) {
            Ok(particles) => {
                self.particles = particles;
                self.particles_generation += 1;
                self.non_finite = None;
                self.status_read_at = None;
                self.message = None;
            }
            Err(error) => self.message = Some(format!("not applied: {error}")),
        }
        Ok(())
    }
}
