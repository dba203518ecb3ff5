//! The `scoreforce` binary: parses the command line into a validated run configuration
//! and runs one function per subcommand. Exit codes: 0 success, 1 runtime failure (GPU,
//! I/O during the run), 2 invalid input (arguments, scene files, paths).

mod cli;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use log::{info, warn};

use cli::{BenchArgs, Cli, Command, PictureArgs, RenderArgs, SampleArgs, SceneArgs, ViewArgs};
use scoreforce::bench::{self, BenchError, BenchFile, BenchPlan};
use scoreforce::density::export::{self, ExportError};
use scoreforce::density::{DensityError, DensityRenderer};
use scoreforce::field::FieldError;
use scoreforce::gpu::{BackendChoice, GpuContext};
use scoreforce::sampler::{InitialDistribution, LevelReport, ParticleSystem, SamplerError, SamplerSetup};
use scoreforce::scene::{self, RunConfig, Scene, SceneError};
use scoreforce::schedule::ScheduleError;
use scoreforce::viewer::{self, ViewerOptions};

/// Exit code for input the user can fix: arguments, scene files, paths.
const EXIT_INVALID_INPUT: u8 = 2;
/// Exit code for failures during the run.
const EXIT_RUNTIME: u8 = 1;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with code 0, usage errors with code 2.
            let _ = error.print();
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    init_logging(cli.verbose, cli.quiet);

    let result = match &cli.command {
        Command::Render(args) => run_render(args, cli.backend),
        Command::Sample(args) => run_sample(args, cli.backend),
        Command::Bench(args) => run_bench(args, cli.backend),
        Command::Fields => run_fields(),
        Command::View(args) => run_view(args, cli.backend),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    // wgpu's own crates log at info about every resource; keep them at warn.
    let filters = format!("{level},wgpu_core=warn,wgpu_hal=warn,naga=warn");
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(filters))
        .format_timestamp(None)
        .init();
}

/// Classifies an error: invalid input (2) or a failure during the run (1).
fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        let invalid = cause.is::<SceneError>()
            || cause.is::<FieldError>()
            || cause.is::<ScheduleError>()
            || matches!(
                cause.downcast_ref::<BenchError>(),
                Some(BenchError::File { .. } | BenchError::Invalid { .. })
            )
            || matches!(cause.downcast_ref::<ExportError>(), Some(e) if !matches!(e, ExportError::Encode { .. }))
            || matches!(
                cause.downcast_ref::<SamplerError>(),
                Some(SamplerError::ParticleCount(_) | SamplerError::InitLength { .. })
            )
            || matches!(cause.downcast_ref::<DensityError>(), Some(DensityError::Size { .. }));
        if invalid {
            return EXIT_INVALID_INPUT;
        }
    }
    EXIT_RUNTIME
}

/// Loads the scene file or preset and applies the command-line overrides.
fn resolve_scene(args: &SceneArgs, picture: Option<&PictureArgs>) -> Result<Scene> {
    let mut scene = match (&args.scene, &args.field) {
        (Some(path), _) => Scene::load(path)?,
        (None, Some(name)) => Scene::preset(name)?,
        (None, None) => Scene::preset(scene::DEFAULT_PRESET)?,
    };
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
fn prepare(args: &SceneArgs, picture: Option<&PictureArgs>) -> Result<RunConfig> {
    let mut scene = resolve_scene(args, picture)?;
    let initial_positions = match &args.init {
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
            Some(positions)
        }
        None => None,
    };
    let mut config = scene.validate()?;
    if let Some(positions) = initial_positions {
        config.init = InitialDistribution::Positions(positions);
    }
    Ok(config)
}

/// Allocates the particles and runs the whole schedule with a progress bar.
fn sample(ctx: &GpuContext, config: &RunConfig) -> Result<(ParticleSystem, Vec<LevelReport>)> {
    let setup = SamplerSetup {
        field: config.field.clone(),
        schedule: config.schedule.clone(),
        integrator: config.integrator,
        particles: config.particles,
        seed: config.seed,
        init: config.init.clone(),
        max_particles_per_buffer: None,
    };
    let mut system = ParticleSystem::new(ctx, setup).context("setting up the particles")?;

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
    report_divergence(config, &reports);
    Ok((system, reports))
}

fn report_divergence(config: &RunConfig, reports: &[LevelReport]) {
    for report in reports.iter().filter(|r| r.diverged > 0) {
        let level = &config.schedule.levels[report.level];
        warn!(
            "{} particles became non-finite at level {} ({}), first at step {}; they are left \
             out of the density. A smaller --step-size avoids this",
            report.diverged,
            report.level,
            level.label(),
            report.first_diverged_step.unwrap_or(level.first_step)
        );
    }
}

fn run_render(args: &RenderArgs, backend: BackendChoice) -> Result<()> {
    let config = prepare(&args.scene, Some(&args.picture))?;
    export::check_writable(&args.out)?;
    let ctx = GpuContext::new(backend)?;
    scoreforce::density::check_size(&ctx.limits(), config.width, config.height)?;

    let (system, _) = sample(&ctx, &config)?;
    let renderer = DensityRenderer::new(
        &ctx,
        config.width,
        config.height,
        wgpu::TextureFormat::Rgba8Unorm,
        config.style,
    )?;
    let rgba = renderer.render_rgba(&ctx, &system, config.view)?;
    let text = png_metadata(&config, &ctx);
    export::write_png(&args.out, config.width, config.height, &rgba, &text, None)?;
    println!(
        "wrote {} ({}x{}, {} particles, {} steps, {} non-finite)",
        args.out.display(),
        config.width,
        config.height,
        config.particles,
        system.total_steps(),
        system.total_diverged()
    );
    Ok(())
}

fn png_metadata(config: &RunConfig, ctx: &GpuContext) -> export::PngText {
    vec![
        ("Software".into(), format!("scoreforce {}", env!("CARGO_PKG_VERSION"))),
        ("scoreforce:command".into(), std::env::args().collect::<Vec<_>>().join(" ")),
        ("scoreforce:scene".into(), config.scene.to_toml()),
        ("scoreforce:seed".into(), config.seed.to_string()),
        ("scoreforce:adapter".into(), ctx.adapter_summary()),
    ]
}

fn run_sample(args: &SampleArgs, backend: BackendChoice) -> Result<()> {
    let config = prepare(&args.scene, None)?;
    export::check_writable(&args.out)?;
    let ctx = GpuContext::new(backend)?;
    let (system, _) = sample(&ctx, &config)?;
    let positions = system.read_positions(&ctx)?;
    export::write_npy(&args.out, &positions)?;
    println!(
        "wrote {} ({} particles, {} steps, {} non-finite)",
        args.out.display(),
        positions.len(),
        system.total_steps(),
        system.total_diverged()
    );
    Ok(())
}

fn run_bench(args: &BenchArgs, backend: BackendChoice) -> Result<()> {
    let mut file = match &args.file {
        Some(path) => BenchFile::load(path)?,
        None => BenchFile::default(),
    };
    if !args.fields.is_empty() {
        file.fields = Some(args.fields.clone());
    }
    if !args.particles.is_empty() {
        file.particles = Some(args.particles.clone());
    }
    if !args.integrators.is_empty() {
        file.integrators = Some(args.integrators.clone());
    }
    if !args.steps_per_dispatch.is_empty() {
        file.steps_per_dispatch = Some(args.steps_per_dispatch.clone());
    }
    file.steps = args.steps.or(file.steps);
    file.repeats = args.repeats.or(file.repeats);
    file.baseline = args.baseline.or(file.baseline);
    if let Some(count) = args.cpu_particles {
        file.cpu_particles = Some(u32::try_from(count).map_err(|_| BenchError::Invalid {
            key: "cpu_particles",
            message: format!("{count} is out of range; use 1 to {}", u32::MAX),
        })?);
    }
    let plan = BenchPlan::matrix(file)?;

    let ctx = GpuContext::new(backend)?;
    let timing = if ctx.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
        "GPU timestamps"
    } else {
        "the wall clock (no timestamp queries on this adapter)"
    };
    eprintln!("timing with {timing} on {}", ctx.adapter_summary());

    let bar = ProgressBar::new(plan.cases.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} case {pos}/{len}: {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut results = Vec::with_capacity(plan.cases.len());
    for case in &plan.cases {
        bar.set_message(format!(
            "{} {} particles {}",
            case.preset,
            case.particles,
            case.integrator.name()
        ));
        let result = bench::run_case(&ctx, case, &plan)
            .with_context(|| format!("benchmark case {}", case.preset))?;
        if args.json {
            bar.suspend(|| println!("{}", serde_json::to_string(&result).unwrap_or_default()));
        }
        results.push(result);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if !args.json {
        print!("{}", bench::format_table(&results));
    }
    Ok(())
}

/// Default window size of `view`: the 300-pixel panel and an 800x800 density area.
const DEFAULT_WINDOW_SIZE: [u32; 2] = [1100, 800];

fn run_view(args: &ViewArgs, backend: BackendChoice) -> Result<()> {
    let picture = PictureArgs { size: None, view: args.view, colormap: args.colormap, scale: args.scale };
    let config = prepare(&args.scene, Some(&picture))?;
    if let Some(path) = &args.screenshot {
        export::check_writable(path)?;
    }
    let name = match (&args.scene.scene, &args.scene.field) {
        (Some(path), _) => path.file_stem().map_or("scene".into(), |s| s.to_string_lossy().into_owned()),
        (None, Some(preset)) => preset.clone(),
        (None, None) => scene::DEFAULT_PRESET.to_string(),
    };
    let png_text = vec![
        ("Software".into(), format!("scoreforce {}", env!("CARGO_PKG_VERSION"))),
        ("scoreforce:command".into(), std::env::args().collect::<Vec<_>>().join(" ")),
        ("scoreforce:scene".into(), config.scene.to_toml()),
        ("scoreforce:seed".into(), config.seed.to_string()),
    ];
    let options = ViewerOptions {
        config,
        name,
        backend,
        window_size: args.size.unwrap_or(DEFAULT_WINDOW_SIZE),
        steps_per_frame: args.steps_per_frame,
        layers: scoreforce::overlay::OverlayLayers { arrows: args.arrows, contours: args.contours },
        frames: args.frames,
        screenshot: args.screenshot.clone(),
        png_text,
    };
    let summary = viewer::run(options).context("running the window")?;

    if args.frames.is_some() {
        let wrote = args.screenshot.as_ref().map_or(String::new(), |p| format!("wrote {}; ", p.display()));
        match summary {
            Some(s) => println!(
                "{wrote}{} frames: frame time median {:.1} ms, 95th percentile {:.1} ms; {:.1} frames/s; \
                 {:.3e} particle-steps/s",
                s.frames, s.median_ms, s.p95_ms, s.frames_per_sec, s.particle_steps_per_sec
            ),
            None => println!("{wrote}the window closed before two frames were drawn; no frame times"),
        }
    }
    Ok(())
}

fn run_fields() -> Result<()> {
    println!("Field kinds and their parameters ([field] table of a scene file):\n");
    for (kind, parameters) in [
        ("gaussian-mixture", "components: list of { weight = 1.0, mean = [x, y], std = s } or \
          covariance = [[xx, xy], [xy, yy]] instead of std; exact smoothed score, so the \
          noise schedule applies"),
        ("mueller-brown", "scale = 0.15 (factor on V)"),
        ("double-well", "a = 0.0, b = -4.0, c = 1.0 (V = a x + b x^2 + c x^4 + y^2 / 2)"),
        ("banana", "twist = 0.1, variance_x = 100.0, variance_y = 1.0"),
        ("ring", "radius = 3.0, width = 0.3"),
    ] {
        println!("  {kind:<18} {parameters}");
    }
    println!("\nPresets (--field NAME):\n");
    for (name, _) in scene::PRESETS {
        let scene = Scene::preset(name)?;
        let config = scene.validate()?;
        println!(
            "  {name:<14} {}; {} schedule, {} steps, h = {}, {} particles",
            config.field,
            config.schedule.kind.name(),
            scene.sampler.steps,
            scene.sampler.step_size,
            scene.sampler.particles
        );
        println!("  {:<14} scoreforce render --field {name} --out {name}.png", "");
    }
    Ok(())
}
