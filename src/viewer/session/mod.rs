//! One open window: its GPU state and the drawing of its frames. `input` handles its
//! events and `actions` the changes the panel and the keys make.

mod actions;
mod input;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use glam::DVec2;
use winit::dpi::PhysicalSize;
use winit::event_loop::ActiveEventLoop;
use winit::window::Window;

use super::panel::{self, Controls};
use super::panel_layer::PanelLayer;
use super::screenshot::{screenshot_path, screenshot_text};
use super::surface::{self, Acquired, WindowSurface};
use super::timing::{AutoSteps, FrameLog, FrameRecord, FrameSummary};
use super::view::ViewTransform;
use super::{StepsPerFrame, ViewerError, ViewerOptions};
use crate::density::{DensityRenderer, View, export};
use crate::field::Field;
use crate::gpu::{self, GpuContext};
use crate::overlay::{OverlayLayers, Overlays, PixelRect};
use crate::sampler::{MAX_STEPS_PER_DISPATCH, ParticleSystem, SamplerSetup};

/// Submissions of Langevin steps per frame at most; each stops at the end of a level.
const MAX_STEP_SUBMISSIONS_PER_FRAME: u32 = 4;
/// How often the count of non-finite particles is read back; each read waits for the GPU.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);

/// The view, area and particles a binned grid shows.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BinningKey {
    view: View,
    area: PixelRect,
    particles_generation: u64,
}

/// The inputs of the overlays' compute passes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct OverlayKey {
    view: View,
    area: PixelRect,
    layers: OverlayLayers,
    field_generation: u64,
    sigma: f64,
}

/// The event loop's next move after an event.
pub enum Flow {
    Continue,
    Exit,
}

pub struct Session {
    window: Arc<Window>,
    ctx: GpuContext,
    surface: WindowSurface,
    panel: PanelLayer,
    options: ViewerOptions,
    particles: ParticleSystem,
    /// Created for the density area's size once it is known, and again when it changes.
    density: Option<DensityRenderer>,
    overlays: Overlays,
    /// Noise level the overlays' field parameters were written for.
    overlay_sigma: f64,
    /// Set from the scene's view when the density area is first known.
    transform: Option<ViewTransform>,
    area: PixelRect,
    controls: Controls,
    /// The last valid field the panel produced, which the sampler runs.
    applied_field: Field,
    schedule_replaced: bool,
    auto_steps: AutoSteps,
    /// Steps per frame of the last frame, below 1 where auto runs a step every few frames.
    steps_per_frame: f64,
    /// Counts moves of the particles (steps, restarts), so an unchanged density is not
    /// binned again.
    particles_generation: u64,
    /// Counts changes of the field's parameters.
    field_generation: u64,
    /// Inputs of the last binning of the density grid.
    binned: Option<BinningKey>,
    /// Inputs of the last preparation of the overlays.
    overlays_prepared: Option<OverlayKey>,
    frame_log: FrameLog,
    frames_drawn: u32,
    last_present: Option<Instant>,
    non_finite: Option<u32>,
    status_read_at: Option<Instant>,
    cursor: Option<DVec2>,
    drag_from: Option<DVec2>,
    screenshot_requested: bool,
    message: Option<String>,
}

impl Session {
    /// Opens the window, picks an adapter that can present to it, and builds the sampler,
    /// the overlays and the panel.
    pub fn new(event_loop: &ActiveEventLoop, options: &ViewerOptions) -> Result<Self, ViewerError> {
        let [width, height] = options.window_size;
        let attributes = Window::default_attributes()
            .with_title(format!("scoreforce view: {}", options.name))
            .with_inner_size(PhysicalSize::new(width, height));
        let window =
            Arc::new(event_loop.create_window(attributes).map_err(|e| ViewerError::Window(e.to_string()))?);

        let instance =
            gpu::create_instance_for_display(options.backend, Box::new(event_loop.owned_display_handle()));
        let surface =
            instance.create_surface(Arc::clone(&window)).map_err(|e| ViewerError::Surface(e.to_string()))?;
        let adapter = gpu::request_adapter(&instance, options.backend, Some(&surface))?;
        let ctx = GpuContext::from_adapter(instance, adapter)?;
        let surface = WindowSurface::new(&ctx, Arc::clone(&window), surface)?;

        let config = &options.config;
        let particles = ParticleSystem::new(
            &ctx,
            // The window shows diverged particles in its panel instead of stopping.
            SamplerSetup { max_diverged: None, ..SamplerSetup::from_config(config) },
        )?;
        let overlay_sigma = current_sigma(&particles);
        let overlays = Overlays::new(&ctx, &config.field, overlay_sigma, surface.format())?;

        let panel = PanelLayer::new(&ctx, &window, surface.format())?;

        let (auto_steps, fixed_steps) = match options.steps_per_frame {
            StepsPerFrame::Auto => (true, 8),
            StepsPerFrame::Fixed(steps) => (false, steps),
        };
        let last_level = &config.schedule.levels[config.schedule.last_langevin_level()];
        let controls = Controls {
            field: config.field.clone(),
            temperature: last_level.temperature,
            step_size: last_level.step_size,
            auto_steps,
            fixed_steps,
            particles: u64::from(config.particles),
            seed: config.seed,
            style: config.style,
            layers: options.layers,
            paused: false,
        };
        Ok(Session {
            window,
            ctx,
            surface,
            panel,
            options: options.clone(),
            particles,
            density: None,
            overlays,
            overlay_sigma,
            transform: None,
            area: PixelRect { origin: [0, 0], size: [0, 0] },
            applied_field: config.field.clone(),
            controls,
            schedule_replaced: false,
            auto_steps: AutoSteps::new(1.0),
            steps_per_frame: 1.0,
            particles_generation: 0,
            field_generation: 0,
            binned: None,
            overlays_prepared: None,
            frame_log: FrameLog::default(),
            frames_drawn: 0,
            last_present: None,
            non_finite: None,
            status_read_at: None,
            cursor: None,
            drag_from: None,
            screenshot_requested: false,
            message: None,
        })
    }

    pub fn request_redraw(&self) {
        self.window.request_redraw();
    }

    pub fn is_minimised(&self) -> bool {
        let size = self.window.inner_size();
        size.width == 0 || size.height == 0 || self.window.is_minimized() == Some(true)
    }

    /// Frame times of the frames drawn so far, from the second on: the first includes the
    /// compilation of every pipeline.
    pub fn summary(&self) -> Option<FrameSummary> {
        let mut summary = FrameSummary::of(self.frame_log.all())?;
        summary.frames = self.frames_drawn as usize;
        Some(summary)
    }

    /// Creates the density renderer for `area` when its size changed, and places it.
    fn prepare_area(&mut self, area: PixelRect) -> Result<(), ViewerError> {
        if area.is_empty() {
            self.area = area;
            return Ok(());
        }
        let same_size = self.density.as_ref().is_some_and(|d| d.size() == (area.size[0], area.size[1]));
        if !same_size {
            // Free the old grid before allocating the new one.
            self.density = None;
            let renderer = DensityRenderer::new(
                &self.ctx,
                area.size[0],
                area.size[1],
                self.surface.format(),
                self.controls.style,
            )?;
            renderer.set_origin(&self.ctx, area.origin);
            self.density = Some(renderer);
            self.binned = None;
        } else if area.origin != self.area.origin
            && let Some(density) = &self.density
        {
            density.set_origin(&self.ctx, area.origin);
        }
        if self.transform.is_none() {
            self.transform = Some(ViewTransform::fit(self.options.config.view, area.size));
        }
        self.area = area;
        Ok(())
    }

    /// Records and submits up to `steps` Langevin steps, one submission per level they
    /// cross. Returns the steps run.
    fn run_steps(&mut self, steps: u32) -> u32 {
        let mut done = 0;
        for _ in 0..MAX_STEP_SUBMISSIONS_PER_FRAME {
            if done >= steps {
                break;
            }
            let mut encoder = self
                .ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("viewer.steps") });
            let remaining = steps - done;
            let recorded = self.particles.encode_steps(
                &self.ctx,
                &mut encoder,
                remaining,
                remaining.min(MAX_STEPS_PER_DISPATCH),
            );
            if recorded == 0 {
                break;
            }
            self.ctx.queue.submit([encoder.finish()]);
            done += recorded;
        }
        done
    }

    /// Draws one frame: see the module documentation of `viewer` for its steps.
    pub(super) fn frame(&mut self) -> Result<Flow, ViewerError> {
        if self.options.lose_device_after == Some(self.frames_drawn) {
            log::warn!("destroying the GPU device after {} frames, as --lose-device-after asks", self.frames_drawn);
            self.ctx.device.destroy();
        }
        let frame = match self.surface.acquire(&self.ctx)? {
            Acquired::Frame(frame) => frame,
            Acquired::Skip => return Ok(Flow::Continue),
        };
        let size = self.surface.size();
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("viewer.frame") });

        // The panel runs first, when it is due: what it changes applies to this frame.
        let panel_commands = self.run_panel(&mut encoder, size)?;
        let steps = self.step_particles();
        self.encode_density_and_overlays(&mut encoder)?;

        let target = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
        self.draw_picture(&mut encoder, &target);
        self.ctx.queue.submit(panel_commands.into_iter().chain([encoder.finish()]));
        self.window.pre_present_notify();
        self.ctx.queue.present(frame);
        self.frames_drawn += 1;
        self.ctx.check(&format!("drawing frame {}", self.frames_drawn))?;

        self.record_frame(steps);
        self.read_status_when_due()?;
        self.write_due_screenshots(size)
    }

    /// Runs the panel when it is due, applies what it changed and places the density area
    /// beside it. Returns the command buffers of egui's paint callbacks.
    fn run_panel(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        size: [u32; 2],
    ) -> Result<Vec<wgpu::CommandBuffer>, ViewerError> {
        let figures = self.figures();
        let mut actions = Vec::new();
        let controls = &mut self.controls;
        let run = self.panel.run(&self.ctx, &self.window, encoder, size, |ui| {
            panel::show(ui, controls, &figures, &mut actions)
        });
        for action in actions {
            self.apply(action)?;
        }
        let panel_right = self.panel.panel_right();
        self.prepare_area(PixelRect { origin: [panel_right, 0], size: [size[0] - panel_right, size[1]] })?;
        Ok(run.map(|run| run.commands).unwrap_or_default())
    }

    /// Runs this frame's Langevin steps, unless paused, and returns how many ran.
    fn step_particles(&mut self) -> u32 {
        let steps = if self.controls.paused {
            0
        } else if self.controls.auto_steps {
            self.steps_per_frame = self.auto_steps.steps_per_frame();
            let steps = self.auto_steps.next_frame_steps();
            self.run_steps(steps)
        } else {
            self.steps_per_frame = f64::from(self.controls.fixed_steps);
            self.run_steps(self.controls.fixed_steps)
        };
        if steps > 0 {
            self.particles_generation += 1;
        }
        let sigma = current_sigma(&self.particles);
        if sigma != self.overlay_sigma {
            self.overlays.set_field(&self.ctx, &self.applied_field, sigma);
            self.overlay_sigma = sigma;
        }
        steps
    }

    /// Records the binning and the overlays' compute passes, each only when what it shows
    /// changed since it last ran.
    fn encode_density_and_overlays(&mut self, encoder: &mut wgpu::CommandEncoder) -> Result<(), ViewerError> {
        let (Some(density), Some(transform)) = (&self.density, &self.transform) else {
            return Ok(());
        };
        let view = transform.view(self.area.size);
        let binning = BinningKey { view, area: self.area, particles_generation: self.particles_generation };
        if self.binned != Some(binning) {
            density.encode_binning(&self.ctx, encoder, &self.particles, view);
            self.binned = Some(binning);
        }
        let layers = self.controls.layers;
        let overlay = OverlayKey {
            view,
            area: self.area,
            layers,
            field_generation: self.field_generation,
            sigma: self.overlay_sigma,
        };
        if layers.any() && self.overlays_prepared != Some(overlay) {
            self.overlays.prepare(&self.ctx, encoder, view, self.area, layers)?;
            self.overlays_prepared = Some(overlay);
        }
        Ok(())
    }

    /// Logs the time since the last present and the particle-steps of this frame, and
    /// updates the auto steps per frame.
    fn record_frame(&mut self, steps: u32) {
        let now = Instant::now();
        if let Some(previous) = self.last_present {
            let secs = (now - previous).as_secs_f64();
            let particle_steps = f64::from(steps) * f64::from(self.particles.particle_count());
            self.frame_log.push(FrameRecord { secs, particle_steps });
            if self.controls.auto_steps && !self.controls.paused {
                self.auto_steps.update(secs);
            }
        }
        self.last_present = Some(now);
    }

    /// Writes the `--screenshot` of the last frame or the one S requested, and returns
    /// whether the window goes on.
    fn write_due_screenshots(&mut self, size: [u32; 2]) -> Result<Flow, ViewerError> {
        let last_frame = self.options.frames.is_some_and(|frames| self.frames_drawn >= frames);
        if last_frame && let Some(path) = self.options.screenshot.clone() {
            self.write_screenshot(&path, size)?;
        } else if self.screenshot_requested {
            self.screenshot_requested = false;
            let folder = std::env::current_dir().unwrap_or_else(|_| ".".into());
            let path = screenshot_path(&folder, &self.options.name, SystemTime::now());
            match self.write_screenshot(&path, size) {
                Ok(()) => println!("wrote {}", path.display()),
                Err(ViewerError::Export(error)) => {
                    log::warn!("screenshot failed: {error}");
                    self.message = Some(format!("screenshot failed: {error}"));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(if last_frame { Flow::Exit } else { Flow::Continue })
    }

    /// Records the drawing passes of a frame into `target`: the density (or the background
    /// where there is no density area), the overlays, and the panel on top.
    fn draw_picture(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView) {
        match &self.density {
            Some(density) if !self.area.is_empty() => {
                density.encode_render(encoder, target, true);
                self.overlays.draw(encoder, target, self.area, self.controls.layers);
            }
            _ => {
                let [r, g, b, a] = self.controls.style.background.map(f64::from);
                clear(encoder, target, wgpu::Color { r, g, b, a });
            }
        }
        self.panel.draw(encoder, target);
    }

    /// Draws the current frame again into a texture, reads it back and writes it as a PNG.
    fn write_screenshot(&self, path: &std::path::Path, size: [u32; 2]) -> Result<(), ViewerError> {
        let rgba = surface::capture(&self.ctx, self.surface.format(), size, |encoder, target| {
            self.draw_picture(encoder, target);
        })?;
        let view = self.transform.map_or(self.options.config.view, |t| t.view(self.area.size));
        let text = screenshot_text(
            self.options.png_text.clone(),
            view,
            self.area,
            &self.applied_field.to_string(),
            self.particles.next_step(),
            &self.ctx.adapter_summary(),
            self.controls.layers,
        );
        export::write_png(path, size[0], size[1], &rgba, &text, None)?;
        Ok(())
    }

    /// Reads the count of non-finite particles once per `STATUS_INTERVAL`.
    fn read_status_when_due(&mut self) -> Result<(), ViewerError> {
        let due = self.status_read_at.is_none_or(|at| at.elapsed() >= STATUS_INTERVAL);
        if due {
            self.non_finite = Some(self.particles.read_status(&self.ctx)?.diverged);
            self.status_read_at = Some(Instant::now());
        }
        Ok(())
    }
}

/// Noise level of the schedule's current level: the smoothing the sampler's field has now.
fn current_sigma(particles: &ParticleSystem) -> f64 {
    let schedule = &particles.setup.schedule;
    schedule.levels[schedule.level_of(particles.next_step())].sigma
}

fn clear(encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, colour: wgpu::Color) {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some("viewer.clear"),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: target,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations { load: wgpu::LoadOp::Clear(colour), store: wgpu::StoreOp::Store },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    });
}
