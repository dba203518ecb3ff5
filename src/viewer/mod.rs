//! The live window, `scoreforce view`: the particles move through the field while their
//! density is drawn, with an egui panel to change the field, the sampler and the picture.
//!
//! How it works: winit's event loop calls `Session::frame` for every redraw. A frame runs
//! the panel and applies its changes. It records a block of Langevin steps (`encode_steps`,
//! one submission per level crossed) and bins the particles for the current view into a
//! grid of one bin per pixel of the density area. Then it draws the colormap pass, the
//! overlays and the panel into the surface. Particle positions are never read back; the count of
//! non-finite particles is read about once a second.
//!
//! `--frames N` draws N frames and exits with a summary of the frame times. With
//! `--screenshot FILE` the last frame is also drawn into a texture and written as a PNG.
//! The screenshot is the whole window, panel included, because that is what the window
//! shows; its metadata names the density area and the view, so a reader can map pixels to
//! the world.

mod panel;
mod panel_layer;
mod screenshot;
mod session;
mod surface;
pub mod timing;
pub mod view;

use std::path::PathBuf;
use std::str::FromStr;

use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::WindowId;

use crate::density::DensityError;
use crate::density::export::{ExportError, PngText};
use crate::gpu::{BackendChoice, GpuError};
use crate::overlay::{OverlayError, OverlayLayers};
use crate::sampler::SamplerError;
use crate::scene::RunConfig;
pub use panel_layer::PANEL_COMPOSITE_WGSL;
pub use screenshot::screenshot_path;
use session::{Flow, Session};
pub use timing::FrameSummary;

/// How many Langevin steps each frame runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepsPerFrame {
    /// As many as keep the frame rate near `timing::AUTO_TARGET_FPS`.
    Auto,
    Fixed(u32),
}

impl FromStr for StepsPerFrame {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("auto") {
            return Ok(StepsPerFrame::Auto);
        }
        match text.parse::<u32>() {
            Ok(steps) if (1..=timing::AUTO_MAX_STEPS).contains(&steps) => Ok(StepsPerFrame::Fixed(steps)),
            _ => Err(format!(
                "`{text}` is not a step count; write auto or a whole number from 1 to {}",
                timing::AUTO_MAX_STEPS
            )),
        }
    }
}

/// Everything `run` needs.
#[derive(Clone, Debug)]
pub struct ViewerOptions {
    pub config: RunConfig,
    /// Name of the preset or scene file, for the window title and screenshot names.
    pub name: String,
    pub backend: BackendChoice,
    /// Inner size of the window in physical pixels.
    pub window_size: [u32; 2],
    pub steps_per_frame: StepsPerFrame,
    pub layers: OverlayLayers,
    /// Frames to draw before exiting; `None` runs until the window closes.
    pub frames: Option<u32>,
    /// PNG written from the last frame of a `frames` run.
    pub screenshot: Option<PathBuf>,
    /// Metadata written into every screenshot.
    pub png_text: PngText,
    /// For tests: frames after which the GPU device is destroyed.
    pub lose_device_after: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewerError {
    #[error(
        "cannot open a window: {0}. `scoreforce view` needs a display; on a machine without \
         one, run it under Xvfb (xvfb-run -a scoreforce view ...)"
    )]
    Window(String),
    #[error("the window surface failed: {0}")]
    Surface(String),
    #[error(
        "the window surface offers no 8-bit RGBA or BGRA format (it offers {0}); try another \
         --backend"
    )]
    SurfaceFormat(String),
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
    #[error(transparent)]
    Density(#[from] DensityError),
    #[error(transparent)]
    Overlay(#[from] OverlayError),
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// Opens the window and runs it until it closes, Esc is pressed or `options.frames` frames
/// are drawn. Returns the summary of the frame times, `None` when no frame was drawn.
pub fn run(options: ViewerOptions) -> Result<Option<FrameSummary>, ViewerError> {
    let event_loop = EventLoop::new().map_err(|e| ViewerError::Window(e.to_string()))?;
    let mut app = App { options, session: None, outcome: Ok(None) };
    event_loop.run_app(&mut app).map_err(|e| ViewerError::Window(e.to_string()))?;
    app.outcome
}

struct App {
    options: ViewerOptions,
    session: Option<Session>,
    outcome: Result<Option<FrameSummary>, ViewerError>,
}

impl App {
    fn finish(&mut self, event_loop: &ActiveEventLoop, outcome: Result<Option<FrameSummary>, ViewerError>) {
        if let Err(error) = &outcome {
            log::debug!("closing the window after an error: {error}");
        }
        self.outcome = outcome;
        self.session = None;
        event_loop.exit();
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.session.is_some() || event_loop.exiting() {
            return;
        }
        match Session::new(event_loop, &self.options) {
            Ok(session) => {
                session.request_redraw();
                self.session = Some(session);
            }
            Err(error) => self.finish(event_loop, Err(error)),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _window: WindowId, event: WindowEvent) {
        let Some(session) = &mut self.session else {
            return;
        };
        match session.handle_event(event) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit) => {
                let summary = session.summary();
                self.finish(event_loop, Ok(summary));
            }
            Err(error) => self.finish(event_loop, Err(error)),
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let Some(session) = &self.session else {
            return;
        };
        session.request_redraw();
        // A minimised window draws nothing, so it need not spin.
        if session.is_minimised() {
            let wake = std::time::Instant::now() + std::time::Duration::from_millis(100);
            event_loop.set_control_flow(ControlFlow::WaitUntil(wake));
        } else {
            event_loop.set_control_flow(ControlFlow::Poll);
        }
    }
}
