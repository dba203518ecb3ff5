//! Particle buffers, the Langevin pipelines, and the dispatch of step blocks.
//!
//! How it works: positions (8 bytes per particle) live in one or more storage buffers
//! ("chunks"), each no larger than the device's storage binding limit. A dispatch runs a
//! block of steps for one chunk with each particle in registers. A submission holds a few
//! blocks for every chunk and is sized from measured throughput to stay near
//! `TARGET_SUBMIT_SECS` (longer on CPU adapters), so a desktop GPU's watchdog never fires. Random numbers come from
//! Philox keyed by the seed and counted by the global particle index and step, so results
//! do not depend on the chunk size or on how steps are grouped.

mod adapt;
pub mod gpu_data;
mod pipelines;

pub use adapt::AdaptationReport;

pub use pipelines::{
    INIT_VELOCITY_WGSL, INIT_WGSL, buffer_layout_entry, create_compute_pipeline, step_shader_source,
};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use glam::DVec2;
use log::debug;

use crate::field::Field;
use crate::field::buffers::FieldBuffers;
use crate::gpu::{GpuContext, GpuError, PassTimer};
use crate::rng;
use crate::schedule::{Schedule, ScheduleError};
use crate::shader::WORKGROUP_SIZE;
use gpu_data::{DispatchParams, InitParams, SamplerStatus, VelocityInit};

/// Returns the earlier of two optional steps.
fn earliest(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    a.into_iter().chain(b).min()
}

/// Bytes of GPU memory per particle for its position.
pub const POSITION_BYTES: u64 = 8;
/// Maximum block of steps one dispatch runs. On lavapipe with 1M particles, the double
/// well ran 4.21e8 particle-steps/s at 32, 4.73e8 at 128 and 4.76e8 at 256: longer
/// blocks pay the per-dispatch cost less often, and beyond 128 the gain is within noise.
pub const MAX_STEPS_PER_DISPATCH: u32 = 128;
/// Wall time one submission aims for on a GPU: short enough that a desktop watchdog
/// (about 2 s on Windows) never fires.
pub const TARGET_SUBMIT_SECS: f64 = 0.1;
/// Wall time one submission aims for on a CPU adapter, which has no watchdog; longer
/// submissions allow longer blocks.
pub const TARGET_SUBMIT_SECS_CPU: f64 = 1.0;
/// Dispatch parameter slots, one per (block, chunk) pair of a submission.
const DISPATCH_SLOTS: u32 = 1024;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Integrator {
    /// Unadjusted Langevin (Euler-Maruyama): x' = x + h F + sqrt(2 h T) xi.
    #[default]
    Ula,
    /// Metropolis-adjusted Langevin: the ULA move as a proposal, accepted or rejected so
    /// that exp(-V / T) is exactly invariant.
    Mala,
    /// Underdamped (kinetic) Langevin with unit mass and friction gamma, by BAOAB.
    Underdamped,
}

pub const INTEGRATORS: [Integrator; 3] = [Integrator::Ula, Integrator::Mala, Integrator::Underdamped];

impl Integrator {
    pub fn name(self) -> &'static str {
        match self {
            Integrator::Ula => "ula",
            Integrator::Mala => "mala",
            Integrator::Underdamped => "underdamped",
        }
    }

    /// Bytes of GPU memory per particle: the position, and the velocity for BAOAB.
    pub fn bytes_per_particle(self) -> u64 {
        match self {
            Integrator::Ula | Integrator::Mala => POSITION_BYTES,
            Integrator::Underdamped => 2 * POSITION_BYTES,
        }
    }

    pub fn has_velocities(self) -> bool {
        self == Integrator::Underdamped
    }
}

/// Initial distribution of the particles.
#[derive(Clone, Debug, PartialEq)]
pub enum InitialDistribution {
    Gaussian { mean: DVec2, std: DVec2 },
    Uniform { min: DVec2, max: DVec2 },
    /// Positions given by the user, one per particle.
    Positions(Vec<[f32; 2]>),
}

#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error("invalid `sampler.particles`: {0}")]
    ParticleCount(String),
    #[error("the initial positions hold {given} particles but {expected} were requested")]
    InitLength { given: usize, expected: u32 },
    #[error("invalid `sampler.tamed`: the tamed drift applies to the ula integrator only, not {0}")]
    TamedIntegrator(&'static str),
    #[error("invalid `sampler.friction`: {0} must be a finite number above 0")]
    Friction(f64),
    #[error(transparent)]
    Shader(#[from] crate::shader::ShaderError),
    #[error(transparent)]
    Schedule(#[from] crate::schedule::ScheduleError),
    #[error(
        "{diverged} of {particles} particles became non-finite by step {step} ({level}), the \
         first in step {first_step}, more than the limit of a fraction {limit} \
         (--max-diverged); {advice}"
    )]
    Diverged { diverged: u64, particles: u32, step: u32, first_step: u32, level: String, limit: f64, advice: String },
    #[error("interrupted at step {step} of {total}; no output was written")]
    Interrupted { step: u32, total: u32 },
    #[error("the new {0} field needs another shader; build a new particle system for it")]
    ShaderChanged(&'static str),
}

impl SamplerError {
    /// Returns whether the user can fix the error by changing the input (exit code 2),
    /// rather than a failure of the run.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            SamplerError::ParticleCount(_)
            | SamplerError::InitLength { .. }
            | SamplerError::TamedIntegrator(_)
            | SamplerError::Friction(_)
            | SamplerError::Schedule(_) => true,
            SamplerError::Gpu(_)
            | SamplerError::Shader(_)
            | SamplerError::Diverged { .. }
            | SamplerError::Interrupted { .. }
            | SamplerError::ShaderChanged(_) => false,
        }
    }
}

/// Everything that decides a run.
#[derive(Clone, Debug)]
pub struct SamplerSetup {
    pub field: Field,
    pub schedule: Schedule,
    pub integrator: Integrator,
    pub particles: u32,
    pub seed: u64,
    pub init: InitialDistribution,
    /// Friction gamma of the underdamped integrator, in 1 / time.
    pub friction: f64,
    /// ULA with the tamed drift h F / (1 + h |F|), which stays bounded where F grows fast.
    pub tamed: bool,
    /// Fraction of the particles that may turn non-finite before a run stops with
    /// `SamplerError::Diverged`; `None` never stops.
    pub max_diverged: Option<f64>,
    /// Caps the particles per buffer below the device limit (tests split small runs).
    pub max_particles_per_buffer: Option<u32>,
}

impl SamplerSetup {
    /// Builds the setup that a validated scene describes.
    pub fn from_config(config: &crate::scene::RunConfig) -> Self {
        SamplerSetup {
            field: config.field.clone(),
            schedule: config.schedule.clone(),
            integrator: config.integrator,
            particles: config.particles,
            seed: config.seed,
            init: config.init.clone(),
            friction: config.friction,
            tamed: config.tamed,
            max_diverged: Some(config.max_diverged),
            max_particles_per_buffer: None,
        }
    }
}

/// Report of one level of the schedule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LevelReport {
    pub level: usize,
    /// Particles that turned non-finite during the level.
    pub diverged: u32,
    pub first_diverged_step: Option<u32>,
    pub accepted: u64,
    pub proposed: u64,
}

/// One storage buffer of particles.
pub struct ParticleChunk {
    pub positions: wgpu::Buffer,
    /// Present for the underdamped integrator.
    pub velocities: Option<wgpu::Buffer>,
    /// Global index of the chunk's first particle.
    pub offset: u32,
    pub count: u32,
    step_bind_group: wgpu::BindGroup,
    init_bind_group: wgpu::BindGroup,
    velocity_bind_group: Option<wgpu::BindGroup>,
}

pub struct ParticleSystem {
    pub setup: SamplerSetup,
    chunks: Vec<ParticleChunk>,
    field_buffers: FieldBuffers,
    dispatch_params: wgpu::Buffer,
    init_params: wgpu::Buffer,
    velocity_init: wgpu::Buffer,
    status: wgpu::Buffer,
    schedule_buffer: wgpu::Buffer,
    pipelines: pipelines::Pipelines,
    slot_stride: u64,
    max_workgroups_per_dimension: u32,
    target_submit_secs: f64,
    next_step: u32,
    /// Measured seconds per particle-step, which sizes the next submission.
    secs_per_particle_step: Option<f64>,
    /// Fixed number of steps per dispatch, instead of one chosen from the pacing.
    steps_per_dispatch: Option<u32>,
    timer: Option<PassTimer>,
    /// GPU time of the step passes since the last reset, where timestamps are enabled.
    gpu_secs: f64,
    total_diverged: u64,
    /// Earliest step (counted from 0) in which a particle became non-finite.
    first_diverged_step: Option<u32>,
    cancel: Option<Arc<AtomicBool>>,
}

/// CPU reference of the initial position of particle `index`, as `shaders/init.wgsl`
/// draws it (in f64 from the same f32 random numbers).
pub fn initial_position(init: &InitialDistribution, seed: u64, index: u32) -> DVec2 {
    let words = rng::particle_words(seed, index, 0, rng::STREAM_INIT);
    match init {
        InitialDistribution::Gaussian { mean, std } => {
            let [z0, z1] = rng::normal_pair(words[0], words[1]);
            *mean + *std * DVec2::new(f64::from(z0), f64::from(z1))
        }
        InitialDistribution::Uniform { min, max } => {
            let u = DVec2::new(
                f64::from(rng::uniform_open_closed(words[2])),
                f64::from(rng::uniform_open_closed(words[3])),
            );
            *min + (*max - *min) * u
        }
        InitialDistribution::Positions(positions) => {
            let [x, y] = positions[index as usize];
            DVec2::new(f64::from(x), f64::from(y))
        }
    }
}

/// Returns the largest particle count one buffer may hold on this device.
pub fn max_particles_per_buffer(limits: &wgpu::Limits) -> u32 {
    let bytes = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
    let particles = (bytes / POSITION_BYTES).min(u64::from(u32::MAX));
    let particles = particles as u32 / WORKGROUP_SIZE * WORKGROUP_SIZE;
    particles.max(WORKGROUP_SIZE)
}

/// Workgroup counts (x, y) that cover `invocations` with at most `max_per_dimension` in x.
pub fn dispatch_grid(invocations: u32, max_per_dimension: u32) -> (u32, u32) {
    let groups = invocations.div_ceil(WORKGROUP_SIZE).max(1);
    let x = groups.min(max_per_dimension);
    (x, groups.div_ceil(x))
}

impl ParticleSystem {
    /// Allocates the buffers, builds the pipelines and draws the initial positions.
    pub fn new(ctx: &GpuContext, setup: SamplerSetup) -> Result<Self, SamplerError> {
        check_particle_count(ctx, setup.particles, setup.integrator)?;
        if let InitialDistribution::Positions(positions) = &setup.init
            && positions.len() != setup.particles as usize
        {
            return Err(SamplerError::InitLength {
                given: positions.len(),
                expected: setup.particles,
            });
        }
        if setup.tamed && setup.integrator != Integrator::Ula {
            return Err(SamplerError::TamedIntegrator(setup.integrator.name()));
        }
        if setup.integrator.has_velocities() && !(setup.friction.is_finite() && setup.friction > 0.0) {
            return Err(SamplerError::Friction(setup.friction));
        }

        let device = &ctx.device;
        let limits = ctx.limits();
        let per_buffer = setup
            .max_particles_per_buffer
            .map_or(max_particles_per_buffer(&limits), |cap| {
                cap.min(max_particles_per_buffer(&limits)).max(1)
            });
        let slot_stride =
            (std::mem::size_of::<DispatchParams>() as u64).next_multiple_of(u64::from(
                limits.min_uniform_buffer_offset_alignment,
            ));

        let uniform_buffer = |label: &'static str, size: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let field_buffers = FieldBuffers::new(ctx, &setup.field, "sampler")?;
        let dispatch_params =
            uniform_buffer("sampler.dispatch_params", slot_stride * u64::from(DISPATCH_SLOTS));
        let init_params = uniform_buffer("sampler.init_params", std::mem::size_of::<InitParams>() as u64);
        let velocity_init =
            uniform_buffer("sampler.velocity_init", std::mem::size_of::<VelocityInit>() as u64);
        let schedule_buffer = ctx.scoped("allocating the schedule table", || {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("sampler.schedule"),
                size: (setup.schedule.steps.len() * std::mem::size_of::<gpu_data::ScheduleStep>())
                    as u64,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        ctx.queue.write_buffer(&schedule_buffer, 0, bytemuck::cast_slice(&setup.schedule.steps));
        let status = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sampler.status"),
            size: std::mem::size_of::<SamplerStatus>() as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });

        let pipelines = pipelines::Pipelines::new(ctx, &setup)?;

        let mut chunks = Vec::new();
        let mut offset = 0u32;
        while offset < setup.particles {
            let count = per_buffer.min(setup.particles - offset);
            let index = chunks.len();
            let particle_buffer = |kind: &str| {
                let context = format!(
                    "allocating {kind} buffer {index} ({count} particles, {:.1} MiB)",
                    (u64::from(count) * POSITION_BYTES) as f64 / (1024.0 * 1024.0)
                );
                ctx.scoped(&context, || {
                    device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(&format!("sampler.{kind}[{index}]")),
                        size: u64::from(count) * POSITION_BYTES,
                        usage: wgpu::BufferUsages::STORAGE
                            | wgpu::BufferUsages::COPY_DST
                            | wgpu::BufferUsages::COPY_SRC,
                        mapped_at_creation: false,
                    })
                })
            };
            let positions = particle_buffer("positions")?;
            let velocities = match setup.integrator.has_velocities() {
                true => Some(particle_buffer("velocities")?),
                false => None,
            };
            let dispatch_binding = wgpu::BufferBinding {
                buffer: &dispatch_params,
                offset: 0,
                size: wgpu::BufferSize::new(std::mem::size_of::<DispatchParams>() as u64),
            };
            let mut step_entries = field_buffers.bind_group_entries();
            step_entries.extend([
                entry(1, schedule_buffer.as_entire_binding()),
                entry(2, wgpu::BindingResource::Buffer(dispatch_binding.clone())),
                entry(3, status.as_entire_binding()),
                entry(4, positions.as_entire_binding()),
            ]);
            if let Some(velocities) = &velocities {
                step_entries.push(entry(5, velocities.as_entire_binding()));
            }
            let step_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&format!("sampler.step_bind_group[{index}]")),
                layout: &pipelines.step_layout,
                entries: &step_entries,
            });
            let init_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&format!("sampler.init_bind_group[{index}]")),
                layout: &pipelines.init_layout,
                entries: &[
                    entry(0, init_params.as_entire_binding()),
                    entry(1, wgpu::BindingResource::Buffer(dispatch_binding.clone())),
                    entry(2, positions.as_entire_binding()),
                ],
            });
            let velocity_bind_group = velocities.as_ref().map(|velocities| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&format!("sampler.velocity_bind_group[{index}]")),
                    layout: &pipelines.init_layout,
                    entries: &[
                        entry(0, velocity_init.as_entire_binding()),
                        entry(1, wgpu::BindingResource::Buffer(dispatch_binding)),
                        entry(2, velocities.as_entire_binding()),
                    ],
                })
            });
            chunks.push(ParticleChunk {
                positions,
                velocities,
                offset,
                count,
                step_bind_group,
                init_bind_group,
                velocity_bind_group,
            });
            offset += count;
        }
        debug!(
            "{} particles in {} buffers of at most {per_buffer}",
            setup.particles,
            chunks.len()
        );

        let mut system = ParticleSystem {
            setup,
            chunks,
            field_buffers,
            dispatch_params,
            init_params,
            velocity_init,
            status,
            schedule_buffer,
            pipelines,
            slot_stride,
            max_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            target_submit_secs: if ctx.info.device_type == wgpu::DeviceType::Cpu {
                TARGET_SUBMIT_SECS_CPU
            } else {
                TARGET_SUBMIT_SECS
            },
            next_step: 0,
            secs_per_particle_step: None,
            steps_per_dispatch: None,
            timer: None,
            gpu_secs: 0.0,
            total_diverged: 0,
            first_diverged_step: None,
            cancel: None,
        };
        system.reset(ctx)?;
        Ok(system)
    }

    pub fn chunks(&self) -> &[ParticleChunk] {
        &self.chunks
    }

    pub fn particle_count(&self) -> u32 {
        self.setup.particles
    }

    pub fn next_step(&self) -> u32 {
        self.next_step
    }

    pub fn total_steps(&self) -> u32 {
        self.setup.schedule.total_steps()
    }

    /// Pins the number of steps each dispatch runs (the benchmark measures its effect);
    /// `None` returns to the paced choice.
    pub fn set_steps_per_dispatch(&mut self, steps: Option<u32>) {
        self.steps_per_dispatch = steps.map(|s| s.max(1));
    }

    /// Times every step pass with GPU timestamps from now on. Returns whether the adapter
    /// supports them.
    pub fn enable_timestamps(&mut self, ctx: &GpuContext) -> bool {
        self.timer = PassTimer::new(ctx);
        self.timer.is_some()
    }

    /// GPU seconds spent in step passes since the last reset (0 without timestamps).
    pub fn gpu_secs(&self) -> f64 {
        self.gpu_secs
    }

    /// Non-finite particles found so far.
    pub fn total_diverged(&self) -> u64 {
        self.total_diverged
    }

    /// Writes the field's rows for the level that contains `step`. Takes effect at the
    /// next submission, so a submission never contains steps of two levels.
    fn write_field_params(&self, ctx: &GpuContext, step: u32) {
        let schedule = &self.setup.schedule;
        let sigma = schedule.levels[schedule.level_of(step)].sigma;
        self.field_buffers.write(ctx, &self.setup.field, sigma);
    }

    /// Replaces the field's parameters in place. The field must compile to the same
    /// shader (same kind, and for expressions the same text), because the shader is part
    /// of the pipeline. Otherwise build a new system.
    pub fn set_field(&mut self, ctx: &GpuContext, field: Field) -> Result<(), SamplerError> {
        if !field.same_shader(&self.setup.field) {
            return Err(SamplerError::ShaderChanged(field.kind_name()));
        }
        self.setup.field = field;
        self.write_field_params(ctx, self.next_step);
        Ok(())
    }

    /// Replaces the schedule and starts it from its first step, keeping the particles where
    /// they are (a window changes the temperature or step size this way). The new table may
    /// have at most `schedule_capacity` rows, because its buffer keeps its size.
    pub fn set_schedule(&mut self, ctx: &GpuContext, schedule: Schedule) -> Result<(), ScheduleError> {
        let capacity = self.schedule_capacity();
        if schedule.total_steps() > capacity {
            return Err(ScheduleError {
                key: "sampler.steps",
                message: format!(
                    "{} steps do not fit the schedule table of {capacity} rows; use at most {capacity}",
                    schedule.total_steps()
                ),
            });
        }
        ctx.queue.write_buffer(&self.schedule_buffer, 0, bytemuck::cast_slice(&schedule.steps));
        self.setup.schedule = schedule;
        self.next_step = 0;
        self.write_field_params(ctx, 0);
        Ok(())
    }

    /// Rows the schedule table holds: the length of the schedule the system was built with.
    pub fn schedule_capacity(&self) -> u32 {
        (self.schedule_buffer.size() / std::mem::size_of::<gpu_data::ScheduleStep>() as u64) as u32
    }

    /// Draws the initial positions (and velocities) again and restarts the schedule.
    pub fn reset(&mut self, ctx: &GpuContext) -> Result<(), SamplerError> {
        self.next_step = 0;
        self.gpu_secs = 0.0;
        self.total_diverged = 0;
        self.first_diverged_step = None;
        ctx.queue.write_buffer(&self.status, 0, bytemuck::bytes_of(&SamplerStatus::RESET));
        let init = match &self.setup.init {
            InitialDistribution::Positions(positions) => {
                for chunk in &self.chunks {
                    let range = chunk.offset as usize..(chunk.offset + chunk.count) as usize;
                    ctx.queue.write_buffer(
                        &chunk.positions,
                        0,
                        bytemuck::cast_slice(&positions[range]),
                    );
                }
                None
            }
            InitialDistribution::Gaussian { mean, std } => Some(InitParams {
                kind: 0,
                _pad: [0; 3],
                a: mean.as_vec2().to_array(),
                b: std.as_vec2().to_array(),
            }),
            InitialDistribution::Uniform { min, max } => Some(InitParams {
                kind: 1,
                _pad: [0; 3],
                a: min.as_vec2().to_array(),
                b: max.as_vec2().to_array(),
            }),
        };
        if let Some(init) = &init {
            ctx.queue.write_buffer(&self.init_params, 0, bytemuck::bytes_of(init));
        }
        let temperature = self.setup.schedule.levels[0].temperature as f32;
        let velocity_init = VelocityInit { temperature, _pad: [0; 3] };
        ctx.queue.write_buffer(&self.velocity_init, 0, bytemuck::bytes_of(&velocity_init));
        let slots: Vec<DispatchParams> =
            self.chunks.iter().map(|chunk| self.dispatch_params_for(chunk, 0, 0)).collect();
        self.write_slots(ctx, &slots);

        let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("sampler.init"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("sampler.init"),
                timestamp_writes: None,
            });
            for (slot, chunk) in self.chunks.iter().enumerate() {
                let offset = self.slot_offset(slot as u32);
                let (x, y) = dispatch_grid(chunk.count, self.max_workgroups_per_dimension);
                if init.is_some() {
                    pass.set_pipeline(&self.pipelines.init);
                    pass.set_bind_group(0, &chunk.init_bind_group, &[offset]);
                    pass.dispatch_workgroups(x, y, 1);
                }
                if let (Some(pipeline), Some(bind_group)) =
                    (&self.pipelines.init_velocity, &chunk.velocity_bind_group)
                {
                    pass.set_pipeline(pipeline);
                    pass.set_bind_group(0, bind_group, &[offset]);
                    pass.dispatch_workgroups(x, y, 1);
                }
            }
        }
        ctx.queue.submit([encoder.finish()]);
        ctx.wait("drawing the initial positions")?;
        Ok(())
    }

    fn dispatch_params_for(&self, chunk: &ParticleChunk, step_begin: u32, step_end: u32) -> DispatchParams {
        let row = self.setup.schedule.row_of(step_begin);
        self.dispatch_params_with_row(chunk, step_begin, step_end, row)
    }

    fn dispatch_params_with_row(
        &self,
        chunk: &ParticleChunk,
        step_begin: u32,
        step_end: u32,
        schedule_row: u32,
    ) -> DispatchParams {
        let key = rng::key_from_seed(self.setup.seed);
        DispatchParams {
            particle_offset: chunk.offset,
            particle_count: chunk.count,
            step_begin,
            step_end,
            seed_lo: key[0],
            seed_hi: key[1],
            friction: self.setup.friction as f32,
            schedule_row,
        }
    }

    fn slot_offset(&self, slot: u32) -> u32 {
        (u64::from(slot) * self.slot_stride) as u32
    }

    fn write_slots(&self, ctx: &GpuContext, slots: &[DispatchParams]) {
        let stride = self.slot_stride as usize;
        let mut bytes = vec![0u8; slots.len() * stride];
        for (i, params) in slots.iter().enumerate() {
            bytes[i * stride..i * stride + std::mem::size_of::<DispatchParams>()]
                .copy_from_slice(bytemuck::bytes_of(params));
        }
        ctx.queue.write_buffer(&self.dispatch_params, 0, &bytes);
    }

    /// Blocks of steps (their [begin, end) ranges) that one submission runs from
    /// `next_step`, never crossing `end_step`.
    fn plan_submission(&self, end_step: u32) -> Vec<(u32, u32)> {
        let remaining = end_step - self.next_step;
        let largest_chunk = self.chunks.iter().map(|c| c.count).max().unwrap_or(1);
        let (block, blocks) = match self.secs_per_particle_step {
            // The first submission runs one step, to measure.
            None => (1, 1),
            Some(secs) => {
                let target = self.target_submit_secs;
                let per_dispatch = target / (secs * f64::from(largest_chunk));
                let block = self
                    .steps_per_dispatch
                    .unwrap_or((per_dispatch as u32).clamp(1, MAX_STEPS_PER_DISPATCH));
                let per_block = secs * f64::from(self.setup.particles) * f64::from(block);
                let blocks = ((target / per_block) as u32)
                    .clamp(1, DISPATCH_SLOTS / self.chunks.len() as u32);
                (block, blocks)
            }
        };
        let mut ranges = Vec::with_capacity(blocks as usize);
        let mut begin = self.next_step;
        while ranges.len() < blocks as usize && begin < self.next_step + remaining {
            let end = (begin + block).min(end_step);
            ranges.push((begin, end));
            begin = end;
        }
        ranges
    }

    /// Records up to `max_steps` steps from the current one into `encoder`, in blocks of at
    /// most `steps_per_dispatch`, and returns how many it recorded. The steps stop at the
    /// end of the current level, because the field parameters written here are that
    /// level's. Call again, in a new submission, for the next level. Past the end of the
    /// schedule, the last Langevin level goes on with fresh noise, as a window needs.
    ///
    /// Writes the dispatch slots and field parameters, so the encoder must be submitted
    /// before the next call.
    pub fn encode_steps(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        max_steps: u32,
        steps_per_dispatch: u32,
    ) -> u32 {
        let schedule = &self.setup.schedule;
        let begin = self.next_step;
        let mut end = begin.saturating_add(max_steps);
        if begin < schedule.total_steps() {
            end = end.min(schedule.levels[schedule.level_of(begin)].end_step);
        }
        let block = steps_per_dispatch.max(1);
        let max_blocks = (DISPATCH_SLOTS / self.chunks.len() as u32) as usize;
        let mut blocks = Vec::new();
        let mut start = begin;
        while start < end && blocks.len() < max_blocks {
            let stop = start.saturating_add(block).min(end);
            blocks.push((start, stop));
            start = stop;
        }
        if blocks.is_empty() {
            return 0;
        }
        self.write_field_params(ctx, begin);
        self.encode_blocks_timed(ctx, encoder, &blocks, None);
        self.next_step - begin
    }

    fn encode_blocks_timed(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        blocks: &[(u32, u32)],
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        self.record_blocks(ctx, encoder, blocks, None, timestamp_writes);
        if let Some(&(_, end)) = blocks.last() {
            self.next_step = end;
        }
    }

    /// Records one dispatch per block and chunk. `row` overrides the schedule row that
    /// each block's first step would use (the adaptation warm-up runs the first level's
    /// row with Philox counters outside the schedule's).
    fn record_blocks(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        blocks: &[(u32, u32)],
        row: Option<u32>,
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        let mut slots = Vec::with_capacity(blocks.len() * self.chunks.len());
        for &(begin, end) in blocks {
            let row = row.unwrap_or_else(|| self.setup.schedule.row_of(begin));
            for chunk in &self.chunks {
                slots.push(self.dispatch_params_with_row(chunk, begin, end, row));
            }
        }
        self.write_slots(ctx, &slots);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("sampler.steps"),
            timestamp_writes,
        });
        pass.set_pipeline(&self.pipelines.step);
        let mut slot = 0u32;
        for _ in blocks {
            for chunk in &self.chunks {
                pass.set_bind_group(0, &chunk.step_bind_group, &[self.slot_offset(slot)]);
                let (x, y) = dispatch_grid(chunk.count, self.max_workgroups_per_dimension);
                pass.dispatch_workgroups(x, y, 1);
                slot += 1;
            }
        }
    }

    /// Runs the schedule up to `end_step`, calling `progress` with the step reached after
    /// each submission. Returns a report for every level completed on the way.
    pub fn run_until(
        &mut self,
        ctx: &GpuContext,
        end_step: u32,
        progress: &mut dyn FnMut(u32),
    ) -> Result<Vec<LevelReport>, SamplerError> {
        let end_step = end_step.min(self.total_steps());
        let mut reports = Vec::new();
        while self.next_step < end_step {
            if self.cancel.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                return Err(SamplerError::Interrupted { step: self.next_step, total: self.total_steps() });
            }
            let level = self.setup.schedule.level_of(self.next_step);
            let level_end = self.setup.schedule.levels[level].end_step.min(end_step);
            let blocks = self.plan_submission(level_end);
            self.write_field_params(ctx, self.next_step);
            let steps = blocks.last().map_or(0, |b| b.1) - self.next_step;

            let started = Instant::now();
            let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("sampler.steps"),
            });
            let timer = self.timer.take();
            self.encode_blocks_timed(ctx, &mut encoder, &blocks, timer.as_ref().map(PassTimer::compute_writes));
            if let Some(timer) = &timer {
                timer.resolve(&mut encoder);
            }
            ctx.queue.submit([encoder.finish()]);
            ctx.wait("running Langevin steps")?;
            let secs = started.elapsed().as_secs_f64();
            if let Some(timer) = &timer {
                self.gpu_secs += timer.read_secs(ctx)?;
            }
            self.timer = timer;
            let measured = secs / (f64::from(self.setup.particles) * f64::from(steps));
            self.secs_per_particle_step = Some(match self.secs_per_particle_step {
                None => measured,
                Some(previous) => 0.5 * (previous + measured),
            });

            if self.next_step == self.setup.schedule.levels[level].end_step {
                reports.push(self.take_status(ctx, level)?);
                self.check_divergence(0, None, level)?;
            } else if self.setup.max_diverged.is_some() {
                let status = self.read_status(ctx)?;
                self.check_divergence(u64::from(status.diverged), status.first_diverged(), level)?;
            }
            progress(self.next_step);
        }
        Ok(reports)
    }

    /// Stops the run when the non-finite particles so far (those of finished levels and
    /// `in_level` of the current one, the first in step `first_in_level`) exceed the
    /// setup's limit.
    fn check_divergence(&self, in_level: u64, first_in_level: Option<u32>, level: usize) -> Result<(), SamplerError> {
        let Some(limit) = self.setup.max_diverged else {
            return Ok(());
        };
        let diverged = self.total_diverged + in_level;
        if diverged as f64 <= limit * f64::from(self.setup.particles) {
            return Ok(());
        }
        let first = earliest(self.first_diverged_step, first_in_level).unwrap_or(self.next_step);
        let level = &self.setup.schedule.levels[level];
        Err(SamplerError::Diverged {
            diverged,
            particles: self.setup.particles,
            step: self.next_step,
            first_step: first + 1,
            level: level.label(),
            limit,
            advice: self.divergence_advice(first),
        })
    }

    /// Suggests what to change when particles diverge, `first` being the step (from 0) in
    /// which the first one did.
    fn divergence_advice(&self, first: u32) -> String {
        // The user's h is the last level's; earlier noise levels scale it up.
        let step_size = self.setup.schedule.levels.last().map_or(0.0, |level| level.step_size);
        let mut advice = format!("use a smaller --step-size than {step_size:e}");
        if self.setup.integrator == Integrator::Ula && !self.setup.tamed {
            advice.push_str(" or --tamed");
        }
        if first > 0 {
            return advice;
        }
        format!(
            "particles that fail in the very first step usually start where V or its force is \
             not finite (the log or square root of a negative number, a division by zero), \
             which no step size mends: check the potential over the initial positions. If it \
             is finite there, {advice}"
        )
    }

    /// Makes runs stop with `SamplerError::Interrupted` before their next submission once
    /// `flag` is set (by a Ctrl-C handler, say).
    pub fn set_cancel_flag(&mut self, flag: Arc<AtomicBool>) {
        self.cancel = Some(flag);
    }

    /// Runs the whole schedule.
    pub fn run(&mut self, ctx: &GpuContext, progress: &mut dyn FnMut(u32)) -> Result<Vec<LevelReport>, SamplerError> {
        self.run_until(ctx, self.total_steps(), progress)
    }

    /// Reads the counters of the current segment without resetting them.
    pub fn read_status(&self, ctx: &GpuContext) -> Result<SamplerStatus, SamplerError> {
        let bytes = ctx.read_buffer(
            &self.status,
            0,
            std::mem::size_of::<SamplerStatus>() as u64,
            "reading the sampler status",
        )?;
        Ok(bytemuck::pod_read_unaligned(&bytes))
    }

    fn take_status(&mut self, ctx: &GpuContext, level: usize) -> Result<LevelReport, SamplerError> {
        let status = self.read_status(ctx)?;
        ctx.queue.write_buffer(&self.status, 0, bytemuck::bytes_of(&SamplerStatus::RESET));
        self.total_diverged += u64::from(status.diverged);
        self.first_diverged_step = earliest(self.first_diverged_step, status.first_diverged());
        Ok(LevelReport {
            level,
            diverged: status.diverged,
            first_diverged_step: status.first_diverged(),
            accepted: status.accepted(),
            proposed: status.proposed(),
        })
    }

    /// Reads every particle position back, in global index order.
    pub fn read_positions(&self, ctx: &GpuContext) -> Result<Vec<[f32; 2]>, SamplerError> {
        self.read_particle_buffers(ctx, "position", |chunk| Some(&chunk.positions))
    }

    /// Reads every velocity back, in global index order; empty without velocities.
    pub fn read_velocities(&self, ctx: &GpuContext) -> Result<Vec<[f32; 2]>, SamplerError> {
        self.read_particle_buffers(ctx, "velocity", |chunk| chunk.velocities.as_ref())
    }

    fn read_particle_buffers(
        &self,
        ctx: &GpuContext,
        kind: &str,
        buffer_of: impl Fn(&ParticleChunk) -> Option<&wgpu::Buffer>,
    ) -> Result<Vec<[f32; 2]>, SamplerError> {
        let mut values = Vec::with_capacity(self.setup.particles as usize);
        for (index, chunk) in self.chunks.iter().enumerate() {
            let Some(buffer) = buffer_of(chunk) else {
                return Ok(Vec::new());
            };
            let bytes = ctx.read_buffer(
                buffer,
                0,
                u64::from(chunk.count) * POSITION_BYTES,
                &format!("reading {kind} buffer {index}"),
            )?;
            values.extend_from_slice(bytemuck::cast_slice::<u8, [f32; 2]>(&bytes));
        }
        Ok(values)
    }
}

fn entry(binding: u32, resource: wgpu::BindingResource<'_>) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource }
}

/// Refuses counts of zero, beyond u32 indexing, or beyond the device's known memory,
/// naming the maximum.
fn check_particle_count(ctx: &GpuContext, particles: u32, integrator: Integrator) -> Result<(), SamplerError> {
    if particles == 0 {
        return Err(SamplerError::ParticleCount("0 particles requested; use at least 1".into()));
    }
    let bytes_per_particle = integrator.bytes_per_particle();
    if let Some(available) = ctx.memory_estimate() {
        let needed = u64::from(particles) * bytes_per_particle;
        // Leave a quarter for the driver, the density grid and readbacks.
        let usable = available / 4 * 3;
        if needed > usable {
            return Err(SamplerError::ParticleCount(format!(
                "{particles} particles need {:.2} GiB but the device ({}) has about {:.2} GiB \
                 available; use at most {} particles",
                needed as f64 / GIB,
                ctx.info.name,
                usable as f64 / GIB,
                usable / bytes_per_particle
            )));
        }
    }
    Ok(())
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
