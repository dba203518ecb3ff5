//! Whole pictures of any size the device allows: one pass when the grid fits one count
//! buffer, else tiles.
//!
//! How tiling works: the picture is cut into tiles that fit. The scales need statistics
//! of the whole picture, so the tiles are binned three times. The first pass finds the
//! range of the counts (combined on the CPU). The second, for eq-hist only, adds each
//! tile into one histogram. The last draws each tile with the whole picture's statistics
//! and copies it into place.
//! Binning is cheap next to sampling, so the repeats cost little.

use super::figure::CountScale;
use super::{DensityError, DensityRenderer, DensityStats, Scale, Style, View, read_texture_rgba};
use crate::field::Field;
use crate::gpu::GpuContext;
use crate::overlay::{OverlayLayers, Overlays, PixelRect};
use crate::sampler::ParticleSystem;

/// Largest tile side; 4096 x 4096 counts take 64 MiB.
pub const MAX_TILE_SIDE: u32 = 4096;
/// Largest picture, so its RGBA copy on the CPU stays near 1 GiB.
pub const MAX_PICTURE_PIXELS: u64 = 16384 * 16384;

/// A rendered picture: tightly packed RGBA8 rows and what the colour bar needs.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    pub counts: CountScale,
}

/// Checks a picture size against the device: sides within the texture limit, pixels
/// within `MAX_PICTURE_PIXELS`. Larger grids than one count buffer are tiled, not refused.
pub fn check_picture_size(limits: &wgpu::Limits, width: u32, height: u32) -> Result<(), DensityError> {
    let max_side = limits.max_texture_dimension_2d;
    let reason = if width == 0 || height == 0 {
        Some("empty")
    } else if width > max_side || height > max_side {
        Some("wider or taller than the texture limit")
    } else if u64::from(width) * u64::from(height) > MAX_PICTURE_PIXELS {
        Some("more pixels than a picture may have")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(DensityError::Size { width, height, reason, max_side, max_pixels: MAX_PICTURE_PIXELS }),
        None => Ok(()),
    }
}

/// Force arrows or contours of V to draw over a picture, from the field's own WGSL at
/// noise level `sigma`.
pub struct OverlayRequest<'a> {
    pub field: &'a Field,
    pub sigma: f64,
    pub layers: OverlayLayers,
}

/// Returns whether a picture of `width` x `height` is drawn in one pass (not in tiles).
pub fn fits_one_pass(limits: &wgpu::Limits, width: u32, height: u32) -> bool {
    super::check_size(limits, width, height).is_ok() && width <= MAX_TILE_SIDE && height <= MAX_TILE_SIDE
}

/// Checks, before any sampling, that overlays can be drawn on a picture of this size.
pub fn check_overlay_size(limits: &wgpu::Limits, width: u32, height: u32) -> Result<(), DensityError> {
    match fits_one_pass(limits, width, height) {
        true => Ok(()),
        false => Err(DensityError::OverlayTooLarge { width, height, max_side: MAX_TILE_SIDE }),
    }
}

/// Renders the density of `particles` over `view` at `width` x `height`, with the
/// overlays of `overlay` (on pictures of one tile only).
pub fn render_picture(
    ctx: &GpuContext,
    particles: &ParticleSystem,
    view: View,
    width: u32,
    height: u32,
    style: Style,
    overlay: Option<OverlayRequest<'_>>,
) -> Result<Picture, DensityError> {
    let limits = ctx.limits();
    check_picture_size(&limits, width, height)?;
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let single = fits_one_pass(&limits, width, height);
    let overlay = overlay.filter(|o| o.layers.any());
    if overlay.is_some() {
        check_overlay_size(&limits, width, height)?;
    }
    if single {
        let renderer = DensityRenderer::new(ctx, width, height, format, style)?;
        let rgba = match overlay {
            None => renderer.render_rgba(ctx, particles, view)?,
            Some(request) => {
                let mut overlays = Overlays::new(ctx, request.field, request.sigma, format).map_err(Box::new)?;
                let area = PixelRect::whole([width, height]);
                renderer.render_rgba_with(ctx, particles, view, |encoder, target| {
                    overlays.prepare(ctx, encoder, view, area, request.layers).map_err(Box::new)?;
                    overlays.draw(encoder, target, area, request.layers);
                    Ok(())
                })?
            }
        };
        let counts = count_scale(ctx, &renderer, style.scale, renderer.read_stats(ctx)?)?;
        return Ok(Picture { width, height, rgba, counts });
    }

    let tile_width = width.min(MAX_TILE_SIDE);
    let tile_height = height.min(MAX_TILE_SIDE);
    let mut renderer = DensityRenderer::new(ctx, tile_width, tile_height, format, style)?;
    let tiles = tiles(width, height, tile_width, tile_height);
    let tile_view = |(x, y, w, h): (u32, u32, u32, u32)| {
        let size = view.size();
        View::new(
            view.min.x + size.x * f64::from(x) / f64::from(width),
            view.min.x + size.x * f64::from(x + w) / f64::from(width),
            view.max.y - size.y * f64::from(y + h) / f64::from(height),
            view.max.y - size.y * f64::from(y) / f64::from(height),
        )
    };
    let submit = |encoder: wgpu::CommandEncoder, context: &str| {
        ctx.queue.submit([encoder.finish()]);
        ctx.wait(context)
    };
    let encoder = || ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("density.tile") });

    // First pass: the range of the counts over the whole picture.
    let mut global = DensityStats::RESET;
    for &tile in &tiles {
        renderer.set_grid_size(ctx, tile.2, tile.3);
        renderer.write_stats(ctx, DensityStats::RESET);
        let mut e = encoder();
        renderer.encode_counts(ctx, &mut e, particles, tile_view(tile));
        renderer.encode_statistics(&mut e, true, false, false);
        submit(e, "binning a tile")?;
        let stats = renderer.read_stats(ctx)?;
        global.max_count = global.max_count.max(stats.max_count);
        global.min_count = global.min_count.min(stats.min_count);
        global.nonzero += stats.nonzero;
    }

    // Second pass, for eq-hist: one histogram of the whole picture and its running sum.
    if style.scale == Scale::EqHist {
        let mut e = encoder();
        renderer.clear_histogram(&mut e);
        submit(e, "clearing the histogram")?;
        for &tile in &tiles {
            renderer.set_grid_size(ctx, tile.2, tile.3);
            renderer.write_stats(ctx, global);
            let mut e = encoder();
            renderer.encode_counts(ctx, &mut e, particles, tile_view(tile));
            renderer.encode_statistics(&mut e, false, true, false);
            submit(e, "adding a tile to the histogram")?;
        }
        let mut e = encoder();
        renderer.encode_statistics(&mut e, false, false, true);
        submit(e, "summing the histogram")?;
    }

    // Last pass: draw each tile with the whole picture's statistics.
    let mut rgba = vec![0u8; (u64::from(width) * u64::from(height) * 4) as usize];
    for &tile in &tiles {
        let (x, y, w, h) = tile;
        renderer.set_grid_size(ctx, w, h);
        renderer.write_stats(ctx, global);
        let texture = tile_texture(ctx, w, h, format)?;
        let target = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut e = encoder();
        renderer.encode_counts(ctx, &mut e, particles, tile_view(tile));
        renderer.encode_render(&mut e, &target, true);
        ctx.queue.submit([e.finish()]);
        let pixels = read_texture_rgba(ctx, &texture)?;
        for row in 0..h {
            let source = (row * w * 4) as usize..((row + 1) * w * 4) as usize;
            let start = (((y + row) as usize * width as usize) + x as usize) * 4;
            rgba[start..start + (w * 4) as usize].copy_from_slice(&pixels[source]);
        }
    }
    let counts = count_scale(ctx, &renderer, style.scale, global)?;
    Ok(Picture { width, height, rgba, counts })
}

/// Tiles (x, y, width, height) covering the picture, row by row.
fn tiles(width: u32, height: u32, tile_width: u32, tile_height: u32) -> Vec<(u32, u32, u32, u32)> {
    let mut tiles = Vec::new();
    for y in (0..height).step_by(tile_height as usize) {
        for x in (0..width).step_by(tile_width as usize) {
            tiles.push((x, y, tile_width.min(width - x), tile_height.min(height - y)));
        }
    }
    tiles
}

fn tile_texture(ctx: &GpuContext, width: u32, height: u32, format: wgpu::TextureFormat) -> Result<wgpu::Texture, DensityError> {
    Ok(ctx.scoped("allocating a tile texture", || {
        ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("density.tile"),
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
    })?)
}

fn count_scale(ctx: &GpuContext, renderer: &DensityRenderer, scale: Scale, stats: DensityStats) -> Result<CountScale, DensityError> {
    let cumulative = match scale {
        Scale::EqHist => Some(renderer.read_cumulative(ctx)?),
        _ => None,
    };
    Ok(CountScale { scale, stats, cumulative })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_picture_once() {
        let tiles = tiles(10000, 5000, 4096, 4096);
        assert_eq!(tiles.len(), 6);
        let area: u64 = tiles.iter().map(|t| u64::from(t.2) * u64::from(t.3)).sum();
        assert_eq!(area, 10000 * 5000);
        assert_eq!(tiles[2], (8192, 0, 1808, 4096));
    }
}
