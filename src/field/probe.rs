//! GPU evaluation of a field at arbitrary points, through the same WGSL the sampler runs.

use crate::field::{Field, FieldError};
use crate::field::buffers::FieldBuffers;
use crate::gpu::GpuContext;
use crate::sampler::{self, SamplerError, buffer_layout_entry, dispatch_grid};
use crate::shader::{self, FIELD_PARAM_ROWS, ShaderOptions};

pub const FIELD_PROBE_WGSL: &str = include_str!("../../shaders/field_probe.wgsl");

/// The field's rows for `sigma`, padded to the uniform block's fixed size.
pub fn padded_field_params(field: &Field, sigma: f64) -> Vec<[f32; 4]> {
    let mut rows = field.gpu_params(sigma);
    rows.resize(rows.len().max(FIELD_PARAM_ROWS as usize), [0.0; 4]);
    rows
}

/// V and the force at one point, as computed in f32 on the GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProbeResult {
    pub potential: f32,
    pub force: [f32; 2],
}

pub struct FieldProbe {
    field: Field,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl FieldProbe {
    pub fn new(ctx: &GpuContext, field: &Field) -> Result<Self, SamplerError> {
        let compute = wgpu::ShaderStages::COMPUTE;
        let mut entries = FieldBuffers::layout_entries(field, compute);
        entries.extend([
            buffer_layout_entry(1, wgpu::BufferBindingType::Storage { read_only: true }, false, compute),
            buffer_layout_entry(2, wgpu::BufferBindingType::Storage { read_only: false }, false, compute),
        ]);
        let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("field_probe.layout"),
            entries: &entries,
        });
        let source = shader::compose_stage(FIELD_PROBE_WGSL, Some(field), ShaderOptions::for_device(&ctx.device));
        let label = format!("field_probe[{}]", field.kind_name());
        let pipeline = sampler::create_compute_pipeline(ctx, &label, &source, "probe_main", &layout)?;
        Ok(FieldProbe { field: field.clone(), layout, pipeline })
    }

    /// Replaces the field whose parameters the probe writes, keeping the pipeline: `field`
    /// must run with the same WGSL (`Field::same_shader`), as when a slider changes a value.
    pub fn set_field(&mut self, field: &Field) -> Result<(), FieldError> {
        if !self.field.same_shader(field) {
            return Err(FieldError::invalid(
                "field",
                format!(
                    "{} needs another shader than the probe's {}; create a new FieldProbe",
                    field,
                    self.field
                ),
            ));
        }
        self.field = field.clone();
        Ok(())
    }

    /// Evaluates the field smoothed to noise level `sigma` at `points`.
    pub fn evaluate(
        &self,
        ctx: &GpuContext,
        points: &[[f32; 2]],
        sigma: f64,
    ) -> Result<Vec<ProbeResult>, SamplerError> {
        use wgpu::util::DeviceExt;
        if points.is_empty() {
            return Ok(Vec::new());
        }
        let device = &ctx.device;
        let field_buffers = FieldBuffers::new(ctx, &self.field, "field_probe")?;
        field_buffers.write(ctx, &self.field, sigma);
        let points_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("field_probe.points"),
            contents: bytemuck::cast_slice(points),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let results_size = (points.len() * 16) as u64;
        let results = ctx.scoped("allocating the probe results", || {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("field_probe.results"),
                size: results_size,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        })?;
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("field_probe.bind_group"),
            layout: &self.layout,
            entries: &[
                field_buffers.bind_group_entries(),
                vec![
                    wgpu::BindGroupEntry { binding: 1, resource: points_buffer.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: results.as_entire_binding() },
                ],
            ]
            .concat(),
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("field_probe"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("field_probe"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            let (x, y) = dispatch_grid(points.len() as u32, ctx.limits().max_compute_workgroups_per_dimension);
            pass.dispatch_workgroups(x, y, 1);
        }
        ctx.queue.submit([encoder.finish()]);
        let bytes = ctx.read_buffer(&results, 0, results_size, "reading the probe results")?;
        Ok(bytemuck::cast_slice::<u8, [f32; 4]>(&bytes)
            .iter()
            .map(|r| ProbeResult { potential: r[0], force: [r[1], r[2]] })
            .collect())
    }
}
