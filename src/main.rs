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

fn main() -> ExitCode {
    one_malloc_arena();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// glibc's malloc gives each thread that allocates its own arena and keeps
/// what they free: a worker's resident memory grew with the length of its
/// work (`just bench`, full_sync: 28.5 MB against 25.2 MB with one arena,
/// the same throughput). One arena, set before any thread starts, unless
/// `MALLOC_ARENA_MAX` says otherwise. The binary's choice: the library
/// leaves its host's allocator alone.
#[allow(unsafe_code)]
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc parameter; no thread other
        // than this one exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

async fn run() -> ExitCode {
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
