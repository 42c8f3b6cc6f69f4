//! The `aegis` binary: parse the command line, install logging, run the
//! command, and turn its outcome into an exit code: 0 done, 1 the work
//! failed, 2 bad usage or configuration (clap's own usage errors included).
//! Errors are printed once, as one line on stderr; stdout's reader going
//! away (a broken pipe) is a quiet exit 0.

use std::process::ExitCode;

use aegis::{
    cli::{self, Args},
    telemetry,
};
use clap::Parser;
use indicatif::MultiProgress;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let progress = MultiProgress::new();
    if let Err(err) = telemetry::init(args.log_format, progress.clone()) {
        eprintln!("error: cannot install logging: {err}");
        return ExitCode::from(2);
    }
    match cli::run(args, progress).await {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`aegis runs | head -1`): stop
        // quietly with success, as ripgrep and the Unix tools do.
        Err(err) if cli::out::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", cli::message(&err));
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
