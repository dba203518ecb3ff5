//! Overlays on the GPU against the f64 reference: the arrows' forces, directions and
//! lengths, the contour samples and levels, and the pixels the draw stages write.

mod common;

use glam::DVec2;
use scoreforce::density::{View, read_texture_rgba};
use scoreforce::field::Field;
use scoreforce::gpu::GpuContext;
use scoreforce::overlay::geometry::{self, ArrowGrid, PixelRect};
use scoreforce::overlay::{OverlayLayers, Overlays};
use scoreforce::scene::Scene;

const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

fn preset_field(name: &str) -> (Field, View) {
    let config = Scene::preset(name).unwrap().validate().unwrap();
    (config.field, config.view)
}

/// Prepares `layers` for `view` in `area` and submits the compute passes.
fn prepare(ctx: &GpuContext, overlays: &mut Overlays, view: View, area: PixelRect, layers: OverlayLayers) {
    let mut encoder =
        ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("test") });
    overlays.prepare(ctx, &mut encoder, view, area, layers).unwrap();
    ctx.queue.submit([encoder.finish()]);
}

/// Prepares and draws `layers` over a target of `FORMAT` and `size` cleared to
/// `background`, and reads it.
fn draw(
    ctx: &GpuContext,
    overlays: &mut Overlays,
    view: View,
    size: [u32; 2],
    area: PixelRect,
    layers: OverlayLayers,
    background: wgpu::Color,
) -> Vec<u8> {
    draw_in_format(ctx, overlays, FORMAT, view, size, area, layers, background)
}

#[allow(clippy::too_many_arguments)]
fn draw_in_format(
    ctx: &GpuContext,
    overlays: &mut Overlays,
    format: wgpu::TextureFormat,
    view: View,
    size: [u32; 2],
    area: PixelRect,
    layers: OverlayLayers,
    background: wgpu::Color,
) -> Vec<u8> {
    let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("test.target"),
        size: wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let target = texture.create_view(&wgpu::TextureViewDescriptor::default());
    let mut encoder =
        ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("test") });
    {
        encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("test.clear"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(background), store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
    }
    overlays.prepare(ctx, &mut encoder, view, area, layers).unwrap();
    overlays.draw(&mut encoder, &target, area, layers);
    ctx.queue.submit([encoder.finish()]);
    read_texture_rgba(ctx, &texture).unwrap()
}

fn pixel(rgba: &[u8], width: u32, x: i64, y: i64) -> [u8; 4] {
    let index = (y as usize * width as usize + x as usize) * 4;
    [rgba[index], rgba[index + 1], rgba[index + 2], rgba[index + 3]]
}

#[test]
fn arrows_match_reference_force() {
    let ctx = common::gpu();
    let arrows_only = OverlayLayers { arrows: true, contours: false };
    for (name, sigma) in
        [("gmm8-ring", 0.0), ("gmm8-ring", 1.5), ("mueller-brown", 0.0), ("double-well", 0.0), ("ring", 0.0)]
    {
        let (field, view) = preset_field(name);
        let mut overlays = Overlays::new(&ctx, &field, sigma, FORMAT).unwrap();
        // Pixels that are not square: 1.25 world units per pixel in x against 1 in y.
        let size = [320, 200];
        let view = View::new(
            view.min.x,
            view.max.x,
            view.min.y,
            view.min.y + (view.max.x - view.min.x) * 200.0 / 320.0 / 1.25,
        );
        prepare(&ctx, &mut overlays, view, PixelRect { origin: [7, 9], size }, arrows_only);
        let arrows = overlays.read_arrows(&ctx).unwrap();
        let grid = ArrowGrid::for_area(size, geometry::ARROW_SPACING_PIXELS);
        assert_eq!(overlays.arrow_grid(), grid);
        assert_eq!(arrows.len(), grid.count() as usize);

        let world_per_pixel = view.size() / DVec2::new(f64::from(size[0]), f64::from(size[1]));
        let forces: Vec<DVec2> = (0..grid.count())
            .map(|i| field.force(geometry::world_of_area_pixel(view, size, grid.centre(size, i)), sigma))
            .collect();
        let reference = geometry::reference_magnitude(forces.iter().map(|f| f.length())).unwrap();
        let mut worst_angle: f64 = 0.0;
        for (i, (arrow, force)) in arrows.iter().zip(&forces).enumerate() {
            let centre = grid.centre(size, i as u32);
            assert!(
                (DVec2::from(arrow.centre.map(f64::from)) - centre).length() < 1e-3,
                "{name}: centre {i}"
            );

            let gpu_force = DVec2::from(arrow.force.map(f64::from));
            let tolerance = 1e-4 * force.length() + 1e-4;
            assert!(
                (gpu_force - *force).length() < tolerance,
                "{name}: force {i}: {gpu_force} against {force}"
            );

            // The direction on screen: x right, rows down, in pixels.
            let on_screen = DVec2::new(force.x / world_per_pixel.x, -force.y / world_per_pixel.y);
            if force.length() > 1e-3 * reference {
                let direction = DVec2::from(arrow.direction.map(f64::from));
                assert!(
                    (direction.length() - 1.0).abs() < 1e-5,
                    "{name}: direction {i} is not a unit vector"
                );
                let angle = direction.angle_to(on_screen).abs();
                worst_angle = worst_angle.max(angle);
                assert!(angle < 1e-3, "{name}: arrow {i} points {angle} rad away from the force");
            }

            let expected = geometry::arrow_length(
                force.length(),
                reference,
                grid.reference_length(size),
                grid.max_length(size),
            );
            let length = f64::from(arrow.length);
            assert!(
                (length - expected).abs() < 1e-3 * expected + 1e-2,
                "{name}: length {i}: {length} against {expected}"
            );
            assert!(length <= grid.max_length(size) + 1e-3, "{name}: arrow {i} is longer than the cap");
        }
        let capped = arrows.iter().filter(|a| f64::from(a.length) > grid.max_length(size) - 1e-3).count();
        println!(
            "{name} sigma {sigma}: {} arrows, worst angle {worst_angle:.2e} rad, {capped} capped",
            arrows.len()
        );
    }
}

#[test]
fn arrows_drawn_inside_area() {
    let ctx = common::gpu();
    let (field, view) = preset_field("double-well");
    let mut overlays = Overlays::new(&ctx, &field, 0.0, FORMAT).unwrap();
    let size = [300, 220];
    let area = PixelRect { origin: [60, 30], size: [200, 160] };
    let background = wgpu::Color { r: 0.2, g: 0.4, b: 0.6, a: 1.0 };
    let layers = OverlayLayers { arrows: true, contours: false };
    let rgba = draw(&ctx, &mut overlays, view, size, area, layers, background);
    let background_bytes = [51, 102, 153, 255];

    // Nothing outside the area changes.
    for y in 0..size[1] as i64 {
        for x in 0..size[0] as i64 {
            let inside = (60..260).contains(&x) && (30..190).contains(&y);
            if !inside {
                assert_eq!(
                    pixel(&rgba, size[0], x, y),
                    background_bytes,
                    "pixel ({x}, {y}) outside the area"
                );
            }
        }
    }

    // Every arrow long enough to see is white along its shaft and near its tip.
    let arrows = overlays.read_arrows(&ctx).unwrap();
    let mut checked = 0;
    for arrow in arrows.iter().filter(|a| a.length >= 8.0) {
        let centre = DVec2::from(arrow.centre.map(f64::from)) + DVec2::new(60.0, 30.0);
        let direction = DVec2::from(arrow.direction.map(f64::from));
        let half = 0.5 * f64::from(arrow.length);
        for along in [0.0, half - 2.5] {
            let p = (centre + direction * along).floor();
            let colour = pixel(&rgba, size[0], p.x as i64, p.y as i64);
            assert!(
                colour[..3].iter().all(|&c| c > 200),
                "arrow at {centre}: pixel {p} is {colour:?}, not white"
            );
        }
        checked += 1;
    }
    println!("{checked} of {} arrows checked", arrows.len());
    assert!(checked > arrows.len() / 2, "too few arrows of 8 pixels or more: {checked}");
}

#[test]
fn arrows_keep_colours_on_srgb_target() {
    let ctx = common::gpu();
    let (field, view) = preset_field("ring");
    let format = wgpu::TextureFormat::Rgba8UnormSrgb;
    let mut overlays = Overlays::new(&ctx, &field, 0.0, format).unwrap();
    let size = [240, 240];
    let layers = OverlayLayers { arrows: true, contours: false };
    let rgba = draw_in_format(
        &ctx,
        &mut overlays,
        format,
        view,
        size,
        PixelRect::whole(size),
        layers,
        wgpu::Color::BLACK,
    );

    // The sRGB target stores encoded values, so the white fill reads back as 255 and the
    // black outline as 0, as on a linear target.
    let arrows = overlays.read_arrows(&ctx).unwrap();
    let long = arrows.iter().find(|a| a.length >= 12.0).expect("no arrow of 12 pixels or more");
    let centre = DVec2::from(long.centre.map(f64::from)).floor();
    assert_eq!(pixel(&rgba, size[0], centre.x as i64, centre.y as i64), [255, 255, 255, 255]);
    let direction = DVec2::from(long.direction.map(f64::from));
    let beside =
        (DVec2::from(long.centre.map(f64::from)) + 1.9 * DVec2::new(-direction.y, direction.x)).floor();
    let outline = pixel(&rgba, size[0], beside.x as i64, beside.y as i64);
    assert!(outline[..3].iter().all(|&c| c < 60), "outline beside the shaft is {outline:?}");
}

#[test]
fn contour_levels_match_cpu_quantiles() {
    let ctx = common::gpu();
    let contours_only = OverlayLayers { arrows: false, contours: true };
    for (name, sigma) in
        [("gmm8-ring", 0.0), ("gmm8-ring", 2.0), ("mueller-brown", 0.0), ("double-well", 0.0), ("ring", 0.0)]
    {
        let (field, view) = preset_field(name);
        let mut overlays = Overlays::new(&ctx, &field, sigma, FORMAT).unwrap();
        let size = [400, 300];
        prepare(&ctx, &mut overlays, view, PixelRect::whole(size), contours_only);
        let (samples, levels) = overlays.read_contours(&ctx).unwrap();

        let points = geometry::contour_sample_points(view, size);
        let reference: Vec<f64> = points.iter().map(|&p| field.potential(p, sigma)).collect();
        for (i, (gpu, cpu)) in samples.iter().zip(&reference).enumerate() {
            let tolerance = 1e-4 * cpu.abs() + 1e-3;
            assert!((f64::from(*gpu) - cpu).abs() < tolerance, "{name}: sample {i}: {gpu} against {cpu}");
        }

        let (low, span, count) = geometry::contour_levels(&reference).unwrap();
        println!("{name} sigma {sigma}: levels from {low:.3} over {span:.3}; GPU {levels:?}");
        assert_eq!(levels.count, count, "{name}: level count");
        assert!((f64::from(levels.low) - low).abs() < 1e-4 * span, "{name}: low level");
        assert!((f64::from(levels.span) - span).abs() < 1e-4 * span, "{name}: level span");
    }
}

#[test]
fn contour_lines_follow_level_sets() {
    let ctx = common::gpu();
    let (field, view) = preset_field("double-well");
    let mut overlays = Overlays::new(&ctx, &field, 0.0, FORMAT).unwrap();
    let size = [256, 256];
    let layers = OverlayLayers { arrows: false, contours: true };
    let rgba = draw(&ctx, &mut overlays, view, size, PixelRect::whole(size), layers, wgpu::Color::BLACK);
    let (_, levels) = overlays.read_contours(&ctx).unwrap();
    assert!(levels.count > 0);
    let world_per_pixel = view.size().x / f64::from(size[0]);

    // Every lit pixel lies within a pixel and a half of a level line: the gap in V to the
    // nearest level is at most 1.5 pixels times |grad V| per pixel.
    let mut lit = 0;
    let mut lit_per_level = vec![0u32; levels.count as usize];
    for y in 0..size[1] as i64 {
        for x in 0..size[0] as i64 {
            if pixel(&rgba, size[0], x, y)[0] < 40 {
                continue;
            }
            lit += 1;
            let p = geometry::world_of_area_pixel(view, size, DVec2::new(x as f64 + 0.5, y as f64 + 0.5));
            let (value, gradient) = field.potential_and_gradient(p, 0.0);
            let (low, span) = (f64::from(levels.low), f64::from(levels.span));
            let t = geometry::contour_coordinate(value, low, span, levels.count);
            let nearest = t.round().clamp(1.0, f64::from(levels.count));
            let gap = (value - geometry::contour_level(low, span, levels.count, nearest as u32)).abs();
            let allowed = 1.5 * gradient.length() * world_per_pixel;
            assert!(gap <= allowed, "pixel ({x}, {y}) is lit {gap} away from a level, allowed {allowed}");
            lit_per_level[nearest as usize - 1] += 1;
        }
    }
    println!("{lit} lit pixels; per level {lit_per_level:?}");
    // Most levels lie within the view's range of V, so most have a line.
    let drawn = lit_per_level.iter().filter(|&&n| n > 20).count();
    assert!(drawn >= levels.count as usize / 2, "only {drawn} of {} levels drawn", levels.count);
}
