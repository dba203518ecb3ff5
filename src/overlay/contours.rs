//! Contour lines of V: the sample stage, the levels stage and the per-pixel draw.

use super::geometry::CONTOUR_SAMPLES;
use super::gpu_data::ContourLevels;
use super::{
    CONTOUR_DRAW_WGSL, CONTOUR_LEVELS_WGSL, CONTOUR_SAMPLE_WGSL, OverlayError, STORAGE_READ, STORAGE_WRITE,
    UNIFORM, bind_entry, create_render_pipeline, layout_entry, stage_source,
};
use crate::field::Field;
use crate::field::buffers::FieldBuffers;
use crate::gpu::{GpuContext, GpuError, RenderPipelineSpec};
use crate::sampler::{create_compute_pipeline, dispatch_grid};
use crate::shader::ShaderOptions;

pub(super) struct ContourStages {
    samples: wgpu::Buffer,
    levels: wgpu::Buffer,
    sample_pipeline: wgpu::ComputePipeline,
    sample_bind_group: wgpu::BindGroup,
    levels_pipeline: wgpu::ComputePipeline,
    levels_bind_group: wgpu::BindGroup,
    draw_pipeline: wgpu::RenderPipeline,
    draw_bind_group: wgpu::BindGroup,
}

impl ContourStages {
    pub(super) fn new(
        ctx: &GpuContext,
        field: &Field,
        options: ShaderOptions,
        format: wgpu::TextureFormat,
        field_buffers: &FieldBuffers,
        params: &wgpu::Buffer,
    ) -> Result<Self, OverlayError> {
        let device = &ctx.device;
        let samples = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("overlay.contour_samples"),
            size: u64::from(CONTOUR_SAMPLES) * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let levels = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("overlay.contour_levels"),
            size: std::mem::size_of::<ContourLevels>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let compute = wgpu::ShaderStages::COMPUTE;
        let kind = field.kind_name();

        let mut sample_entries = FieldBuffers::layout_entries(field, compute);
        sample_entries.extend([layout_entry(1, UNIFORM, compute), layout_entry(3, STORAGE_WRITE, compute)]);
        let sample_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay.contour_sample_layout"),
            entries: &sample_entries,
        });
        let source = stage_source(CONTOUR_SAMPLE_WGSL, Some(field), options);
        let sample_pipeline = create_compute_pipeline(
            ctx,
            &format!("overlay.contour_sample[{kind}]"),
            &source,
            "contour_sample_main",
            &sample_layout,
        )?;
        let sample_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("overlay.contour_sample_bind_group"),
            layout: &sample_layout,
            entries: &[field_buffers.bind_group_entries(), vec![bind_entry(1, params), bind_entry(3, &samples)]]
                .concat(),
        });

        let levels_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay.contour_levels_layout"),
            entries: &[
                layout_entry(1, UNIFORM, compute),
                layout_entry(3, STORAGE_READ, compute),
                layout_entry(4, STORAGE_WRITE, compute),
            ],
        });
        let source = stage_source(CONTOUR_LEVELS_WGSL, None, options);
        let levels_pipeline = create_compute_pipeline(
            ctx,
            "overlay.contour_levels",
            &source,
            "contour_levels_main",
            &levels_layout,
        )?;
        let levels_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("overlay.contour_levels_bind_group"),
            layout: &levels_layout,
            entries: &[bind_entry(1, params), bind_entry(3, &samples), bind_entry(4, &levels)],
        });

        let fragment = wgpu::ShaderStages::FRAGMENT;
        let mut draw_entries = FieldBuffers::layout_entries(field, fragment);
        draw_entries.extend([layout_entry(1, UNIFORM, fragment), layout_entry(4, STORAGE_READ, fragment)]);
        let draw_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay.contour_draw_layout"),
            entries: &draw_entries,
        });
        let source = stage_source(CONTOUR_DRAW_WGSL, Some(field), options);
        let draw_pipeline = create_render_pipeline(
            ctx,
            RenderPipelineSpec {
                label: &format!("overlay.contour_draw[{kind}]"),
                source: &source,
                vertex_entry: "contour_vs_main",
                fragment_entry: "contour_fs_main",
                vertex_buffers: &[],
                layout: &draw_layout,
                format,
                blend: None,
            },
        )?;
        let draw_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("overlay.contour_draw_bind_group"),
            layout: &draw_layout,
            entries: &[field_buffers.bind_group_entries(), vec![bind_entry(1, params), bind_entry(4, &levels)]]
                .concat(),
        });

        Ok(ContourStages {
            samples,
            levels,
            sample_pipeline,
            sample_bind_group,
            levels_pipeline,
            levels_bind_group,
            draw_pipeline,
            draw_bind_group,
        })
    }

    pub(super) fn encode_compute(&self, pass: &mut wgpu::ComputePass<'_>, max_workgroups: u32) {
        pass.set_pipeline(&self.sample_pipeline);
        pass.set_bind_group(0, &self.sample_bind_group, &[]);
        let (x, y) = dispatch_grid(CONTOUR_SAMPLES, max_workgroups);
        pass.dispatch_workgroups(x, y, 1);
        pass.set_pipeline(&self.levels_pipeline);
        pass.set_bind_group(0, &self.levels_bind_group, &[]);
        pass.dispatch_workgroups(1, 1, 1);
    }

    pub(super) fn encode_draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        pass.set_pipeline(&self.draw_pipeline);
        pass.set_bind_group(0, &self.draw_bind_group, &[]);
        pass.draw(0..3, 0..1);
    }

    pub(super) fn read(&self, ctx: &GpuContext) -> Result<(Vec<f32>, ContourLevels), GpuError> {
        let samples =
            ctx.read_buffer(&self.samples, 0, self.samples.size(), "reading the contour samples")?;
        let levels = ctx.read_buffer(&self.levels, 0, self.levels.size(), "reading the contour levels")?;
        Ok((bytemuck::pod_collect_to_vec(&samples), bytemuck::pod_read_unaligned(&levels)))
    }
}
