//! `aegis sync`: an inline sync. Builds the [`SyncContext`] from validated
//! config (its client draws from the token's rate budget, shared with the
//! workers through the database), runs [`run_inline`] with progress bars on a terminal (plain log
//! lines otherwise), then prints the run's summary read back from the
//! database, so what is shown is what was recorded (one JSON object with
//! `--json`; the logs stay on stderr).
//!
//! Outcomes: done → exit 0; partial or failed → the error, exit 1; Ctrl-C
//! or SIGTERM → the run closed `cancelled` (what was synced is kept), its
//! summary, exit 130 or 143; an
//! unknown `--project` → the known projects, exit 2 (bad usage); Asana
//! refusing the token, the portfolio or the base URL before any project is
//! synced (401, 403, 404) → exit 2 (configuration: `ASANA_ACCESS_TOKEN`,
//! `ASANA_PORTFOLIO_GID`, `ASANA_BASE_URL`).

use std::io::{self, IsTerminal};

use anyhow::Context as _;
use indicatif::MultiProgress;
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    args::SyncArgs,
    out,
    progress::{ConsoleObserver, Expected},
    summary, sync_context,
};
use crate::{
    asana::{self, Gid, Target},
    cli::Interrupted,
    config::{AsanaSettings, ConfigError, DatabaseConfig},
    runs,
    sync::{self, Observer, PlainObserver, SyncContext, SyncOptions, run_inline_as},
};

/// Runs the sync `args` ask for and prints its summary.
pub(super) async fn run(
    database: &DatabaseConfig,
    args: &SyncArgs,
    bars: MultiProgress,
) -> anyhow::Result<()> {
    let settings = AsanaSettings::from_env()?;
    let ctx = sync_context(database, &settings, settings.client_config(), 5).await?;
    super::preflight::check_asana(&ctx.asana).await?;
    let options = SyncOptions {
        projects_only: args.scope.projects_only,
        projects: args.scope.projects.clone(),
        mode: args.scope.mode(),
    };
    let console = if io::stderr().is_terminal() && !args.no_console {
        let expected = Expected {
            requests: runs::last_requests(&ctx.pool, options.mode.as_str())
                .await
                .unwrap_or_default()
                .and_then(|n| u64::try_from(n).ok()),
            per_minute: settings.requests_per_minute.get(),
        };
        Some(ConsoleObserver::new(bars, ctx.asana.clone(), expected))
    } else {
        None
    };
    let observer: &dyn Observer = match &console {
        Some(console) => console,
        None => &PlainObserver,
    };
    let run = Uuid::new_v4();
    let outcome = tokio::select! {
        result = run_inline_as(&ctx, &options, observer, run) => Ok(result),
        signal = stop_signal() => Err(signal),
    };
    if let Some(console) = &console {
        console.finish();
    }
    match outcome {
        Ok(result) => report(&ctx, result, args.json).await,
        Err(signal) => interrupted(&ctx, run, signal, args.json).await,
    }
}

/// The sync was dropped mid-way (its open transactions rolled back, its
/// liveness mark released): closes its run `cancelled`, with what it had
/// done, and says so.
async fn interrupted(
    ctx: &SyncContext,
    run: Uuid,
    signal: (&'static str, u8),
    json: bool,
) -> anyhow::Result<()> {
    let reason = format!("interrupted by {}", signal.0);
    let mut conn = ctx.pool.acquire().await.context("closing the run failed")?;
    runs::cancel(&mut conn, run, &reason)
        .await
        .context("closing the interrupted run failed")?;
    drop(conn);
    if let Err(e) = print_summary(&ctx.pool, run, json).await
        && !out::is_broken_pipe(&e)
    {
        return Err(e);
    }
    Err(Interrupted {
        signal: signal.0,
        number: signal.1,
        what: format!("run {run} is cancelled; what it synced is kept (`aegis runs {run}`)"),
    }
    .into())
}

/// Ctrl-C (SIGINT) or SIGTERM: the signal's name and number.
pub(super) async fn stop_signal() -> (&'static str, u8) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => ("SIGINT", 2),
                _ = term.recv() => ("SIGTERM", 15),
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    ("SIGINT", 2)
}

/// Prints the summary of the run `result` ended, and turns a failure into
/// the error `main` prints (a [`ConfigError`] for an unknown `--project`).
async fn report(
    ctx: &SyncContext,
    result: sync::Result<sync::RunSummary>,
    json: bool,
) -> anyhow::Result<()> {
    match result {
        Ok(summary) => print_summary(&ctx.pool, summary.run, json).await,
        Err(error @ sync::Error::Partial { run, .. }) => {
            // A reader gone from stdout does not turn a partial sync into a
            // success: the error still goes to stderr, exit 1.
            if let Err(e) = print_summary(&ctx.pool, run, json).await
                && !out::is_broken_pipe(&e)
            {
                return Err(e);
            }
            Err(anyhow::anyhow!(
                "{error} (see `aegis runs {run}` for details)"
            ))
        }
        Err(error @ sync::Error::UnknownProjects { .. }) => Err(ConfigError(format!(
            "{error} (pass --project a gid or an exact name from that list)"
        ))
        .into()),
        Err(sync::Error::Asana(error)) => match configuration_error(&error, &ctx.portfolio) {
            Some(config) => Err(config.into()),
            None => Err(sync::Error::Asana(error).into()),
        },
        Err(error @ sync::Error::Store(_)) => {
            Err(anyhow::Error::from(error).context("the sync failed on the database"))
        }
        Err(error) => Err(error.into()),
    }
}

/// Asana refusing the token (401), the portfolio (403, 404) or the base URL
/// (no API route there) outside any project: the portfolio step, before a
/// project was synced. Configuration to fix, not work that failed; a
/// project's refusal ends up in a partial run instead.
fn configuration_error(error: &asana::Error, portfolio: &Gid) -> Option<ConfigError> {
    if !matches!(error.status(), Some(401 | 403 | 404)) {
        return None;
    }
    let hint = match error {
        asana::Error::NotFound { target, .. } if *target == Target::new("portfolio", portfolio) => {
            " (check ASANA_PORTFOLIO_GID)"
        }
        _ => "",
    };
    Some(ConfigError(format!("{error}{hint}")))
}

/// Prints the run's summary: its per-project table (when it synced any
/// project's tasks) and its one line, or with `--json` one object.
async fn print_summary(pool: &PgPool, id: Uuid, json: bool) -> anyhow::Result<()> {
    let detail = summary::read(pool, id)
        .await
        .context("reading the run back failed")?;
    summary::print(&detail, json)
}
