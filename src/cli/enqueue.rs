//! `aegis enqueue sync`: records a queued run and its `SyncPortfolio` job in
//! one transaction, and prints the run id (with `--wait`, waits for the run
//! to end and prints its summary instead; see [`follow`]). Needs only the database and
//! `ASANA_PORTFOLIO_GID`: no Asana token, no worker running.
//!
//! `--project` entries are checked up front against the projects the last
//! portfolio sync stored (when it stored any), by the same rule the sync
//! applies: a gid or exact name of a project still in the portfolio. An
//! unknown one is bad usage (exit 2) listing the known ones. The job itself
//! checks again against the portfolio as it is then (a dead job naming it).

use anyhow::Context as _;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    args::{EnqueueArgs, EnqueueJob, EnqueueSyncArgs},
    connect, follow,
    out::outln,
    output,
};
use crate::{
    asana::Gid,
    config::{self, ConfigError, DatabaseConfig},
    store, sync,
};

/// `aegis enqueue sync --json`.
#[derive(Debug, Serialize)]
struct Queued {
    run: Uuid,
}

/// Enqueues what `args` ask for.
pub(super) async fn run(database: &DatabaseConfig, args: &EnqueueArgs) -> anyhow::Result<()> {
    match &args.job {
        EnqueueJob::Sync(sync) => enqueue_sync(database, sync).await,
    }
}

async fn enqueue_sync(database: &DatabaseConfig, args: &EnqueueSyncArgs) -> anyhow::Result<()> {
    let portfolio = config::portfolio_from_env()?;
    let pool = connect(database).await?;
    check_projects(&pool, &portfolio, &args.scope.projects).await?;
    let scope = aegis_jobs::Scope {
        projects_only: args.scope.projects_only,
        projects: args.scope.projects.clone(),
    };
    let job = aegis_jobs::SyncPortfolio::new(portfolio.as_str(), scope, args.scope.mode());
    let mut tx = pool
        .begin()
        .await
        .context("starting a transaction failed")?;
    let run = sync::jobs::enqueue_sync(&mut tx, database.namespace(), &job)
        .await
        .context("enqueueing the sync failed")?;
    tx.commit().await.context("committing the enqueue failed")?;
    if args.wait {
        tracing::info!(run.id = %run, "queued run {run}; waiting for it to end");
        return follow::wait(&pool, run, args.timeout, args.json).await;
    }
    if args.json {
        output::print_json(&Queued { run })
    } else {
        outln!("{run}")?;
        Ok(())
    }
}

/// Refuses `--project` entries that match no project of the portfolio as
/// last stored, by the sync's own rule ([`sync::check_projects`]); does
/// nothing before the first portfolio sync stored any.
async fn check_projects(pool: &PgPool, portfolio: &Gid, wanted: &[String]) -> anyhow::Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let known = store::projects::of_portfolio(pool, portfolio.as_str())
        .await
        .context("reading the known projects failed")?;
    if known.is_empty() {
        return Ok(());
    }
    sync::check_projects(&known, wanted).map_err(|e| {
        ConfigError(format!(
            "{e} (pass --project a gid or an exact name from that list; for a project added \
             since, run `aegis sync --projects-only` first)"
        ))
        .into()
    })
}
