//! Command-line arguments (clap derive). Each option's doc comment is its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use scoreforce::density::{Colormap, Scale};
use scoreforce::gpu::BackendChoice;
use scoreforce::sampler::Integrator;
use scoreforce::scene::ScheduleName;
use scoreforce::viewer::StepsPerFrame;

/// GPU Langevin sampler: moves millions of particles through a force field
/// (force = -grad V = T * score) with WGSL compute shaders and draws their density.
///
/// Step convention (as NCSN's code and BlackJAX): x' = x + h * F(x) + sqrt(2 h T) * xi,
/// where F = -grad V, h is --step-size and xi is standard normal. Its stationary density
/// is close to exp(-V / T), with an O(h) bias.
#[derive(Debug, Parser)]
#[command(name = "scoreforce", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Graphics API: auto (honours WGPU_BACKEND, else tries all), vulkan, metal, dx12 or gl.
    #[arg(long, global = true, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,

    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors and results.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sample a field and write the particle density as a PNG.
    #[command(allow_negative_numbers = true)]
    Render(RenderArgs),
    /// Sample a field and write the particle positions as a float32 (N, 2) .npy file.
    #[command(allow_negative_numbers = true)]
    Sample(SampleArgs),
    /// Time the sampler headless: particle-steps per second, FLOP/s, bandwidth and the
    /// accuracy against the exact density, one row (or JSON line) per case.
    Bench(BenchArgs),
    /// List the built-in fields and presets, their parameters and defaults.
    Fields,
    /// Open a window that samples the field live and draws the density, with a panel to
    /// change the field, the sampler and the picture.
    View(ViewArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Benchmark file (TOML with the keys fields, particles, integrators,
    /// steps_per_dispatch, steps, repeats, baseline, cpu_particles); flags override it.
    pub file: Option<PathBuf>,

    /// Presets or scene files (ending in .toml) to time [default: gmm8-ring mueller-brown
    /// double-well].
    #[arg(long = "field", num_args = 1..)]
    pub fields: Vec<String>,

    /// Particle counts to time [default: 1000000].
    #[arg(long, num_args = 1.., value_parser = parse_count)]
    pub particles: Vec<u64>,

    /// Integrators to time [default: ula mala underdamped].
    #[arg(long = "integrator", num_args = 1.., value_enum)]
    pub integrators: Vec<Integrator>,

    /// Steps each dispatch runs with the particle in registers [default: 128].
    #[arg(long, num_args = 1..)]
    pub steps_per_dispatch: Vec<u32>,

    /// Total steps per repeat [default: the preset's schedule length].
    #[arg(long)]
    pub steps: Option<u32>,

    /// Timed repeats per case; the median is reported with the min and max [default: 3].
    #[arg(long)]
    pub repeats: Option<u32>,

    /// Also time the same update on the CPU and print the GPU/CPU ratio.
    #[arg(long, value_enum)]
    pub baseline: Option<scoreforce::bench::Baseline>,

    /// Particles of the CPU baseline [default: 20000].
    #[arg(long, value_parser = parse_count)]
    pub cpu_particles: Option<u64>,

    /// Print one JSON object per case instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Options of the run; each overrides the scene file or preset.
#[derive(Debug, Args)]
pub struct SceneArgs {
    /// Scene file (TOML with [field], [sampler], [schedule] and [view] tables).
    pub scene: Option<PathBuf>,

    /// Built-in preset to start from when no scene file is given: gmm8-ring (default),
    /// mueller-brown, double-well, banana, ring or score-ring. `scoreforce fields` lists
    /// them.
    #[arg(long, conflicts_with = "scene")]
    pub field: Option<String>,

    /// Potential V(x, y) as text, e.g. "(x^2 - 1)^2 + a*y^2": numbers, x, y, parameters,
    /// + - * / ^, exp log sqrt sin cos tan tanh abs min max, pi and e. Starts from the
    /// expression defaults: tempering from T = 4, view [-3, 3]^2, h = 1e-3, 4000 steps.
    #[arg(long, conflicts_with_all = ["scene", "field"], allow_hyphen_values = true)]
    pub potential: Option<String>,

    /// Value of a parameter of the expression as NAME=VALUE, e.g. a=0.5. Repeat it for more
    /// parameters. Overrides the scene file's [field.params].
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, f64)>,

    /// Picture (PNG or JPEG) to sample: the density is proportional to its brightness,
    /// fitted into [-4, 4]^2 with its aspect ratio, annealed by noise levels as the
    /// score-ring preset.
    #[arg(long, conflicts_with_all = ["scene", "field", "potential"])]
    pub image: Option<PathBuf>,

    /// With --image: density proportional to darkness, for dark-on-light pictures.
    #[arg(long, requires = "image")]
    pub invert: bool,

    /// Number of particles, e.g. 1000000, 1e6 or 10M [preset: 1000000].
    #[arg(long, value_parser = parse_count)]
    pub particles: Option<u64>,

    /// Total Langevin steps, spread evenly over the schedule's levels [preset].
    #[arg(long)]
    pub steps: Option<u32>,

    /// Step size h (for the noise schedule, h at the last level) [preset].
    #[arg(long)]
    pub step_size: Option<f64>,

    /// Target temperature T of exp(-V / T) [preset: 1].
    #[arg(long)]
    pub temperature: Option<f64>,

    /// Schedule kind: constant, temperature (tempering from t_max) or noise (annealed
    /// smoothing, mixtures only) [preset].
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleName>,

    /// Integrator: ula (unadjusted), mala (Metropolis-adjusted, exact target) or underdamped
    /// (kinetic Langevin by BAOAB, with velocities) [preset: ula].
    #[arg(long, value_enum)]
    pub integrator: Option<Integrator>,

    /// Friction gamma of the underdamped integrator, in 1 / time [default: 1].
    #[arg(long)]
    pub friction: Option<f64>,

    /// Tamed ULA drift h F / (1 + h |F|): stays bounded where the force grows fast, such
    /// as a double well at high temperature or a steep user potential.
    #[arg(long)]
    pub tamed: bool,

    /// MALA: adapt the step size toward this acceptance rate in a warm-up before sampling.
    /// 0.574 is optimal in high dimension, and in 2-D a higher rate is usually better.
    #[arg(long)]
    pub target_acceptance: Option<f64>,

    /// Steps of the adaptation warm-up, not counted as sampling [default: 500].
    #[arg(long)]
    pub adapt_steps: Option<u32>,

    /// Fraction of the particles that may turn non-finite before the run stops with an
    /// error; 1 never stops [default: 0.001].
    #[arg(long)]
    pub max_diverged: Option<f64>,

    /// Seed of the Philox random numbers; the same seed gives the same particles on any
    /// device and any buffer split [preset: 1].
    #[arg(long)]
    pub seed: Option<u64>,

    /// Start from the positions in this float32 or float64 (N, 2) .npy file instead of
    /// the schedule's initial distribution. N sets the particle count.
    #[arg(long)]
    pub init: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PictureArgs {
    /// Picture size in pixels, WIDTHxHEIGHT [preset: 512x512].
    #[arg(long, value_parser = parse_size)]
    pub size: Option<[u32; 2]>,

    /// World rectangle XMIN,XMAX,YMIN,YMAX [preset]. Write --view=-1.5,1.2,-0.2,2 when it
    /// starts with a minus sign.
    #[arg(long, value_parser = parse_rect, allow_hyphen_values = true)]
    pub view: Option<[f64; 4]>,

    /// Colormap [preset: viridis].
    #[arg(long, value_enum)]
    pub colormap: Option<Colormap>,

    /// Count scale: linear, log (log1p), cbrt or eq-hist (histogram equalisation)
    /// [preset: log].
    #[arg(long, value_enum)]
    pub scale: Option<Scale>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub scene: SceneArgs,
    #[command(flatten)]
    pub picture: PictureArgs,

    /// N panels across the run, from the noisiest level to the end, each labelled with
    /// its noise level or temperature.
    #[arg(long, value_name = "N")]
    pub filmstrip: Option<u32>,

    /// A colour bar with count ticks for the scale, right of the picture.
    #[arg(long)]
    pub colorbar: bool,

    /// Axis ticks in world units, left of and below the picture.
    #[arg(long)]
    pub axes: bool,

    /// Force arrows on a grid over the density, computed by the field's own WGSL.
    #[arg(long)]
    pub arrows: bool,

    /// Contour lines of V over the density.
    #[arg(long)]
    pub contours: bool,

    /// Colour of empty pixels and margins: transparent, black, white, grey, #rrggbb or
    /// #rrggbbaa [default: black].
    #[arg(long, value_parser = parse_background)]
    pub background: Option<scoreforce::density::figure::Background>,

    /// Resolution in dots per inch, written into the PNG's pHYs chunk.
    #[arg(long)]
    pub dpi: Option<f64>,

    /// Draw the figure again from the metadata of a PNG that scoreforce wrote; other
    /// options override what it recorded.
    #[arg(long, value_name = "FILE.png", conflicts_with_all = ["scene", "field", "potential", "image"])]
    pub from_png: Option<PathBuf>,

    /// Output PNG path; written to a temporary file and renamed when complete.
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub scene: SceneArgs,

    /// Output .npy path; written to a temporary file and renamed when complete.
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub scene: SceneArgs,

    /// Window size in pixels, WIDTHxHEIGHT; the panel takes 300 of the width
    /// [default: 1100x800].
    #[arg(long, value_parser = parse_size)]
    pub size: Option<[u32; 2]>,

    /// World rectangle XMIN,XMAX,YMIN,YMAX fitted into the density area at the start
    /// [preset]. Write --view=-1.5,1.2,-0.2,2 when it starts with a minus sign.
    #[arg(long, value_parser = parse_rect, allow_hyphen_values = true)]
    pub view: Option<[f64; 4]>,

    /// Colormap [preset: viridis].
    #[arg(long, value_enum)]
    pub colormap: Option<Colormap>,

    /// Count scale: linear, log (log1p), cbrt or eq-hist [preset: log].
    #[arg(long, value_enum)]
    pub scale: Option<Scale>,

    /// Langevin steps per frame: auto (as many as fit 30 frames/s, and a step every few
    /// frames where one step takes longer than a frame) or a count from 1 to 4096.
    #[arg(long, default_value = "auto")]
    pub steps_per_frame: StepsPerFrame,

    /// Show the force arrows from the start (key A toggles them).
    #[arg(long)]
    pub arrows: bool,

    /// Show contour lines of V from the start (key C toggles them).
    #[arg(long)]
    pub contours: bool,

    /// Draw this many frames, print a summary of the frame times and exit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub frames: Option<u32>,

    /// With --frames: write the last frame, the whole window with its panel, to this PNG.
    #[arg(long, requires = "frames")]
    pub screenshot: Option<PathBuf>,

    /// For tests: destroys the GPU device after this many frames, so a test can check that
    /// a lost device ends the window with an error instead of a hang or a panic.
    #[arg(long, hide = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub lose_device_after: Option<u32>,
}

/// Parses a count such as 1000000, 1_000_000, 1e6, 2.5M or 10k.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let cleaned = text.trim().replace('_', "");
    let (number, factor) = match cleaned.chars().last() {
        Some('k' | 'K') => (&cleaned[..cleaned.len() - 1], 1e3),
        Some('m' | 'M') => (&cleaned[..cleaned.len() - 1], 1e6),
        Some('g' | 'G') => (&cleaned[..cleaned.len() - 1], 1e9),
        _ => (cleaned.as_str(), 1.0),
    };
    if let Ok(value) = number.parse::<u64>()
        && factor == 1.0
    {
        return Ok(value);
    }
    let value = number
        .parse::<f64>()
        .map_err(|_| format!("`{text}` is not a count; write e.g. 1000000, 1e6 or 10M"))?
        * factor;
    if value.is_finite() && value > u64::MAX as f64 {
        return Err(format!("`{text}` is too large for a count"));
    }
    if !(value.is_finite() && value >= 0.0 && value.fract() == 0.0) {
        return Err(format!("`{text}` is not a whole, non-negative count"));
    }
    Ok(value as u64)
}

fn parse_background(text: &str) -> Result<scoreforce::density::figure::Background, String> {
    scoreforce::density::figure::Background::parse(text)
}

/// Parses NAME=VALUE with a finite number as the value.
pub fn parse_param(text: &str) -> Result<(String, f64), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(format!("`{text}` is not NAME=VALUE; write e.g. --param a=0.5"));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{text}` has no parameter name; write e.g. --param a=0.5"));
    }
    let value: f64 = value.trim().parse().map_err(|_| {
        format!("the value of `{text}` is not a number; write e.g. --param {name}=0.5")
    })?;
    if !value.is_finite() {
        return Err(format!("the value of `{text}` is not a finite number; write e.g. --param {name}=0.5"));
    }
    Ok((name.to_string(), value))
}

/// Parses WIDTHxHEIGHT.
pub fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let error = || format!("`{text}` is not a size; write WIDTHxHEIGHT, e.g. 512x512");
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(error)?;
    let width: u32 = width.trim().parse().map_err(|_| error())?;
    let height: u32 = height.trim().parse().map_err(|_| error())?;
    if width == 0 || height == 0 {
        return Err(format!("`{text}` has no pixels; both sides must be at least 1"));
    }
    Ok([width, height])
}

/// Parses XMIN,XMAX,YMIN,YMAX.
pub fn parse_rect(text: &str) -> Result<[f64; 4], String> {
    let error = || {
        format!("`{text}` is not a rectangle; write XMIN,XMAX,YMIN,YMAX, e.g. -1.5,1.2,-0.2,2.0")
    };
    let values: Vec<f64> =
        text.split(',').map(|v| v.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| error())?;
    let [x_min, x_max, y_min, y_max] = values[..] else {
        return Err(error());
    };
    if !values.iter().all(|v| v.is_finite()) || x_min >= x_max || y_min >= y_max {
        return Err(format!(
            "`{text}` is not a rectangle; XMIN < XMAX and YMIN < YMAX, all finite"
        ));
    }
    Ok([x_min, x_max, y_min, y_max])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accept_scientific_and_suffixes() {
        assert_eq!(parse_count("1000000"), Ok(1_000_000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("2.5M"), Ok(2_500_000));
        assert_eq!(parse_count("10k"), Ok(10_000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("NaN").is_err());
    }

    #[test]
    fn params_parse_name_and_value() {
        assert_eq!(parse_param("a=0.5"), Ok(("a".to_string(), 0.5)));
        assert_eq!(parse_param(" width = -1e-3 "), Ok(("width".to_string(), -1e-3)));
        assert!(parse_param("a").unwrap_err().contains("not NAME=VALUE"));
        assert!(parse_param("=1").unwrap_err().contains("no parameter name"));
        assert!(parse_param("a=one").unwrap_err().contains("not a number"));
        assert!(parse_param("a=inf").unwrap_err().contains("not a finite number"));
    }

    #[test]
    fn sizes_and_rects_parse() {
        assert_eq!(parse_size("640x480"), Ok([640, 480]));
        assert!(parse_size("0x10").is_err());
        assert_eq!(parse_rect("-1.5,1.2,-0.2,2"), Ok([-1.5, 1.2, -0.2, 2.0]));
        assert!(parse_rect("1,0,0,1").is_err());
        assert!(parse_rect("0,1,0").is_err());
        assert!(parse_rect("0,1,0,nan").is_err());
    }
}
