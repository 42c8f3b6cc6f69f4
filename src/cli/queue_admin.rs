//! `aegis queue retry` and `purge`: the queue commands that change it.
//!
//! A retry brings dead jobs back and reopens their runs in the same
//! transaction, so a worker can never finish a revived job before its run is
//! reopened (which would leave the run open after its last child). Nothing
//! retried (no such job, or not dead) is exit 1 with the reason.

use anyhow::Context as _;
use serde::Serialize;
use sqlx::PgPool;

use super::{
    args::{QueuePurgeArgs, QueueRetryArgs},
    duration, output,
    queue::queue_error,
};
use crate::{
    queue::{self, RetryOutcome},
    store,
};

/// `aegis queue retry --json`.
#[derive(Debug, Serialize)]
struct Retried {
    /// The job ids brought back.
    retried: Vec<String>,
    /// Runs reopened for them.
    runs_reopened: u64,
}

/// Retries one dead job or every dead job (of a kind).
pub(super) async fn retry(pool: &PgPool, args: &QueueRetryArgs) -> anyhow::Result<()> {
    let mut tx = pool
        .begin()
        .await
        .context("starting a transaction failed")?;
    let ids = match &args.id {
        Some(id) => retry_one(&mut tx, id).await?,
        None => queue::retry_all_dead(&mut *tx, args.kind.as_deref())
            .await
            .map_err(queue_error)?,
    };
    if ids.is_empty() {
        let kind = args.kind.as_deref().map(|k| format!(" of kind {k}"));
        anyhow::bail!("no dead jobs{} to retry", kind.unwrap_or_default());
    }
    // In the retry's transaction, so no worker can finish a revived job
    // before its run is reopened (see the module docs).
    let runs_reopened = store::children::reopen_for_jobs(&mut *tx, &ids)
        .await
        .context("reopening the jobs' runs failed")?;
    tx.commit().await.context("committing the retry failed")?;
    let retried = Retried {
        retried: ids,
        runs_reopened,
    };
    if args.json {
        return output::print_json(&retried);
    }
    for id in &retried.retried {
        println!("retried {id}");
    }
    println!(
        "{} job(s) pending again, {} run(s) reopened",
        retried.retried.len(),
        retried.runs_reopened
    );
    Ok(())
}

async fn retry_one(tx: &mut sqlx::PgConnection, id: &str) -> anyhow::Result<Vec<String>> {
    match queue::retry(&mut *tx, id).await.map_err(queue_error)? {
        RetryOutcome::Retried => Ok(vec![id.trim().to_owned()]),
        RetryOutcome::NotDead(state) => anyhow::bail!(
            "job {} is {state}, not dead: only dead jobs are retried",
            id.trim()
        ),
        RetryOutcome::NotFound => anyhow::bail!(
            "no aegis job {} (`aegis queue list --state dead` shows the dead ones)",
            id.trim()
        ),
    }
}

/// Deletes old done jobs and stale worker rows.
pub(super) async fn purge(pool: &PgPool, args: &QueuePurgeArgs) -> anyhow::Result<()> {
    let report = queue::purge_done_older_than(pool, args.done_older_than)
        .await
        .map_err(queue_error)?;
    if args.json {
        return output::print_json(&report);
    }
    println!(
        "purged {} done job(s) finished more than {} ago and {} stale worker row(s)",
        report.jobs,
        duration::format(args.done_older_than),
        report.workers
    );
    Ok(())
}
