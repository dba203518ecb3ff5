//! Helpers shared by the GPU integration tests: the device, small compute harnesses,
//! histograms, total variation, and exact reference densities.
#![allow(dead_code)]

use glam::DVec2;
use scoreforce::density::View;
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

/// Fractions of `points` in each of `bins` x `bins` cells of `view`, row 0 at the bottom;
/// points outside (or non-finite) count in the total only.
pub fn histogram(points: &[[f32; 2]], view: View, bins: usize) -> Vec<f64> {
    let mut counts = vec![0.0; bins * bins];
    let size = view.size();
    for p in points {
        let u = (f64::from(p[0]) - view.min.x) / size.x;
        let v = (f64::from(p[1]) - view.min.y) / size.y;
        if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
            let (i, j) = ((u * bins as f64) as usize, (v * bins as f64) as usize);
            counts[j * bins + i] += 1.0;
        }
    }
    let total = points.len() as f64;
    counts.iter().map(|c| c / total).collect()
}

/// Total variation distance 0.5 * sum |p - q| over the bins, plus half the difference of
/// the mass outside them.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    let inside: f64 = p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum();
    let outside = (1.0 - p.iter().sum::<f64>()) - (1.0 - q.iter().sum::<f64>());
    0.5 * (inside + outside.abs())
}

/// Probabilities of the `bins` x `bins` cells of `view` under the unnormalised density
/// `density`, integrated by the midpoint rule with `sub` x `sub` points per cell and
/// normalised by the integral over `domain` (which must contain the view).
pub fn bin_probabilities(
    density: &(dyn Fn(DVec2) -> f64 + Sync),
    view: View,
    bins: usize,
    sub: usize,
    domain: View,
) -> Vec<f64> {
    let cell = view.size() / bins as f64;
    let mut mass = vec![0.0; bins * bins];
    for j in 0..bins {
        for i in 0..bins {
            let mut sum = 0.0;
            for b in 0..sub {
                for a in 0..sub {
                    let x = view.min + cell * DVec2::new(
                        i as f64 + (a as f64 + 0.5) / sub as f64,
                        j as f64 + (b as f64 + 0.5) / sub as f64,
                    );
                    sum += density(x);
                }
            }
            mass[j * bins + i] = sum * cell.x * cell.y / (sub * sub) as f64;
        }
    }
    let total = integrate(density, domain, 1024);
    mass.iter().map(|m| m / total).collect()
}

/// Midpoint-rule integral of `density` over `domain` with `n` x `n` points.
pub fn integrate(density: &(dyn Fn(DVec2) -> f64 + Sync), domain: View, n: usize) -> f64 {
    let cell = domain.size() / n as f64;
    let mut sum = 0.0;
    for j in 0..n {
        for i in 0..n {
            sum += density(domain.min + cell * DVec2::new(i as f64 + 0.5, j as f64 + 0.5));
        }
    }
    sum * cell.x * cell.y
}

/// Draws `count` samples of the unnormalised `density` on `domain`: a cell of an `n` x `n`
/// grid chosen with probability proportional to its midpoint density, then a uniform point
/// in it. Exact up to the density's variation within one cell.
pub fn grid_samples(
    density: &(dyn Fn(DVec2) -> f64 + Sync),
    domain: View,
    n: usize,
    count: usize,
    rng: &mut impl rand::Rng,
) -> Vec<[f32; 2]> {
    let cell = domain.size() / n as f64;
    let mut cumulative = Vec::with_capacity(n * n);
    let mut total = 0.0;
    for j in 0..n {
        for i in 0..n {
            total += density(domain.min + cell * DVec2::new(i as f64 + 0.5, j as f64 + 0.5));
            cumulative.push(total);
        }
    }
    (0..count)
        .map(|_| {
            let pick = rng.random::<f64>() * total;
            let index = cumulative.partition_point(|&c| c < pick).min(n * n - 1);
            let (i, j) = (index % n, index / n);
            let x = domain.min
                + cell * DVec2::new(i as f64 + rng.random::<f64>(), j as f64 + rng.random::<f64>());
            [x.x as f32, x.y as f32]
        })
        .collect()
}
