//! Frame timing: the rolling figures the panel shows, the summary of a `--frames` run, and
//! the controller that picks the steps per frame in "auto" mode.

use std::collections::VecDeque;

/// Frame rate the "auto" steps per frame keeps, by running as many steps as fit.
pub const AUTO_TARGET_FPS: f64 = 30.0;
/// Minimum and maximum steps per frame the controller picks; below 1, frames run a step in
/// turn.
pub const AUTO_MIN_STEPS: f64 = 0.125;
/// Maximum steps per frame the controller picks.
pub const AUTO_MAX_STEPS: u32 = 4096;
/// Frames the panel's figures average over.
const ROLLING_FRAMES: usize = 60;

/// One presented frame: the wall time since the previous one, and the particle-steps it ran.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameRecord {
    pub secs: f64,
    pub particle_steps: f64,
}

/// Figures of a run of frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameSummary {
    pub frames: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub frames_per_sec: f64,
    pub particle_steps_per_sec: f64,
}

impl FrameSummary {
    /// Summarises `records`: the median and 95th percentile (nearest rank) of the frame
    /// times, and the rates over their total time. Returns `None` for no records.
    pub fn of(records: &[FrameRecord]) -> Option<FrameSummary> {
        if records.is_empty() {
            return None;
        }
        let mut secs: Vec<f64> = records.iter().map(|r| r.secs).collect();
        secs.sort_by(f64::total_cmp);
        let rank = |quantile: f64| {
            let index = (quantile * secs.len() as f64).ceil() as usize;
            secs[index.clamp(1, secs.len()) - 1]
        };
        let total_secs: f64 = secs.iter().sum();
        let total_steps: f64 = records.iter().map(|r| r.particle_steps).sum();
        Some(FrameSummary {
            frames: records.len(),
            median_ms: 1e3 * rank(0.5),
            p95_ms: 1e3 * rank(0.95),
            frames_per_sec: records.len() as f64 / total_secs,
            particle_steps_per_sec: total_steps / total_secs,
        })
    }
}

/// Records of the frames so far: all of them for the summary, the last few for the panel.
#[derive(Debug, Default)]
pub struct FrameLog {
    all: Vec<FrameRecord>,
    recent: VecDeque<FrameRecord>,
}

impl FrameLog {
    pub fn push(&mut self, record: FrameRecord) {
        self.all.push(record);
        if self.recent.len() == ROLLING_FRAMES {
            self.recent.pop_front();
        }
        self.recent.push_back(record);
    }

    pub fn all(&self) -> &[FrameRecord] {
        &self.all
    }

    /// Figures over the last `ROLLING_FRAMES` frames.
    pub fn recent(&self) -> Option<FrameSummary> {
        let recent: Vec<FrameRecord> = self.recent.iter().copied().collect();
        FrameSummary::of(&recent)
    }
}

/// Picks the steps per frame that keep the frame rate near `AUTO_TARGET_FPS`: more steps
/// while frames are faster than the target, fewer while they are slower. The frame time
/// includes work that does not grow with the steps (binning, drawing, presenting), so the
/// controller moves in bounded factors and settles where the whole frame fits the target.
///
/// The rate may fall below one step per frame, down to `AUTO_MIN_STEPS`. Then only some
/// frames run a step and the others only draw, so that the window still follows the mouse
/// where a single step of all particles takes longer than a frame (a software adapter with
/// millions of particles).
#[derive(Clone, Debug)]
pub struct AutoSteps {
    steps_per_frame: f64,
    /// Fraction of a step carried to the next frame.
    carried: f64,
    smoothed_secs: Option<f64>,
}

impl AutoSteps {
    pub fn new(initial: f64) -> Self {
        AutoSteps {
            steps_per_frame: initial.clamp(AUTO_MIN_STEPS, f64::from(AUTO_MAX_STEPS)),
            carried: 0.0,
            smoothed_secs: None,
        }
    }

    /// Returns the current rate in steps per frame, possibly below 1.
    pub fn steps_per_frame(&self) -> f64 {
        self.steps_per_frame
    }

    /// Returns the whole steps the next frame runs, carrying the fraction over.
    pub fn next_frame_steps(&mut self) -> u32 {
        self.carried += self.steps_per_frame;
        let steps = self.carried.floor();
        self.carried -= steps;
        steps as u32
    }

    /// Updates the rate from the time of the last frame.
    pub fn update(&mut self, frame_secs: f64) {
        if !(frame_secs.is_finite() && frame_secs > 0.0) {
            return;
        }
        let smoothed = match self.smoothed_secs {
            None => frame_secs,
            Some(previous) => 0.8 * previous + 0.2 * frame_secs,
        };
        self.smoothed_secs = Some(smoothed);
        let target = 1.0 / AUTO_TARGET_FPS;
        let factor = (target / smoothed).clamp(0.8, 1.1);
        self.steps_per_frame =
            (self.steps_per_frame * factor).clamp(AUTO_MIN_STEPS, f64::from(AUTO_MAX_STEPS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ms: f64) -> FrameRecord {
        FrameRecord { secs: ms * 1e-3, particle_steps: 1e6 }
    }

    #[test]
    fn summary_median_and_p95() {
        let records: Vec<FrameRecord> = (1..=100).map(|ms| record(f64::from(ms))).collect();
        let summary = FrameSummary::of(&records).unwrap();
        assert_eq!(summary.frames, 100);
        assert_eq!(summary.median_ms, 50.0);
        assert_eq!(summary.p95_ms, 95.0);
        // 100 frames in 5.05 s.
        assert!((summary.frames_per_sec - 100.0 / 5.05).abs() < 1e-9);
        assert!((summary.particle_steps_per_sec - 1e8 / 5.05).abs() < 1e-3);
        assert_eq!(FrameSummary::of(&[]), None);
    }

    #[test]
    fn summary_of_one_frame() {
        let summary = FrameSummary::of(&[record(20.0)]).unwrap();
        assert_eq!(summary.median_ms, 20.0);
        assert_eq!(summary.p95_ms, 20.0);
        assert!((summary.frames_per_sec - 50.0).abs() < 1e-9);
    }

    #[test]
    fn log_keeps_recent_window() {
        let mut log = FrameLog::default();
        for _ in 0..ROLLING_FRAMES {
            log.push(record(100.0));
        }
        for _ in 0..ROLLING_FRAMES {
            log.push(record(10.0));
        }
        assert_eq!(log.all().len(), 2 * ROLLING_FRAMES);
        assert_eq!(log.recent().unwrap().median_ms, 10.0);
    }

    #[test]
    fn auto_steps_settle_at_target() {
        // A frame costs 10 ms plus 2 ms per step: the target of 1/30 s fits 11.7 steps.
        let mut auto = AutoSteps::new(1.0);
        for _ in 0..400 {
            let steps = auto.next_frame_steps();
            auto.update(0.010 + 0.002 * f64::from(steps));
        }
        let rate = auto.steps_per_frame();
        assert!((11.0..=12.5).contains(&rate), "settled at {rate} steps per frame");
    }

    #[test]
    fn auto_steps_below_one_alternate() {
        // A frame costs 20 ms plus 30 ms per step: one step in about three frames fits.
        let mut auto = AutoSteps::new(1.0);
        for _ in 0..600 {
            let steps = auto.next_frame_steps();
            auto.update(0.020 + 0.030 * f64::from(steps));
        }
        let rate = auto.steps_per_frame();
        assert!((0.3..=0.5).contains(&rate), "settled at {rate} steps per frame");
        let steps: u32 = (0..100).map(|_| auto.next_frame_steps()).sum();
        assert!((30..=50).contains(&steps), "{steps} steps in 100 frames");
    }

    #[test]
    fn auto_steps_stay_in_range() {
        let mut auto = AutoSteps::new(50.0);
        for _ in 0..200 {
            auto.update(10.0);
        }
        assert_eq!(auto.steps_per_frame(), AUTO_MIN_STEPS);
        let steps: u32 = (0..16).map(|_| auto.next_frame_steps()).sum();
        assert_eq!(steps, 2);
        for _ in 0..2000 {
            auto.update(1e-4);
        }
        assert_eq!(auto.steps_per_frame(), f64::from(AUTO_MAX_STEPS));
        auto.update(f64::NAN);
        assert_eq!(auto.steps_per_frame(), f64::from(AUTO_MAX_STEPS));
    }
}
