//! `scoreforce render`: a figure of the density as a PNG.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::{INTERRUPTED, prepare_from, report_levels, sample};
use crate::cli::RenderArgs;
use scoreforce::density::export;
use scoreforce::density::figure::{self, FigureOptions, RenderOptions};
use scoreforce::density::picture::{OverlayRequest, check_overlay_size, check_picture_size, render_picture};
use scoreforce::gpu::{BackendChoice, GpuContext};
use scoreforce::overlay::OverlayLayers;
use scoreforce::sampler::{ParticleSystem, SamplerSetup};
use scoreforce::scene::{RunConfig, Scene, SceneError};

pub(crate) fn run(args: &RenderArgs, backend: BackendChoice) -> Result<()> {
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
        // Recorded absolute, so that --from-png finds the file from any folder.
        // NOTE: no digest of this file or the --image picture is recorded. A file changed
        // at the same path gives another figure without a warning.
        options.init = Some(std::path::absolute(init).unwrap_or_else(|_| init.clone()));
    }
    check_render_options(&options)?;

    let mut config = prepare_from(&args.scene, Some(&args.picture), base, options.init.as_deref())?;
    config.style.background = options.background().as_floats();
    let total_steps = config.schedule.total_steps();
    if let Some(panels) = options.filmstrip
        && panels - 1 > total_steps
    {
        return Err(SceneError::Invalid {
            key: "--filmstrip".into(),
            message: format!(
                "{panels} panels need at least {} steps between them, but the run has {total_steps}; \
                 use fewer panels or more --steps",
                panels - 1
            ),
        }
        .into());
    }
    export::check_extension(&args.out, "png", "a PNG picture")?;
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
    // pHYs stores whole pixels per metre in 32 bits.
    if let Some(dpi) = options.dpi
        && !(dpi.is_finite() && (1.0..=u32::MAX as f64).contains(&(dpi / 0.0254).round()))
    {
        return Err(invalid(
            "--dpi",
            format!("{dpi} is out of range; the PNG stores 1 to 4294967295 pixels per metre, so use 0.03 to 1e8"),
        ));
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
        // Panels of a single-level schedule share its label, so they also name the step.
        let label = match schedule.levels.len() {
            1 => format!("{}, step {step}", schedule.levels[level].label()),
            _ => schedule.levels[level].label(),
        };
        pictures.push((picture.rgba, label));
    }
    let canvas = figure::filmstrip(&pictures, config.width, config.height, options.background());
    Ok((system, canvas))
}

fn png_metadata(config: &RunConfig, ctx: &GpuContext) -> export::PngText {
    vec![
        ("Software".into(), format!("scoreforce {}", env!("CARGO_PKG_VERSION"))),
        ("scoreforce:command".into(), super::command_line()),
        ("scoreforce:scene".into(), config.scene.to_recorded_toml()),
        ("scoreforce:seed".into(), config.seed.to_string()),
        ("scoreforce:adapter".into(), ctx.adapter_summary()),
    ]
}
