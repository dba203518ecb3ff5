//! Helpers shared by the GPU integration tests: the device and a small compute harness.
#![allow(dead_code)]

use scoreforce::gpu::{BackendChoice, GpuContext};
use scoreforce::sampler::buffer_layout_entry;
use wgpu::util::DeviceExt;

/// The device the tests run on: the adapter `WGPU_BACKEND` selects, else any. With no
/// adapter the test fails (it is never skipped) and says what to install.
pub fn gpu() -> GpuContext {
    let ctx = GpuContext::new(BackendChoice::Auto).unwrap_or_else(|e| {
        panic!("{e}\nGPU tests need an adapter; on Linux install mesa-vulkan-drivers (lavapipe)")
    });
    eprintln!("adapter: {}", ctx.adapter_summary());
    // A backend named in WGPU_BACKEND must be the one the tests run on, never a fallback.
    if let Ok(requested) = std::env::var("WGPU_BACKEND") {
        let backend = format!("{:?}", ctx.info.backend).to_lowercase();
        assert!(
            requested.to_lowercase().split(',').any(|b| b.trim() == backend),
            "WGPU_BACKEND={requested} but the adapter is {}",
            ctx.adapter_summary()
        );
    }
    ctx
}

/// Runs `entry` of a WGSL module whose bindings 0..n of group 0 are the given input
/// storage buffers followed by one output storage buffer of `output_bytes`, with one
/// invocation per output element of `output_stride` bytes and a workgroup size of 64.
pub fn run_compute(
    ctx: &GpuContext,
    source: &str,
    entry: &str,
    inputs: &[&[u8]],
    output_bytes: u64,
    invocations: u32,
) -> Vec<u8> {
    scoreforce::shader::validate(entry, source).unwrap_or_else(|e| panic!("{e}"));
    let device = &ctx.device;
    let compute = wgpu::ShaderStages::COMPUTE;
    let mut entries: Vec<wgpu::BindGroupLayoutEntry> = (0..inputs.len() as u32)
        .map(|i| buffer_layout_entry(i, wgpu::BufferBindingType::Storage { read_only: true }, false, compute))
        .collect();
    entries.push(buffer_layout_entry(
        inputs.len() as u32,
        wgpu::BufferBindingType::Storage { read_only: false },
        false,
        compute,
    ));
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("test.layout"),
        entries: &entries,
    });
    let pipeline = scoreforce::sampler::create_compute_pipeline(ctx, "test.pipeline", source, entry, &layout)
        .unwrap_or_else(|e| panic!("{e}"));
    let input_buffers: Vec<wgpu::Buffer> = inputs
        .iter()
        .map(|bytes| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("test.input"),
                contents: bytes,
                usage: wgpu::BufferUsages::STORAGE,
            })
        })
        .collect();
    let output = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("test.output"),
        size: output_bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let mut bind_entries: Vec<wgpu::BindGroupEntry> = input_buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
        .collect();
    bind_entries.push(wgpu::BindGroupEntry {
        binding: inputs.len() as u32,
        resource: output.as_entire_binding(),
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("test.bind_group"),
        layout: &layout,
        entries: &bind_entries,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("test") });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("test"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        let (x, y) = scoreforce::sampler::dispatch_grid(invocations, 65535);
        pass.dispatch_workgroups(x, y, 1);
    }
    ctx.queue.submit([encoder.finish()]);
    ctx.read_buffer(&output, 0, output_bytes, "reading the test output").unwrap()
}
