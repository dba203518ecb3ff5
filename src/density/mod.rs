//! Density pictures: GPU binning of the particles into a W x H grid of u32 counts over a
//! view rectangle, statistics for the scale, and a render pass through a colormap table.
//! The window and the PNG export use the same passes, so an export shows what the window
//! shows. Particle buffers are never read back here.

pub mod colormap;
pub mod export;
pub mod figure;
pub mod picture;
pub mod scale;

use bytemuck::{Pod, Zeroable};
use glam::DVec2;

use crate::gpu::{GpuContext, GpuError, RenderPipelineSpec};
use crate::sampler::{self, ParticleSystem, SamplerError, buffer_layout_entry, dispatch_grid};
use crate::shader::{self, HISTOGRAM_BINS};
pub use colormap::Colormap;
pub use scale::Scale;

/// World rectangle shown by a picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub min: DVec2,
    pub max: DVec2,
}

impl View {
    pub fn new(x_min: f64, x_max: f64, y_min: f64, y_max: f64) -> Self {
        View { min: DVec2::new(x_min, y_min), max: DVec2::new(x_max, y_max) }
    }

    pub fn size(&self) -> DVec2 {
        self.max - self.min
    }

    pub fn centre(&self) -> DVec2 {
        0.5 * (self.min + self.max)
    }

    pub fn to_array(&self) -> [f64; 4] {
        [self.min.x, self.max.x, self.min.y, self.max.y]
    }
}

/// Mapping from counts to colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub colormap: Colormap,
    pub scale: Scale,
    /// sRGB colour of empty pixels, with alpha.
    pub background: [f32; 4],
}

impl Default for Style {
    fn default() -> Self {
        Style { colormap: Colormap::default(), scale: Scale::default(), background: [0.0, 0.0, 0.0, 1.0] }
    }
}

/// Mirrors `BinParams` in `shaders/bin.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct BinParams {
    pub world_min: [f32; 2],
    pub world_max: [f32; 2],
    pub width: u32,
    pub height: u32,
    pub _pad: [u32; 2],
}

/// Mirrors `GridParams` in `shaders/density_stats.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GridParams {
    pub width: u32,
    pub height: u32,
    pub _pad: [u32; 2],
}

/// Mirrors `DensityStats` in `shaders/density_stats.wgsl` and `shaders/colormap.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct DensityStats {
    pub max_count: u32,
    /// `u32::MAX` when every pixel is empty.
    pub min_count: u32,
    pub nonzero: u32,
    pub _pad: u32,
}

impl DensityStats {
    pub const RESET: DensityStats = DensityStats { max_count: 0, min_count: u32::MAX, nonzero: 0, _pad: 0 };
}

/// Mirrors `ColormapParams` in `shaders/colormap.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ColormapParams {
    pub width: u32,
    pub height: u32,
    pub scale: u32,
    pub linear_output: u32,
    pub origin: [u32; 2],
    pub _pad: [u32; 2],
    pub background: [f32; 4],
}

pub const BIN_WGSL: &str = include_str!("../../shaders/bin.wgsl");
pub const DENSITY_COMMON_WGSL: &str = include_str!("../../shaders/density_common.wgsl");
pub const DENSITY_STATS_WGSL: &str = include_str!("../../shaders/density_stats.wgsl");
pub const COLORMAP_WGSL: &str = include_str!("../../shaders/colormap.wgsl");

#[derive(Debug, thiserror::Error)]
pub enum DensityError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
    #[error(transparent)]
    Overlay(#[from] Box<crate::overlay::OverlayError>),
    #[error("--arrows and --contours are drawn on pictures of at most {max_side} pixels a side, not {width}x{height}")]
    OverlayTooLarge { width: u32, height: u32, max_side: u32 },
    #[error(
        "invalid `view.size`: {width}x{height} is {reason}; the device allows at most \
         {max_side} pixels a side and {max_pixels} pixels in all"
    )]
    Size { width: u32, height: u32, reason: &'static str, max_side: u32, max_pixels: u64 },
}

impl DensityError {
    /// Returns whether the user can fix the error by changing the input.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            DensityError::Size { .. } | DensityError::OverlayTooLarge { .. } => true,
            DensityError::Overlay(_) => false,
            DensityError::Sampler(e) => e.is_invalid_input(),
            DensityError::Gpu(_) => false,
        }
    }
}

/// Binning, statistics and colormap pipelines with the count grid they share.
pub struct DensityRenderer {
    width: u32,
    height: u32,
    /// Pixels allocated in the count grid.
    capacity: u64,
    target_format: wgpu::TextureFormat,
    style: Style,
    counts: wgpu::Buffer,
    stats: wgpu::Buffer,
    histogram: wgpu::Buffer,
    cumulative: wgpu::Buffer,
    grid_params: wgpu::Buffer,
    bin_params: wgpu::Buffer,
    colormap_params: wgpu::Buffer,
    lut: wgpu::Buffer,
    bin_layout: wgpu::BindGroupLayout,
    bin_pipeline: wgpu::ComputePipeline,
    stats_bind_group: wgpu::BindGroup,
    find_range_pipeline: wgpu::ComputePipeline,
    fill_histogram_pipeline: wgpu::ComputePipeline,
    scan_histogram_pipeline: wgpu::ComputePipeline,
    render_bind_group: wgpu::BindGroup,
    render_pipeline: wgpu::RenderPipeline,
    max_workgroups_per_dimension: u32,
}

/// Largest grid the device can bin into: one u32 per pixel in one storage binding, and no
/// side beyond the texture limit.
pub fn check_size(limits: &wgpu::Limits, width: u32, height: u32) -> Result<(), DensityError> {
    let max_side = limits.max_texture_dimension_2d;
    let max_pixels = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size) / 4;
    let reason = if width == 0 || height == 0 {
        Some("empty")
    } else if width > max_side || height > max_side {
        Some("wider or taller than the texture limit")
    } else if u64::from(width) * u64::from(height) > max_pixels {
        Some("more pixels than one count buffer can hold")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(DensityError::Size { width, height, reason, max_side, max_pixels }),
        None => Ok(()),
    }
}

impl DensityRenderer {
    pub fn new(
        ctx: &GpuContext,
        width: u32,
        height: u32,
        target_format: wgpu::TextureFormat,
        style: Style,
    ) -> Result<Self, DensityError> {
        let limits = ctx.limits();
        check_size(&limits, width, height)?;
        let device = &ctx.device;
        let pixels = u64::from(width) * u64::from(height);

        let counts = ctx.scoped("allocating the density grid", || {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("density.counts"),
                size: pixels * 4,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_DST
                    | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        })?;
        let small_buffer = |label: &'static str, size: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: usage | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let storage = wgpu::BufferUsages::STORAGE;
        let uniform = wgpu::BufferUsages::UNIFORM;
        let stats = small_buffer(
            "density.stats",
            std::mem::size_of::<DensityStats>() as u64,
            storage | wgpu::BufferUsages::COPY_SRC,
        );
        let histogram = small_buffer("density.histogram", u64::from(HISTOGRAM_BINS) * 4, storage);
        let cumulative = small_buffer(
            "density.cumulative",
            u64::from(HISTOGRAM_BINS) * 4,
            storage | wgpu::BufferUsages::COPY_SRC,
        );
        let bin_params = small_buffer("density.bin_params", std::mem::size_of::<BinParams>() as u64, uniform);
        let grid_params = small_buffer("density.grid_params", std::mem::size_of::<GridParams>() as u64, uniform);
        let colormap_params = small_buffer(
            "density.colormap_params",
            std::mem::size_of::<ColormapParams>() as u64,
            uniform,
        );
        let lut = small_buffer("density.lut", 256 * 16, storage);
        ctx.queue.write_buffer(
            &grid_params,
            0,
            bytemuck::bytes_of(&GridParams { width, height, _pad: [0; 2] }),
        );

        let compute = wgpu::ShaderStages::COMPUTE;
        let read = wgpu::BufferBindingType::Storage { read_only: true };
        let write = wgpu::BufferBindingType::Storage { read_only: false };
        let uniform_binding = wgpu::BufferBindingType::Uniform;

        let bin_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("density.bin_layout"),
            entries: &[
                buffer_layout_entry(0, uniform_binding, false, compute),
                buffer_layout_entry(1, read, false, compute),
                buffer_layout_entry(2, write, false, compute),
            ],
        });
        let bin_pipeline = sampler::create_compute_pipeline(
            ctx,
            "density.bin",
            &shader::compose(BIN_WGSL),
            "bin_main",
            &bin_layout,
        )?;

        let stats_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("density.stats_layout"),
            entries: &[
                buffer_layout_entry(0, uniform_binding, false, compute),
                buffer_layout_entry(1, read, false, compute),
                buffer_layout_entry(2, write, false, compute),
                buffer_layout_entry(3, write, false, compute),
                buffer_layout_entry(4, write, false, compute),
            ],
        });
        let stats_source = shader::compose(&[DENSITY_COMMON_WGSL, DENSITY_STATS_WGSL].join("\n"));
        let stats_pipeline = |entry_point: &str| {
            sampler::create_compute_pipeline(
                ctx,
                &format!("density.{entry_point}"),
                &stats_source,
                entry_point,
                &stats_layout,
            )
        };
        let find_range_pipeline = stats_pipeline("find_range")?;
        let fill_histogram_pipeline = stats_pipeline("fill_histogram")?;
        let scan_histogram_pipeline = stats_pipeline("scan_histogram")?;
        let stats_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("density.stats_bind_group"),
            layout: &stats_layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: grid_params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: counts.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: stats.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: histogram.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: cumulative.as_entire_binding() },
            ],
        });

        let fragment = wgpu::ShaderStages::FRAGMENT;
        let render_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("density.colormap_layout"),
            entries: &[
                buffer_layout_entry(0, uniform_binding, false, fragment),
                buffer_layout_entry(1, read, false, fragment),
                buffer_layout_entry(2, read, false, fragment),
                buffer_layout_entry(3, read, false, fragment),
                buffer_layout_entry(4, read, false, fragment),
            ],
        });
        let render_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("density.colormap_bind_group"),
            layout: &render_layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: colormap_params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: counts.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: stats.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: cumulative.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: lut.as_entire_binding() },
            ],
        });
        let render_pipeline = create_colormap_pipeline(ctx, &render_layout, target_format)?;

        let renderer = DensityRenderer {
            width,
            height,
            capacity: pixels,
            target_format,
            style,
            counts,
            stats,
            histogram,
            cumulative,
            grid_params,
            bin_params,
            colormap_params,
            lut,
            bin_layout,
            bin_pipeline,
            stats_bind_group,
            find_range_pipeline,
            fill_histogram_pipeline,
            scan_histogram_pipeline,
            render_bind_group,
            render_pipeline,
            max_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        };
        renderer.set_style(ctx, style);
        Ok(renderer)
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    pub fn style(&self) -> Style {
        self.style
    }

    /// Uploads the colormap table and the scale; takes effect at the next render.
    pub fn set_style(&self, ctx: &GpuContext, style: Style) {
        ctx.queue.write_buffer(&self.lut, 0, bytemuck::cast_slice(&style.colormap.table()));
        self.write_colormap_params(ctx, style, [0, 0]);
    }

    /// Changes the style, keeping the renderer.
    pub fn update_style(&mut self, ctx: &GpuContext, style: Style) {
        self.style = style;
        self.set_style(ctx, style);
    }

    /// Places the grid's top-left corner at `origin` in the framebuffer.
    pub fn set_origin(&self, ctx: &GpuContext, origin: [u32; 2]) {
        self.write_colormap_params(ctx, self.style, origin);
    }

    fn write_colormap_params(&self, ctx: &GpuContext, style: Style, origin: [u32; 2]) {
        let params = ColormapParams {
            width: self.width,
            height: self.height,
            scale: style.scale.shader_code(),
            linear_output: u32::from(self.target_format.is_srgb()),
            origin,
            _pad: [0; 2],
            background: style.background,
        };
        ctx.queue.write_buffer(&self.colormap_params, 0, bytemuck::bytes_of(&params));
    }

    /// Records the clearing of the grid, the binning of every particle buffer for `view`,
    /// and the statistics passes.
    pub fn encode_binning(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        particles: &ParticleSystem,
        view: View,
    ) {
        self.encode_counts(ctx, encoder, particles, view);
        ctx.queue.write_buffer(&self.stats, 0, bytemuck::bytes_of(&DensityStats::RESET));
        encoder.clear_buffer(&self.histogram, 0, None);
        let eq_hist = self.style.scale == Scale::EqHist;
        self.encode_statistics(encoder, true, eq_hist, eq_hist);
    }

    /// Records the clearing of the grid and the binning of every particle buffer for
    /// `view` over the current grid size.
    pub fn encode_counts(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        particles: &ParticleSystem,
        view: View,
    ) {
        let params = BinParams {
            world_min: view.min.as_vec2().to_array(),
            world_max: view.max.as_vec2().to_array(),
            width: self.width,
            height: self.height,
            _pad: [0; 2],
        };
        ctx.queue.write_buffer(&self.bin_params, 0, bytemuck::bytes_of(&params));
        encoder.clear_buffer(&self.counts, 0, None);

        let bind_groups: Vec<wgpu::BindGroup> = particles
            .chunks()
            .iter()
            .enumerate()
            .map(|(index, chunk)| {
                ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&format!("density.bin_bind_group[{index}]")),
                    layout: &self.bin_layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: self.bin_params.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: chunk.positions.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 2, resource: self.counts.as_entire_binding() },
                    ],
                })
            })
            .collect();

        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("density.bin"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.bin_pipeline);
        for (chunk, bind_group) in particles.chunks().iter().zip(&bind_groups) {
            pass.set_bind_group(0, bind_group, &[]);
            let (x, y) = dispatch_grid(chunk.count, self.max_workgroups_per_dimension);
            pass.dispatch_workgroups(x, y, 1);
        }
    }

    /// Records the statistics passes over the current counts: the range of the counts, the
    /// eq-hist histogram (added to what the histogram holds) and its running sum.
    pub fn encode_statistics(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        find_range: bool,
        fill_histogram: bool,
        scan_histogram: bool,
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("density.statistics"),
            timestamp_writes: None,
        });
        let (x, y) = dispatch_grid(self.width * self.height, self.max_workgroups_per_dimension);
        pass.set_bind_group(0, &self.stats_bind_group, &[]);
        if find_range {
            pass.set_pipeline(&self.find_range_pipeline);
            pass.dispatch_workgroups(x, y, 1);
        }
        if fill_histogram {
            pass.set_pipeline(&self.fill_histogram_pipeline);
            pass.dispatch_workgroups(x, y, 1);
        }
        if scan_histogram {
            pass.set_pipeline(&self.scan_histogram_pipeline);
            pass.dispatch_workgroups(1, 1, 1);
        }
    }

    /// Replaces the statistics the colormap pass reads (tiled pictures use global ones).
    pub fn write_stats(&self, ctx: &GpuContext, stats: DensityStats) {
        ctx.queue.write_buffer(&self.stats, 0, bytemuck::bytes_of(&stats));
    }

    /// Records the zeroing of the eq-hist histogram.
    pub fn clear_histogram(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.clear_buffer(&self.histogram, 0, None);
    }

    /// Changes the grid to `width` x `height`, which must fit the pixels allocated at
    /// creation; takes effect at the next submission.
    pub fn set_grid_size(&mut self, ctx: &GpuContext, width: u32, height: u32) {
        assert!(
            u64::from(width) * u64::from(height) <= self.capacity,
            "grid {width}x{height} exceeds the {} pixels allocated",
            self.capacity
        );
        self.width = width;
        self.height = height;
        ctx.queue.write_buffer(&self.grid_params, 0, bytemuck::bytes_of(&GridParams { width, height, _pad: [0; 2] }));
        self.write_colormap_params(ctx, self.style, [0, 0]);
    }

    /// Reads back the running sum of the eq-hist histogram.
    pub fn read_cumulative(&self, ctx: &GpuContext) -> Result<Vec<u32>, GpuError> {
        let bytes = ctx.read_buffer(
            &self.cumulative,
            0,
            u64::from(HISTOGRAM_BINS) * 4,
            "reading the eq-hist histogram",
        )?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// Records the colormap pass into `target`, which must have the renderer's format.
    pub fn encode_render(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, clear: bool) {
        let [r, g, b, a] = self.style.background.map(f64::from);
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("density.colormap"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: if clear {
                        wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a })
                    } else {
                        wgpu::LoadOp::Load
                    },
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(&self.render_pipeline);
        pass.set_bind_group(0, &self.render_bind_group, &[]);
        pass.draw(0..3, 0..1);
    }

    /// Bins `particles` for `view` and renders the picture to tightly packed RGBA8 rows.
    pub fn render_rgba(
        &self,
        ctx: &GpuContext,
        particles: &ParticleSystem,
        view: View,
    ) -> Result<Vec<u8>, DensityError> {
        self.render_rgba_with(ctx, particles, view, |_, _| Ok(()))
    }

    /// Like `render_rgba`, and lets `draw_over` record passes over the picture (overlays)
    /// before it is read back.
    pub fn render_rgba_with(
        &self,
        ctx: &GpuContext,
        particles: &ParticleSystem,
        view: View,
        draw_over: impl FnOnce(&mut wgpu::CommandEncoder, &wgpu::TextureView) -> Result<(), DensityError>,
    ) -> Result<Vec<u8>, DensityError> {
        let texture = ctx.scoped("allocating the picture texture", || {
            ctx.device.create_texture(&wgpu::TextureDescriptor {
                label: Some("density.picture"),
                size: wgpu::Extent3d { width: self.width, height: self.height, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: self.target_format,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            })
        })?;
        let target = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("density.picture"),
        });
        self.encode_binning(ctx, &mut encoder, particles, view);
        self.encode_render(&mut encoder, &target, true);
        draw_over(&mut encoder, &target)?;
        ctx.queue.submit([encoder.finish()]);
        Ok(read_texture_rgba(ctx, &texture)?)
    }

    /// Reads the count grid back (row 0 at the top), for tests and figures.
    pub fn read_counts(&self, ctx: &GpuContext) -> Result<Vec<u32>, GpuError> {
        let bytes = ctx.read_buffer(
            &self.counts,
            0,
            u64::from(self.width) * u64::from(self.height) * 4,
            "reading the density grid",
        )?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    pub fn read_stats(&self, ctx: &GpuContext) -> Result<DensityStats, GpuError> {
        let bytes = ctx.read_buffer(
            &self.stats,
            0,
            std::mem::size_of::<DensityStats>() as u64,
            "reading the density statistics",
        )?;
        Ok(bytemuck::pod_read_unaligned(&bytes))
    }
}

fn create_colormap_pipeline(
    ctx: &GpuContext,
    layout: &wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
) -> Result<wgpu::RenderPipeline, DensityError> {
    let source = shader::compose(&[DENSITY_COMMON_WGSL, COLORMAP_WGSL].join("\n"));
    shader::validate("density.colormap", &source).map_err(SamplerError::from)?;
    let pipeline = ctx.create_render_pipeline(&RenderPipelineSpec {
        label: "density.colormap",
        source: &source,
        vertex_entry: "vs_main",
        fragment_entry: "fs_main",
        vertex_buffers: &[],
        layout,
        format,
        blend: None,
    })?;
    Ok(pipeline)
}

/// Copies a 2-D RGBA8 texture to the CPU as tightly packed rows.
pub fn read_texture_rgba(ctx: &GpuContext, texture: &wgpu::Texture) -> Result<Vec<u8>, GpuError> {
    let (width, height) = (texture.width(), texture.height());
    let row_bytes = width * 4;
    let padded_row_bytes = row_bytes.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let staging = ctx.scoped("allocating the picture readback", || {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("density.picture_readback"),
            size: u64::from(padded_row_bytes) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        })
    })?;
    let mut encoder = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("density.picture_readback"),
    });
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row_bytes),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
    );
    ctx.queue.submit([encoder.finish()]);
    let padded = ctx.map_and_copy(&staging, "reading the picture back")?;
    let mut pixels = Vec::with_capacity((row_bytes * height) as usize);
    for row in padded.chunks(padded_row_bytes as usize) {
        pixels.extend_from_slice(&row[..row_bytes as usize]);
    }
    Ok(pixels)
}
