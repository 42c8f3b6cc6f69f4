//! `aegis queue retry` and `purge`: the queue commands that change it.
//!
//! A retry is [`queue::revive`]: dead jobs come back and their runs reopen
//! in one transaction. `retry ID` of a job that does not exist or is not
//! dead is bad usage (exit 2) with the reason; `retry --all-dead` with
//! nothing dead has done all it was asked: exit 0, saying so.

use aegis_jobs::Queues;
use anyhow::Context as _;
use sqlx::PgPool;

use super::{
    args::{QueuePurgeArgs, QueueRetryArgs},
    duration,
    out::outln,
    output, queue_error,
};
use crate::queue::{self, Revive};

/// Retries one dead job or every dead job (of a kind).
pub(super) async fn retry(
    pool: &PgPool,
    queues: &Queues,
    args: &QueueRetryArgs,
) -> anyhow::Result<()> {
    let target = match &args.id {
        Some(id) => Revive::Job(id),
        None => Revive::AllDead {
            kind: args.kind.as_deref(),
        },
    };
    let mut conn = pool
        .acquire()
        .await
        .context("connecting to the database failed")?;
    let revived = queue::revive(&mut conn, queues, target)
        .await
        .map_err(queue_error)?;
    if args.json {
        return output::print_json(&revived);
    }
    if revived.retried.is_empty() {
        let kind = args.kind.as_deref().map(|k| format!(" of kind {k}"));
        outln!("no dead jobs{} to retry", kind.unwrap_or_default())?;
        return Ok(());
    }
    for id in &revived.retried {
        outln!("retried {id}")?;
    }
    outln!(
        "{} job(s) pending again, {} run(s) reopened",
        revived.retried.len(),
        revived.runs_reopened
    )?;
    Ok(())
}

/// Deletes old done jobs and stale worker rows.
pub(super) async fn purge(
    pool: &PgPool,
    queues: &Queues,
    args: &QueuePurgeArgs,
) -> anyhow::Result<()> {
    let report = queue::purge_done_older_than(pool, queues, args.done_older_than)
        .await
        .map_err(queue_error)?;
    if args.json {
        return output::print_json(&report);
    }
    outln!(
        "purged {} done job(s) finished more than {} ago and {} stale worker row(s)",
        report.jobs,
        duration::format(args.done_older_than),
        report.workers
    )?;
    Ok(())
}
