//! `scoreforce sample`: the particles as a float32 (N, 2) .npy file.

use anyhow::Result;

use super::{prepare, sample};
use crate::cli::SampleArgs;
use scoreforce::density::export;
use scoreforce::gpu::{BackendChoice, GpuContext};

pub(crate) fn run(args: &SampleArgs, backend: BackendChoice) -> Result<()> {
    let config = prepare(&args.scene, None)?;
    export::check_extension(&args.out, "npy", "a NumPy .npy array")?;
    export::check_writable(&args.out)?;
    let ctx = GpuContext::new(backend)?;
    let (system, _) = sample(&ctx, &config)?;
    let positions = system.read_positions(&ctx)?;
    export::write_npy(&args.out, &positions)?;
    println!(
        "wrote {} ({} particles, {} steps, {} non-finite)",
        args.out.display(),
        positions.len(),
        system.total_steps(),
        system.total_diverged()
    );
    Ok(())
}
