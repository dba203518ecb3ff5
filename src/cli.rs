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
    Render(RenderArgs),
    /// Sample a field and write the particle positions as a float32 (N, 2) .npy file.
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

    /// Integrators to time [default: ula].
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

/// What to sample and how; each option overrides the scene file or preset.
#[derive(Debug, Args)]
pub struct SceneArgs {
    /// Scene file (TOML with [field], [sampler], [schedule] and [view] tables).
    pub scene: Option<PathBuf>,

    /// Built-in preset to start from when no scene file is given: gmm8-ring (default),
    /// mueller-brown, double-well, banana or ring. `scoreforce fields` lists them.
    #[arg(long, conflicts_with = "scene")]
    pub field: Option<String>,

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

    /// Integrator [preset: ula].
    #[arg(long, value_enum)]
    pub integrator: Option<Integrator>,

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
    if !(value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= u64::MAX as f64) {
        return Err(format!("`{text}` is not a whole, non-negative count"));
    }
    Ok(value as u64)
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
    fn sizes_and_rects_parse() {
        assert_eq!(parse_size("640x480"), Ok([640, 480]));
        assert!(parse_size("0x10").is_err());
        assert_eq!(parse_rect("-1.5,1.2,-0.2,2"), Ok([-1.5, 1.2, -0.2, 2.0]));
        assert!(parse_rect("1,0,0,1").is_err());
        assert!(parse_rect("0,1,0").is_err());
        assert!(parse_rect("0,1,0,nan").is_err());
    }
}
