//! Philox4x32-10 and Box-Muller on the GPU against the CPU reference and known answers.

mod common;

use scoreforce::rng;
use scoreforce::shader;

const PROBE_WGSL: &str = include_str!("wgsl/rng_probe.wgsl");

/// Runs the probe with the device's Philox variant, and again with the core-WGSL variant
/// (16-bit halves) where the device also has 64-bit integers; both must agree.
fn run_probe(ctx: &scoreforce::gpu::GpuContext, entry: &str, inputs: &[[u32; 4]], keys: &[[u32; 4]]) -> Vec<[u32; 4]> {
    let device_options = shader::ShaderOptions::for_device(&ctx.device);
    let outputs = run_probe_with(ctx, entry, inputs, keys, device_options);
    if device_options.int64 {
        let core = run_probe_with(ctx, entry, inputs, keys, shader::ShaderOptions { int64: false });
        assert!(core == outputs, "{entry}: the 64-bit and 16-bit Philox variants differ");
    }
    outputs
}

fn run_probe_with(
    ctx: &scoreforce::gpu::GpuContext,
    entry: &str,
    inputs: &[[u32; 4]],
    keys: &[[u32; 4]],
    options: shader::ShaderOptions,
) -> Vec<[u32; 4]> {
    let source = shader::compose_stage(PROBE_WGSL, None, options);
    let bytes = common::run_compute(
        ctx,
        &source,
        entry,
        &[bytemuck::cast_slice(inputs), bytemuck::cast_slice(keys)],
        (inputs.len() * 16) as u64,
        inputs.len() as u32,
    );
    bytemuck::cast_slice(&bytes).to_vec()
}

#[test]
fn gpu_philox_known_answers() {
    let ctx = common::gpu();
    let inputs = [[0, 0, 0, 0], [0xffffffff; 4], [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344]];
    let keys = [[0, 0, 0, 0], [0xffffffff, 0xffffffff, 0, 0], [0xa4093822, 0x299f31d0, 0, 0]];
    let expected = [
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ];
    let outputs = run_probe(&ctx, "philox_probe", &inputs, &keys);
    for i in 0..3 {
        assert_eq!(outputs[i], expected[i], "known answer {i}");
    }
}

#[test]
fn gpu_words_equal_cpu_bit_for_bit() {
    let ctx = common::gpu();
    let count: u32 = 1 << 16;
    let seed: u64 = 0x0123_4567_89ab_cdef;
    let key = rng::key_from_seed(seed);
    let inputs: Vec<[u32; 4]> =
        (0..count).map(|i| [i * 7919, i % 977, i % 3, i.wrapping_mul(0x9e3779b9)]).collect();
    let keys = vec![[key[0], key[1], 0, 0]; count as usize];
    let outputs = run_probe(&ctx, "philox_probe", &inputs, &keys);
    let mismatches = inputs
        .iter()
        .zip(&outputs)
        .filter(|(counter, gpu)| rng::philox4x32_10(**counter, key) != **gpu)
        .count();
    assert_eq!(mismatches, 0, "{mismatches} of {count} GPU outputs differ from the CPU");
}

/// Normal pairs drawn on the GPU for particles 0..count at one step.
fn gpu_normals(ctx: &scoreforce::gpu::GpuContext, count: u32, seed: u64) -> Vec<[f32; 4]> {
    let key = rng::key_from_seed(seed);
    let inputs: Vec<[u32; 4]> = (0..count).map(|i| [i, 5, rng::STREAM_STEP, 0]).collect();
    let keys = vec![[key[0], key[1], 0, 0]; count as usize];
    run_probe(ctx, "normal_probe", &inputs, &keys)
        .into_iter()
        .map(|w| w.map(f32::from_bits))
        .collect()
}

#[test]
fn gpu_normals_match_cpu_box_muller() {
    let ctx = common::gpu();
    let seed = 42;
    let normals = gpu_normals(&ctx, 4096, seed);
    let mut worst = 0.0f32;
    for (i, gpu) in normals.iter().enumerate() {
        let cpu = rng::particle_normal_pair(seed, i as u32, 5, rng::STREAM_STEP);
        worst = worst.max((gpu[0] - cpu[0]).abs()).max((gpu[1] - cpu[1]).abs());
    }
    println!("largest |GPU - CPU| of 8192 normals: {worst:e}");
    assert!(worst < 1e-4, "GPU and CPU Box-Muller differ by {worst}");
}

/// Kolmogorov-Smirnov statistic of `values` against the standard normal.
fn ks_statistic(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len() as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let cdf = 0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2));
            (cdf - i as f64 / n).abs().max((i as f64 + 1.0) / n - cdf)
        })
        .fold(0.0, f64::max)
}

#[test]
fn gpu_normals_are_standard_normal() {
    let ctx = common::gpu();
    let normals = gpu_normals(&ctx, 1 << 20, 7);
    let mut values: Vec<f64> = normals.iter().flat_map(|w| [w[0] as f64, w[1] as f64]).collect();
    let n = values.len() as f64;

    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    // Standard errors of the mean and of the variance of n exact normals.
    let mean_se = (1.0 / n).sqrt();
    let variance_se = (2.0 / (n - 1.0)).sqrt();
    println!("n {n}, mean {mean:.5} (se {mean_se:.5}), variance {variance:.5} (se {variance_se:.5})");
    assert!(mean.abs() < 5.0 * mean_se, "mean {mean}");
    assert!((variance - 1.0).abs() < 5.0 * variance_se, "variance {variance}");
    // Noise scaled by sqrt 2 has variance 2 and would fail by hundreds of standard errors.
    assert!((2.0f64 - 1.0).abs() > 5.0 * variance_se);

    // Critical value of the KS statistic at significance 0.001: 1.949 / sqrt(n).
    let critical = 1.949 / n.sqrt();
    let mut scaled: Vec<f64> = values.iter().map(|x| x * std::f64::consts::SQRT_2).collect();
    let statistic = ks_statistic(&mut values);
    let wrong_statistic = ks_statistic(&mut scaled);
    println!("KS statistic {statistic:.6}, critical {critical:.6}, sqrt(2)-scaled noise {wrong_statistic:.6}");
    assert!(statistic < critical, "KS statistic {statistic} exceeds {critical}");
    assert!(wrong_statistic > critical, "the KS test cannot tell sqrt(2)-scaled noise apart");

    // The uniforms (words 2 and 3) lie in (0, 1].
    assert!(normals.iter().all(|w| w[2] > 0.0 && w[2] <= 1.0 && w[3] > 0.0 && w[3] <= 1.0));
}
