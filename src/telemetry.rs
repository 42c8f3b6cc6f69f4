//! The process's one global: the tracing subscriber, installed once by
//! `main`. `RUST_LOG` chooses what is logged (default: `info` for aegis,
//! `warn` for its dependencies); lines go to stderr, human-readable or as
//! JSON (`--log-format json`), and never tear a progress bar: each line is
//! written with the bars suspended.

use std::io::{self, IsTerminal, Write};

use indicatif::MultiProgress;
use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset or unreadable.
pub const DEFAULT_FILTER: &str = "warn,aegis=info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event (colours on a terminal).
    #[default]
    Human,
    /// One JSON object per event, for log collectors.
    Json,
}

/// Installs the subscriber. `progress` holds the bars the command may draw;
/// log lines are printed above them.
///
/// # Errors
/// When a subscriber is already installed.
pub fn init(
    format: LogFormat,
    progress: MultiProgress,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || BarSafeStderr(progress.clone()));
    match format {
        LogFormat::Human => builder.with_ansi(io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().try_init(),
    }
}

/// stderr, written with the progress bars hidden for the moment of the write.
struct BarSafeStderr(MultiProgress);

impl Write for BarSafeStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| io::stderr().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.suspend(|| io::stderr().write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
