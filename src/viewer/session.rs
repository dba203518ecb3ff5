//! One open window: its GPU state, the handling of its events, and the drawing of frames.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use glam::DVec2;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, KeyEvent, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::ActiveEventLoop;
use winit::keyboard::{Key, NamedKey};
use winit::window::Window;

use super::panel::{self, Controls, Figures, PanelAction, Progress};
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
use crate::sampler::{InitialDistribution, MAX_STEPS_PER_DISPATCH, ParticleSystem, SamplerSetup};
use crate::schedule::{Schedule, ScheduleKind};

/// Submissions of Langevin steps per frame at most; each stops at the end of a level.
const MAX_STEP_SUBMISSIONS_PER_FRAME: u32 = 4;
/// How often the count of non-finite particles is read back; each read waits for the GPU.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);
/// Zoom factor of one notch of the mouse wheel.
const ZOOM_PER_NOTCH: f64 = 1.15;
/// Pixels of a precise (touchpad) scroll that count as one notch.
const PIXELS_PER_NOTCH: f64 = 40.0;

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
        let window = Arc::new(event_loop.create_window(attributes).map_err(|e| ViewerError::Window(e.to_string()))?);

        let instance = gpu::create_instance_for_display(options.backend, Box::new(event_loop.owned_display_handle()));
        let surface = instance
            .create_surface(Arc::clone(&window))
            .map_err(|e| ViewerError::Surface(e.to_string()))?;
        let adapter = gpu::request_adapter(&instance, options.backend, Some(&surface))?;
        let ctx = GpuContext::from_adapter(instance, adapter)?;
        let surface = WindowSurface::new(&ctx, Arc::clone(&window), surface)?;

        let config = &options.config;
        let particles = ParticleSystem::new(
            &ctx,
            SamplerSetup {
                field: config.field.clone(),
                schedule: config.schedule.clone(),
                integrator: config.integrator,
                particles: config.particles,
                seed: config.seed,
                init: config.init.clone(),
                max_particles_per_buffer: None,
            },
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

    pub fn handle_event(&mut self, event: WindowEvent) -> Result<Flow, ViewerError> {
        // egui requests a repaint after every redraw event, which would draw the panel at
        // every frame, so that event does not go to egui.
        if let WindowEvent::RedrawRequested = event {
            return self.frame();
        }
        let consumed = self.panel.on_window_event(&self.window, &event);
        match event {
            WindowEvent::CloseRequested => return Ok(Flow::Exit),
            WindowEvent::Resized(size) => self.surface.configure(&self.ctx, [size.width, size.height])?,
            WindowEvent::KeyboardInput { event, .. } => {
                if !consumed && !self.panel.wants_keyboard() {
                    return self.key(&event);
                }
            }
            WindowEvent::CursorMoved { position, .. } => self.cursor_moved(DVec2::new(position.x, position.y)),
            WindowEvent::CursorLeft { .. } => {
                self.cursor = None;
                self.drag_from = None;
            }
            WindowEvent::MouseInput { state, button: MouseButton::Left, .. } => match state {
                ElementState::Pressed if self.pointer_in_area() => self.drag_from = self.cursor,
                _ => self.drag_from = None,
            },
            WindowEvent::MouseWheel { delta, .. } => {
                if !consumed && self.pointer_in_area() {
                    let notches = match delta {
                        MouseScrollDelta::LineDelta(_, y) => f64::from(y),
                        MouseScrollDelta::PixelDelta(position) => position.y / PIXELS_PER_NOTCH,
                    };
                    self.zoom(ZOOM_PER_NOTCH.powf(notches));
                }
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn key(&mut self, event: &KeyEvent) -> Result<Flow, ViewerError> {
        if event.state != ElementState::Pressed || event.repeat {
            return Ok(Flow::Continue);
        }
        // The panel shows the values the keys change.
        self.panel.mark_dirty();
        match &event.logical_key {
            Key::Named(NamedKey::Escape) => return Ok(Flow::Exit),
            Key::Named(NamedKey::Space) => self.controls.paused = !self.controls.paused,
            Key::Character(text) => match text.to_lowercase().as_str() {
                "r" => self.apply(PanelAction::Restart)?,
                "s" => self.apply(PanelAction::Screenshot)?,
                "a" => self.controls.layers.arrows = !self.controls.layers.arrows,
                "c" => self.controls.layers.contours = !self.controls.layers.contours,
                _ => {}
            },
            _ => {}
        }
        Ok(Flow::Continue)
    }

    /// Returns whether the pointer is over the density area and not in use by the panel.
    fn pointer_in_area(&self) -> bool {
        let Some(cursor) = self.cursor else {
            return false;
        };
        let origin = DVec2::new(f64::from(self.area.origin[0]), f64::from(self.area.origin[1]));
        let size = DVec2::new(f64::from(self.area.size[0]), f64::from(self.area.size[1]));
        let inside = cursor.cmpge(origin).all() && cursor.cmplt(origin + size).all();
        inside && !self.panel.wants_pointer()
    }

    fn cursor_moved(&mut self, position: DVec2) {
        self.cursor = Some(position);
        if let (Some(from), Some(transform)) = (self.drag_from, &mut self.transform) {
            transform.pan(position - from);
            self.drag_from = Some(position);
        }
    }

    fn zoom(&mut self, factor: f64) {
        let (Some(cursor), Some(transform)) = (self.cursor, &mut self.transform) else {
            return;
        };
        let origin = DVec2::new(f64::from(self.area.origin[0]), f64::from(self.area.origin[1]));
        transform.zoom_about(self.area.size, cursor - origin, factor);
    }

    fn figures(&self) -> Figures {
        let schedule = &self.particles.setup.schedule;
        let next_step = self.particles.next_step();
        let level = schedule.level_of(next_step);
        Figures {
            recent: self.frame_log.recent(),
            steps_per_frame: self.steps_per_frame,
            particles: self.particles.particle_count(),
            non_finite: self.non_finite,
            progress: Progress {
                next_step,
                total_steps: schedule.total_steps(),
                level,
                levels: schedule.levels.len(),
                level_label: schedule.levels[level].label(),
                schedule_kind: schedule.kind.name(),
                replaced: self.schedule_replaced,
            },
            view: self.transform.map(|t| t.view(self.area.size)),
            adapter: self.ctx.adapter_summary(),
            message: self.message.clone(),
        }
    }

    /// Applies a change from the panel or a key. Errors of the user's values go to the
    /// panel's message; GPU failures end the session.
    fn apply(&mut self, action: PanelAction) -> Result<(), ViewerError> {
        match action {
            PanelAction::Field => match self.controls.field.validate() {
                Ok(()) => {
                    self.applied_field = self.controls.field.clone();
                    self.particles.set_field(&self.ctx, self.applied_field.clone());
                    self.overlays.set_field(&self.ctx, &self.applied_field, self.overlay_sigma);
                    self.field_generation += 1;
                    self.message = None;
                }
                Err(error) => self.message = Some(format!("not applied: {error}")),
            },
            PanelAction::ConstantSchedule => {
                let rows = self.particles.schedule_capacity();
                let built = Schedule::build(ScheduleKind::Constant, rows, self.controls.step_size, self.controls.temperature);
                match built.and_then(|schedule| self.particles.set_schedule(&self.ctx, schedule)) {
                    Ok(()) => {
                        self.schedule_replaced = true;
                        self.message = None;
                    }
                    Err(error) => self.message = Some(format!("not applied: {error}")),
                }
            }
            PanelAction::SceneSchedule => {
                let schedule = self.options.config.schedule.clone();
                let last_level = &schedule.levels[schedule.last_langevin_level()];
                self.controls.temperature = last_level.temperature;
                self.controls.step_size = last_level.step_size;
                match self.particles.set_schedule(&self.ctx, schedule) {
                    Ok(()) => {
                        self.schedule_replaced = false;
                        self.restart()?;
                    }
                    Err(error) => self.message = Some(format!("not applied: {error}")),
                }
            }
            PanelAction::Restart => self.restart()?,
            PanelAction::Reallocate => self.reallocate()?,
            PanelAction::Seed => {
                self.particles.setup.seed = self.controls.seed;
                self.restart()?;
            }
            PanelAction::Style => {
                if let Some(density) = &mut self.density {
                    density.update_style(&self.ctx, self.controls.style);
                    density.set_origin(&self.ctx, self.area.origin);
                }
                // eq-hist needs the histogram passes of the binning.
                self.binned = None;
            }
            PanelAction::Screenshot => self.screenshot_requested = true,
        }
        Ok(())
    }

    fn restart(&mut self) -> Result<(), ViewerError> {
        self.particles.reset(&self.ctx)?;
        self.particles_generation += 1;
        self.non_finite = None;
        self.status_read_at = None;
        Ok(())
    }

    /// Replaces the particle system by one of `controls.particles` particles with the same
    /// field, schedule and seed. A count the device cannot hold leaves the old one in place.
    fn reallocate(&mut self) -> Result<(), ViewerError> {
        let Ok(count) = u32::try_from(self.controls.particles) else {
            self.message = Some(format!("not applied: {} particles exceed {}", self.controls.particles, u32::MAX));
            return Ok(());
        };
        let mut init = self.options.config.init.clone();
        if let InitialDistribution::Positions(positions) = &init
            && positions.len() != count as usize
        {
            // The positions from --init fit only their own count; other counts start
            // uniformly over the scene's view.
            let view = self.options.config.view;
            init = InitialDistribution::Uniform { min: view.min, max: view.max };
        }
        let setup = SamplerSetup {
            field: self.applied_field.clone(),
            schedule: self.particles.setup.schedule.clone(),
            integrator: self.particles.setup.integrator,
            particles: count,
            seed: self.controls.seed,
            init,
            max_particles_per_buffer: None,
        };
        match ParticleSystem::new(&self.ctx, setup) {
            Ok(particles) => {
                self.particles = particles;
                self.particles_generation += 1;
                self.non_finite = None;
                self.status_read_at = None;
                self.message = None;
            }
            Err(error) => self.message = Some(format!("not applied: {error}")),
        }
        Ok(())
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
            let renderer =
                DensityRenderer::new(&self.ctx, area.size[0], area.size[1], self.surface.format(), self.controls.style)?;
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
            let mut encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("viewer.steps"),
            });
            let remaining = steps - done;
            let recorded =
                self.particles.encode_steps(&self.ctx, &mut encoder, remaining, remaining.min(MAX_STEPS_PER_DISPATCH));
            if recorded == 0 {
                break;
            }
            self.ctx.queue.submit([encoder.finish()]);
            done += recorded;
        }
        done
    }

    /// Draws one frame. See the module documentation for its steps.
    fn frame(&mut self) -> Result<Flow, ViewerError> {
        let frame = match self.surface.acquire(&self.ctx)? {
            Acquired::Frame(frame) => frame,
            Acquired::Skip => return Ok(Flow::Continue),
        };
        let size = self.surface.size();
        let mut encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("viewer.frame"),
        });

        // The panel runs first, when it is due: what it changes applies to this frame.
        let figures = self.figures();
        let mut actions = Vec::new();
        let controls = &mut self.controls;
        let panel_run = self.panel.run(&self.ctx, &self.window, &mut encoder, size, |ui| {
            panel::show(ui, controls, &figures, &mut actions)
        });
        for action in actions {
            self.apply(action)?;
        }
        let panel_right = self.panel.panel_right();
        self.prepare_area(PixelRect { origin: [panel_right, 0], size: [size[0] - panel_right, size[1]] })?;

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

        if let (Some(density), Some(transform)) = (&self.density, &self.transform) {
            // The grid and the overlays are computed again only when what they show changed.
            let view = transform.view(self.area.size);
            let binning = BinningKey { view, area: self.area, particles_generation: self.particles_generation };
            if self.binned != Some(binning) {
                density.encode_binning(&self.ctx, &mut encoder, &self.particles, view);
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
                self.overlays.prepare(&self.ctx, &mut encoder, view, self.area, layers)?;
                self.overlays_prepared = Some(overlay);
            }
        }
        let target = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
        self.draw_picture(&mut encoder, &target);
        let panel_commands = panel_run.map(|run| run.commands).unwrap_or_default();
        self.ctx.queue.submit(panel_commands.into_iter().chain([encoder.finish()]));
        self.window.pre_present_notify();
        self.ctx.queue.present(frame);
        self.frames_drawn += 1;
        self.ctx.check(&format!("drawing frame {}", self.frames_drawn))?;

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
        self.read_status_when_due()?;

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
