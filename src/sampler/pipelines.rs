//! The sampler's compute pipelines and bind group layouts: one step pipeline for the
//! integrator and field kind, and the initial-position and initial-velocity pipelines.

use super::{Integrator, SamplerError, SamplerSetup};
use crate::field::Field;
use crate::field::buffers::FieldBuffers;
use crate::gpu::GpuContext;
use crate::shader::{self, ShaderOptions};

pub const INIT_WGSL: &str = include_str!("../../shaders/init.wgsl");
pub const INIT_VELOCITY_WGSL: &str = include_str!("../../shaders/init_velocity.wgsl");
pub const SAMPLER_STATUS_WGSL: &str = include_str!("../../shaders/sampler_status.wgsl");
pub const ULA_WGSL: &str = include_str!("../../shaders/ula.wgsl");
pub const MALA_WGSL: &str = include_str!("../../shaders/mala.wgsl");
pub const BAOAB_WGSL: &str = include_str!("../../shaders/baoab.wgsl");

const STORAGE_READ: wgpu::BufferBindingType = wgpu::BufferBindingType::Storage { read_only: true };
const STORAGE_WRITE: wgpu::BufferBindingType = wgpu::BufferBindingType::Storage { read_only: false };
const UNIFORM: wgpu::BufferBindingType = wgpu::BufferBindingType::Uniform;

pub(super) struct Pipelines {
    pub step_layout: wgpu::BindGroupLayout,
    pub step: wgpu::ComputePipeline,
    /// Shared by the position and velocity initialisation: a uniform, the dispatch slot
    /// and one particle buffer.
    pub init_layout: wgpu::BindGroupLayout,
    pub init: wgpu::ComputePipeline,
    pub init_velocity: Option<wgpu::ComputePipeline>,
}

impl Pipelines {
    pub fn new(ctx: &GpuContext, setup: &SamplerSetup) -> Result<Self, SamplerError> {
        let compute = wgpu::ShaderStages::COMPUTE;
        let options = ShaderOptions::for_device(&ctx.device);

        let mut step_entries = FieldBuffers::layout_entries(&setup.field, compute);
        step_entries.extend([
            buffer_layout_entry(1, STORAGE_READ, false, compute),
            buffer_layout_entry(2, UNIFORM, true, compute),
            buffer_layout_entry(3, STORAGE_WRITE, false, compute),
            buffer_layout_entry(4, STORAGE_WRITE, false, compute),
        ]);
        if setup.integrator.has_velocities() {
            step_entries.push(buffer_layout_entry(5, STORAGE_WRITE, false, compute));
        }
        let step_layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("sampler.step_layout"),
            entries: &step_entries,
        });
        let source = step_shader_source(&setup.field, setup.integrator, setup.tamed, options);
        let label = format!("sampler.{}[{}]", setup.integrator.name(), setup.field.kind_name());
        let step = create_compute_pipeline(ctx, &label, &source, entry_point(setup.integrator), &step_layout)?;

        let init_layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("sampler.init_layout"),
            entries: &[
                buffer_layout_entry(0, UNIFORM, false, compute),
                buffer_layout_entry(1, UNIFORM, true, compute),
                buffer_layout_entry(2, STORAGE_WRITE, false, compute),
            ],
        });
        let init_source = shader::compose_stage(INIT_WGSL, None, options);
        let init = create_compute_pipeline(ctx, "sampler.init", &init_source, "init_main", &init_layout)?;
        let init_velocity = match setup.integrator.has_velocities() {
            true => {
                let source = shader::compose_stage(INIT_VELOCITY_WGSL, None, options);
                Some(create_compute_pipeline(
                    ctx,
                    "sampler.init_velocity",
                    &source,
                    "init_velocity_main",
                    &init_layout,
                )?)
            }
            false => None,
        };
        Ok(Pipelines { step_layout, step, init_layout, init, init_velocity })
    }
}

fn entry_point(integrator: Integrator) -> &'static str {
    match integrator {
        Integrator::Ula => "ula_main",
        Integrator::Mala => "mala_main",
        Integrator::Underdamped => "baoab_main",
    }
}

/// Composes the full WGSL of the step stage of `integrator` for `field`. `tamed` selects
/// ULA's tamed drift.
pub fn step_shader_source(field: &Field, integrator: Integrator, tamed: bool, options: ShaderOptions) -> String {
    let stage = match integrator {
        Integrator::Ula => ULA_WGSL,
        Integrator::Mala => MALA_WGSL,
        Integrator::Underdamped => BAOAB_WGSL,
    };
    let tamed_constant = format!("const TAMED_DRIFT: bool = {tamed};\n");
    let body = [SAMPLER_STATUS_WGSL, tamed_constant.as_str(), stage].join("\n");
    shader::compose_stage(&body, Some(field), options)
}

/// Returns a bind group layout entry for a buffer.
pub fn buffer_layout_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
    has_dynamic_offset: bool,
    visibility: wgpu::ShaderStages,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset, min_binding_size: None },
        count: None,
    }
}

/// Creates a compute pipeline from WGSL source inside error scopes, validating the source
/// with naga first so a broken shader is reported with naga's diagnostic.
pub fn create_compute_pipeline(
    ctx: &GpuContext,
    label: &str,
    source: &str,
    entry_point: &str,
    layout: &wgpu::BindGroupLayout,
) -> Result<wgpu::ComputePipeline, SamplerError> {
    shader::validate(label, source)?;
    let pipeline = ctx.scoped(&format!("creating the pipeline `{label}`"), || {
        let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline_layout = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(label),
            bind_group_layouts: &[Some(layout)],
            immediate_size: 0,
        });
        ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(label),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(entry_point),
            compilation_options: Default::default(),
            cache: None,
        })
    })?;
    Ok(pipeline)
}
