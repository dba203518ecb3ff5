//! Field kinds: parameters, the f64 reference V and force, and the WGSL that mirrors them.
//!
//! Every kind defines `V(x, sigma)` and `force = -grad V` twice: here in f64 (the reference
//! the tests compare against) and in `shaders/fields/<kind>.wgsl` in f32. The expression
//! kind generates its WGSL from the user's text instead. Kinds with an exact Gaussian
//! smoothing (the mixture) use `sigma`; the others ignore it and reject the noise schedule.

use std::borrow::Cow;

pub mod buffers;
pub mod expression;
pub mod image;
mod mixture;
mod potentials;
pub mod probe;

use std::fmt;

use glam::DVec2;

pub use expression::{ExpressionError, ExpressionField};
pub use image::ImageField;
pub use mixture::{Component, GaussianMixture, MAX_MIXTURE_COMPONENTS};
pub use potentials::{Banana, DoubleWell, MUELLER_BROWN_TERMS, MuellerBrown, Ring};

/// An invalid field parameter, with the key path of the scene file it came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid `{key}`: {message}")]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

impl FieldError {
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { key: key.into(), message: message.into() }
    }
}

/// Names the scene key of an expression error: the potential, or the parameter concerned.
impl From<ExpressionError> for FieldError {
    fn from(error: ExpressionError) -> Self {
        let key = match &error {
            ExpressionError::Parameter { name, .. } if !name.is_empty() => format!("field.params.{name}"),
            ExpressionError::Parameter { .. } => "field.params".to_string(),
            _ => "field.potential".to_string(),
        };
        FieldError { key, message: error.to_string() }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    GaussianMixture(GaussianMixture),
    MuellerBrown(MuellerBrown),
    DoubleWell(DoubleWell),
    Banana(Banana),
    Ring(Ring),
    Expression(ExpressionField),
    Image(ImageField),
}

/// Names of the field kinds as written in scene files and `--field` help.
pub const FIELD_KIND_NAMES: [&str; 7] =
    ["gaussian-mixture", "mueller-brown", "double-well", "banana", "ring", "expression", "image"];

impl Field {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Field::GaussianMixture(_) => "gaussian-mixture",
            Field::MuellerBrown(_) => "mueller-brown",
            Field::DoubleWell(_) => "double-well",
            Field::Banana(_) => "banana",
            Field::Ring(_) => "ring",
            Field::Expression(_) => "expression",
            Field::Image(_) => "image",
        }
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            Field::GaussianMixture(f) => f.validate(),
            Field::MuellerBrown(f) => f.validate(),
            Field::DoubleWell(f) => f.validate(),
            Field::Banana(f) => f.validate(),
            Field::Ring(f) => f.validate(),
            // Checked when the field was built and by every `set_parameter`.
            Field::Expression(_) | Field::Image(_) => Ok(()),
        }
    }

    /// Returns V at `x` for the field smoothed to noise level `sigma`, and grad V.
    pub fn potential_and_gradient(&self, x: DVec2, sigma: f64) -> (f64, DVec2) {
        match self {
            Field::GaussianMixture(f) => {
                let (log_density, score) = f.log_density_and_score(x, sigma);
                (-log_density, -score)
            }
            Field::MuellerBrown(f) => f.potential_and_gradient(x),
            Field::DoubleWell(f) => f.potential_and_gradient(x),
            Field::Banana(f) => f.potential_and_gradient(x),
            Field::Ring(f) => f.potential_and_gradient(x),
            Field::Expression(f) => f.potential_and_gradient(x),
            Field::Image(f) => f.potential_and_gradient(x, sigma),
        }
    }

    pub fn potential(&self, x: DVec2, sigma: f64) -> f64 {
        self.potential_and_gradient(x, sigma).0
    }

    /// Returns the force -grad V, which is the temperature times the score grad log p.
    pub fn force(&self, x: DVec2, sigma: f64) -> DVec2 {
        -self.potential_and_gradient(x, sigma).1
    }

    /// Returns whether `sigma` changes the field: only then can the noise schedule anneal it.
    pub fn has_smoothed_score(&self) -> bool {
        matches!(self, Field::GaussianMixture(_) | Field::Image(_))
    }

    /// Rows of `field_params` for noise level `sigma`, in the layout the kind's WGSL file
    /// documents. Kinds without smoothing ignore `sigma`.
    pub fn gpu_params(&self, sigma: f64) -> Vec<[f32; 4]> {
        match self {
            Field::GaussianMixture(f) => f.gpu_params(sigma),
            Field::MuellerBrown(f) => f.gpu_params(),
            Field::DoubleWell(f) => f.gpu_params(),
            Field::Banana(f) => f.gpu_params(),
            Field::Ring(f) => f.gpu_params(),
            Field::Expression(f) => f.gpu_params(),
            Field::Image(f) => f.gpu_params(sigma),
        }
    }

    /// Returns whether the kind reads a table from the field data buffer (`field_data`).
    pub fn has_data(&self) -> bool {
        matches!(self, Field::Image(_))
    }

    /// Most values `gpu_data` returns at any noise level.
    pub fn max_data_len(&self) -> usize {
        match self {
            Field::Image(f) => f.max_data_len(),
            _ => 0,
        }
    }

    /// Returns the field data for noise level `sigma`: the image's table of log densities.
    pub fn gpu_data(&self, sigma: f64) -> Option<Vec<f32>> {
        match self {
            Field::Image(f) => Some(f.gpu_data(sigma).log_density.clone()),
            _ => None,
        }
    }

    /// WGSL defining `field_potential(x)` and `field_force(x)` for this kind: a file of
    /// `shaders/fields/`, or the text generated for an expression.
    pub fn wgsl(&self) -> Cow<'static, str> {
        let file = match self {
            Field::GaussianMixture(f) => return Cow::Owned(f.wgsl()),
            Field::MuellerBrown(_) => include_str!("../../shaders/fields/mueller_brown.wgsl"),
            Field::DoubleWell(_) => include_str!("../../shaders/fields/double_well.wgsl"),
            Field::Banana(_) => include_str!("../../shaders/fields/banana.wgsl"),
            Field::Ring(_) => include_str!("../../shaders/fields/ring.wgsl"),
            Field::Expression(f) => return Cow::Owned(f.wgsl().to_string()),
            Field::Image(_) => include_str!("../../shaders/fields/image.wgsl"),
        };
        Cow::Borrowed(file)
    }

    /// Returns whether `other` runs with the same WGSL (the same kind and, for expressions
    /// and mixtures, the same text), so that a pipeline built for `self` can take `other`'s
    /// rows.
    pub fn same_shader(&self, other: &Field) -> bool {
        self.wgsl() == other.wgsl()
    }

    /// Returns a point near the mass of the density: the start of the noise schedule's
    /// Gaussian.
    pub fn centre(&self) -> DVec2 {
        match self {
            Field::GaussianMixture(f) => f.centre(),
            Field::MuellerBrown(_) => DVec2::new(-0.3, 0.9),
            Field::DoubleWell(_) => DVec2::ZERO,
            Field::Banana(_) => DVec2::ZERO,
            Field::Ring(_) => DVec2::ZERO,
            // An expression's mass can lie anywhere, so the origin is used. It would be the
            // start of the noise schedule's Gaussian, which expressions reject anyway.
            Field::Expression(_) => DVec2::ZERO,
            Field::Image(f) => f.centre(),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::GaussianMixture(m) => {
                write!(f, "gaussian-mixture with {} components", m.components.len())
            }
            Field::MuellerBrown(m) => write!(f, "mueller-brown, scale {}", m.scale),
            Field::DoubleWell(d) => write!(f, "double-well, a {} b {} c {}", d.a, d.b, d.c),
            Field::Banana(b) => write!(
                f,
                "banana, twist {} variances ({}, {})",
                b.twist, b.variance_x, b.variance_y
            ),
            Field::Ring(r) => write!(f, "ring, radius {} width {}", r.radius, r.width),
            Field::Expression(e) => write!(f, "{e}"),
            Field::Image(image) => {
                let (width, height) = image.pixels();
                write!(f, "image {} ({width}x{height} pixels) on {:?}", image.source.display(), image.rect)
            }
        }
    }
}
