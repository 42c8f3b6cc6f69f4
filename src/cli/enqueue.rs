//! `aegis enqueue sync`: records a queued run and its `SyncPortfolio` job in
//! one transaction, and prints the run id. Needs only the database and
//! `ASANA_PORTFOLIO_GID`: no Asana token, no worker running.
//!
//! `--project` names are checked up front against the projects the last
//! portfolio sync stored (when it stored any): an unknown name is bad usage
//! (exit 2) listing the known ones. A gid is always accepted (the project
//! may have joined the portfolio since); the job itself rejects a gid the
//! portfolio does not have, as a dead job naming it.

use anyhow::Context as _;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    args::{EnqueueArgs, EnqueueJob, EnqueueSyncArgs},
    connect, output,
};
use crate::{
    asana::Gid,
    config::{self, ConfigError, DatabaseConfig},
    sync,
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
    let run = sync::jobs::enqueue_sync(&mut tx, &job)
        .await
        .context("enqueueing the sync failed (has `aegis migrate` run?)")?;
    tx.commit().await.context("committing the enqueue failed")?;
    if args.json {
        output::print_json(&Queued { run })
    } else {
        println!("{run}");
        Ok(())
    }
}

/// Refuses `--project` names the stored portfolio does not have (see the
/// module docs); does nothing before the first portfolio sync.
async fn check_projects(pool: &PgPool, portfolio: &Gid, wanted: &[String]) -> anyhow::Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let known: Vec<(String, String)> = sqlx::query_as(
        "select asana_gid, name from projects \
         where portfolio_gid = $1 and removed_from_portfolio_at is null order by name, asana_gid",
    )
    .bind(portfolio.as_str())
    .fetch_all(pool)
    .await
    .context("reading the known projects failed (has `aegis migrate` run?)")?;
    let unknown = unknown_projects(&known, wanted);
    if known.is_empty() || unknown.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = known
        .iter()
        .map(|(gid, name)| format!("{name} ({gid})"))
        .collect();
    Err(ConfigError(format!(
        "unknown project(s) {}: the portfolio has {} (pass --project a gid or an exact name \
         from that list; for a project added since, pass its gid)",
        unknown.join(", "),
        listed.join(", ")
    ))
    .into())
}

/// The names in `wanted` that are neither a known project's gid or exact
/// name, nor a gid.
fn unknown_projects(known: &[(String, String)], wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|w| Gid::parse(w).is_err())
        .filter(|w| !known.iter().any(|(gid, name)| gid == *w || name == *w))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_known_and_gids_pass() {
        let known = [("1".to_owned(), "Aegis".to_owned())];
        let wanted = ["Aegis", "1", "999", "Nope", "aegis"].map(str::to_owned);
        assert_eq!(unknown_projects(&known, &wanted), ["Nope", "aegis"]);
    }
}
