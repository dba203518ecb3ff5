//! The egui layer of the window: input to egui, the panel drawn into a texture of the
//! window's size, and the composite of that texture over each frame.
//!
//! egui runs and draws only when the panel changes: an input event it wants, a repaint it
//! asked for, or the refresh of the live figures every `FIGURES_INTERVAL`. Every other frame
//! reuses the texture. On llvmpipe under Xvfb (2 cores, 800x800 window, a 1000-particle
//! double well), drawing the panel into the window at every frame took about 17 ms of a
//! 28 ms frame. With the cached panel such a frame takes about 14 ms.

use std::time::{Duration, Instant};

use winit::event::WindowEvent;
use winit::window::Window;

use super::ViewerError;
use crate::gpu::{GpuContext, RenderPipelineSpec};
use crate::overlay::PixelRect;
use crate::shader;

/// How often the panel is drawn again for its live figures when nothing else changes.
pub const FIGURES_INTERVAL: Duration = Duration::from_millis(250);

pub const PANEL_COMPOSITE_WGSL: &str = include_str!("../../shaders/viewer_panel_composite.wgsl");

/// The texture egui draws into, with the bind group of the composite.
struct PanelTexture {
    size: [u32; 2],
    view: wgpu::TextureView,
    bind_group: wgpu::BindGroup,
}

pub struct PanelLayer {
    context: egui::Context,
    state: egui_winit::State,
    renderer: egui_wgpu::Renderer,
    format: wgpu::TextureFormat,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::RenderPipeline,
    texture: Option<PanelTexture>,
    /// Right edge of the panel in pixels, from the last run.
    panel_right: u32,
    /// Pixels egui drew in the last run: the bounding box of its clip rectangles.
    drawn: PixelRect,
    /// Set when egui must run at the next frame.
    dirty: bool,
    refresh_at: Option<Instant>,
}

/// The output of one run of the panel.
pub struct PanelRun {
    /// Command buffers of egui's paint callbacks, to submit before the frame's encoder.
    pub commands: Vec<wgpu::CommandBuffer>,
}

impl PanelLayer {
    pub fn new(ctx: &GpuContext, window: &Window, format: wgpu::TextureFormat) -> Result<Self, ViewerError> {
        let context = egui::Context::default();
        let state = egui_winit::State::new(
            context.clone(),
            egui::ViewportId::ROOT,
            window,
            Some(window.scale_factor() as f32),
            window.theme(),
            Some(ctx.limits().max_texture_dimension_2d as usize),
        );
        let renderer = egui_wgpu::Renderer::new(&ctx.device, format, egui_wgpu::RendererOptions::default());

        let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("viewer.panel_layout"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            }],
        });
        let pipeline = create_composite_pipeline(ctx, &layout, format)?;
        Ok(PanelLayer {
            context,
            state,
            renderer,
            format,
            layout,
            pipeline,
            texture: None,
            panel_right: 0,
            drawn: PixelRect { origin: [0, 0], size: [0, 0] },
            dirty: true,
            refresh_at: None,
        })
    }

    /// Passes a window event to egui and returns whether egui consumed it.
    pub fn on_window_event(&mut self, window: &Window, event: &WindowEvent) -> bool {
        let response = self.state.on_window_event(window, event);
        self.dirty |= response.repaint;
        response.consumed
    }

    /// Makes the next frame run the panel, after a change it shows (a key toggled a value).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    pub fn wants_keyboard(&self) -> bool {
        self.context.egui_wants_keyboard_input()
    }

    pub fn wants_pointer(&self) -> bool {
        self.context.egui_wants_pointer_input()
    }

    /// Right edge of the panel in pixels: the density area starts there.
    pub fn panel_right(&self) -> u32 {
        self.panel_right
    }

    /// Returns whether the panel must run before the next frame of `size` is drawn.
    fn is_due(&self, size: [u32; 2]) -> bool {
        let stale = self.refresh_at.is_none_or(|at| Instant::now() >= at);
        self.dirty || stale || self.texture.as_ref().is_none_or(|t| t.size != size)
    }

    /// Runs the panel through `show` when it is due and records its drawing into the panel
    /// texture. `show` lays the panel out and returns its rectangle in points. Returns `None`
    /// when the panel did not run.
    pub fn run(
        &mut self,
        ctx: &GpuContext,
        window: &Window,
        encoder: &mut wgpu::CommandEncoder,
        size: [u32; 2],
        mut show: impl FnMut(&mut egui::Ui) -> egui::Rect,
    ) -> Option<PanelRun> {
        if !self.is_due(size) {
            return None;
        }
        let raw_input = self.state.take_egui_input(window);
        let mut panel_rect = egui::Rect::NOTHING;
        let output = self.context.run_ui(raw_input, |ui| panel_rect = show(ui));
        self.state.handle_platform_output(window, output.platform_output);
        for (id, deltas) in &output.textures_delta.set {
            for delta in deltas {
                self.renderer.update_texture(&ctx.device, &ctx.queue, *id, delta);
            }
        }
        let pixels_per_point = output.pixels_per_point;
        let jobs = self.context.tessellate(output.shapes, pixels_per_point);
        self.panel_right = ((panel_rect.max.x * pixels_per_point).ceil().max(0.0) as u32).min(size[0]);
        self.drawn = drawn_rect(&jobs, pixels_per_point, size);

        let repaint_delay = output
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map_or(FIGURES_INTERVAL, |viewport| viewport.repaint_delay);
        self.refresh_at = Some(Instant::now() + repaint_delay.min(FIGURES_INTERVAL));
        self.dirty = false;

        let texture = self.texture_of_size(ctx, size);
        let screen = egui_wgpu::ScreenDescriptor { size_in_pixels: size, pixels_per_point };
        let commands = self.renderer.update_buffers(&ctx.device, &ctx.queue, encoder, &jobs, &screen);
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("viewer.panel"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: &texture,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    depth_stencil_attachment: None,
                    timestamp_writes: None,
                    occlusion_query_set: None,
                    multiview_mask: None,
                })
                .forget_lifetime();
            self.renderer.render(&mut pass, &jobs, &screen);
        }
        for id in &output.textures_delta.free {
            self.renderer.free_texture(id);
        }
        Some(PanelRun { commands })
    }

    /// Returns a view of the panel texture, created again when the window changed size.
    fn texture_of_size(&mut self, ctx: &GpuContext, size: [u32; 2]) -> wgpu::TextureView {
        if let Some(texture) = &self.texture
            && texture.size == size
        {
            return texture.view.clone();
        }
        let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("viewer.panel_texture"),
            size: wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("viewer.panel_bind_group"),
            layout: &self.layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(&view),
            }],
        });
        self.texture = Some(PanelTexture { size, view: view.clone(), bind_group });
        view
    }

    /// Records the composite of the panel texture over `target`, which has the window's size.
    pub fn draw(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView) {
        let Some(texture) = &self.texture else {
            return;
        };
        let target_texture = target.texture();
        let drawn = self.drawn.clipped_to([target_texture.width(), target_texture.height()]);
        if drawn.is_empty() || texture.size != [target_texture.width(), target_texture.height()] {
            return;
        }
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("viewer.panel_composite"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Load, store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_scissor_rect(drawn.origin[0], drawn.origin[1], drawn.size[0], drawn.size[1]);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &texture.bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}

/// Returns the bounding box in pixels of the clip rectangles of `jobs`, inside `size`.
fn drawn_rect(jobs: &[egui::ClippedPrimitive], pixels_per_point: f32, size: [u32; 2]) -> PixelRect {
    let bounds = jobs.iter().fold(egui::Rect::NOTHING, |bounds, job| bounds.union(job.clip_rect));
    if !bounds.is_positive() {
        return PixelRect { origin: [0, 0], size: [0, 0] };
    }
    let clamp = |v: f32, limit: u32| (v.max(0.0) as u32).min(limit);
    let min = [
        clamp((bounds.min.x * pixels_per_point).floor(), size[0]),
        clamp((bounds.min.y * pixels_per_point).floor(), size[1]),
    ];
    let max = [
        clamp((bounds.max.x * pixels_per_point).ceil(), size[0]),
        clamp((bounds.max.y * pixels_per_point).ceil(), size[1]),
    ];
    PixelRect { origin: min, size: [max[0] - min[0], max[1] - min[1]] }
}

fn create_composite_pipeline(
    ctx: &GpuContext,
    layout: &wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
) -> Result<wgpu::RenderPipeline, ViewerError> {
    let source = shader::compose(PANEL_COMPOSITE_WGSL);
    shader::validate("viewer.panel_composite", &source).map_err(crate::overlay::OverlayError::from)?;
    let pipeline = ctx.create_render_pipeline(&RenderPipelineSpec {
        label: "viewer.panel_composite",
        source: &source,
        vertex_entry: "composite_vs_main",
        fragment_entry: "composite_fs_main",
        vertex_buffers: &[],
        layout,
        format,
        blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
    })?;
    Ok(pipeline)
}
