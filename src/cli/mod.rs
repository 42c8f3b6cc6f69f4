//! The `aegis` command line: clap definitions ([`args`]), one module per
//! command group, and the terminal output they share (progress bars,
//! tables, JSON).
//!
//! Errors are `anyhow` here (the binary's edge). An error whose chain holds
//! a [`ConfigError`] is bad usage or configuration (exit 2); any other is
//! the work failing (exit 1). `main` prints either as one line
//! ([`message`]); `errors` maps the library's typed errors.

pub mod args;
mod dashboard;
pub mod duration;
mod enqueue;
mod errors;
mod follow;
mod json;
mod manual;
mod migrate;
pub mod out;
mod output;
mod preflight;
mod progress;
mod queue;
mod queue_admin;
mod queue_control;
mod runs;
mod serve;
mod status;
mod summary;
mod sync;
mod webhooks;
mod worker;
mod workers;

use indicatif::MultiProgress;
use sqlx::{
    Connection as _, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

pub use args::{Args, Command};
pub(crate) use errors::queue_error;
pub use errors::{Interrupted, exit_code, message, one_line};

use crate::{
    asana::{AsanaClient, AsanaConfig},
    budget,
    config::{AsanaSettings, ConfigError, DATABASE_CONNECT_TIMEOUT, DatabaseConfig},
    store::{Namespace, Schema},
    sync::SyncContext,
};

/// Runs the parsed command. `progress` holds the bars a long command draws
/// (the same one the log writer suspends).
///
/// # Errors
/// Whatever stopped the command; see [`exit_code`] for how it maps.
pub async fn run(args: Args, progress: MultiProgress) -> anyhow::Result<()> {
    match &args.command {
        Command::Completions(shell) => return manual::completions(shell.shell),
        Command::Man => return manual::man(),
        _ => {}
    }
    let namespace = Namespace {
        schema: Schema::new(&args.schema).map_err(|e| ConfigError(format!("AEGIS_SCHEMA: {e}")))?,
        queues: aegis_jobs::Queues::prefixed(args.queue_prefix),
    };
    let database = DatabaseConfig::new(args.database_url)?.with_namespace(namespace);
    let result = match args.command {
        Command::Migrate => return migrate::run(&database).await,
        Command::Sync(sync) => sync::run(&database, &sync, progress).await,
        Command::Status(status) => status::run(&database, &status).await,
        Command::Enqueue(enqueue) => enqueue::run(&database, &enqueue).await,
        Command::Worker(worker) => worker::run(&database, &worker).await,
        Command::Queue(queue) => queue::run(&database, &queue).await,
        Command::Runs(runs) => runs::run(&database, &runs).await,
        Command::Workers(flag) => workers::run(&database, &flag).await,
        Command::Dashboard(dash) => dashboard::run(&database, &dash).await,
        Command::Serve(serve) => serve::run(&database, &serve).await,
        Command::Webhooks(hooks) => webhooks::run(&database, &hooks).await,
        Command::Completions(_) | Command::Man => unreachable!("handled above"),
    };
    result.map_err(|error| errors::not_migrated(error, &database))
}

/// Connects to the database, giving up after [`DATABASE_CONNECT_TIMEOUT`].
/// One connection is opened first, so a failure reports its real cause
/// (refused, unknown host, authentication) instead of a pool timeout.
///
/// # Errors
/// A [`ConfigError`] naming the URL without its password: an unreachable or
/// refusing database is something to fix in `DATABASE_URL` or the server
/// before any work can start.
pub async fn connect(database: &DatabaseConfig) -> anyhow::Result<PgPool> {
    connect_sized(database, 5).await
}

/// [`connect`] with a pool of at most `max_connections`.
///
/// # Errors
/// As [`connect`].
pub async fn connect_sized(
    database: &DatabaseConfig,
    max_connections: u32,
) -> anyhow::Result<PgPool> {
    let unreachable = |cause: String| {
        ConfigError(format!(
            "cannot connect to the database at {}: {} (check DATABASE_URL and that PostgreSQL \
             is running)",
            database.redacted(),
            one_line(&cause),
        ))
    };
    let options: PgConnectOptions = database
        .url()
        .parse()
        .map_err(|e: sqlx::Error| unreachable(e.to_string()))?;
    let options = database.namespace().connect_options(options);
    match tokio::time::timeout(
        DATABASE_CONNECT_TIMEOUT,
        PgConnection::connect_with(&options),
    )
    .await
    {
        Ok(Ok(probe)) => probe
            .close()
            .await
            .map_err(|e| unreachable(e.to_string()))?,
        Ok(Err(e)) => return Err(unreachable(e.to_string()).into()),
        Err(_) => {
            let waited = DATABASE_CONNECT_TIMEOUT.as_secs();
            return Err(unreachable(format!("no answer within {waited} s")).into());
        }
    }
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(DATABASE_CONNECT_TIMEOUT)
        .connect_lazy_with(options))
}

/// What a sync needs, from the configuration: a pool of at most
/// `max_connections`, and an Asana client built from `client` that draws
/// from the token's budget shared through the database (an inline sync must
/// not exceed what the workers keep to, nor the workers each other).
///
/// # Errors
/// An unreachable database, or a client that cannot be built.
pub async fn sync_context(
    database: &DatabaseConfig,
    settings: &AsanaSettings,
    mut client: AsanaConfig,
    max_connections: u32,
) -> anyhow::Result<SyncContext> {
    let pool = connect_sized(database, max_connections).await?;
    budget::share(&mut client, pool.clone());
    let asana = AsanaClient::new(client).map_err(|e| ConfigError(e.to_string()))?;
    Ok(SyncContext {
        pool,
        namespace: database.namespace().clone(),
        asana,
        portfolio: settings.portfolio.clone(),
        aegis_user: settings.aegis_user.clone(),
        events_poll_every: None,
    })
}
