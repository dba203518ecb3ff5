//! The mapping between the density area's pixels and the world: a centre and a scale with
//! square pixels, changed by dragging (pan) and the mouse wheel (zoom about the cursor).

use glam::DVec2;

use crate::density::View;

/// Smallest world distance a pixel may span. The shaders compute positions in f32, whose
/// spacing near 1 is about 1.2e-7, so a finer zoom would show rounding instead of detail.
pub const MIN_WORLD_PER_PIXEL: f64 = 1e-6;
/// Largest world distance a pixel may span.
pub const MAX_WORLD_PER_PIXEL: f64 = 1e4;

/// The world rectangle the density area shows. Pixel positions are measured from the
/// area's top-left corner, with rows growing downwards, and pixel (i, j) covers
/// [i, i + 1) x [j, j + 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewTransform {
    /// World point at the centre of the area.
    pub centre: DVec2,
    /// World units per pixel, the same on both axes.
    pub world_per_pixel: f64,
}

fn area_extent(size: [u32; 2]) -> DVec2 {
    DVec2::new(f64::from(size[0]), f64::from(size[1]))
}

impl ViewTransform {
    /// Fits `rect` inside an area of `size` pixels, centred and whole, with square pixels.
    pub fn fit(rect: View, size: [u32; 2]) -> Self {
        let per_axis = rect.size() / area_extent(size).max(DVec2::ONE);
        ViewTransform {
            centre: rect.centre(),
            world_per_pixel: per_axis.max_element().clamp(MIN_WORLD_PER_PIXEL, MAX_WORLD_PER_PIXEL),
        }
    }

    /// Returns the world rectangle an area of `size` pixels shows.
    pub fn view(&self, size: [u32; 2]) -> View {
        let half = 0.5 * area_extent(size) * self.world_per_pixel;
        View { min: self.centre - half, max: self.centre + half }
    }

    /// Returns the world position of a pixel position in an area of `size`.
    pub fn world_of_pixel(&self, size: [u32; 2], pixel: DVec2) -> DVec2 {
        let offset = pixel - 0.5 * area_extent(size);
        self.centre + DVec2::new(offset.x, -offset.y) * self.world_per_pixel
    }

    /// Returns the pixel position of a world position in an area of `size`.
    pub fn pixel_of_world(&self, size: [u32; 2], world: DVec2) -> DVec2 {
        let offset = (world - self.centre) / self.world_per_pixel;
        0.5 * area_extent(size) + DVec2::new(offset.x, -offset.y)
    }

    /// Moves the view so that the picture follows a drag of `delta` pixels.
    pub fn pan(&mut self, delta: DVec2) {
        self.centre -= DVec2::new(delta.x, -delta.y) * self.world_per_pixel;
    }

    /// Zooms in by `factor` (below 1 zooms out) and keeps the world point under `cursor`
    /// where it is on screen. The scale stops at `MIN_WORLD_PER_PIXEL` and
    /// `MAX_WORLD_PER_PIXEL`.
    pub fn zoom_about(&mut self, size: [u32; 2], cursor: DVec2, factor: f64) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let anchor = self.world_of_pixel(size, cursor);
        self.world_per_pixel =
            (self.world_per_pixel / factor).clamp(MIN_WORLD_PER_PIXEL, MAX_WORLD_PER_PIXEL);
        let moved = self.world_of_pixel(size, cursor);
        self.centre += anchor - moved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: DVec2, b: DVec2) -> bool {
        (a - b).length() <= 1e-9 * (1.0 + a.length().max(b.length()))
    }

    #[test]
    fn fit_keeps_rect_whole_and_centred() {
        let rect = View::new(-6.0, 6.0, -3.0, 3.0);
        // An area taller than the rectangle: x sets the scale.
        let transform = ViewTransform::fit(rect, [600, 600]);
        assert_eq!(transform.world_per_pixel, 0.02);
        let view = transform.view([600, 600]);
        assert!(close(view.min, DVec2::new(-6.0, -6.0)));
        assert!(close(view.max, DVec2::new(6.0, 6.0)));
        // A wide area: y sets the scale, and the rectangle stays centred.
        let transform = ViewTransform::fit(rect, [1000, 200]);
        assert_eq!(transform.world_per_pixel, 0.03);
        let view = transform.view([1000, 200]);
        assert!(close(view.min, DVec2::new(-15.0, -3.0)));
        assert!(close(view.centre(), DVec2::ZERO));
    }

    #[test]
    fn pixels_map_to_view_corners() {
        let transform = ViewTransform { centre: DVec2::new(1.0, 2.0), world_per_pixel: 0.5 };
        let size = [40, 20];
        let view = transform.view(size);
        assert!(close(transform.world_of_pixel(size, DVec2::ZERO), DVec2::new(view.min.x, view.max.y)));
        assert!(close(
            transform.world_of_pixel(size, DVec2::new(40.0, 20.0)),
            DVec2::new(view.max.x, view.min.y)
        ));
        let pixel = DVec2::new(13.25, 7.5);
        assert!(close(transform.pixel_of_world(size, transform.world_of_pixel(size, pixel)), pixel));
    }

    #[test]
    fn pan_moves_content_with_drag() {
        let size = [300, 200];
        let mut transform = ViewTransform { centre: DVec2::new(0.5, -1.0), world_per_pixel: 0.01 };
        let grabbed = DVec2::new(100.0, 50.0);
        let world = transform.world_of_pixel(size, grabbed);
        let delta = DVec2::new(37.0, -12.5);
        transform.pan(delta);
        // The world point under the cursor at the start of the drag is under it at the end.
        assert!(close(transform.world_of_pixel(size, grabbed + delta), world));
        assert_eq!(transform.world_per_pixel, 0.01);
    }

    #[test]
    fn zoom_keeps_point_under_cursor() {
        let size = [640, 480];
        for cursor in [DVec2::new(0.0, 0.0), DVec2::new(320.0, 240.0), DVec2::new(611.5, 17.25)] {
            for factor in [1.1, 1.0 / 1.1, 8.0, 0.125] {
                let mut transform = ViewTransform { centre: DVec2::new(-3.0, 4.0), world_per_pixel: 0.02 };
                let world = transform.world_of_pixel(size, cursor);
                transform.zoom_about(size, cursor, factor);
                assert!((transform.world_per_pixel - 0.02 / factor).abs() < 1e-15);
                assert!(
                    close(transform.world_of_pixel(size, cursor), world),
                    "cursor {cursor}, factor {factor}"
                );
            }
        }
    }

    #[test]
    fn zoom_stops_at_limits() {
        let size = [100, 100];
        let cursor = DVec2::new(80.0, 10.0);
        let mut transform = ViewTransform { centre: DVec2::ZERO, world_per_pixel: 1e-5 };
        let world = transform.world_of_pixel(size, cursor);
        transform.zoom_about(size, cursor, 1e3);
        assert_eq!(transform.world_per_pixel, MIN_WORLD_PER_PIXEL);
        assert!(close(transform.world_of_pixel(size, cursor), world));
        transform.zoom_about(size, cursor, 1e-20);
        assert_eq!(transform.world_per_pixel, MAX_WORLD_PER_PIXEL);
        let before = transform;
        transform.zoom_about(size, cursor, f64::NAN);
        assert_eq!(transform, before);
    }
}
