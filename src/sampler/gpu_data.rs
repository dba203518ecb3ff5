//! `#[repr(C)]` structs shared with the sampler's WGSL. Keep in sync with
//! `shaders/common.wgsl`, `shaders/sampler_status.wgsl`, `shaders/init.wgsl` and
//! `shaders/init_velocity.wgsl`; the test
//! `gpu_struct_layouts` compares sizes and offsets with naga's reflection.

use bytemuck::{Pod, Zeroable};

pub use crate::schedule::ScheduleStep;

/// Per-dispatch parameters: the chunk's particles and the block of steps to run.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct DispatchParams {
    pub particle_offset: u32,
    pub particle_count: u32,
    pub step_begin: u32,
    pub step_end: u32,
    pub seed_lo: u32,
    pub seed_hi: u32,
    /// Friction gamma of the underdamped integrator, in 1 / time.
    pub friction: f32,
    /// Row of the schedule table the block uses. It equals `step_begin` within the
    /// schedule; past its end (a window that keeps sampling) it is the last Langevin row.
    pub schedule_row: u32,
}

/// Counters of one run segment.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct SamplerStatus {
    pub diverged: u32,
    /// `u32::MAX` while no particle has diverged.
    pub first_diverged_step: u32,
    pub accepted_lo: u32,
    pub accepted_hi: u32,
    pub proposed_lo: u32,
    pub proposed_hi: u32,
    pub _pad0: u32,
    pub _pad1: u32,
}

impl SamplerStatus {
    pub const RESET: SamplerStatus = SamplerStatus {
        diverged: 0,
        first_diverged_step: u32::MAX,
        accepted_lo: 0,
        accepted_hi: 0,
        proposed_lo: 0,
        proposed_hi: 0,
        _pad0: 0,
        _pad1: 0,
    };

    /// Returns the step (from 0) in which the first particle diverged, if any did.
    pub fn first_diverged(&self) -> Option<u32> {
        (self.diverged > 0).then_some(self.first_diverged_step)
    }

    pub fn accepted(&self) -> u64 {
        u64::from(self.accepted_hi) << 32 | u64::from(self.accepted_lo)
    }

    pub fn proposed(&self) -> u64 {
        u64::from(self.proposed_hi) << 32 | u64::from(self.proposed_lo)
    }
}

/// Initial distribution of the particles. Mirrors `InitParams` in `shaders/init.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct InitParams {
    /// 0: Gaussian with mean `a` and per-axis standard deviation `b`; 1: uniform on [a, b].
    pub kind: u32,
    pub _pad: [u32; 3],
    pub a: [f32; 2],
    pub b: [f32; 2],
}

/// Temperature of the initial velocities. Mirrors `VelocityInit` in
/// `shaders/init_velocity.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct VelocityInit {
    pub temperature: f32,
    pub _pad: [u32; 3],
}
