//! Density pictures: GPU binning against a CPU histogram, the scales and colormap pass,
//! and the Mueller-Brown picture the README shows.

mod common;

use glam::DVec2;
use scoreforce::density::{Colormap, DensityRenderer, Scale, Style, View};
use scoreforce::gpu::GpuContext;
use scoreforce::sampler::{ParticleSystem, SamplerSetup};
use scoreforce::scene::{RunConfig, Scene};

fn sampled(ctx: &GpuContext, config: &RunConfig) -> ParticleSystem {
    let setup = SamplerSetup::from_config(config);
    let mut system = ParticleSystem::new(ctx, setup).unwrap();
    system.run(ctx, &mut |_| {}).unwrap();
    system
}

/// The pixel (column, row from the top) of a world point, with f32 arithmetic as the
/// binning shader uses.
fn pixel_of(p: [f32; 2], view: View, width: u32, height: u32) -> Option<(u32, u32)> {
    let (min, max) = (view.min.as_vec2(), view.max.as_vec2());
    let extent = max - min;
    let column = ((p[0] - min.x) / extent.x * width as f32).floor();
    let row = ((max.y - p[1]) / extent.y * height as f32).floor();
    let inside = column >= 0.0 && row >= 0.0 && column < width as f32 && row < height as f32;
    (inside && p[0].is_finite() && p[1].is_finite()).then_some((column as u32, row as u32))
}

#[test]
fn gpu_binning_matches_cpu_histogram() {
    let ctx = common::gpu();
    let mut scene = Scene::preset("gmm8-ring").unwrap();
    scene.sampler.particles = 200_000;
    scene.sampler.steps = 50;
    let config = scene.validate().unwrap();
    let system = sampled(&ctx, &config);
    let (width, height) = (96, 64);
    let view = View::new(-5.0, 5.5, -4.0, 6.0);
    let renderer =
        DensityRenderer::new(&ctx, width, height, wgpu::TextureFormat::Rgba8Unorm, Style::default()).unwrap();
    renderer.render_rgba(&ctx, &system, view).unwrap();
    let gpu_counts = renderer.read_counts(&ctx).unwrap();

    let mut cpu_counts = vec![0u32; (width * height) as usize];
    for p in system.read_positions(&ctx).unwrap() {
        if let Some((column, row)) = pixel_of(p, view, width, height) {
            cpu_counts[(row * width + column) as usize] += 1;
        }
    }
    let binned: u32 = gpu_counts.iter().sum();
    let moved: u32 = gpu_counts.iter().zip(&cpu_counts).map(|(g, c)| g.abs_diff(*c)).sum();
    println!("{binned} particles binned, {moved} counted in a different pixel than on the CPU");
    assert_eq!(binned, cpu_counts.iter().sum::<u32>());
    // Fused multiply-add on one side can move a particle on a pixel edge by one pixel.
    assert!(moved <= binned / 10_000, "{moved} particles binned differently");
}

#[test]
fn scales_map_counts_through_colormap() {
    let ctx = common::gpu();
    let mut scene = Scene::preset("gmm8-ring").unwrap();
    scene.sampler.particles = 100_000;
    scene.sampler.steps = 100;
    let config = scene.validate().unwrap();
    let system = sampled(&ctx, &config);
    let (width, height) = (64, 64);
    let background = [0.2, 0.4, 0.6, 1.0];

    for scale in scoreforce::density::scale::SCALES {
        let style = Style { colormap: Colormap::Magma, scale, background };
        let renderer =
            DensityRenderer::new(&ctx, width, height, wgpu::TextureFormat::Rgba8Unorm, style).unwrap();
        let rgba = renderer.render_rgba(&ctx, &system, config.view).unwrap();
        let counts = renderer.read_counts(&ctx).unwrap();
        let stats = renderer.read_stats(&ctx).unwrap();
        let max_count = *counts.iter().max().unwrap();
        assert_eq!(stats.max_count, max_count);
        assert_eq!(stats.nonzero as usize, counts.iter().filter(|&&c| c > 0).count());

        let table = Colormap::Magma.table();
        let to_bytes = |c: [f32; 4]| c.map(|v| (v * 255.0).round() as u8);
        let mut previous_eq_hist: Vec<(u32, u8)> = Vec::new();
        for (pixel, &count) in counts.iter().enumerate() {
            let colour = &rgba[pixel * 4..pixel * 4 + 4];
            if count == 0 {
                assert_eq!(colour, to_bytes(background), "{scale}: empty pixel {pixel}");
                continue;
            }
            match scale.map(count, max_count) {
                Some(t) => {
                    let expected = to_bytes(table[(t * 255.0).round() as usize]);
                    let near = [-1i32, 0, 1].iter().any(|d| {
                        let index = ((t * 255.0).round() as i32 + d).clamp(0, 255) as usize;
                        to_bytes(table[index]) == colour
                    });
                    assert!(near, "{scale}: count {count} of {max_count} gave {colour:?}, expected {expected:?}");
                }
                None => previous_eq_hist.push((count, colour[0])),
            }
        }
        if scale == Scale::EqHist {
            // eq-hist is monotonic: the smallest count takes the first colour and the
            // largest the last.
            let lowest = previous_eq_hist.iter().min_by_key(|(c, _)| *c).unwrap();
            let highest = previous_eq_hist.iter().max_by_key(|(c, _)| *c).unwrap();
            assert_eq!(lowest.1, to_bytes(table[0])[0]);
            assert_eq!(highest.1, to_bytes(table[255])[0]);
        }
    }
}

/// Box-filtered counts with a radius of `radius` pixels.
fn smoothed(counts: &[u32], width: usize, height: usize, radius: usize) -> Vec<f64> {
    let mut out = vec![0.0; counts.len()];
    for row in 0..height {
        for column in 0..width {
            let mut sum = 0.0;
            for r in row.saturating_sub(radius)..(row + radius + 1).min(height) {
                for c in column.saturating_sub(radius)..(column + radius + 1).min(width) {
                    sum += f64::from(counts[r * width + c]);
                }
            }
            out[row * width + column] = sum;
        }
    }
    out
}

#[test]
fn mueller_brown_minima_are_density_maxima() {
    let ctx = common::gpu();
    // The README's command: the preset with 1M particles, 512x512 over the usual window.
    let config = Scene::preset("mueller-brown").unwrap().validate().unwrap();
    assert_eq!((config.particles, config.width, config.height), (1_000_000, 512, 512));
    assert_eq!(config.view.to_array(), [-1.5, 1.2, -0.2, 2.0]);
    let system = sampled(&ctx, &config);
    let renderer = DensityRenderer::new(&ctx, 512, 512, wgpu::TextureFormat::Rgba8Unorm, config.style).unwrap();
    renderer.render_rgba(&ctx, &system, config.view).unwrap();
    let density = smoothed(&renderer.read_counts(&ctx).unwrap(), 512, 512, 4);
    let pixel = |x: f64, y: f64| {
        let p = pixel_of([x as f32, y as f32], config.view, 512, 512).unwrap();
        (p.0 as i64, p.1 as i64)
    };
    let at = |(c, r): (i64, i64)| density[(r * 512 + c) as usize];

    let minima = [(-0.558, 1.442), (0.623, 0.028), (-0.050, 0.467)];
    for (x, y) in minima {
        let centre = pixel(x, y);
        // The densest pixel within 30 pixels lies within 8 pixels of the minimum.
        let mut best = (centre, at(centre));
        for dr in -30..=30 {
            for dc in -30..=30 {
                let p = (centre.0 + dc, centre.1 + dr);
                if (0..512).contains(&p.0) && (0..512).contains(&p.1) && at(p) > best.1 {
                    best = (p, at(p));
                }
            }
        }
        let offset = DVec2::new((best.0.0 - centre.0) as f64, (best.0.1 - centre.1) as f64).length();
        println!("minimum ({x}, {y}): local density maximum {offset:.1} pixels away, density {:.0}", best.1);
        assert!(offset <= 8.0, "no density maximum near the minimum ({x}, {y})");
    }
    // Each saddle is less dense than the two minima it joins.
    for ((sx, sy), (a, b)) in [((-0.822, 0.624), (0, 2)), ((0.212, 0.293), (2, 1))] {
        let saddle = at(pixel(sx, sy));
        let (ma, mb) = (at(pixel(minima[a].0, minima[a].1)), at(pixel(minima[b].0, minima[b].1)));
        println!("saddle ({sx}, {sy}): density {saddle:.0} between {ma:.0} and {mb:.0}");
        assert!(saddle < ma && saddle < mb, "saddle ({sx}, {sy}) is not a density minimum");
    }
}

#[test]
fn tiled_picture_matches_single_pass() {
    let ctx = common::gpu();
    let mut scene = Scene::preset("gmm8-ring").unwrap();
    scene.sampler.particles = 200_000;
    scene.sampler.steps = 100;
    let config = scene.validate().unwrap();
    let system = sampled(&ctx, &config);
    // Wider than a tile, so the picture is drawn in two tiles.
    let (width, height) = (scoreforce::density::picture::MAX_TILE_SIDE + 904, 64);
    for scale in [Scale::Log, Scale::EqHist] {
        let style = Style { scale, ..config.style };
        let tiled = scoreforce::density::picture::render_picture(&ctx, &system, config.view, width, height, style, None).unwrap();
        let single = DensityRenderer::new(&ctx, width, height, wgpu::TextureFormat::Rgba8Unorm, style).unwrap();
        let expected = single.render_rgba(&ctx, &system, config.view).unwrap();
        let differing = tiled.rgba.chunks(4).zip(expected.chunks(4)).filter(|(a, b)| a != b).count();
        println!("{scale}: {differing} of {} pixels differ between tiled and single-pass", width * height);
        // Particles on the tile seam may bin one pixel over, through f32 rounding of the
        // tile's view; nothing else may differ.
        assert!(differing <= height as usize * 2, "{scale}: {differing} pixels differ");
        assert_eq!(tiled.counts.stats.max_count, single.read_stats(&ctx).unwrap().max_count);
    }
}
