//! Overlays drawn over the density: force arrows on a grid and contour lines of V. They
//! draw into any target at any area, so the window and a PNG export can use the same passes.
//!
//! How it works: every stage evaluates the field by its own WGSL, the file the sampler runs.
//! The field parameters come from a uniform buffer of the sampler's layout, so a slider
//! that changes the field changes the arrows and contours too. `prepare` records the
//! compute passes for a view: the arrows stage writes one arrow per grid cell, and the scale
//! stage sets their lengths from the geometric mean of the magnitudes. The contour stages
//! sample V on a 32 x 32 grid and place 12 levels between its 1% and 90% quantiles, spaced
//! by the square of their index. `draw` records one render pass into a given target and
//! area: the contour lines, evaluated per pixel in a fragment shader, then the arrows as an
//! instanced draw.
//!
//! Contours are drawn per pixel, not by marching squares on a coarse grid. The lines follow
//! V exactly at any zoom and keep a width of about a pixel by dividing by `fwidth`. They
//! need no vertex buffer that changes size with the number of segments. The cost is one
//! evaluation of V per pixel of the area when contours are on.

mod arrows;
mod contours;
pub mod geometry;
pub mod gpu_data;

use crate::density::View;
use crate::field::Field;
use crate::field::buffers::FieldBuffers;
use crate::gpu::{GpuContext, GpuError, RenderPipelineSpec};
use crate::sampler::SamplerError;
use crate::shader::{self, ShaderError, ShaderOptions};
pub use geometry::{ArrowGrid, PixelRect};
use gpu_data::{ArrowInstance, ContourLevels, OverlayParams};

pub const OVERLAY_COMMON_WGSL: &str = include_str!("../../shaders/overlay_common.wgsl");
pub const ARROW_FIELD_WGSL: &str = include_str!("../../shaders/overlay_arrow_field.wgsl");
pub const ARROW_SCALE_WGSL: &str = include_str!("../../shaders/overlay_arrow_scale.wgsl");
pub const ARROW_DRAW_WGSL: &str = include_str!("../../shaders/overlay_arrow_draw.wgsl");
pub const CONTOUR_SAMPLE_WGSL: &str = include_str!("../../shaders/overlay_contour_sample.wgsl");
pub const CONTOUR_LEVELS_WGSL: &str = include_str!("../../shaders/overlay_contour_levels.wgsl");
pub const CONTOUR_DRAW_WGSL: &str = include_str!("../../shaders/overlay_contour_draw.wgsl");

/// Composes the full WGSL of an overlay stage. Stages that evaluate the field get its
/// binding and functions, and the others only the shared parts.
pub fn stage_source(stage: &str, field: Option<&Field>, options: ShaderOptions) -> String {
    let stage = [geometry::overlay_constants().as_str(), OVERLAY_COMMON_WGSL, stage].join("\n");
    match field {
        Some(field) => shader::compose_stage(&stage, Some(field), options),
        None => shader::compose(&stage),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Shader(#[from] ShaderError),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
}

/// The overlay layers to draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OverlayLayers {
    pub arrows: bool,
    pub contours: bool,
}

impl OverlayLayers {
    pub fn any(&self) -> bool {
        self.arrows || self.contours
    }
}

/// The overlay pipelines for one field kind and one target format, with their buffers.
pub struct Overlays {
    field_kind: &'static str,
    linear_output: bool,
    field_buffers: FieldBuffers,
    params: wgpu::Buffer,
    arrows: arrows::ArrowStages,
    contours: contours::ContourStages,
    /// The arrow grid of the last `prepare`.
    grid: ArrowGrid,
}

impl Overlays {
    /// Builds the pipelines for `field`'s kind, drawing into targets of `target_format`, and
    /// writes the field's parameters for noise level `sigma`.
    pub fn new(
        ctx: &GpuContext,
        field: &Field,
        sigma: f64,
        target_format: wgpu::TextureFormat,
    ) -> Result<Self, OverlayError> {
        let device = &ctx.device;
        let field_buffers = FieldBuffers::new(ctx, field, "overlay")?;
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("overlay.params"),
            size: std::mem::size_of::<OverlayParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let options = ShaderOptions::for_device(device);
        let arrows = arrows::ArrowStages::new(ctx, field, options, target_format, &field_buffers, &params)?;
        let contours =
            contours::ContourStages::new(ctx, field, options, target_format, &field_buffers, &params)?;
        let overlays = Overlays {
            field_kind: field.kind_name(),
            linear_output: target_format.is_srgb(),
            field_buffers,
            params,
            arrows,
            contours,
            grid: ArrowGrid { columns: 1, rows: 1 },
        };
        overlays.set_field(ctx, field, sigma);
        Ok(overlays)
    }

    /// Writes the parameters of `field` smoothed to noise level `sigma`, which take effect at
    /// the next submission. The kind must be the one the overlays were built for.
    pub fn set_field(&self, ctx: &GpuContext, field: &Field, sigma: f64) {
        debug_assert_eq!(field.kind_name(), self.field_kind);
        self.field_buffers.write(ctx, field, sigma);
    }

    /// Returns the arrow grid of the last `prepare`.
    pub fn arrow_grid(&self) -> ArrowGrid {
        self.grid
    }

    /// Records the compute passes of `layers` for `view` shown in `area` of the target, and
    /// writes the overlay parameters. The parameters take effect at the next submission, so
    /// submit the encoder before preparing another view.
    pub fn prepare(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        view: View,
        area: PixelRect,
        layers: OverlayLayers,
    ) -> Result<(), OverlayError> {
        if area.is_empty() {
            return Ok(());
        }
        self.grid = ArrowGrid::for_area(area.size, geometry::ARROW_SPACING_PIXELS);
        if layers.arrows {
            self.arrows.reserve(ctx, self.grid.count(), &self.field_buffers, &self.params)?;
        }
        let params = OverlayParams {
            world_min: view.min.as_vec2().to_array(),
            world_max: view.max.as_vec2().to_array(),
            area_origin: area.origin.map(|v| v as f32),
            area_size: area.size.map(|v| v as f32),
            arrow_grid: [self.grid.columns, self.grid.rows],
            arrow_max_length: self.grid.max_length(area.size) as f32,
            arrow_reference_length: self.grid.reference_length(area.size) as f32,
            linear_output: u32::from(self.linear_output),
            _pad: [0; 3],
        };
        ctx.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&params));

        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("overlay.prepare"),
            timestamp_writes: None,
        });
        let max_workgroups = ctx.limits().max_compute_workgroups_per_dimension;
        if layers.arrows {
            self.arrows.encode_compute(&mut pass, self.grid.count(), max_workgroups);
        }
        if layers.contours {
            self.contours.encode_compute(&mut pass, max_workgroups);
        }
        Ok(())
    }

    /// Records the render pass that draws `layers` over `area` of `target`, keeping what the
    /// target holds. The area must be the one given to the last `prepare`, and `target` must
    /// have the format the overlays were built for.
    pub fn draw(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        area: PixelRect,
        layers: OverlayLayers,
    ) {
        let texture = target.texture();
        let clipped = area.clipped_to([texture.width(), texture.height()]);
        if !layers.any() || clipped.is_empty() {
            return;
        }
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("overlay.draw"),
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
        // The viewport is the whole area, so pixel positions map the same way as in the
        // compute stages. The scissor keeps the drawing inside the target.
        pass.set_viewport(
            area.origin[0] as f32,
            area.origin[1] as f32,
            area.size[0] as f32,
            area.size[1] as f32,
            0.0,
            1.0,
        );
        pass.set_scissor_rect(clipped.origin[0], clipped.origin[1], clipped.size[0], clipped.size[1]);
        if layers.contours {
            self.contours.encode_draw(&mut pass);
        }
        if layers.arrows {
            self.arrows.encode_draw(&mut pass, self.grid.count());
        }
    }

    /// Reads the arrows of the last prepared frame back, for tests.
    pub fn read_arrows(&self, ctx: &GpuContext) -> Result<Vec<ArrowInstance>, GpuError> {
        self.arrows.read(ctx, self.grid.count())
    }

    /// Reads the samples of V and the contour levels of the last prepared frame back, for
    /// tests.
    pub fn read_contours(&self, ctx: &GpuContext) -> Result<(Vec<f32>, ContourLevels), GpuError> {
        self.contours.read(ctx)
    }
}

const STORAGE_READ: wgpu::BufferBindingType = wgpu::BufferBindingType::Storage { read_only: true };
const STORAGE_WRITE: wgpu::BufferBindingType = wgpu::BufferBindingType::Storage { read_only: false };
const UNIFORM: wgpu::BufferBindingType = wgpu::BufferBindingType::Uniform;

fn layout_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
    visibility: wgpu::ShaderStages,
) -> wgpu::BindGroupLayoutEntry {
    crate::sampler::buffer_layout_entry(binding, ty, false, visibility)
}

fn bind_entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource: buffer.as_entire_binding() }
}

/// Creates a render pipeline that blends premultiplied colours over the target, after
/// validating the source with naga.
fn create_render_pipeline(ctx: &GpuContext, spec: RenderPipelineSpec<'_>) -> Result<wgpu::RenderPipeline, OverlayError> {
    shader::validate(spec.label, spec.source)?;
    let spec = RenderPipelineSpec { blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING), ..spec };
    Ok(ctx.create_render_pipeline(&spec)?)
}
