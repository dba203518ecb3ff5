//! The window's wgpu surface: the choice of format, (re)configuration on resize, loss and
//! outdating, and the capture of a frame for screenshots.

use std::sync::Arc;

use winit::window::Window;

use super::ViewerError;
use crate::density::read_texture_rgba;
use crate::gpu::{GpuContext, GpuError};

/// Picks the surface format: 8-bit RGBA or BGRA, preferring formats without sRGB encoding,
/// because the colormap table and egui produce sRGB-encoded values that such a target stores
/// as they are. An sRGB format works too: the colormap, overlay and egui shaders then decode
/// their colours to linear values, which the format encodes again.
pub fn choose_format(formats: &[wgpu::TextureFormat]) -> Option<wgpu::TextureFormat> {
    use wgpu::TextureFormat::{Bgra8Unorm, Bgra8UnormSrgb, Rgba8Unorm, Rgba8UnormSrgb};
    [Bgra8Unorm, Rgba8Unorm, Bgra8UnormSrgb, Rgba8UnormSrgb].into_iter().find(|f| formats.contains(f))
}

/// The outcome of `acquire`.
pub enum Acquired {
    Frame(wgpu::SurfaceTexture),
    /// No frame this time (minimised, occluded or timed out): skip drawing.
    Skip,
}

pub struct WindowSurface {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    /// False while the window has no pixels, when the surface cannot be configured.
    configured: bool,
}

impl WindowSurface {
    /// Configures `surface` of `window` for the context's adapter.
    pub fn new(
        ctx: &GpuContext,
        window: Arc<Window>,
        surface: wgpu::Surface<'static>,
    ) -> Result<Self, ViewerError> {
        let capabilities = surface.get_capabilities(&ctx.adapter);
        let format = choose_format(&capabilities.formats)
            .ok_or_else(|| ViewerError::SurfaceFormat(format!("{:?}", capabilities.formats)))?;
        let alpha_mode = if capabilities.alpha_modes.contains(&wgpu::CompositeAlphaMode::Opaque) {
            wgpu::CompositeAlphaMode::Opaque
        } else {
            capabilities.alpha_modes.first().copied().unwrap_or(wgpu::CompositeAlphaMode::Auto)
        };
        let size = window.inner_size();
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: wgpu::SurfaceColorSpace::Auto,
            width: size.width,
            height: size.height,
            desired_maximum_frame_latency: 2,
            present_mode: wgpu::PresentMode::AutoVsync,
            alpha_mode,
            view_formats: vec![],
        };
        log::info!("surface format {format:?}, alpha {alpha_mode:?}, {}x{}", size.width, size.height);
        let mut window_surface = WindowSurface { window, surface, config, configured: false };
        window_surface.configure(ctx, [size.width, size.height])?;
        Ok(window_surface)
    }

    pub fn format(&self) -> wgpu::TextureFormat {
        self.config.format
    }

    /// Size of the frames in pixels; zero while the window is minimised.
    pub fn size(&self) -> [u32; 2] {
        if self.configured { [self.config.width, self.config.height] } else { [0, 0] }
    }

    /// Configures the surface for `size`, or leaves it unconfigured when the window has no
    /// pixels (minimised).
    pub fn configure(&mut self, ctx: &GpuContext, size: [u32; 2]) -> Result<(), GpuError> {
        if size[0] == 0 || size[1] == 0 {
            self.configured = false;
            return Ok(());
        }
        self.config.width = size[0];
        self.config.height = size[1];
        ctx.scoped("configuring the window surface", || self.surface.configure(&ctx.device, &self.config))?;
        self.configured = true;
        Ok(())
    }

    /// Returns the next frame to draw, reconfiguring an outdated surface and recreating a
    /// lost one on the way.
    pub fn acquire(&mut self, ctx: &GpuContext) -> Result<Acquired, ViewerError> {
        let size = self.window.inner_size();
        if [size.width, size.height] != self.size() {
            self.configure(ctx, [size.width, size.height])?;
        }
        if !self.configured {
            return Ok(Acquired::Skip);
        }
        for attempt in 0..2 {
            match self.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(frame) => return Ok(Acquired::Frame(frame)),
                wgpu::CurrentSurfaceTexture::Suboptimal(frame) => {
                    // Drawn as it is; the next frame gets a surface configured for the window.
                    log::debug!("suboptimal surface, reconfiguring after this frame");
                    self.configured = false;
                    return Ok(Acquired::Frame(frame));
                }
                wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => {
                    return Ok(Acquired::Skip);
                }
                wgpu::CurrentSurfaceTexture::Outdated => {
                    log::debug!("surface outdated (attempt {attempt}), reconfiguring");
                    self.configure(ctx, self.size())?;
                }
                wgpu::CurrentSurfaceTexture::Lost => {
                    log::warn!("window surface lost, creating it again");
                    self.surface = ctx
                        .instance
                        .create_surface(Arc::clone(&self.window))
                        .map_err(|e| ViewerError::Surface(e.to_string()))?;
                    self.configure(ctx, self.size())?;
                }
                wgpu::CurrentSurfaceTexture::Validation => {
                    // A lost device shows up here first, and its callback runs on the next poll.
                    let _ = ctx.device.poll(wgpu::PollType::Poll);
                    ctx.check("acquiring a frame of the window surface")?;
                    return Err(ViewerError::Surface("acquiring a frame failed validation".into()));
                }
            }
        }
        Ok(Acquired::Skip)
    }
}

/// Draws a frame into a texture of `format` and `size` through `draw`, and returns its
/// pixels as tightly packed RGBA8 rows: the same passes as the window's frame, read back.
pub fn capture(
    ctx: &GpuContext,
    format: wgpu::TextureFormat,
    size: [u32; 2],
    draw: impl FnOnce(&mut wgpu::CommandEncoder, &wgpu::TextureView),
) -> Result<Vec<u8>, GpuError> {
    let texture = ctx.scoped("allocating the screenshot texture", || {
        ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("viewer.screenshot"),
            size: wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
    })?;
    let target = texture.create_view(&wgpu::TextureViewDescriptor::default());
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("viewer.screenshot") });
    draw(&mut encoder, &target);
    ctx.queue.submit([encoder.finish()]);
    let mut pixels = read_texture_rgba(ctx, &texture)?;
    if matches!(format, wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb) {
        for pixel in pixels.chunks_exact_mut(4) {
            pixel.swap(0, 2);
        }
    }
    Ok(pixels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::TextureFormat as F;

    #[test]
    fn format_prefers_unorm_over_srgb() {
        assert_eq!(choose_format(&[F::Bgra8UnormSrgb, F::Bgra8Unorm]), Some(F::Bgra8Unorm));
        assert_eq!(choose_format(&[F::Rgba8UnormSrgb, F::Rgba16Float]), Some(F::Rgba8UnormSrgb));
        assert_eq!(choose_format(&[F::Rgb10a2Unorm, F::Rgba8Unorm]), Some(F::Rgba8Unorm));
        assert_eq!(choose_format(&[F::Rgba16Float]), None);
    }
}
