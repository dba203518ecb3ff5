//! `scoreforce view`: the live window.

use anyhow::{Context, Result};

use super::prepare;
use crate::cli::{PictureArgs, ViewArgs};
use scoreforce::density::export;
use scoreforce::gpu::BackendChoice;
use scoreforce::scene;
use scoreforce::viewer::{self, ViewerOptions};

/// Default window size of `view`: the 300-pixel panel and an 800x800 density area.
const DEFAULT_WINDOW_SIZE: [u32; 2] = [1100, 800];

pub(crate) fn run(args: &ViewArgs, backend: BackendChoice) -> Result<()> {
    let picture = PictureArgs { size: None, view: args.view, colormap: args.colormap, scale: args.scale };
    let config = prepare(&args.scene, Some(&picture))?;
    if let Some(path) = &args.screenshot {
        export::check_extension(path, "png", "a PNG picture")?;
        export::check_writable(path)?;
    }
    let name = match (&args.scene.scene, &args.scene.field) {
        (Some(path), _) => path.file_stem().map_or("scene".into(), |s| s.to_string_lossy().into_owned()),
        (None, Some(preset)) => preset.clone(),
        (None, None) => scene::DEFAULT_PRESET.to_string(),
    };
    let png_text = vec![
        ("Software".into(), format!("scoreforce {}", env!("CARGO_PKG_VERSION"))),
        ("scoreforce:command".into(), super::command_line()),
        ("scoreforce:scene".into(), config.scene.to_recorded_toml()),
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
        lose_device_after: args.lose_device_after,
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
