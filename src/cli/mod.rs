//! The `aegis` command line: clap definitions ([`args`]), one module per
//! command group, and the terminal output they share (progress bars,
//! tables, JSON).
//!
//! Errors are `anyhow` here (the binary's edge). An error whose chain holds
//! a [`ConfigError`] is bad usage or configuration (exit 2); any other is
//! the work failing (exit 1). `main` prints either as one line.

pub mod args;
mod migrate;
mod output;
mod progress;
mod runs;
mod status;
mod sync;

use indicatif::MultiProgress;
use sqlx::{PgPool, postgres::PgPoolOptions};

pub use args::{Args, Command};

use crate::config::{ConfigError, DATABASE_CONNECT_TIMEOUT, DatabaseConfig};

/// Runs the parsed command. `progress` holds the bars a long command draws
/// (the same one the log writer suspends).
///
/// # Errors
/// Whatever stopped the command; see [`exit_code`] for how it maps.
pub async fn run(args: Args, progress: MultiProgress) -> anyhow::Result<()> {
    let database = DatabaseConfig::new(args.database_url)?;
    match args.command {
        Command::Migrate => migrate::run(&database).await,
        Command::Sync(sync) => sync::run(&database, &sync, progress).await,
        Command::Status(status) => status::run(&database, &status).await,
        Command::Runs(runs) => runs::run(&database, &runs).await,
    }
}

/// The exit code for an error of [`run`]: 2 when the user must fix how aegis
/// is invoked or configured, 1 when the work itself failed.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|cause| cause.is::<ConfigError>()) {
        2
    } else {
        1
    }
}

/// Connects to the database, giving up after [`DATABASE_CONNECT_TIMEOUT`].
///
/// # Errors
/// A [`ConfigError`] naming the URL without its password: an unreachable or
/// refusing database is something to fix in `DATABASE_URL` or the server
/// before any work can start.
pub async fn connect(database: &DatabaseConfig) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(DATABASE_CONNECT_TIMEOUT)
        .connect(database.url())
        .await
        .map_err(|e| {
            ConfigError(format!(
                "cannot connect to the database at {}: {} (check DATABASE_URL and that \
                 PostgreSQL is running)",
                database.redacted(),
                one_line(&e.to_string()),
            ))
        })?;
    Ok(pool)
}

/// `text` on one line: newlines and runs of spaces become single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
