//! The GPU buffers a stage that evaluates a field reads: the parameter uniform at binding
//! 0 and, for kinds with a table (the image), the data buffer at `FIELD_DATA_BINDING`.
//! The sampler, the probe and the overlays share them, so every stage evaluates the same field.

use crate::field::Field;
use crate::field::probe::padded_field_params;
use crate::gpu::{GpuContext, GpuError};
use crate::shader::FIELD_DATA_BINDING;

pub struct FieldBuffers {
    pub params: wgpu::Buffer,
    pub data: Option<wgpu::Buffer>,
}

impl FieldBuffers {
    /// Allocates the buffers for `field`, large enough for any noise level.
    pub fn new(ctx: &GpuContext, field: &Field, label: &str) -> Result<Self, GpuError> {
        let rows = padded_field_params(field, 0.0).len();
        let params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(&format!("{label}.field_params")),
            size: (rows * 16) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let data = match field.has_data() {
            false => None,
            true => {
                let values = field.max_data_len().max(1);
                Some(ctx.scoped("allocating the field data", || {
                    ctx.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(&format!("{label}.field_data")),
                        size: (values * 4) as u64,
                        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    })
                })?)
            }
        };
        Ok(FieldBuffers { params, data })
    }

    /// Layout entries for a field of `field`'s kind.
    pub fn layout_entries(field: &Field, visibility: wgpu::ShaderStages) -> Vec<wgpu::BindGroupLayoutEntry> {
        let mut entries = vec![crate::sampler::buffer_layout_entry(
            0,
            wgpu::BufferBindingType::Uniform,
            false,
            visibility,
        )];
        if field.has_data() {
            entries.push(crate::sampler::buffer_layout_entry(
                FIELD_DATA_BINDING,
                wgpu::BufferBindingType::Storage { read_only: true },
                false,
                visibility,
            ));
        }
        entries
    }

    pub fn bind_group_entries(&self) -> Vec<wgpu::BindGroupEntry<'_>> {
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: self.params.as_entire_binding() }];
        if let Some(data) = &self.data {
            entries.push(wgpu::BindGroupEntry { binding: FIELD_DATA_BINDING, resource: data.as_entire_binding() });
        }
        entries
    }

    /// Writes `field`'s rows and data for noise level `sigma`; takes effect at the next
    /// submission.
    pub fn write(&self, ctx: &GpuContext, field: &Field, sigma: f64) {
        let rows = padded_field_params(field, sigma);
        ctx.queue.write_buffer(&self.params, 0, bytemuck::cast_slice(&rows));
        if let (Some(buffer), Some(values)) = (&self.data, field.gpu_data(sigma)) {
            debug_assert!(values.len() <= field.max_data_len());
            ctx.queue.write_buffer(buffer, 0, bytemuck::cast_slice(&values));
        }
    }
}
