//! Schedules: the levels of a run and the per-step table the shaders read.
//!
//! Every step of a run has a row (step size h, noise amplitude sqrt(2 h T), noise level
//! sigma, temperature T) in a GPU table, so one pipeline runs every schedule kind and a
//! block of steps can cross a level boundary.
//!
//! - constant: h and T fixed.
//! - temperature: T_i geometric from `t_max` down to the target T, h fixed (tempering).
//! - noise: sigma_i geometric from `sigma_max` to `sigma_min` (NCSN, Song and Ermon 2019),
//!   h_i = h * (sigma_i / sigma_min)^p, where h is the step at the last level and p is 2
//!   (NCSN's rule, for the overdamped integrators) or 1 (underdamped: its stability limit
//!   scales with the square root of the curvature, so with sigma), and an optional final
//!   denoising step x += sigma_min^2 * score(x, sigma_min) without noise (Tweedie's
//!   formula, as in NCSNv2).

use bytemuck::{Pod, Zeroable};

/// One row of the schedule table. Mirrors `ScheduleStep` in `shaders/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ScheduleStep {
    pub step_size: f32,
    /// sqrt(2 h T): the standard deviation of the noise added per step.
    pub noise_scale: f32,
    pub sigma: f32,
    pub temperature: f32,
}

/// The kind of schedule and its own parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum ScheduleKind {
    Constant,
    Temperature { t_max: f64, levels: u32 },
    Noise {
        sigma_max: f64,
        sigma_min: f64,
        levels: u32,
        denoise: bool,
        /// p in h_i = h * (sigma_i / sigma_min)^p: 2 for ULA and MALA, 1 for underdamped.
        step_exponent: f64,
    },
}

impl ScheduleKind {
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleKind::Constant => "constant",
            ScheduleKind::Temperature { .. } => "temperature",
            ScheduleKind::Noise { .. } => "noise",
        }
    }
}

/// A stretch of steps at one noise level or temperature.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub first_step: u32,
    pub end_step: u32,
    pub step_size: f64,
    pub temperature: f64,
    pub sigma: f64,
}

impl Level {
    /// "sigma = 0.5" or "T = 2", for progress output and figure labels.
    pub fn label(&self) -> String {
        if self.sigma > 0.0 {
            format!("sigma = {}", format_significant(self.sigma))
        } else {
            format!("T = {}", format_significant(self.temperature))
        }
    }
}

fn format_significant(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "0" { format!("{value:.2e}") } else { text.to_string() }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub kind: ScheduleKind,
    pub steps: Vec<ScheduleStep>,
    pub levels: Vec<Level>,
    /// The h it was built with (the last level's, for the noise schedule).
    pub step_size: f64,
    /// The target temperature.
    pub temperature: f64,
    /// Langevin steps, without the denoising step.
    pub langevin_steps: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid `{key}`: {message}")]
pub struct ScheduleError {
    pub key: &'static str,
    pub message: String,
}

fn invalid(key: &'static str, message: String) -> ScheduleError {
    ScheduleError { key, message }
}

/// `count` values from `first` to `last`, evenly spaced in log scale.
pub fn geometric(first: f64, last: f64, count: u32) -> Vec<f64> {
    if count == 1 {
        return vec![last];
    }
    let (log_first, log_last) = (first.ln(), last.ln());
    (0..count)
        .map(|i| (log_first + (log_last - log_first) * f64::from(i) / f64::from(count - 1)).exp())
        .collect()
}

impl Schedule {
    /// Builds the table for `total_steps` Langevin steps spread evenly over the levels
    /// (the first levels take one more step when the division leaves a remainder).
    /// `step_size` is h, at the last level for the noise schedule; `temperature` is the
    /// target T.
    pub fn build(
        kind: ScheduleKind,
        total_steps: u32,
        step_size: f64,
        temperature: f64,
    ) -> Result<Schedule, ScheduleError> {
        if total_steps == 0 {
            return Err(invalid("sampler.steps", "0 steps requested; use at least 1".into()));
        }
        // The shaders compute in f32, where smaller values are 0 and larger ones infinite.
        let f32_range = f64::from(f32::MIN_POSITIVE)..=f64::from(f32::MAX);
        for (key, value) in [("sampler.step_size", step_size), ("sampler.temperature", temperature)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(invalid(key, format!("{value} must be a finite number above 0")));
            }
            if !f32_range.contains(&value) {
                return Err(invalid(key, format!("{value} is out of the GPU's f32 range; use 1e-30 to 1e30")));
            }
        }

        let level_params: Vec<(f64, f64, f64)> = match &kind {
            ScheduleKind::Constant => vec![(step_size, temperature, 0.0)],
            ScheduleKind::Temperature { t_max, levels } => {
                check_levels(*levels, total_steps)?;
                if !(t_max.is_finite() && *t_max >= temperature) {
                    return Err(invalid(
                        "schedule.t_max",
                        format!(
                            "{t_max} must be finite and at least the target temperature \
                             {temperature}; lower --temperature, use --schedule constant, or \
                             raise `t_max` in the scene's [schedule] table"
                        ),
                    ));
                }
                geometric(*t_max, temperature, *levels)
                    .into_iter()
                    .map(|t| (step_size, t, 0.0))
                    .collect()
            }
            ScheduleKind::Noise { sigma_max, sigma_min, levels, step_exponent, .. } => {
                check_levels(*levels, total_steps)?;
                if !(sigma_min.is_finite() && *sigma_min > 0.0) {
                    return Err(invalid(
                        "schedule.sigma_min",
                        format!("{sigma_min} must be a finite number above 0"),
                    ));
                }
                if !(sigma_max.is_finite() && sigma_max >= sigma_min) {
                    return Err(invalid(
                        "schedule.sigma_max",
                        format!("{sigma_max} must be finite and at least sigma_min {sigma_min}"),
                    ));
                }
                geometric(*sigma_max, *sigma_min, *levels)
                    .into_iter()
                    .map(|sigma| {
                        (step_size * (sigma / sigma_min).powf(*step_exponent), temperature, sigma)
                    })
                    .collect()
            }
        };

        let level_count = level_params.len() as u32;
        let mut steps = Vec::with_capacity(total_steps as usize + 1);
        let mut levels = Vec::with_capacity(level_params.len() + 1);
        for (i, (h, t, sigma)) in level_params.into_iter().enumerate() {
            let i = i as u32;
            let count = total_steps / level_count + u32::from(i < total_steps % level_count);
            let first_step = steps.len() as u32;
            let row = ScheduleStep {
                step_size: h as f32,
                noise_scale: (2.0 * h * t).sqrt() as f32,
                sigma: sigma as f32,
                temperature: t as f32,
            };
            steps.extend(std::iter::repeat_n(row, count as usize));
            levels.push(Level {
                first_step,
                end_step: steps.len() as u32,
                step_size: h,
                temperature: t,
                sigma,
            });
        }

        if let ScheduleKind::Noise { sigma_min, denoise: true, .. } = kind {
            let h = sigma_min * sigma_min;
            let first_step = steps.len() as u32;
            steps.push(ScheduleStep {
                step_size: h as f32,
                noise_scale: 0.0,
                sigma: sigma_min as f32,
                temperature: temperature as f32,
            });
            levels.push(Level {
                first_step,
                end_step: first_step + 1,
                step_size: h,
                temperature,
                sigma: sigma_min,
            });
        }

        Ok(Schedule { kind, steps, levels, step_size, temperature, langevin_steps: total_steps })
    }

    /// The same schedule with another step size h (MALA's adaptation changes it).
    pub fn with_step_size(&self, step_size: f64) -> Result<Schedule, ScheduleError> {
        Schedule::build(self.kind.clone(), self.langevin_steps, step_size, self.temperature)
    }

    pub fn total_steps(&self) -> u32 {
        self.steps.len() as u32
    }

    /// Index of the level that contains `step`. Past the end of the schedule it is the last
    /// Langevin level (the denoising step is not repeated), where a window keeps sampling.
    pub fn level_of(&self, step: u32) -> usize {
        match self.levels.iter().position(|l| step < l.end_step) {
            Some(level) => level,
            None => self.last_langevin_level(),
        }
    }

    /// Index of the last level that adds noise.
    pub fn last_langevin_level(&self) -> usize {
        let has_denoise = matches!(self.kind, ScheduleKind::Noise { denoise: true, .. });
        self.levels.len() - 1 - usize::from(has_denoise && self.levels.len() > 1)
    }

    /// Row of the table that `step` uses: itself within the schedule, the last row of the
    /// last Langevin level past its end.
    pub fn row_of(&self, step: u32) -> u32 {
        if step < self.total_steps() {
            step
        } else {
            self.levels[self.last_langevin_level()].end_step - 1
        }
    }

    /// sigma of the first level: the spread of the noise schedule's initial Gaussian.
    pub fn initial_sigma(&self) -> Option<f64> {
        match self.kind {
            ScheduleKind::Noise { sigma_max, .. } => Some(sigma_max),
            _ => None,
        }
    }
}

fn check_levels(levels: u32, total_steps: u32) -> Result<(), ScheduleError> {
    if levels == 0 {
        return Err(invalid("schedule.levels", "0 levels requested; use at least 1".into()));
    }
    if levels > total_steps {
        return Err(invalid(
            "schedule.levels",
            format!(
                "{levels} levels need at least {levels} steps, but {total_steps} were requested; \
                 raise --steps or lower `levels` in the scene's [schedule] table"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_levels_are_geometric_with_ncsn_steps() {
        let kind = ScheduleKind::Noise {
            sigma_max: 1.0,
            sigma_min: 0.01,
            levels: 3,
            denoise: true,
            step_exponent: 2.0,
        };
        let schedule = Schedule::build(kind, 10, 2e-5, 1.0).unwrap();
        let sigmas: Vec<f64> = schedule.levels.iter().map(|l| l.sigma).collect();
        assert!((sigmas[0] - 1.0).abs() < 1e-12);
        assert!((sigmas[1] - 0.1).abs() < 1e-12);
        assert!((sigmas[2] - 0.01).abs() < 1e-12);
        assert!((schedule.levels[0].step_size - 2e-5 * 1e4).abs() < 1e-12);
        // 10 steps over 3 levels: 4, 3, 3, then the denoising step.
        let lengths: Vec<u32> =
            schedule.levels.iter().map(|l| l.end_step - l.first_step).collect();
        assert_eq!(lengths, vec![4, 3, 3, 1]);
        assert_eq!(schedule.steps.last().unwrap().noise_scale, 0.0);
    }

    #[test]
    fn ula_noise_scale_is_sqrt_two_h_t() {
        let schedule = Schedule::build(ScheduleKind::Constant, 5, 0.01, 2.0).unwrap();
        let row = schedule.steps[0];
        assert!((row.noise_scale - (2.0f32 * 0.01 * 2.0).sqrt()).abs() < 1e-7);
    }

    #[test]
    fn temperature_levels_end_at_target() {
        let kind = ScheduleKind::Temperature { t_max: 8.0, levels: 4 };
        let schedule = Schedule::build(kind, 8, 1e-3, 1.0).unwrap();
        let temperatures: Vec<f64> = schedule.levels.iter().map(|l| l.temperature).collect();
        assert!((temperatures[0] - 8.0).abs() < 1e-12);
        assert!((temperatures[3] - 1.0).abs() < 1e-12);
        assert!((temperatures[1] - 4.0).abs() < 1e-9);
    }

    #[test]
    fn invalid_inputs_name_the_key() {
        let error = Schedule::build(ScheduleKind::Constant, 0, 0.1, 1.0).unwrap_err();
        assert_eq!(error.key, "sampler.steps");
        let error = Schedule::build(ScheduleKind::Constant, 5, f64::NAN, 1.0).unwrap_err();
        assert_eq!(error.key, "sampler.step_size");
        let kind = ScheduleKind::Noise {
            sigma_max: 0.1,
            sigma_min: 1.0,
            levels: 2,
            denoise: false,
            step_exponent: 2.0,
        };
        assert_eq!(Schedule::build(kind, 5, 0.1, 1.0).unwrap_err().key, "schedule.sigma_max");
    }
}
