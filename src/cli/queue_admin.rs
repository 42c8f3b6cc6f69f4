//! `aegis queue retry` and `purge`: the queue commands that change it.
//!
//! A retry is [`queue::revive`]: dead jobs come back and their runs reopen
//! in one transaction. `retry ID` of a job that does not exist or is not
//! dead is bad usage (exit 2) with the reason; `retry --all-dead` with
//! nothing dead has done all it was asked: exit 0, saying so. A purge says
//! what it will delete and deletes it with `--yes` or once confirmed on a
//! terminal; without either (a script) it deletes nothing, exit 2.

use aegis_jobs::Queues;
use anyhow::Context as _;
use sqlx::PgPool;

use super::{
    args::{QueuePurgeArgs, QueueRetryArgs},
    duration,
    out::outln,
    output, queue_error,
};
use crate::{
    config::ConfigError,
    queue::{self, PurgeReport, Revive},
};

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

/// Deletes old done jobs and stale worker rows, after saying what it will
/// delete: with `--yes`, or once confirmed on a terminal.
pub(super) async fn purge(
    pool: &PgPool,
    queues: &Queues,
    args: &QueuePurgeArgs,
) -> anyhow::Result<()> {
    let mut conn = pool
        .acquire()
        .await
        .context("connecting to the database failed")?;
    let age = duration::format(args.done_older_than);
    let preview = queue::purge_preview(&mut conn, queues, args.done_older_than)
        .await
        .map_err(queue_error)?;
    let what = format!(
        "{} done job(s) finished more than {age} ago and {} stale worker row(s)",
        preview.jobs, preview.workers
    );
    if preview != PurgeReport::default() && !args.yes && !confirmed(&what)? {
        return Err(ConfigError(format!(
            "queue purge would delete {what}: nothing deleted (pass --yes to delete them)"
        ))
        .into());
    }
    let report = queue::purge_done_older_than(&mut *conn, queues, args.done_older_than)
        .await
        .map_err(queue_error)?;
    if args.json {
        return output::print_json(&report);
    }
    outln!(
        "purged {} done job(s) finished more than {age} ago and {} stale worker row(s)",
        report.jobs,
        report.workers
    )?;
    Ok(())
}

/// Asks on the terminal whether to delete `what`; false when stdin is not
/// a terminal (a script must say `--yes`) or the answer is not yes.
fn confirmed(what: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    eprint!("delete {what}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}
