//! Benchmark cases, timing, the CPU baseline, and the figures `scoreforce bench` prints.
//!
//! How it works: each case is a preset, a particle count, an integrator and a number of
//! steps per dispatch. It builds its sampler and runs a few steps as warm-up, where
//! pipeline creation, shader compilation and the first dispatch fall. Then it runs the
//! whole schedule `repeats` times from a fresh start. Each repeat is timed with GPU timestamps around the step passes
//! where the adapter supports them, else by the wall clock from the first submission to the
//! end of the last wait. After the last repeat the particles are read back and compared with
//! the exact density.

pub mod cpu;

use std::time::Instant;

use glam::DVec2;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::accuracy;
use crate::field::Field;
use crate::gpu::GpuContext;
use crate::sampler::{Integrator, ParticleSystem, SamplerError, SamplerSetup};
use crate::scene::{RunConfig, Scene, SceneError};

/// Steps run before timing starts.
const WARMUP_STEPS: u32 = 4;
/// Bins per side of the histogram compared with the exact density.
const ACCURACY_BINS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Scene(#[from] SceneError),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
    #[error("invalid benchmark file `{path}`: {message}")]
    File { path: String, message: String },
    #[error("invalid `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl BenchError {
    /// Whether the user can fix the error by changing the input.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            BenchError::Scene(_) | BenchError::File { .. } | BenchError::Invalid { .. } => true,
            BenchError::Sampler(e) => e.is_invalid_input(),
        }
    }
}

/// A benchmark file (TOML); every key is optional and takes the default matrix's value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchFile {
    pub fields: Option<Vec<String>>,
    pub particles: Option<Vec<u64>>,
    pub integrators: Option<Vec<Integrator>>,
    pub steps_per_dispatch: Option<Vec<u32>>,
    pub steps: Option<u32>,
    pub repeats: Option<u32>,
    pub baseline: Option<Baseline>,
    pub cpu_particles: Option<u32>,
}

impl BenchFile {
    pub fn load(path: &std::path::Path) -> Result<BenchFile, BenchError> {
        let file_error = |message: String| BenchError::File { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        toml::from_str(&text).map_err(|e| file_error(e.to_string()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Baseline {
    /// The same update on the CPU (rayon over all cores, f64 field reference).
    Cpu,
}

/// The default matrix: the three core presets at one million particles, with each
/// integrator.
pub const DEFAULT_FIELDS: [&str; 3] = ["gmm8-ring", "mueller-brown", "double-well"];
pub const DEFAULT_PARTICLES: u64 = 1_000_000;
/// The fastest of 16, 32, 64, 128 and 256 on lavapipe; see docs/BENCHMARKS.md.
pub const DEFAULT_STEPS_PER_DISPATCH: u32 = 128;
pub const DEFAULT_REPEATS: u32 = 3;
/// Particles of the CPU baseline: enough for a stable rate in a few seconds.
pub const DEFAULT_CPU_PARTICLES: u32 = 20_000;

#[derive(Clone, Debug, PartialEq)]
pub struct BenchCase {
    pub preset: String,
    pub particles: u32,
    pub integrator: Integrator,
    pub steps_per_dispatch: u32,
}

#[derive(Clone, Debug)]
pub struct BenchPlan {
    pub cases: Vec<BenchCase>,
    /// Total steps per repeat; `None` runs each preset's own schedule length.
    pub steps: Option<u32>,
    pub repeats: u32,
    pub baseline: Option<Baseline>,
    pub cpu_particles: u32,
    /// Stops the running case, as Ctrl-C does, once set.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl BenchPlan {
    /// The cross product of the lists, each defaulting to the default matrix.
    pub fn matrix(file: BenchFile) -> Result<BenchPlan, BenchError> {
        let fields = file.fields.unwrap_or_else(|| DEFAULT_FIELDS.map(String::from).to_vec());
        let particles = file.particles.unwrap_or_else(|| vec![DEFAULT_PARTICLES]);
        let integrators = file.integrators.unwrap_or_else(|| crate::sampler::INTEGRATORS.to_vec());
        let steps_per_dispatch =
            file.steps_per_dispatch.unwrap_or_else(|| vec![DEFAULT_STEPS_PER_DISPATCH]);
        let repeats = file.repeats.unwrap_or(DEFAULT_REPEATS);
        if repeats == 0 {
            return Err(BenchError::Invalid { key: "repeats", message: "0 repeats; use at least 1".into() });
        }
        if let Some(&bad) = steps_per_dispatch.iter().find(|&&s| s == 0) {
            return Err(BenchError::Invalid {
                key: "steps_per_dispatch",
                message: format!("{bad}; use at least 1"),
            });
        }
        match (file.cpu_particles, file.baseline) {
            (Some(0), _) => {
                return Err(BenchError::Invalid { key: "cpu_particles", message: "0; use at least 1".into() });
            }
            (Some(_), None) => {
                return Err(BenchError::Invalid {
                    key: "cpu_particles",
                    message: "it sizes the CPU baseline; add --baseline cpu or drop it".into(),
                });
            }
            _ => {}
        }
        let mut cases = Vec::new();
        for field in &fields {
            scene_named(field)?;
            // Every case is checked here, before the caller creates a GPU device.
            for &integrator in &integrators {
                let probe = BenchCase { preset: field.clone(), particles: 1, integrator, steps_per_dispatch: 1 };
                config_for(&probe, file.steps)?;
            }
            for &count in &particles {
                if count == 0 || count > u64::from(u32::MAX) {
                    return Err(BenchError::Invalid {
                        key: "particles",
                        message: format!("{count} is out of range; use 1 to {}", u32::MAX),
                    });
                }
                for &integrator in &integrators {
                    for &spd in &steps_per_dispatch {
                        cases.push(BenchCase {
                            preset: field.clone(),
                            particles: count as u32,
                            integrator,
                            steps_per_dispatch: spd,
                        });
                    }
                }
            }
        }
        Ok(BenchPlan {
            cases,
            steps: file.steps,
            repeats,
            baseline: file.baseline,
            cpu_particles: file.cpu_particles.unwrap_or(DEFAULT_CPU_PARTICLES),
            cancel: None,
        })
    }
}

/// Estimated work of one particle-step. Float operations are counted from the WGSL as one
/// per add, multiply, divide, compare or select, and one per exp, log, sqrt, sin or cos;
/// Philox's integer operations are counted apart. Bytes are global-memory traffic of the
/// particle state: a load and a store per dispatch, shared by its steps (the schedule row
/// read each step is the same for every particle and served from cache).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cost {
    pub flops: f64,
    pub int_ops: f64,
    pub bytes: f64,
}

/// Float operations of one force evaluation, by field kind (see `Cost`).
pub fn force_flops(field: &Field) -> f64 {
    match field {
        // Per component: offset 2, scaled precision times offset 6, quadratic form 4,
        // log-sum-exp update 12 (exp2 included), running maximum 1: 25; then log2, add,
        // two divides and the scale back to natural logarithms.
        Field::GaussianMixture(m) => 25.0 * m.components.len() as f64 + 7.0,
        // Per term: offset 2, exponent 8, exp and amplitude 2, gradient 10, sums 3: 25.
        Field::MuellerBrown(_) => 4.0 * 25.0 + 3.0,
        Field::DoubleWell(_) => 12.0,
        Field::Banana(_) => 12.0,
        Field::Ring(_) => 14.0,
        Field::Expression(e) => e.force_operations() as f64,
        // Cell coordinates and clamping 10, two sets of Catmull-Rom weights 2 x 24, 16 nodes
        // of 5 multiply-adds, the wall 10; 16 gathered loads besides.
        Field::Image(_) => 10.0 + 48.0 + 80.0 + 10.0,
    }
}

pub fn cost(field: &Field, integrator: Integrator, steps_per_dispatch: u32) -> Cost {
    // Box-Muller 11 and the finiteness check 2, then the integrator's own update: ULA's
    // position update 4; MALA's proposal 4, two proposal densities 12, the ratio and the
    // uniform's log 5, the selects 4; BAOAB's two kicks, two drifts and the
    // Ornstein-Uhlenbeck step 16. MALA evaluates V with the force (`field_eval`), which
    // costs little beyond the force for the kinds here.
    let update = 13.0
        + match integrator {
            Integrator::Ula => 4.0,
            Integrator::Mala => 25.0,
            Integrator::Underdamped => 16.0,
        };
    // Ten rounds of two 32x32 products from 16-bit halves (16 each), four xors and the
    // key schedule (2).
    let philox = 10.0 * (2.0 * 16.0 + 4.0 + 2.0);
    Cost {
        flops: force_flops(field) + update,
        int_ops: philox,
        // A load and a store of the state per dispatch.
        bytes: 2.0 * integrator.bytes_per_particle() as f64 / f64::from(steps_per_dispatch),
    }
}

/// One line of results; the field names are stable for `--json` consumers.
#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    pub field: String,
    pub field_kind: String,
    pub integrator: String,
    pub particles: u32,
    pub steps: u32,
    /// Steps each dispatch ran at most: the requested count, or the longest level's
    /// steps where they are fewer.
    pub steps_per_dispatch: u32,
    /// The steps per dispatch the case asked for.
    pub steps_per_dispatch_requested: u32,
    pub repeats: u32,
    pub adapter: String,
    pub backend: String,
    pub device_type: String,
    /// "gpu-timestamps" or "wall-clock".
    pub timing: String,
    pub seconds_median: f64,
    pub seconds_min: f64,
    pub seconds_max: f64,
    /// From the median repeat.
    pub particle_steps_per_second: f64,
    pub ns_per_particle_step: f64,
    pub flops_per_step: f64,
    pub flops_per_second: f64,
    pub int_ops_per_step: f64,
    pub bytes_per_step: f64,
    pub bytes_per_second: f64,
    /// Of the 64x64 histogram over the preset's view from the exact density of the last
    /// level; `null` when no exact density is known.
    pub total_variation: Option<f64>,
    /// The same for exact samples of the same size: the Monte Carlo floor.
    pub total_variation_exact_samples: Option<f64>,
    pub diverged: u64,
    /// MALA's accepted over proposed moves in the last repeat; `null` for the others.
    pub acceptance_rate: Option<f64>,
    pub cpu_particles: Option<u32>,
    pub cpu_particle_steps_per_second: Option<f64>,
    pub gpu_over_cpu: Option<f64>,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 { values[middle] } else { 0.5 * (values[middle - 1] + values[middle]) }
}

/// A preset by name, or a scene file by path (a name ending in `.toml`).
// NOTE: a path from a benchmark file is taken relative to the current folder, not to the
// benchmark file's folder as scene files take their image paths.
fn scene_named(name: &str) -> Result<Scene, SceneError> {
    if name.ends_with(".toml") {
        Scene::load(std::path::Path::new(name))
    } else {
        Scene::preset(name)
    }
}

fn config_for(case: &BenchCase, steps: Option<u32>) -> Result<RunConfig, BenchError> {
    let mut scene = scene_named(&case.preset)?;
    scene.sampler.particles = u64::from(case.particles);
    scene.sampler.integrator = case.integrator;
    if let Some(steps) = steps {
        scene.sampler.steps = steps;
    }
    scene.validate().map_err(|error| {
        if case.preset.ends_with(".toml") {
            error.in_file(std::path::Path::new(&case.preset)).into()
        } else {
            error.into()
        }
    })
}

/// Runs one case and returns its figures.
pub fn run_case(ctx: &GpuContext, case: &BenchCase, plan: &BenchPlan) -> Result<BenchResult, BenchError> {
    let config = config_for(case, plan.steps)?;
    let setup = SamplerSetup::from_config(&config);
    let mut system = ParticleSystem::new(ctx, setup)?;
    system.set_steps_per_dispatch(Some(case.steps_per_dispatch));
    if let Some(flag) = &plan.cancel {
        system.set_cancel_flag(std::sync::Arc::clone(flag));
    }
    let timestamps = system.enable_timestamps(ctx);
    system.run_until(ctx, WARMUP_STEPS, &mut |_| {})?;

    let mut seconds = Vec::with_capacity(plan.repeats as usize);
    let mut reports = Vec::new();
    for _ in 0..plan.repeats {
        system.reset(ctx)?;
        let started = Instant::now();
        reports = system.run(ctx, &mut |_| {})?;
        let wall = started.elapsed().as_secs_f64();
        seconds.push(if timestamps { system.gpu_secs() } else { wall });
    }
    let seconds_min = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let seconds_max = seconds.iter().copied().fold(0.0, f64::max);
    let seconds_median = median(&mut seconds);

    let steps = system.total_steps();
    let particle_steps = f64::from(config.particles) * f64::from(steps);
    let rate = particle_steps / seconds_median;
    // Dispatches stop at the end of a level, so short levels run shorter blocks.
    let longest_level = config.schedule.levels.iter().map(|l| l.end_step - l.first_step).max().unwrap_or(1);
    let steps_per_dispatch = case.steps_per_dispatch.min(longest_level);
    let cost = cost(&config.field, config.integrator, steps_per_dispatch);

    let positions = system.read_positions(ctx)?;
    let (total_variation, total_variation_exact_samples) = accuracy_of(&config, &positions);

    let (cpu_particles, cpu_rate) = match plan.baseline {
        // The CPU baseline runs ULA only; other integrators get no ratio.
        Some(Baseline::Cpu) if config.integrator == Integrator::Ula => {
            let particles = plan.cpu_particles.min(config.particles).max(1);
            (Some(particles), Some(cpu_rate(&config, particles)))
        }
        _ => (None, None),
    };

    let info = &ctx.info;
    Ok(BenchResult {
        field: case.preset.clone(),
        field_kind: config.field.kind_name().to_string(),
        integrator: config.integrator.name().to_string(),
        particles: config.particles,
        steps,
        steps_per_dispatch,
        steps_per_dispatch_requested: case.steps_per_dispatch,
        repeats: plan.repeats,
        adapter: info.name.clone(),
        backend: format!("{:?}", info.backend).to_lowercase(),
        device_type: format!("{:?}", info.device_type).to_lowercase(),
        timing: if timestamps { "gpu-timestamps" } else { "wall-clock" }.to_string(),
        seconds_median,
        seconds_min,
        seconds_max,
        particle_steps_per_second: rate,
        ns_per_particle_step: 1e9 / rate,
        flops_per_step: cost.flops,
        flops_per_second: cost.flops * rate,
        int_ops_per_step: cost.int_ops,
        bytes_per_step: cost.bytes,
        bytes_per_second: cost.bytes * rate,
        total_variation,
        total_variation_exact_samples,
        diverged: system.total_diverged(),
        acceptance_rate: acceptance_rate(&reports),
        cpu_particles,
        cpu_particle_steps_per_second: cpu_rate,
        gpu_over_cpu: cpu_rate.map(|cpu| rate / cpu),
    })
}

fn acceptance_rate(reports: &[crate::sampler::LevelReport]) -> Option<f64> {
    let proposed: u64 = reports.iter().map(|r| r.proposed).sum();
    let accepted: u64 = reports.iter().map(|r| r.accepted).sum();
    (proposed > 0).then(|| accepted as f64 / proposed as f64)
}

/// Particle-steps per second of the CPU baseline on `particles` particles, after a
/// warm-up that starts rayon's threads.
fn cpu_rate(config: &RunConfig, particles: u32) -> f64 {
    let warmup = cpu::run_ula(&config.field, &config.schedule, &config.init, config.seed, particles.min(64));
    std::hint::black_box(warmup);
    let started = Instant::now();
    let positions = cpu::run_ula(&config.field, &config.schedule, &config.init, config.seed, particles);
    let secs = started.elapsed().as_secs_f64();
    std::hint::black_box(positions);
    f64::from(particles) * f64::from(config.schedule.total_steps()) / secs
}

/// Total variation of the particles' histogram from the exact density of the last level
/// (exp(-V / T) integrated on a fine grid), and that of as many exact samples drawn from
/// the same grid. Every built-in field has an exact density, so both are always known.
fn accuracy_of(config: &RunConfig, positions: &[[f32; 2]]) -> (Option<f64>, Option<f64>) {
    let last = config.schedule.levels.last().expect("a schedule has at least one level");
    let view = config.view;
    let domain = accuracy::normalising_domain(view);
    let reference = reference_point(config, view);
    let density = accuracy::gibbs_density(&config.field, last.temperature, last.sigma, reference);
    let exact = accuracy::bin_probabilities(&density, view, ACCURACY_BINS, 4, domain);
    let sampled = accuracy::total_variation(&accuracy::histogram(positions, view, ACCURACY_BINS), &exact);
    let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
    let samples = accuracy::grid_samples(&density, domain, 2048, positions.len(), &mut rng);
    let floor = accuracy::total_variation(&accuracy::histogram(&samples, view, ACCURACY_BINS), &exact);
    (Some(sampled), Some(floor))
}

/// The grid point of lowest V over the view, so exp(-(V - V_min) / T) stays finite.
fn reference_point(config: &RunConfig, view: crate::density::View) -> DVec2 {
    let last = config.schedule.levels.last().expect("a schedule has at least one level");
    let mut best = (view.centre(), f64::INFINITY);
    for j in 0..128 {
        for i in 0..128 {
            let x = view.min + view.size() * DVec2::new((i as f64 + 0.5) / 128.0, (j as f64 + 0.5) / 128.0);
            let v = config.field.potential(x, last.sigma);
            if v < best.1 {
                best = (x, v);
            }
        }
    }
    best.0
}

/// A readable table of results, one row per case.
pub fn format_table(results: &[BenchResult]) -> String {
    let mut out = format!(
        "{:<14} {:<11} {:>10} {:>6} {:>4} {:>12} {:>8} {:>9} {:>9} {:>7} {:>7} {:>7} {:>9}\n",
        "field", "integrator", "particles", "steps", "spd", "steps/s", "ns/step", "GFLOP/s", "GB/s", "TV", "TV MC", "accept", "GPU/CPU"
    );
    for r in results {
        let optional = |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        out += &format!(
            "{:<14} {:<11} {:>10} {:>6} {:>4} {:>12.3e} {:>8.2} {:>9.2} {:>9.3} {:>7} {:>7} {:>7} {:>9}\n",
            r.field,
            r.integrator,
            r.particles,
            r.steps,
            r.steps_per_dispatch,
            r.particle_steps_per_second,
            r.ns_per_particle_step,
            r.flops_per_second * 1e-9,
            r.bytes_per_second * 1e-9,
            optional(r.total_variation, 4),
            optional(r.total_variation_exact_samples, 4),
            optional(r.acceptance_rate, 3),
            optional(r.gpu_over_cpu, 1),
        );
    }
    out
}
