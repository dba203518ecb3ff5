//! `scoreforce bench`: timed cases, as a table or JSON lines.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::BenchArgs;
use scoreforce::bench::{self, BenchError, BenchFile, BenchPlan};
use scoreforce::gpu::{BackendChoice, GpuContext};

pub(crate) fn run(args: &BenchArgs, backend: BackendChoice) -> Result<()> {
    let mut file = match &args.file {
        Some(path) => BenchFile::load(path)?,
        None => BenchFile::default(),
    };
    if !args.fields.is_empty() {
        file.fields = Some(args.fields.clone());
    }
    if !args.particles.is_empty() {
        file.particles = Some(args.particles.clone());
    }
    if !args.integrators.is_empty() {
        file.integrators = Some(args.integrators.clone());
    }
    if !args.steps_per_dispatch.is_empty() {
        file.steps_per_dispatch = Some(args.steps_per_dispatch.clone());
    }
    file.steps = args.steps.or(file.steps);
    file.repeats = args.repeats.or(file.repeats);
    file.baseline = args.baseline.or(file.baseline);
    if let Some(count) = args.cpu_particles {
        file.cpu_particles = Some(u32::try_from(count).map_err(|_| BenchError::Invalid {
            key: "cpu_particles",
            message: format!("{count} is out of range; use 1 to {}", u32::MAX),
        })?);
    }
    let mut plan = BenchPlan::matrix(file)?;
    plan.cancel = Some(std::sync::Arc::clone(&super::INTERRUPTED));

    let ctx = GpuContext::new(backend)?;
    let timing = if ctx.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
        "GPU timestamps"
    } else {
        "the wall clock (no timestamp queries on this adapter)"
    };
    eprintln!("timing with {timing} on {}", ctx.adapter_summary());

    let bar = ProgressBar::new(plan.cases.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} case {pos}/{len}: {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut results = Vec::with_capacity(plan.cases.len());
    for case in &plan.cases {
        bar.set_message(format!(
            "{} {} particles {}",
            case.preset,
            case.particles,
            case.integrator.name()
        ));
        let result = bench::run_case(&ctx, case, &plan)
            .with_context(|| format!("benchmark case {}", case.preset))?;
        if args.json {
            bar.suspend(|| println!("{}", serde_json::to_string(&result).unwrap_or_default()));
        }
        results.push(result);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if !args.json {
        print!("{}", bench::format_table(&results));
    }
    Ok(())
}
