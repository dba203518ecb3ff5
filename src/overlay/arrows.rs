//! Force arrows: the field stage, the scale stage and the instanced draw.

use super::gpu_data::ArrowInstance;
use super::{
    ARROW_DRAW_WGSL, ARROW_FIELD_WGSL, ARROW_SCALE_WGSL, OverlayError, STORAGE_WRITE, UNIFORM, bind_entry,
    create_render_pipeline, layout_entry, stage_source,
};
use crate::field::Field;
use crate::field::buffers::FieldBuffers;
use crate::gpu::{GpuContext, GpuError, RenderPipelineSpec};
use crate::sampler::{create_compute_pipeline, dispatch_grid};
use crate::shader::ShaderOptions;

/// Vertices per arrow: the outline's shaft quad and head triangle, then the fill's.
const VERTICES_PER_ARROW: u32 = 18;

/// Instance attributes of the draw stage, read from the arrow buffer.
const ARROW_ATTRIBUTES: [wgpu::VertexAttribute; 3] = [
    wgpu::VertexAttribute {
        format: wgpu::VertexFormat::Float32x2,
        offset: std::mem::offset_of!(ArrowInstance, centre) as u64,
        shader_location: 0,
    },
    wgpu::VertexAttribute {
        format: wgpu::VertexFormat::Float32x2,
        offset: std::mem::offset_of!(ArrowInstance, direction) as u64,
        shader_location: 1,
    },
    wgpu::VertexAttribute {
        format: wgpu::VertexFormat::Float32,
        offset: std::mem::offset_of!(ArrowInstance, length) as u64,
        shader_location: 2,
    },
];

pub(super) struct ArrowStages {
    field_layout: wgpu::BindGroupLayout,
    field_pipeline: wgpu::ComputePipeline,
    scale_layout: wgpu::BindGroupLayout,
    scale_pipeline: wgpu::ComputePipeline,
    draw_bind_group: wgpu::BindGroup,
    draw_pipeline: wgpu::RenderPipeline,
    /// Arrows the buffer holds.
    capacity: u32,
    arrows: wgpu::Buffer,
    field_bind_group: wgpu::BindGroup,
    scale_bind_group: wgpu::BindGroup,
}

impl ArrowStages {
    pub(super) fn new(
        ctx: &GpuContext,
        field: &Field,
        options: ShaderOptions,
        format: wgpu::TextureFormat,
        field_buffers: &FieldBuffers,
        params: &wgpu::Buffer,
    ) -> Result<Self, OverlayError> {
        let device = &ctx.device;
        let compute = wgpu::ShaderStages::COMPUTE;
        let mut field_entries = FieldBuffers::layout_entries(field, compute);
        field_entries.extend([layout_entry(1, UNIFORM, compute), layout_entry(2, STORAGE_WRITE, compute)]);
        let field_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay.arrow_field_layout"),
            entries: &field_entries,
        });
        let label = format!("overlay.arrow_field[{}]", field.kind_name());
        let source = stage_source(ARROW_FIELD_WGSL, Some(field), options);
        let field_pipeline =
            create_compute_pipeline(ctx, &label, &source, "arrow_field_main", &field_layout)?;

        let scale_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay.arrow_scale_layout"),
            entries: &[layout_entry(1, UNIFORM, compute), layout_entry(2, STORAGE_WRITE, compute)],
        });
        let source = stage_source(ARROW_SCALE_WGSL, None, options);
        let scale_pipeline =
            create_compute_pipeline(ctx, "overlay.arrow_scale", &source, "arrow_scale_main", &scale_layout)?;

        let draw_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay.arrow_draw_layout"),
            entries: &[layout_entry(1, UNIFORM, wgpu::ShaderStages::VERTEX_FRAGMENT)],
        });
        let draw_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("overlay.arrow_draw_bind_group"),
            layout: &draw_layout,
            entries: &[bind_entry(1, params)],
        });
        let source = stage_source(ARROW_DRAW_WGSL, None, options);
        let draw_pipeline = create_render_pipeline(
            ctx,
            RenderPipelineSpec {
                label: "overlay.arrow_draw",
                source: &source,
                vertex_entry: "arrow_vs_main",
                fragment_entry: "arrow_fs_main",
                vertex_buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<ArrowInstance>() as u64,
                    step_mode: wgpu::VertexStepMode::Instance,
                    attributes: &ARROW_ATTRIBUTES,
                })],
                layout: &draw_layout,
                format,
                blend: None,
            },
        )?;

        let capacity = 1;
        let (arrows, field_bind_group, scale_bind_group) =
            allocate(ctx, capacity, &field_layout, &scale_layout, field_buffers, params)?;
        Ok(ArrowStages {
            field_layout,
            field_pipeline,
            scale_layout,
            scale_pipeline,
            draw_bind_group,
            draw_pipeline,
            capacity,
            arrows,
            field_bind_group,
            scale_bind_group,
        })
    }

    /// Grows the arrow buffer to hold `count` arrows.
    pub(super) fn reserve(
        &mut self,
        ctx: &GpuContext,
        count: u32,
        field_buffers: &FieldBuffers,
        params: &wgpu::Buffer,
    ) -> Result<(), OverlayError> {
        if count <= self.capacity {
            return Ok(());
        }
        let capacity = count.next_power_of_two();
        let (arrows, field_bind_group, scale_bind_group) =
            allocate(ctx, capacity, &self.field_layout, &self.scale_layout, field_buffers, params)?;
        self.capacity = capacity;
        self.arrows = arrows;
        self.field_bind_group = field_bind_group;
        self.scale_bind_group = scale_bind_group;
        Ok(())
    }

    pub(super) fn encode_compute(&self, pass: &mut wgpu::ComputePass<'_>, count: u32, max_workgroups: u32) {
        pass.set_pipeline(&self.field_pipeline);
        pass.set_bind_group(0, &self.field_bind_group, &[]);
        let (x, y) = dispatch_grid(count, max_workgroups);
        pass.dispatch_workgroups(x, y, 1);
        pass.set_pipeline(&self.scale_pipeline);
        pass.set_bind_group(0, &self.scale_bind_group, &[]);
        pass.dispatch_workgroups(1, 1, 1);
    }

    pub(super) fn encode_draw(&self, pass: &mut wgpu::RenderPass<'_>, count: u32) {
        pass.set_pipeline(&self.draw_pipeline);
        pass.set_bind_group(0, &self.draw_bind_group, &[]);
        pass.set_vertex_buffer(0, self.arrows.slice(..));
        pass.draw(0..VERTICES_PER_ARROW, 0..count.min(self.capacity));
    }

    pub(super) fn read(&self, ctx: &GpuContext, count: u32) -> Result<Vec<ArrowInstance>, GpuError> {
        let count = count.min(self.capacity);
        let bytes = ctx.read_buffer(
            &self.arrows,
            0,
            u64::from(count) * std::mem::size_of::<ArrowInstance>() as u64,
            "reading the force arrows",
        )?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }
}

fn allocate(
    ctx: &GpuContext,
    capacity: u32,
    field_layout: &wgpu::BindGroupLayout,
    scale_layout: &wgpu::BindGroupLayout,
    field_buffers: &FieldBuffers,
    params: &wgpu::Buffer,
) -> Result<(wgpu::Buffer, wgpu::BindGroup, wgpu::BindGroup), GpuError> {
    let device = &ctx.device;
    let arrows = ctx.scoped("allocating the force arrows", || {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("overlay.arrows"),
            size: u64::from(capacity) * std::mem::size_of::<ArrowInstance>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    })?;
    let field_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("overlay.arrow_field_bind_group"),
        layout: field_layout,
        entries: &[field_buffers.bind_group_entries(), vec![bind_entry(1, params), bind_entry(2, &arrows)]].concat(),
    });
    let scale_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("overlay.arrow_scale_bind_group"),
        layout: scale_layout,
        entries: &[bind_entry(1, params), bind_entry(2, &arrows)],
    });
    Ok((arrows, field_bind_group, scale_bind_group))
}
