//! Gaussian mixture field with full covariances and its exact Gaussian smoothing.

use glam::DVec2;
use rand_distr::StandardNormal;

use super::FieldError;

/// Base-2 log normaliser written for a component of zero weight: finite, so the shader's
/// arithmetic stays finite, and low enough that the component adds nothing.
const ABSENT_LOG2_NORMALISER: f32 = -1e30;

/// Largest number of mixture components a field may have; the parameter table and the
/// per-step loop in `shaders/fields/gaussian_mixture.wgsl` grow with it.
pub const MAX_MIXTURE_COMPONENTS: usize = 64;

/// One component: weight (not necessarily normalised), mean, and covariance (xx, xy, yy).
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    pub weight: f64,
    pub mean: DVec2,
    pub covariance: [f64; 3],
}

#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    pub components: Vec<Component>,
}

impl GaussianMixture {
    /// Checks weights, means and covariances; the message names the component and the fix.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.components.is_empty() {
            return Err(FieldError::invalid(
                "field.components",
                "a gaussian-mixture needs at least one component",
            ));
        }
        if self.components.len() > MAX_MIXTURE_COMPONENTS {
            return Err(FieldError::invalid(
                "field.components",
                format!(
                    "{} components given, at most {MAX_MIXTURE_COMPONENTS} are supported",
                    self.components.len()
                ),
            ));
        }
        for (k, component) in self.components.iter().enumerate() {
            let key = format!("field.components[{k}]");
            if !(component.weight.is_finite() && component.weight >= 0.0) {
                return Err(FieldError::invalid(
                    format!("{key}.weight"),
                    format!("weight {} must be finite and not negative", component.weight),
                ));
            }
            if !component.mean.is_finite() {
                return Err(FieldError::invalid(
                    format!("{key}.mean"),
                    format!("mean {:?} must be finite", component.mean.to_array()),
                ));
            }
            let [xx, xy, yy] = component.covariance;
            let determinant = xx * yy - xy * xy;
            if !(xx.is_finite() && xy.is_finite() && yy.is_finite())
                || xx <= 0.0
                || determinant <= 0.0
            {
                return Err(FieldError::invalid(
                    format!("{key}.covariance"),
                    format!(
                        "covariance [[{xx}, {xy}], [{xy}, {yy}]] is not positive definite \
                         (needs xx > 0 and xx*yy - xy^2 > 0)"
                    ),
                ));
            }
        }
        let total: f64 = self.components.iter().map(|c| c.weight).sum();
        if !(total > 0.0) {
            return Err(FieldError::invalid(
                "field.components",
                format!("the weights sum to {total}; at least one must be positive"),
            ));
        }
        Ok(())
    }

    fn total_weight(&self) -> f64 {
        self.components.iter().map(|c| c.weight).sum()
    }

    /// Log density of the mixture smoothed by N(0, sigma^2 I), and its gradient (the score),
    /// with a running log-sum-exp over the components.
    pub fn log_density_and_score(&self, x: DVec2, sigma: f64) -> (f64, DVec2) {
        let sigma2 = sigma * sigma;
        let total_weight = self.total_weight();
        let mut max_log = f64::NEG_INFINITY;
        let mut total = 0.0;
        let mut score = DVec2::ZERO;
        for c in self.components.iter().filter(|c| c.weight > 0.0) {
            let [xx, xy, yy] = c.covariance;
            let (xx, yy) = (xx + sigma2, yy + sigma2);
            let determinant = xx * yy - xy * xy;
            let d = x - c.mean;
            let precision_d = DVec2::new(yy * d.x - xy * d.y, xx * d.y - xy * d.x) / determinant;
            let log_density = (c.weight / total_weight).ln()
                - 0.5 * d.dot(precision_d)
                - 0.5 * determinant.ln()
                - (2.0 * std::f64::consts::PI).ln();
            if log_density > max_log {
                let rescale = (max_log - log_density).exp();
                total = total * rescale + 1.0;
                score = score * rescale - precision_d;
                max_log = log_density;
            } else {
                let w = (log_density - max_log).exp();
                total += w;
                score -= w * precision_d;
            }
        }
        (max_log + total.ln(), score / total)
    }

    /// Returns the mixture's WGSL with the component count as a constant. lavapipe (Mesa
    /// 22.3) inlines uniform values that bound a loop and compiles the shader again for
    /// them, which cost 11 to 20 ms per dispatch when the count was a uniform.
    pub fn wgsl(&self) -> String {
        format!(
            "const MIXTURE_COMPONENTS: u32 = {}u;\n{}",
            self.components.len(),
            include_str!("../../shaders/fields/gaussian_mixture.wgsl")
        )
    }

    /// Rows of the GPU parameter table for noise level `sigma`, in the layout of
    /// `gaussian_mixture.wgsl`: the base-2 log normaliser and log2(e) times the precision
    /// matrix of each smoothed component, computed here in f64.
    pub fn gpu_params(&self, sigma: f64) -> Vec<[f32; 4]> {
        let sigma2 = sigma * sigma;
        let total_weight = self.total_weight();
        let mut rows = vec![[self.components.len() as f32, 0.0, 0.0, 0.0]];
        for c in &self.components {
            if c.weight <= 0.0 {
                // The shader loops over every component, so that a weight set to zero in
                // the window keeps the pipeline. This one adds exp2(-1e30) = 0.
                rows.push([ABSENT_LOG2_NORMALISER, c.mean.x as f32, c.mean.y as f32, 0.0]);
                rows.push([0.0; 4]);
                continue;
            }
            let [xx, xy, yy] = c.covariance;
            let (xx, yy) = (xx + sigma2, yy + sigma2);
            let determinant = xx * yy - xy * xy;
            let log2_normaliser = (c.weight / total_weight).log2()
                - (2.0 * std::f64::consts::PI).log2()
                - 0.5 * determinant.log2();
            let scale = std::f64::consts::LOG2_E / determinant;
            rows.push([log2_normaliser as f32, c.mean.x as f32, c.mean.y as f32, 0.0]);
            rows.push([(yy * scale) as f32, (-xy * scale) as f32, (xx * scale) as f32, 0.0]);
        }
        rows
    }

    /// Weighted mean of the component means.
    pub fn centre(&self) -> DVec2 {
        let total_weight = self.total_weight();
        self.components.iter().map(|c| c.weight / total_weight * c.mean).sum()
    }

    /// Draws one exact sample of the smoothed mixture, for tests and accuracy figures.
    pub fn sample(&self, rng: &mut impl rand::Rng, sigma: f64) -> DVec2 {
        let total_weight = self.total_weight();
        let mut pick = rng.random::<f64>() * total_weight;
        let mut chosen = &self.components[self.components.len() - 1];
        for c in &self.components {
            if pick < c.weight {
                chosen = c;
                break;
            }
            pick -= c.weight;
        }
        let [xx, xy, yy] = chosen.covariance;
        let (xx, yy) = (xx + sigma * sigma, yy + sigma * sigma);
        // Cholesky factor of [[xx, xy], [xy, yy]].
        let l11 = xx.sqrt();
        let l21 = xy / l11;
        let l22 = (yy - l21 * l21).sqrt();
        let z = DVec2::new(rng.sample(StandardNormal), rng.sample(StandardNormal));
        chosen.mean + DVec2::new(l11 * z.x, l21 * z.x + l22 * z.y)
    }
}
