//! The standard 2-D test potentials: Mueller-Brown, double well, banana and ring.
//! Each mirrors its file in `shaders/fields/`.

use glam::DVec2;

use super::FieldError;

/// Mueller-Brown constants (Mueller and Brown 1979): rows of (A, a, b, c, x0, y0).
pub const MUELLER_BROWN_TERMS: [[f64; 6]; 4] = [
    [-200.0, -1.0, 0.0, -10.0, 1.0, 0.0],
    [-100.0, -1.0, 0.0, -10.0, 0.0, 0.5],
    [-170.0, -6.5, 11.0, -6.5, -0.5, 1.5],
    [15.0, 0.7, 0.6, 0.7, -1.0, 1.0],
];

#[derive(Clone, Debug, PartialEq)]
pub struct MuellerBrown {
    /// Factor on V; 0.15 (as in bgflow) brings the barriers near 15 units.
    pub scale: f64,
}

impl MuellerBrown {
    pub fn potential_and_gradient(&self, p: DVec2) -> (f64, DVec2) {
        let mut value = 0.0;
        let mut gradient = DVec2::ZERO;
        for [big_a, a, b, c, x0, y0] in MUELLER_BROWN_TERMS {
            let d = p - DVec2::new(x0, y0);
            let term = big_a * (a * d.x * d.x + b * d.x * d.y + c * d.y * d.y).exp();
            value += term;
            gradient += term * DVec2::new(2.0 * a * d.x + b * d.y, b * d.x + 2.0 * c * d.y);
        }
        (self.scale * value, self.scale * gradient)
    }

    pub fn gpu_params(&self) -> Vec<[f32; 4]> {
        let mut rows = vec![[self.scale as f32, 0.0, 0.0, 0.0]];
        for [big_a, a, b, c, _, _] in MUELLER_BROWN_TERMS {
            rows.push([big_a as f32, a as f32, b as f32, c as f32]);
        }
        for [_, _, _, _, x0, y0] in MUELLER_BROWN_TERMS {
            rows.push([x0 as f32, y0 as f32, 0.0, 0.0]);
        }
        rows
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        positive("field.scale", self.scale)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct DoubleWell {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

impl DoubleWell {
    pub fn potential_and_gradient(&self, p: DVec2) -> (f64, DVec2) {
        let x2 = p.x * p.x;
        let value = self.a * p.x + self.b * x2 + self.c * x2 * x2 + 0.5 * p.y * p.y;
        let gradient = DVec2::new(self.a + 2.0 * self.b * p.x + 4.0 * self.c * x2 * p.x, p.y);
        (value, gradient)
    }

    pub fn gpu_params(&self) -> Vec<[f32; 4]> {
        vec![[self.a as f32, self.b as f32, self.c as f32, 0.0]]
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        finite("field.a", self.a)?;
        finite("field.b", self.b)?;
        // Without a positive quartic term exp(-V) cannot be normalised.
        positive("field.c", self.c)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Banana {
    /// Twist b of the coordinates y2 = x2 + b x1^2 - variance_x b.
    pub twist: f64,
    pub variance_x: f64,
    pub variance_y: f64,
}

impl Banana {
    pub fn potential_and_gradient(&self, p: DVec2) -> (f64, DVec2) {
        let w = p.y + self.twist * p.x * p.x - self.variance_x * self.twist;
        let value = 0.5 * p.x * p.x / self.variance_x + 0.5 * w * w / self.variance_y;
        let w_over_vy = w / self.variance_y;
        let gradient = DVec2::new(
            p.x / self.variance_x + 2.0 * self.twist * p.x * w_over_vy,
            w_over_vy,
        );
        (value, gradient)
    }

    pub fn gpu_params(&self) -> Vec<[f32; 4]> {
        vec![[self.twist as f32, self.variance_x as f32, self.variance_y as f32, 0.0]]
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        finite("field.twist", self.twist)?;
        positive("field.variance_x", self.variance_x)?;
        positive("field.variance_y", self.variance_y)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ring {
    pub radius: f64,
    pub width: f64,
}

impl Ring {
    pub fn potential_and_gradient(&self, p: DVec2) -> (f64, DVec2) {
        let r = p.length();
        let d = (r - self.radius) / self.width;
        let value = 0.5 * d * d + r.ln();
        let radial = (r - self.radius) / (self.width * self.width) + 1.0 / r;
        (value, radial * p / r)
    }

    pub fn gpu_params(&self) -> Vec<[f32; 4]> {
        vec![[self.radius as f32, self.width as f32, 0.0, 0.0]]
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        positive("field.radius", self.radius)?;
        positive("field.width", self.width)
    }
}

pub(super) fn finite(key: &str, value: f64) -> Result<(), FieldError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(FieldError::invalid(key, format!("{value} is not a finite number")))
    }
}

pub(super) fn positive(key: &str, value: f64) -> Result<(), FieldError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(FieldError::invalid(key, format!("{value} must be a finite number above 0")))
    }
}
