//! Scene files (TOML): the field, the sampler, the schedule and the view, with defaults,
//! the built-in presets, and the validation that turns a scene into a `RunConfig`.
//!
//! A scene has four tables; only `[field]` is required:
//!
//! ```toml
//! [field]
//! kind = "mueller-brown"          # or gaussian-mixture, double-well, banana, ring, expression
//! scale = 0.15
//! [sampler]
//! particles = 1000000
//! steps = 4000                    # total Langevin steps, spread over the levels
//! step_size = 1e-4                # h in x' = x + h F(x) + sqrt(2 h T) xi
//! [schedule]
//! kind = "temperature"            # constant, temperature or noise
//! t_max = 8.0
//! levels = 8
//! [view]
//! rect = [-1.5, 1.2, -0.2, 2.0]   # x_min, x_max, y_min, y_max in world units
//! size = [512, 512]
//! ```
//!
//! An expression field gives V(x, y) as text and its parameters in a table:
//!
//! ```toml
//! [field]
//! kind = "expression"
//! potential = "(x^2 - 1)^2 + a*y^2"
//! [field.params]
//! a = 0.5
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glam::DVec2;
use serde::{Deserialize, Serialize};

use crate::density::{Colormap, Scale, Style, View};
use crate::field::image::BUILTIN_SCORE_RING_NAME;
use crate::field::{
    Banana, Component, DoubleWell, ExpressionField, FIELD_KIND_NAMES, Field, FieldError,
    GaussianMixture, ImageField, MuellerBrown, Ring,
};
use crate::sampler::{InitialDistribution, Integrator};
use crate::schedule::{Schedule, ScheduleError, ScheduleKind};

/// Brightness added to every pixel of an image field when the scene gives no `floor`.
pub const DEFAULT_IMAGE_FLOOR: f64 = 1e-3;

/// The built-in presets: name, TOML text.
pub const PRESETS: [(&str, &str); 6] = [
    ("gmm8-ring", include_str!("../assets/scenes/gmm8-ring.toml")),
    ("mueller-brown", include_str!("../assets/scenes/mueller-brown.toml")),
    ("double-well", include_str!("../assets/scenes/double-well.toml")),
    ("banana", include_str!("../assets/scenes/banana.toml")),
    ("ring", include_str!("../assets/scenes/ring.toml")),
    ("score-ring", include_str!("../assets/scenes/score-ring.toml")),
];

/// The preset used when neither a scene file nor `--field` is given.
pub const DEFAULT_PRESET: &str = "gmm8-ring";

/// The scene that `--potential` starts from. Its comments explain the defaults.
pub const EXPRESSION_SCENE: &str = include_str!("../assets/scenes/expression.toml");

#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    #[error("cannot read scene file `{path}`: {cause}")]
    Unreadable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("invalid scene file `{origin}`: {message}")]
    Parse { origin: String, message: String },
    #[error("unknown field preset `{name}`; the presets are: {known}")]
    UnknownPreset { name: String, known: String },
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error("invalid `{key}`: {message}")]
    Invalid { key: String, message: String },
    /// An invalid value of a scene file, with where the file sets it.
    #[error("{error} (in `{}`, line {line})", path.display())]
    InFile {
        path: PathBuf,
        line: usize,
        error: Box<SceneError>,
    },
}

impl SceneError {
    /// Returns the key path of an invalid value, such as `field.components[2].weight`.
    pub fn key(&self) -> Option<&str> {
        match self {
            SceneError::Invalid { key, .. } => Some(key),
            SceneError::Field(error) => Some(&error.key),
            SceneError::Schedule(error) => Some(error.key),
            SceneError::InFile { error, .. } => error.key(),
            _ => None,
        }
    }

    /// Names the scene file `path` and the line in an invalid-value error, where the file
    /// sets the key. A value the file does not set came from a flag or a default, so the
    /// error is returned as it is, and so it is when the file cannot be read again.
    pub fn in_file(self, path: &Path) -> SceneError {
        if matches!(self, SceneError::InFile { .. }) {
            return self;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            return self;
        };
        match self.key().and_then(|key| line_of_key(&text, key)) {
            Some(line) => SceneError::InFile { path: path.to_path_buf(), line, error: Box::new(self) },
            None => self,
        }
    }
}

/// Returns the line (from 1) on which the TOML `text` sets the key path `key`, written as
/// in errors: table keys joined by dots, array elements as `[index]`.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut value: Option<&toml::Spanned<toml::de::DeValue<'_>>> = None;
    for part in key.split('.') {
        let (name, indices) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        let table = match value {
            None => root.get_ref(),
            Some(spanned) => spanned.get_ref().as_table()?,
        };
        let entry = table.iter().find(|(k, _)| k.get_ref().as_ref() == name).map(|(_, v)| v)?;
        span = entry.span();
        value = Some(entry);
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            let index: usize = index.parse().ok()?;
            let element = value?.get_ref().get(index)?;
            span = element.span();
            value = Some(element);
        }
    }
    Some(text[..span.start.min(text.len())].matches('\n').count() + 1)
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> SceneError {
    SceneError::Invalid { key: key.into(), message: message.into() }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub field: FieldSpec,
    #[serde(default)]
    pub sampler: SamplerSpec,
    #[serde(default)]
    pub schedule: ScheduleSpec,
    #[serde(default)]
    pub view: ViewSpec,
}

/// `[field]`: the kind and its parameters; a parameter of another kind is an error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twist: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance_x: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance_y: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// V(x, y) of the expression kind, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potential: Option<String>,
    /// Parameter values of the expression kind, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, f64>>,
    /// The picture of the image kind: a PNG or JPEG path (relative to the scene file) or
    /// `builtin:score-ring`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<PathBuf>,
    /// Placement of the picture: x_min, x_max, y_min, y_max in world units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rect: Option<[f64; 4]>,
    /// Density proportional to darkness instead of brightness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invert: Option<bool>,
    /// Brightness added to every pixel, so dark regions keep a little density.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
}

/// One `[[field.components]]` entry: `std` (isotropic) or `covariance`, not both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    #[serde(default = "one")]
    pub weight: f64,
    pub mean: [f64; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariance: Option<[[f64; 2]; 2]>,
}

fn one() -> f64 {
    1.0
}

/// `[sampler]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplerSpec {
    pub integrator: Integrator,
    pub particles: u64,
    /// Total Langevin steps, spread over the schedule's levels.
    pub steps: u32,
    /// h in x' = x + h F(x) + sqrt(2 h T) xi; for the noise schedule, h at the last level.
    pub step_size: f64,
    /// Target temperature T of exp(-V / T).
    pub temperature: f64,
    pub seed: u64,
    /// Friction gamma of the underdamped integrator, in 1 / time.
    pub friction: f64,
    /// ULA with the tamed drift h F / (1 + h |F|), for forces that grow fast.
    pub tamed: bool,
    /// MALA only: adapt the step size toward this acceptance rate before sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_acceptance: Option<f64>,
    /// Steps of the adaptation warm-up, which are not counted as sampling.
    pub adapt_steps: u32,
    /// Fraction of the particles that may turn non-finite before the run stops.
    pub max_diverged: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<InitSpec>,
}

impl Default for SamplerSpec {
    fn default() -> Self {
        SamplerSpec {
            integrator: Integrator::Ula,
            particles: 1_000_000,
            steps: 1000,
            step_size: 1e-3,
            temperature: 1.0,
            seed: 1,
            friction: 1.0,
            tamed: false,
            target_acceptance: None,
            adapt_steps: 500,
            max_diverged: 0.001,
            init: None,
        }
    }
}

/// Step adaptation of MALA before sampling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptation {
    pub target_acceptance: f64,
    pub steps: u32,
}

/// `[sampler.init]`: where particles start. Without it, the noise schedule starts from
/// N(centre, sigma_max^2 I) and the others from a uniform draw over the view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
pub enum InitSpec {
    Gaussian { mean: [f64; 2], std: f64 },
    Uniform { min: [f64; 2], max: [f64; 2] },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleName {
    #[default]
    Constant,
    Temperature,
    Noise,
}

/// `[schedule]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSpec {
    pub kind: ScheduleName,
    pub levels: u32,
    /// Starting temperature of the temperature schedule.
    pub t_max: f64,
    pub sigma_max: f64,
    pub sigma_min: f64,
    /// Final noise-free step x += sigma_min^2 * score(x, sigma_min) (noise schedule).
    pub denoise: bool,
}

impl Default for ScheduleSpec {
    fn default() -> Self {
        ScheduleSpec {
            kind: ScheduleName::Constant,
            levels: 10,
            t_max: 10.0,
            sigma_max: 10.0,
            sigma_min: 0.01,
            denoise: false,
        }
    }
}

/// `[view]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ViewSpec {
    /// x_min, x_max, y_min, y_max in world units.
    pub rect: [f64; 4],
    /// Width and height in pixels.
    pub size: [u32; 2],
    pub colormap: Colormap,
    pub scale: Scale,
}

impl Default for ViewSpec {
    fn default() -> Self {
        ViewSpec {
            rect: [-6.0, 6.0, -6.0, 6.0],
            size: [512, 512],
            colormap: Colormap::default(),
            scale: Scale::default(),
        }
    }
}

/// A validated scene: everything a run needs.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub scene: Scene,
    pub field: Field,
    pub schedule: Schedule,
    pub integrator: Integrator,
    pub particles: u32,
    pub seed: u64,
    pub init: InitialDistribution,
    pub friction: f64,
    pub tamed: bool,
    pub adaptation: Option<Adaptation>,
    pub max_diverged: f64,
    pub view: View,
    pub width: u32,
    pub height: u32,
    pub style: Style,
}

impl Scene {
    /// Parses a scene; a syntax error or a wrong key or type names the line and the key
    /// path (such as `sampler.particles`).
    pub fn from_toml(text: &str, origin: &str) -> Result<Scene, SceneError> {
        let parse_error = |message: String| SceneError::Parse { origin: origin.to_string(), message };
        let deserializer = toml::Deserializer::parse(text).map_err(|e| parse_error(e.to_string()))?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            match path.as_str() {
                "" | "." => parse_error(inner),
                _ => parse_error(format!("at `{path}`: {inner}")),
            }
        })
    }

    /// Reads a scene file; a relative picture path is taken relative to the file's folder.
    pub fn load(path: &Path) -> Result<Scene, SceneError> {
        let text = std::fs::read_to_string(path)
            .map_err(|cause| SceneError::Unreadable { path: path.to_path_buf(), cause })?;
        let mut scene = Scene::from_toml(&text, &path.display().to_string())?;
        if let Some(image) = &scene.field.image
            && image.is_relative()
            && image.as_os_str() != BUILTIN_SCORE_RING_NAME
            && let Some(folder) = path.parent()
        {
            scene.field.image = Some(folder.join(image));
        }
        Ok(scene)
    }

    /// Builds the score-ring preset with another picture, fitted into [-4, 4]^2 with its
    /// aspect ratio, and a view and picture size to match.
    pub fn image(path: &Path, invert: bool) -> Result<Scene, SceneError> {
        let mut scene = Scene::preset("score-ring")?;
        let (width, height) = image::image_dimensions(path).map_err(|e| {
            SceneError::Field(FieldError::invalid(
                "field.image",
                format!("`{}` is not a readable PNG or JPEG image: {e}", path.display()),
            ))
        })?;
        let aspect = f64::from(width.max(1)) / f64::from(height.max(1));
        let (half_x, half_y) = if aspect >= 1.0 { (4.0, 4.0 / aspect) } else { (4.0 * aspect, 4.0) };
        scene.field.image = Some(path.to_path_buf());
        scene.field.rect = Some([-half_x, half_x, -half_y, half_y]);
        scene.field.invert = Some(invert);
        scene.view.rect = [-1.1 * half_x, 1.1 * half_x, -1.1 * half_y, 1.1 * half_y];
        let long_side = 640.0;
        scene.view.size = if aspect >= 1.0 {
            [long_side as u32, (long_side / aspect).round().max(1.0) as u32]
        } else {
            [(long_side * aspect).round().max(1.0) as u32, long_side as u32]
        };
        Ok(scene)
    }

    pub fn preset(name: &str) -> Result<Scene, SceneError> {
        let (_, text) = PRESETS.iter().find(|(preset, _)| *preset == name).ok_or_else(|| {
            SceneError::UnknownPreset {
                name: name.to_string(),
                known: PRESETS.map(|(n, _)| n).join(", "),
            }
        })?;
        Scene::from_toml(text, &format!("preset {name}"))
    }

    /// Builds the scene of `EXPRESSION_SCENE` with the potential `potential` and no
    /// parameters.
    pub fn expression(potential: &str) -> Result<Scene, SceneError> {
        let mut scene = Scene::from_toml(EXPRESSION_SCENE, "the expression defaults")?;
        scene.field = FieldSpec {
            kind: "expression".to_string(),
            potential: Some(potential.to_string()),
            ..FieldSpec::default()
        };
        Ok(scene)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# scene could not be written: {e}\n"))
    }

    /// Returns the scene as TOML with the image path made absolute, for the metadata of
    /// pictures, so that `--from-png` finds the same file from any folder.
    pub fn to_recorded_toml(&self) -> String {
        let mut scene = self.clone();
        if let Some(image) = &scene.field.image
            && image.as_os_str() != BUILTIN_SCORE_RING_NAME
            && let Ok(absolute) = std::path::absolute(image)
        {
            scene.field.image = Some(absolute);
        }
        scene.to_toml()
    }

    /// Checks every value and builds the field, schedule and view.
    pub fn validate(&self) -> Result<RunConfig, SceneError> {
        let field = self.field.build()?;
        field.validate()?;

        let sampler = &self.sampler;
        if sampler.particles == 0 || sampler.particles > u64::from(u32::MAX) {
            return Err(invalid(
                "sampler.particles",
                format!("{} is out of range; use 1 to {}", sampler.particles, u32::MAX),
            ));
        }
        let kind = self.schedule.build_kind(&field, sampler.integrator)?;
        let schedule =
            Schedule::build(kind, sampler.steps, sampler.step_size, sampler.temperature)?;

        let [x_min, x_max, y_min, y_max] = self.view.rect;
        // The binning pass computes in f32, so the rectangle and its sides must fit in it.
        let fits = |v: f64| v.is_finite() && v.abs() <= 1e30;
        if !self.view.rect.iter().all(|&v| fits(v)) || !fits(x_max - x_min) || !fits(y_max - y_min) {
            return Err(invalid(
                "view.rect",
                format!(
                    "{:?} is not a rectangle the GPU can use: give finite values within +-1e30, \
                     because it computes in f32",
                    self.view.rect
                ),
            ));
        }
        if x_max <= x_min || y_max <= y_min {
            return Err(invalid(
                "view.rect",
                format!(
                    "{:?} is not a rectangle; give x_min < x_max and y_min < y_max, all finite",
                    self.view.rect
                ),
            ));
        }
        let view = View::new(x_min, x_max, y_min, y_max);
        let [width, height] = self.view.size;
        if width == 0 || height == 0 {
            return Err(invalid("view.size", format!("{width}x{height} has no pixels")));
        }

        let init = match &sampler.init {
            Some(InitSpec::Gaussian { mean, std }) => {
                if !(std.is_finite() && *std > 0.0) || !mean.iter().all(|v| v.is_finite()) {
                    return Err(invalid(
                        "sampler.init",
                        "a Gaussian start needs a finite mean and a finite std above 0",
                    ));
                }
                InitialDistribution::Gaussian {
                    mean: DVec2::from_array(*mean),
                    std: DVec2::splat(*std),
                }
            }
            Some(InitSpec::Uniform { min, max }) => {
                if !(min.iter().chain(max).all(|v| v.is_finite()) && min[0] < max[0] && min[1] < max[1]) {
                    return Err(invalid("sampler.init", "a uniform start needs finite min < max"));
                }
                InitialDistribution::Uniform {
                    min: DVec2::from_array(*min),
                    max: DVec2::from_array(*max),
                }
            }
            None => match schedule.initial_sigma() {
                Some(sigma) => InitialDistribution::Gaussian {
                    mean: field.centre(),
                    std: DVec2::splat(sigma),
                },
                None => InitialDistribution::Uniform { min: view.min, max: view.max },
            },
        };

        if sampler.tamed && sampler.integrator != Integrator::Ula {
            return Err(invalid(
                "sampler.tamed",
                format!(
                    "the tamed drift applies to the ula integrator only, not {}; drop --tamed \
                     (MALA's accept test already guards large steps) or use --integrator ula",
                    sampler.integrator.name()
                ),
            ));
        }
        if !(0.0..=1.0).contains(&sampler.max_diverged) {
            return Err(invalid(
                "sampler.max_diverged",
                format!("{} is not a fraction; use a value from 0 to 1", sampler.max_diverged),
            ));
        }
        if !(sampler.friction.is_finite() && sampler.friction > 0.0) {
            return Err(invalid(
                "sampler.friction",
                format!("{} must be a finite number above 0", sampler.friction),
            ));
        }
        let adaptation = match sampler.target_acceptance {
            None => None,
            Some(target) => {
                if sampler.integrator != Integrator::Mala {
                    return Err(invalid(
                        "sampler.target_acceptance",
                        "step adaptation toward an acceptance rate needs the mala integrator",
                    ));
                }
                if !(target > 0.0 && target < 1.0) {
                    return Err(invalid(
                        "sampler.target_acceptance",
                        format!("{target} is not a rate; use a value between 0 and 1, e.g. 0.574"),
                    ));
                }
                if sampler.adapt_steps < 10 {
                    return Err(invalid(
                        "sampler.adapt_steps",
                        format!("{} warm-up steps are too few to adapt; use at least 10", sampler.adapt_steps),
                    ));
                }
                Some(Adaptation { target_acceptance: target, steps: sampler.adapt_steps })
            }
        };

        Ok(RunConfig {
            scene: self.clone(),
            field,
            schedule,
            integrator: sampler.integrator,
            particles: sampler.particles as u32,
            seed: sampler.seed,
            init,
            friction: sampler.friction,
            tamed: sampler.tamed,
            adaptation,
            max_diverged: sampler.max_diverged,
            view,
            width,
            height,
            style: Style {
                colormap: self.view.colormap,
                scale: self.view.scale,
                ..Style::default()
            },
        })
    }
}

impl ScheduleSpec {
    fn build_kind(&self, field: &Field, integrator: Integrator) -> Result<ScheduleKind, SceneError> {
        Ok(match self.kind {
            ScheduleName::Constant => ScheduleKind::Constant,
            ScheduleName::Temperature => {
                ScheduleKind::Temperature { t_max: self.t_max, levels: self.levels }
            }
            ScheduleName::Noise => {
                if !field.has_smoothed_score() {
                    return Err(invalid(
                        "schedule.kind",
                        format!(
                            "the noise schedule needs a field with an exact smoothed score \
                             (gaussian-mixture or image); {} has none, so use the temperature \
                             schedule (--schedule temperature, or kind = \"temperature\" in \
                             the scene file)",
                            field.kind_name()
                        ),
                    ));
                }
                ScheduleKind::Noise {
                    sigma_max: self.sigma_max,
                    sigma_min: self.sigma_min,
                    levels: self.levels,
                    denoise: self.denoise,
                    step_exponent: if integrator.has_velocities() { 1.0 } else { 2.0 },
                }
            }
        })
    }
}

impl FieldSpec {
    /// Names of the parameters set in this table, besides `kind`.
    fn given_keys(&self) -> Vec<&'static str> {
        let present = [
            ("components", self.components.is_some()),
            ("scale", self.scale.is_some()),
            ("a", self.a.is_some()),
            ("b", self.b.is_some()),
            ("c", self.c.is_some()),
            ("twist", self.twist.is_some()),
            ("variance_x", self.variance_x.is_some()),
            ("variance_y", self.variance_y.is_some()),
            ("radius", self.radius.is_some()),
            ("width", self.width.is_some()),
            ("potential", self.potential.is_some()),
            ("params", self.params.is_some()),
            ("image", self.image.is_some()),
            ("rect", self.rect.is_some()),
            ("invert", self.invert.is_some()),
            ("floor", self.floor.is_some()),
        ];
        present.into_iter().filter(|(_, set)| *set).map(|(key, _)| key).collect()
    }

    fn build(&self) -> Result<Field, FieldError> {
        let allowed: &[&str] = match self.kind.as_str() {
            "gaussian-mixture" => &["components"],
            "mueller-brown" => &["scale"],
            "double-well" => &["a", "b", "c"],
            "banana" => &["twist", "variance_x", "variance_y"],
            "ring" => &["radius", "width"],
            "expression" => &["potential", "params"],
            "image" => &["image", "rect", "invert", "floor"],
            other => {
                return Err(FieldError::invalid(
                    "field.kind",
                    format!("unknown kind `{other}`; the kinds are: {}", FIELD_KIND_NAMES.join(", ")),
                ));
            }
        };
        if let Some(key) = self.given_keys().into_iter().find(|k| !allowed.contains(k)) {
            return Err(FieldError::invalid(
                format!("field.{key}"),
                format!(
                    "`{key}` is not a parameter of kind {}; its parameters are: {}",
                    self.kind,
                    allowed.join(", ")
                ),
            ));
        }
        Ok(match self.kind.as_str() {
            "gaussian-mixture" => {
                let specs = self.components.as_deref().unwrap_or_default();
                let components = specs
                    .iter()
                    .enumerate()
                    .map(|(k, spec)| spec.build(k))
                    .collect::<Result<Vec<_>, _>>()?;
                Field::GaussianMixture(GaussianMixture { components })
            }
            "mueller-brown" => Field::MuellerBrown(MuellerBrown { scale: self.scale.unwrap_or(0.15) }),
            "double-well" => Field::DoubleWell(DoubleWell {
                a: self.a.unwrap_or(0.0),
                b: self.b.unwrap_or(-4.0),
                c: self.c.unwrap_or(1.0),
            }),
            "banana" => Field::Banana(Banana {
                twist: self.twist.unwrap_or(0.1),
                variance_x: self.variance_x.unwrap_or(100.0),
                variance_y: self.variance_y.unwrap_or(1.0),
            }),
            "expression" => Field::Expression(self.build_expression()?),
            "image" => {
                let source = self.image.as_ref().ok_or_else(|| {
                    FieldError::invalid("field.image", "missing: give the picture's path, e.g. image = \"photo.png\"")
                })?;
                Field::Image(ImageField::load(
                    source,
                    self.rect,
                    self.invert.unwrap_or(false),
                    self.floor.unwrap_or(DEFAULT_IMAGE_FLOOR),
                )?)
            }
            _ => Field::Ring(Ring { radius: self.radius.unwrap_or(3.0), width: self.width.unwrap_or(0.3) }),
        })
    }

    fn build_expression(&self) -> Result<ExpressionField, FieldError> {
        let Some(potential) = &self.potential else {
            return Err(FieldError::invalid(
                "field.potential",
                "missing `potential`, which the expression kind needs; write V(x, y) as \
                 text, e.g. potential = \"(x^2 - 1)^2 + 0.5*y^2\"",
            ));
        };
        let parameters: Vec<(String, f64)> =
            self.params.iter().flatten().map(|(name, value)| (name.clone(), *value)).collect();
        Ok(ExpressionField::new(potential, &parameters)?)
    }

    /// Sets parameters of an expression field (`--param NAME=VALUE`), adding them to or
    /// replacing them in `[field.params]`.
    pub fn set_params(&mut self, params: &[(String, f64)]) -> Result<(), SceneError> {
        if params.is_empty() {
            return Ok(());
        }
        if self.kind != "expression" {
            return Err(invalid(
                "field.params",
                format!(
                    "parameters by name belong to the expression kind, but the field is {}; \
                     give the potential with --potential, or a scene with kind = \"expression\"",
                    self.kind
                ),
            ));
        }
        for (index, (name, _)) in params.iter().enumerate() {
            if params[..index].iter().any(|(earlier, _)| earlier == name) {
                return Err(invalid(
                    format!("field.params.{name}"),
                    format!("the parameter `{name}` is given twice; give it once"),
                ));
            }
        }
        self.params.get_or_insert_default().extend(params.iter().cloned());
        Ok(())
    }
}

impl ComponentSpec {
    fn build(&self, k: usize) -> Result<Component, FieldError> {
        let covariance = match (self.std, self.covariance) {
            (Some(std), None) => {
                if !(std.is_finite() && std > 0.0) {
                    return Err(FieldError::invalid(
                        format!("field.components[{k}].std"),
                        format!("{std} must be a finite number above 0"),
                    ));
                }
                [std * std, 0.0, std * std]
            }
            (None, Some([[xx, xy], [yx, yy]])) => {
                if xy != yx {
                    return Err(FieldError::invalid(
                        format!("field.components[{k}].covariance"),
                        format!("[[{xx}, {xy}], [{yx}, {yy}]] is not symmetric"),
                    ));
                }
                [xx, xy, yy]
            }
            (Some(_), Some(_)) => {
                return Err(FieldError::invalid(
                    format!("field.components[{k}]"),
                    "give `std` or `covariance`, not both",
                ));
            }
            (None, None) => {
                return Err(FieldError::invalid(
                    format!("field.components[{k}]"),
                    "missing `std` (isotropic) or `covariance` ([[xx, xy], [xy, yy]])",
                ));
            }
        };
        Ok(Component { weight: self.weight, mean: DVec2::from_array(self.mean), covariance })
    }
}
