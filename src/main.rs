//! The `scoreforce` binary: parses the command line into a validated run configuration
//! and runs one function per subcommand. Exit codes: 0 success, 1 runtime failure (GPU,
//! I/O during the run), 2 invalid input (arguments, scene files, paths).

mod cli;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use log::{info, warn};

use cli::{BenchArgs, Cli, Command, PictureArgs, RenderArgs, SampleArgs, SceneArgs, ViewArgs};
use scoreforce::bench::{self, BenchError, BenchFile, BenchPlan};
use scoreforce::density::export::{self, ExportError};
use scoreforce::density::DensityError;
use scoreforce::density::figure::{self, FigureOptions, RenderOptions};
use scoreforce::density::picture::{OverlayRequest, check_overlay_size, check_picture_size, render_picture};
use scoreforce::overlay::OverlayLayers;
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
/// Exit code after Ctrl-C, as shells report a process ended by SIGINT.
const EXIT_INTERRUPTED: u8 = 130;

/// Set by the Ctrl-C handler; runs stop before their next submission.
static INTERRUPTED: std::sync::LazyLock<Arc<AtomicBool>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicBool::new(false)));

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
    let interrupted = Arc::clone(&INTERRUPTED);
    let handler = ctrlc::set_handler(move || {
        // A second Ctrl-C ends at once, for a run stuck in a long submission.
        if interrupted.swap(true, Ordering::Relaxed) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    if let Err(error) = handler {
        warn!("Ctrl-C will end the process without cleanup: {error}");
    }

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

/// Classifies an error: invalid input (2), interrupted (130) or a failure during the run (1).
fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if matches!(cause.downcast_ref::<SamplerError>(), Some(SamplerError::Interrupted { .. })) {
            return EXIT_INTERRUPTED;
        }
        let invalid = cause.is::<SceneError>()
            || cause.is::<FieldError>()
            || cause.is::<ScheduleError>()
            || cause.downcast_ref::<BenchError>().is_some_and(BenchError::is_invalid_input)
            || matches!(cause.downcast_ref::<ExportError>(), Some(e) if !matches!(e, ExportError::Encode { .. }))
            || cause.downcast_ref::<SamplerError>().is_some_and(SamplerError::is_invalid_input)
            || cause.downcast_ref::<DensityError>().is_some_and(DensityError::is_invalid_input);
        if invalid {
            return EXIT_INVALID_INPUT;
        }
    }
    EXIT_RUNTIME
}

/// Loads the scene file or preset and applies the command-line overrides.
/// `base` replaces the scene file or preset (a scene recorded in a PNG).
fn resolve_scene(args: &SceneArgs, picture: Option<&PictureArgs>, base: Option<Scene>) -> Result<Scene> {
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
        sampler.friction = friction;
    }
    if args.tamed {
        sampler.tamed = true;
    }
    if let Some(target) = args.target_acceptance {
        sampler.target_acceptance = Some(target);
    }
    if let Some(steps) = args.adapt_steps {
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
fn prepare(args: &SceneArgs, picture: Option<&PictureArgs>) -> Result<RunConfig> {
    prepare_from(args, picture, None, args.init.as_deref())
}

/// Validates the scene (`base`, else the file or preset) with the overrides, and reads the
/// initial positions from `init`, before any GPU work.
fn prepare_from(
    args: &SceneArgs,
    picture: Option<&PictureArgs>,
    base: Option<Scene>,
    init: Option<&std::path::Path>,
) -> Result<RunConfig> {
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
fn report_levels(system: &ParticleSystem, reports: &[LevelReport]) {
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
                "{} particles became non-finite at level {} ({}), first at step {}; they are \
                 left out of the density. A smaller --step-size or --tamed avoids this",
                report.diverged,
                report.level,
                level.label(),
                report.first_diverged_step.unwrap_or(level.first_step)
            );
        }
    }
}

fn run_render(args: &RenderArgs, backend: BackendChoice) -> Result<()> {
    let recorded = match &args.from_png {
        Some(path) => Some(recorded_figure(path)?),
        None => None,
    };
    let (base, mut options) = match recorded {
        Some((scene, options)) => (Some(scene), options),
        None => (None, RenderOptions::default()),
    };
    if let Some(panels) = args.filmstrip {
        options.filmstrip = Some(panels);
    }
    options.colorbar |= args.colorbar;
    options.axes |= args.axes;
    options.arrows |= args.arrows;
    options.contours |= args.contours;
    if let Some(background) = args.background {
        options.background = Some(background);
    }
    if let Some(dpi) = args.dpi {
        options.dpi = Some(dpi);
    }
    if let Some(init) = &args.scene.init {
        options.init = Some(init.clone());
    }
    check_render_options(&options)?;

    let mut config = prepare_from(&args.scene, Some(&args.picture), base, options.init.as_deref())?;
    config.style.background = options.background().as_floats();
    export::check_writable(&args.out)?;
    let ctx = GpuContext::new(backend)?;
    check_picture_size(&ctx.limits(), config.width, config.height)?;
    if options.arrows || options.contours {
        check_overlay_size(&ctx.limits(), config.width, config.height)?;
    }

    let (system, canvas) = match options.filmstrip {
        Some(panels) => render_filmstrip(&ctx, &config, &options, panels)?,
        None => {
            let (system, _) = sample(&ctx, &config)?;
            let last = config.schedule.levels.last().map_or(0.0, |level| level.sigma);
            let overlay = overlay_request(&config, &options, last);
            let picture =
                render_picture(&ctx, &system, config.view, config.width, config.height, config.style, overlay)?;
            let figure = FigureOptions {
                colorbar: options.colorbar,
                axes: options.axes,
                background: options.background(),
            };
            let canvas = figure::compose(
                &picture.rgba,
                picture.width,
                picture.height,
                config.view,
                config.style.colormap,
                &picture.counts,
                figure,
            );
            (system, canvas)
        }
    };

    let mut text = png_metadata(&config, &ctx);
    text.push(("scoreforce:render".into(), serde_json::to_string(&options)?));
    export::write_png(&args.out, canvas.width, canvas.height, &canvas.rgba, &text, options.dpi)?;
    println!(
        "wrote {} ({}x{}, {} particles, {} steps, {} non-finite)",
        args.out.display(),
        canvas.width,
        canvas.height,
        config.particles,
        system.total_steps(),
        system.total_diverged()
    );
    Ok(())
}

fn check_render_options(options: &RenderOptions) -> Result<(), SceneError> {
    let invalid = |key: &str, message: String| SceneError::Invalid { key: key.to_string(), message };
    if let Some(panels) = options.filmstrip
        && !(2..=64).contains(&panels)
    {
        return Err(invalid("--filmstrip", format!("{panels} panels; use 2 to 64")));
    }
    if options.filmstrip.is_some() && (options.colorbar || options.axes) {
        return Err(invalid(
            "--filmstrip",
            "--colorbar and --axes apply to single pictures; drop them or --filmstrip".into(),
        ));
    }
    if let Some(dpi) = options.dpi
        && !(dpi.is_finite() && dpi > 0.0)
    {
        return Err(invalid("--dpi", format!("{dpi} must be a finite number above 0")));
    }
    Ok(())
}

/// Returns the overlays that the options request, for the field at noise level `sigma`.
fn overlay_request<'a>(config: &'a RunConfig, options: &RenderOptions, sigma: f64) -> Option<OverlayRequest<'a>> {
    let layers = OverlayLayers { arrows: options.arrows, contours: options.contours };
    layers.any().then_some(OverlayRequest { field: &config.field, sigma, layers })
}

/// Reads the scene and the render options that a scoreforce PNG recorded.
fn recorded_figure(path: &std::path::Path) -> Result<(Scene, RenderOptions)> {
    let text = export::read_png_text(path)?;
    let find = |key: &str| text.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let not_ours = || SceneError::Invalid {
        key: "--from-png".into(),
        message: format!("{} has no scoreforce metadata; use a PNG that scoreforce render wrote", path.display()),
    };
    let scene_text = find("scoreforce:scene").ok_or_else(not_ours)?;
    let scene = Scene::from_toml(scene_text, &format!("{} (recorded scene)", path.display()))?;
    let options = match find("scoreforce:render") {
        Some(json) => serde_json::from_str(json).map_err(|e| SceneError::Invalid {
            key: "--from-png".into(),
            message: format!("the render options recorded in {} are invalid: {e}", path.display()),
        })?,
        None => RenderOptions::default(),
    };
    Ok((scene, options))
}

/// Runs the schedule in `panels - 1` stretches and draws the density before the first and
/// after each, labelled with the level it shows.
fn render_filmstrip(
    ctx: &GpuContext,
    config: &RunConfig,
    options: &RenderOptions,
    panels: u32,
) -> Result<(ParticleSystem, figure::Canvas)> {
    let mut system = ParticleSystem::new(ctx, SamplerSetup::from_config(config)).context("setting up the particles")?;
    system.set_cancel_flag(Arc::clone(&INTERRUPTED));
    let total = system.total_steps();
    let schedule = config.schedule.clone();
    let mut pictures = Vec::with_capacity(panels as usize);
    for panel in 0..panels {
        let step = (u64::from(panel) * u64::from(total) / u64::from(panels - 1)) as u32;
        let reports = system.run_until(ctx, step, &mut |_| {}).context("running the sampler")?;
        report_levels(&system, &reports);
        let level = if step == 0 { 0 } else { schedule.level_of(step - 1) };
        let overlay = overlay_request(config, options, schedule.levels[level].sigma);
        let picture =
            render_picture(ctx, &system, config.view, config.width, config.height, config.style, overlay)?;
        pictures.push((picture.rgba, schedule.levels[level].label()));
    }
    let canvas = figure::filmstrip(&pictures, config.width, config.height, options.background());
    Ok((system, canvas))
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
        ("expression", "potential = \"V(x, y)\" as text, parameters in a [field.params] table \
          (name = value); the noise schedule does not apply"),
    ] {
        println!("  {kind:<18} {parameters}");
    }
    println!(
        "  {:<18} scoreforce render --potential \"(x^2 - 1)^2 + a*y^2\" --param a=0.5 --out expression.png",
        ""
    );
    println!(
        "  {:<18} image = \"photo.png\" (PNG or JPEG, relative to the scene file), rect = [x_min, \
         x_max, y_min, y_max], invert = false, floor = {}; density proportional to brightness, \
         exact smoothing, so the noise schedule applies",
        "image",
        scene::DEFAULT_IMAGE_FLOOR
    );
    println!("  {:<18} scoreforce render --image photo.png --out photo-density.png", "");
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
