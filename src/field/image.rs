//! Image field: a density proportional to a picture's brightness, placed on a world
//! rectangle, with exact Gaussian smoothing for noise annealing.
//!
//! How it works: the picture (at most `MAX_IMAGE_SIDE` pixels a side, larger ones are
//! scaled down) gives brightness b = floor + luma at each pixel centre, and the density at
//! noise level sigma is b convolved with N(0, sigma^2 I), summed over pixel centres in two
//! separable passes. Each level's log density is tabulated on a grid, coarser for large
//! sigma and extended past the rectangle by up to 3 sigma, and V = -log p is the bicubic
//! (Catmull-Rom) interpolant of that table, with the force its exact gradient. Beyond the
//! grid V grows as stiffness * d^2 / 2 with the distance d, like the smoothed density's
//! Gaussian tail, so particles return. The GPU and the f64 reference interpolate the same
//! f32 table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use glam::DVec2;
use rayon::prelude::*;

use super::FieldError;

/// Longest side of the brightness table; larger pictures are scaled down to it.
pub const MAX_IMAGE_SIDE: u32 = 512;
/// The picture shipped for the image preset.
pub const BUILTIN_SCORE_RING: &[u8] = include_bytes!("../../assets/images/score-ring.png");
/// Name that selects `BUILTIN_SCORE_RING` instead of a file.
pub const BUILTIN_SCORE_RING_NAME: &str = "builtin:score-ring";

/// One level's table of log densities: node (i, j) lies at origin + (i, j) * cell, rows
/// ordered by increasing y.
#[derive(Debug, PartialEq)]
pub struct LevelGrid {
    pub origin: DVec2,
    pub cell: DVec2,
    pub columns: u32,
    pub rows: u32,
    pub log_density: Vec<f32>,
}

struct Brightness {
    width: u32,
    height: u32,
    /// floor + luma at each pixel, row 0 at the bottom.
    values: Vec<f64>,
}

#[derive(Clone)]
pub struct ImageField {
    /// The file, or `BUILTIN_SCORE_RING_NAME`.
    pub source: PathBuf,
    /// x_min, x_max, y_min, y_max of the picture in world units.
    pub rect: [f64; 4],
    /// Dark-on-light pictures: density proportional to 1 - luma.
    pub invert: bool,
    /// Brightness added everywhere on the picture, so dark regions keep some density.
    pub floor: f64,
    brightness: Arc<Brightness>,
    levels: Arc<Mutex<HashMap<u64, Arc<LevelGrid>>>>,
}

impl std::fmt::Debug for ImageField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageField")
            .field("source", &self.source)
            .field("rect", &self.rect)
            .field("invert", &self.invert)
            .field("floor", &self.floor)
            .field("pixels", &(self.brightness.width, self.brightness.height))
            .finish()
    }
}

impl PartialEq for ImageField {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
            && self.rect == other.rect
            && self.invert == other.invert
            && self.floor == other.floor
    }
}

impl ImageField {
    /// Loads a PNG or JPEG (or the built-in picture). `rect` defaults to the picture's
    /// aspect ratio fitted into [-4, 4]^2.
    pub fn load(source: &Path, rect: Option<[f64; 4]>, invert: bool, floor: f64) -> Result<Self, FieldError> {
        let key = "field.image";
        if !(floor.is_finite() && floor > 0.0 && floor <= 1.0) {
            return Err(FieldError::invalid("field.floor", format!("{floor} must be above 0 and at most 1")));
        }
        let decoded = if source.as_os_str() == BUILTIN_SCORE_RING_NAME {
            image::load_from_memory(BUILTIN_SCORE_RING)
        } else {
            let bytes = std::fs::read(source).map_err(|e| {
                FieldError::invalid(key, format!("cannot read image `{}`: {e}", source.display()))
            })?;
            image::load_from_memory(&bytes)
        }
        .map_err(|e| {
            FieldError::invalid(key, format!("`{}` is not a PNG or JPEG image: {e}", source.display()))
        })?;

        let (mut width, mut height) = (decoded.width(), decoded.height());
        if width == 0 || height == 0 {
            return Err(FieldError::invalid(key, format!("`{}` has no pixels", source.display())));
        }
        let mut picture = decoded.to_rgb8();
        if width.max(height) > MAX_IMAGE_SIDE {
            let scale = f64::from(MAX_IMAGE_SIDE) / f64::from(width.max(height));
            width = ((f64::from(width) * scale).round() as u32).max(1);
            height = ((f64::from(height) * scale).round() as u32).max(1);
            picture = image::imageops::resize(&picture, width, height, image::imageops::FilterType::Triangle);
        }
        // Rec. 709 luma of the 8-bit (gamma-encoded) values, as the picture looks.
        let mut values = vec![0.0; (width * height) as usize];
        for (x, y, pixel) in picture.enumerate_pixels() {
            let [r, g, b] = pixel.0.map(f64::from);
            let luma = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0;
            let luma = if invert { 1.0 - luma } else { luma };
            values[((height - 1 - y) * width + x) as usize] = floor + luma;
        }

        let rect = match rect {
            Some(rect) => rect,
            None => {
                let aspect = f64::from(width) / f64::from(height);
                let (half_x, half_y) = if aspect >= 1.0 { (4.0, 4.0 / aspect) } else { (4.0 * aspect, 4.0) };
                [-half_x, half_x, -half_y, half_y]
            }
        };
        if !rect.iter().all(|v| v.is_finite()) || rect[1] <= rect[0] || rect[3] <= rect[2] {
            return Err(FieldError::invalid(
                "field.rect",
                format!("{rect:?} is not a rectangle; give x_min < x_max and y_min < y_max, all finite"),
            ));
        }
        Ok(ImageField {
            source: source.to_path_buf(),
            rect,
            invert,
            floor,
            brightness: Arc::new(Brightness { width, height, values }),
            levels: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub fn pixels(&self) -> (u32, u32) {
        (self.brightness.width, self.brightness.height)
    }

    fn pixel_cell(&self) -> DVec2 {
        DVec2::new(
            (self.rect[1] - self.rect[0]) / f64::from(self.brightness.width),
            (self.rect[3] - self.rect[2]) / f64::from(self.brightness.height),
        )
    }

    /// Centre of the rectangle.
    pub fn centre(&self) -> DVec2 {
        DVec2::new(0.5 * (self.rect[0] + self.rect[1]), 0.5 * (self.rect[2] + self.rect[3]))
    }

    /// Stiffness of the wall beyond the grid at noise level `sigma`: 1 / sigma^2, the
    /// curvature of the smoothed density's Gaussian tail, but no softer than a Gaussian of
    /// a twentieth of the picture's size for the sharp levels.
    pub fn wall_stiffness(&self, sigma: f64) -> f64 {
        let extent = (self.rect[1] - self.rect[0]).max(self.rect[3] - self.rect[2]);
        1.0 / sigma.max(0.05 * extent).powi(2)
    }

    /// Returns the table of level `sigma`, computed once and cached.
    pub fn level(&self, sigma: f64) -> Arc<LevelGrid> {
        let key = sigma.to_bits();
        if let Ok(cache) = self.levels.lock()
            && let Some(grid) = cache.get(&key)
        {
            return Arc::clone(grid);
        }
        let grid = Arc::new(self.compute_level(sigma));
        if let Ok(mut cache) = self.levels.lock() {
            cache.insert(key, Arc::clone(&grid));
        }
        grid
    }

    fn compute_level(&self, sigma: f64) -> LevelGrid {
        let b = &self.brightness;
        let pixel = self.pixel_cell();
        let first_centre = DVec2::new(self.rect[0], self.rect[2]) + 0.5 * pixel;
        if sigma <= 0.5 * pixel.min_element() {
            return LevelGrid {
                origin: first_centre,
                cell: pixel,
                columns: b.width,
                rows: b.height,
                log_density: b.values.iter().map(|v| v.ln() as f32).collect(),
            };
        }

        // A coarser grid for wide blurs: the smoothed density varies on the scale of sigma.
        let cell = DVec2::new(pixel.x.max(0.5 * sigma), pixel.y.max(0.5 * sigma));
        let extent = DVec2::new(self.rect[1] - self.rect[0], self.rect[3] - self.rect[2]);
        let margin = DVec2::splat(3.0 * sigma).min(extent);
        let low = DVec2::new(self.rect[0], self.rect[2]) - margin;
        let high = DVec2::new(self.rect[1], self.rect[3]) + margin;
        let columns = ((high.x - low.x) / cell.x).ceil() as u32 + 1;
        let rows = ((high.y - low.y) / cell.y).ceil() as u32 + 1;
        let gauss = |d: f64| (-0.5 * d * d / (sigma * sigma)).exp();

        // Along x: each image row at each grid column.
        let along_x: Vec<f64> = (0..b.height)
            .into_par_iter()
            .flat_map_iter(|row| {
                (0..columns).map(move |column| {
                    let x = low.x + f64::from(column) * cell.x;
                    (0..b.width)
                        .map(|i| {
                            let centre = first_centre.x + f64::from(i) * pixel.x;
                            b.values[(row * b.width + i) as usize] * gauss(x - centre)
                        })
                        .sum::<f64>()
                })
            })
            .collect();
        // Along y: the grid rows from the image rows.
        let log_density: Vec<f32> = (0..rows)
            .into_par_iter()
            .flat_map_iter(|grid_row| {
                let along_x = &along_x;
                (0..columns).map(move |column| {
                    let y = low.y + f64::from(grid_row) * cell.y;
                    let sum: f64 = (0..b.height)
                        .map(|row| {
                            let centre = first_centre.y + f64::from(row) * pixel.y;
                            along_x[(row * columns + column) as usize] * gauss(y - centre)
                        })
                        .sum();
                    // The sum underflows far outside; keep the log finite there.
                    sum.max(1e-30).ln() as f32
                })
            })
            .collect();
        LevelGrid { origin: low, cell, columns, rows, log_density }
    }

    /// V = -log p_sigma and its gradient, from the level's table as the shader does.
    pub fn potential_and_gradient(&self, x: DVec2, sigma: f64) -> (f64, DVec2) {
        let grid = self.level(sigma);
        let stiffness = self.wall_stiffness(sigma);
        let size = DVec2::new(f64::from(grid.columns - 1), f64::from(grid.rows - 1));
        let coordinates = (x - grid.origin) / grid.cell;
        let clamped = coordinates.clamp(DVec2::ZERO, size);
        let (log_density, gradient) = catmull_rom(&grid, clamped);
        let mut v_gradient = -gradient / grid.cell;
        // The table's slope across the edge does not apply beyond it: only the wall does.
        if coordinates.x != clamped.x {
            v_gradient.x = 0.0;
        }
        if coordinates.y != clamped.y {
            v_gradient.y = 0.0;
        }
        let outside = (coordinates - clamped) * grid.cell;
        let v = -log_density + 0.5 * stiffness * outside.length_squared();
        (v, v_gradient + stiffness * outside)
    }

    /// Uniform rows: (origin x, origin y, cell x, cell y), (columns, rows, stiffness, 0).
    pub fn gpu_params(&self, sigma: f64) -> Vec<[f32; 4]> {
        let grid = self.level(sigma);
        vec![
            [grid.origin.x as f32, grid.origin.y as f32, grid.cell.x as f32, grid.cell.y as f32],
            [grid.columns as f32, grid.rows as f32, self.wall_stiffness(sigma) as f32, 0.0],
        ]
    }

    /// Returns the most table nodes of any level. A level's cell is at least the pixel and
    /// sigma / 2, and its margin at most 3 sigma a side. So a side has at most the
    /// picture's pixels plus 12 cells of margin and 2 for rounding.
    pub fn max_data_len(&self) -> usize {
        ((self.brightness.width + 16) * (self.brightness.height + 16)) as usize
    }

    /// Returns the level's log densities for the field's storage buffer.
    pub fn gpu_data(&self, sigma: f64) -> Arc<LevelGrid> {
        self.level(sigma)
    }
}

/// Catmull-Rom weights of the four nodes around t in [0, 1], and their derivatives.
fn catmull_rom_weights(t: f64) -> ([f64; 4], [f64; 4]) {
    let t2 = t * t;
    let t3 = t2 * t;
    let weights = [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ];
    let derivatives = [
        0.5 * (-3.0 * t2 + 4.0 * t - 1.0),
        0.5 * (9.0 * t2 - 10.0 * t),
        0.5 * (-9.0 * t2 + 8.0 * t + 1.0),
        0.5 * (3.0 * t2 - 2.0 * t),
    ];
    (weights, derivatives)
}

/// Interpolates the log density at grid coordinates `u` (within the grid), with its
/// gradient in grid units. Nodes beyond the edge repeat the edge node.
fn catmull_rom(grid: &LevelGrid, u: DVec2) -> (f64, DVec2) {
    let base_x = (u.x.floor() as i64).min(i64::from(grid.columns) - 2).max(0);
    let base_y = (u.y.floor() as i64).min(i64::from(grid.rows) - 2).max(0);
    let (wx, dx) = catmull_rom_weights(u.x - base_x as f64);
    let (wy, dy) = catmull_rom_weights(u.y - base_y as f64);
    let mut value = 0.0;
    let mut gradient = DVec2::ZERO;
    for b in 0..4 {
        let row = (base_y + b as i64 - 1).clamp(0, i64::from(grid.rows) - 1) as usize;
        for a in 0..4 {
            let column = (base_x + a as i64 - 1).clamp(0, i64::from(grid.columns) - 1) as usize;
            let node = f64::from(grid.log_density[row * grid.columns as usize + column]);
            value += wx[a] * wy[b] * node;
            gradient += DVec2::new(dx[a] * wy[b], wx[a] * dy[b]) * node;
        }
    }
    (value, gradient)
}
