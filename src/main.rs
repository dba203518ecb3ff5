//! The `scoreforce` binary: parses the command line into a validated run configuration
//! and runs one function per subcommand (`commands/`). Exit codes: 0 success, 1 runtime
//! failure (GPU, I/O during the run), 2 invalid input (arguments, scene files, paths), 130
//! interrupted by Ctrl-C.

mod cli;
mod commands;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use clap::Parser;
use log::warn;

use cli::{Cli, Command};
use commands::INTERRUPTED;
use scoreforce::bench::BenchError;
use scoreforce::density::DensityError;
use scoreforce::density::export::ExportError;
use scoreforce::field::FieldError;
use scoreforce::gpu::BackendChoice;
use scoreforce::sampler::SamplerError;
use scoreforce::scene::SceneError;
use scoreforce::schedule::ScheduleError;

/// Exit code for input the user can fix: arguments, scene files, paths.
const EXIT_INVALID_INPUT: u8 = 2;

/// Exit code for failures during the run.
const EXIT_RUNTIME: u8 = 1;

/// Exit code after Ctrl-C, as shells report a process ended by SIGINT.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with code 0, usage errors with code 2.
            let _ = error.print();
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    let interrupted = Arc::clone(&INTERRUPTED);
    let handler = ctrlc::set_handler(move || {
        // A second Ctrl-C ends at once, for a run stuck in a long submission.
        if interrupted.swap(true, Ordering::Relaxed) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    if let Err(error) = handler {
        warn!("Ctrl-C will end the process without cleanup: {error}");
    }

    let uses_gpu = !matches!(cli.command, Command::Fields);
    if uses_gpu
        && cli.backend == BackendChoice::Auto
        && let Err(message) = scoreforce::gpu::check_backend_variable()
    {
        eprintln!("Error: {message}");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }

    let result = match &cli.command {
        Command::Render(args) => commands::render::run(args, cli.backend),
        Command::Sample(args) => commands::sample::run(args, cli.backend),
        Command::Bench(args) => commands::bench::run(args, cli.backend),
        Command::Fields => commands::fields::run(),
        Command::View(args) => commands::view::run(args, cli.backend),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    // wgpu's own crates log at info about every resource; keep them at warn.
    let filters = format!("{level},wgpu_core=warn,wgpu_hal=warn,naga=warn");
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(filters))
        .format_timestamp(None)
        .init();
}

/// Classifies an error: invalid input (2), interrupted (130) or a failure during the run (1).
fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        let interrupted = matches!(cause.downcast_ref::<SamplerError>(), Some(SamplerError::Interrupted { .. }))
            || matches!(
                cause.downcast_ref::<BenchError>(),
                Some(BenchError::Sampler(SamplerError::Interrupted { .. }))
            );
        if interrupted {
            return EXIT_INTERRUPTED;
        }
        let invalid = cause.is::<SceneError>()
            || cause.is::<FieldError>()
            || cause.is::<ScheduleError>()
            || cause.downcast_ref::<BenchError>().is_some_and(BenchError::is_invalid_input)
            || matches!(cause.downcast_ref::<ExportError>(), Some(e) if !matches!(e, ExportError::Encode { .. }))
            || cause.downcast_ref::<SamplerError>().is_some_and(SamplerError::is_invalid_input)
            || cause.downcast_ref::<DensityError>().is_some_and(DensityError::is_invalid_input);
        if invalid {
            return EXIT_INVALID_INPUT;
        }
    }
    EXIT_RUNTIME
}
