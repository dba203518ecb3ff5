//! One module per subcommand, and what they share: the scene with the command-line
//! overrides, validated before any GPU work, and a sampler run with a progress bar.

pub mod bench;
pub mod fields;
pub mod render;
pub mod sample;
pub mod view;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use log::{info, warn};

use crate::cli::{PictureArgs, SceneArgs};
use scoreforce::density::export;
use scoreforce::gpu::GpuContext;
use scoreforce::sampler::{InitialDistribution, Integrator, LevelReport, ParticleSystem, SamplerSetup};
use scoreforce::scene::{self, RunConfig, Scene, SceneError};

/// Set by the Ctrl-C handler; runs stop before their next submission.
pub(crate) static INTERRUPTED: std::sync::LazyLock<Arc<AtomicBool>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicBool::new(false)));

/// Loads the scene file or preset and applies the command-line overrides.
/// `base` replaces the scene file or preset (a scene recorded in a PNG).
pub(crate) fn resolve_scene(args: &SceneArgs, picture: Option<&PictureArgs>, base: Option<Scene>) -> Result<Scene> {
    let mut scene = match (base, &args.scene, &args.field, &args.potential) {
        (Some(scene), _, _, _) => scene,
        (None, _, _, Some(potential)) => Scene::expression(potential)?,
        (None, _, _, None) if args.image.is_some() => {
            Scene::image(args.image.as_deref().unwrap_or(std::path::Path::new("")), args.invert)?
        }
        (None, Some(path), _, _) => Scene::load(path)?,
        (None, None, Some(name), _) => Scene::preset(name)?,
        (None, None, None, None) => Scene::preset(scene::DEFAULT_PRESET)?,
    };
    scene.field.set_params(&args.params)?;
    let sampler = &mut scene.sampler;
    if let Some(particles) = args.particles {
        sampler.particles = particles;
    }
    if let Some(steps) = args.steps {
        sampler.steps = steps;
    }
    if let Some(step_size) = args.step_size {
        sampler.step_size = step_size;
    }
    if let Some(temperature) = args.temperature {
        sampler.temperature = temperature;
    }
    if let Some(integrator) = args.integrator {
        sampler.integrator = integrator;
    }
    if let Some(friction) = args.friction {
        if sampler.integrator != Integrator::Underdamped {
            return Err(SceneError::Invalid {
                key: "--friction".into(),
                message: format!(
                    "friction applies to the underdamped integrator only, not {}; add \
                     --integrator underdamped or drop --friction",
                    sampler.integrator.name()
                ),
            }
            .into());
        }
        sampler.friction = friction;
    }
    if args.tamed {
        sampler.tamed = true;
    }
    if let Some(target) = args.target_acceptance {
        sampler.target_acceptance = Some(target);
    }
    if let Some(steps) = args.adapt_steps {
        if sampler.target_acceptance.is_none() {
            return Err(SceneError::Invalid {
                key: "--adapt-steps".into(),
                message: "the warm-up runs only to adapt MALA's step toward a target; add \
                          --target-acceptance (with --integrator mala) or drop --adapt-steps"
                    .into(),
            }
            .into());
        }
        sampler.adapt_steps = steps;
    }
    if let Some(fraction) = args.max_diverged {
        sampler.max_diverged = fraction;
    }
    if let Some(seed) = args.seed {
        sampler.seed = seed;
    }
    if let Some(kind) = args.schedule {
        scene.schedule.kind = kind;
    }
    if let Some(picture) = picture {
        if let Some(size) = picture.size {
            scene.view.size = size;
        }
        if let Some(rect) = picture.view {
            scene.view.rect = rect;
        }
        if let Some(colormap) = picture.colormap {
            scene.view.colormap = colormap;
        }
        if let Some(scale) = picture.scale {
            scene.view.scale = scale;
        }
    }
    Ok(scene)
}

/// Validates the scene and reads `--init`, before any GPU work.
pub(crate) fn prepare(args: &SceneArgs, picture: Option<&PictureArgs>) -> Result<RunConfig> {
    prepare_from(args, picture, None, args.init.as_deref())
}

/// Validates the scene (`base`, else the file or preset) with the overrides, and reads the
/// initial positions from `init`, before any GPU work.
pub(crate) fn prepare_from(
    args: &SceneArgs,
    picture: Option<&PictureArgs>,
    base: Option<Scene>,
    init: Option<&std::path::Path>,
) -> Result<RunConfig> {
    let replay = base.is_some();
    let scene_file = match (&base, &args.potential, &args.image) {
        (None, None, None) => args.scene.as_deref(),
        _ => None,
    };
    let mut scene = resolve_scene(args, picture, base)?;
    let initial_positions = match init {
        Some(path) => {
            let positions = export::read_npy(path)?;
            if let Some(requested) = args.particles
                && requested != positions.len() as u64
            {
                return Err(SceneError::Invalid {
                    key: "sampler.particles".into(),
                    message: format!(
                        "--particles {requested} disagrees with the {} rows of {}; drop \
                         --particles or use a file with that many rows",
                        positions.len(),
                        path.display()
                    ),
                }
                .into());
            }
            scene.sampler.particles = positions.len() as u64;
            if args.seed.is_none() && !replay {
                // Philox counts steps from 0 in every run, so a run that goes on from the
                // positions of another with the same seed draws the same noise again.
                warn!(
                    "starting from {} with seed {}; if these positions come from a run with \
                     that seed, this run repeats its noise: pass another --seed",
                    path.display(),
                    scene.sampler.seed
                );
            }
            Some(positions)
        }
        None => None,
    };
    // Errors about a value of the scene file also name the file and the line.
    let mut config = scene.validate().map_err(|error| match scene_file {
        Some(path) => error.in_file(path),
        None => error,
    })?;
    if let Some(positions) = initial_positions {
        config.init = InitialDistribution::Positions(positions);
    }
    Ok(config)
}

/// Allocates the particles and runs the whole schedule with a progress bar.
pub(crate) fn sample(ctx: &GpuContext, config: &RunConfig) -> Result<(ParticleSystem, Vec<LevelReport>)> {
    let setup = SamplerSetup::from_config(config);
    let mut system = ParticleSystem::new(ctx, setup).context("setting up the particles")?;
    system.set_cancel_flag(Arc::clone(&INTERRUPTED));
    if let Some(adaptation) = config.adaptation {
        let report = system
            .adapt_step_size(ctx, adaptation.target_acceptance, adaptation.steps)
            .context("adapting the MALA step size")?;
        info!(
            "adapted the step size from {:.4e} to {:.4e} in {} warm-up steps (acceptance {:.3}, \
             target {})",
            report.initial_step_size,
            report.step_size,
            report.warmup_steps,
            report.acceptance_rate,
            adaptation.target_acceptance
        );
    }

    let total = system.total_steps();
    let bar = ProgressBar::new(u64::from(total)).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} steps, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(config.field.kind_name());
    let started = Instant::now();
    let reports = system
        .run(ctx, &mut |step| bar.set_position(u64::from(step)))
        .context("running the sampler")?;
    bar.finish_and_clear();

    let secs = started.elapsed().as_secs_f64();
    let particle_steps = f64::from(config.particles) * f64::from(total);
    info!(
        "{} particles x {total} steps in {secs:.2} s: {:.3e} particle-steps/s on {}",
        config.particles,
        particle_steps / secs,
        ctx.adapter_summary()
    );
    report_levels(&system, &reports);
    Ok((system, reports))
}

/// Logs MALA's acceptance rate per level, and every level where particles diverged.
pub(crate) fn report_levels(system: &ParticleSystem, reports: &[LevelReport]) {
    let schedule = &system.setup.schedule;
    for report in reports {
        let level = &schedule.levels[report.level];
        if report.proposed > 0 {
            info!(
                "level {} ({}, h = {:.4e}): acceptance rate {:.4}",
                report.level,
                level.label(),
                level.step_size,
                report.accepted as f64 / report.proposed as f64
            );
        }
        if report.diverged > 0 {
            warn!(
                "{} particles became non-finite at level {} ({}), the first in step {}; they are \
                 left out of the density. A smaller --step-size or --tamed often avoids this",
                report.diverged,
                report.level,
                level.label(),
                report.first_diverged_step.unwrap_or(level.first_step) + 1
            );
        }
    }
}

/// Returns the command line of this run, quoted so that a shell can run it again.
pub(crate) fn command_line() -> String {
    let args: Vec<String> = std::env::args().collect();
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}
