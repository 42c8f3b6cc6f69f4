//! `aegis queue cancel | run-now | pause | resume`: the commands that
//! steer what workers do, each one call of [`crate::queue`] (the dashboard
//! will make the same calls). Unknown ids and kinds, and jobs in a state
//! the command cannot change, are bad usage (exit 2) with the reason.

use aegis_jobs::Queues;
use anyhow::Context as _;
use serde::Serialize;
use sqlx::PgPool;

use super::{
    args::{QueueCancelArgs, QueuePauseArgs, QueueShowArgs},
    json::kind_name,
    out::outln,
    output, queue_error,
};
use crate::queue::{self, Cancel};

/// Cancels one job or a run's jobs.
pub(super) async fn cancel(
    pool: &PgPool,
    queues: &Queues,
    args: &QueueCancelArgs,
) -> anyhow::Result<()> {
    let (target, reason) = match (&args.id, args.run) {
        (Some(id), _) => (Cancel::Job(id), "by an operator (`aegis queue cancel`)"),
        (None, Some(run)) => (
            Cancel::Run(run),
            "by an operator (`aegis queue cancel --run`)",
        ),
        (None, None) => unreachable!("clap requires an id or --run"),
    };
    let mut conn = pool
        .acquire()
        .await
        .context("connecting to the database failed")?;
    let done = queue::cancel(&mut conn, queues, target, reason)
        .await
        .map_err(queue_error)?;
    if args.json {
        return output::print_json(&done);
    }
    if done.cancelled.is_empty() && done.runs_cancelled.is_empty() {
        outln!("nothing to cancel: the run has no unfinished job")?;
    }
    for id in &done.cancelled {
        outln!("cancelled job {id}")?;
    }
    for run in &done.runs_cancelled {
        outln!("run {run} is cancelled (`aegis runs {run}`)")?;
    }
    Ok(())
}

/// Makes a waiting job runnable now.
pub(super) async fn run_now(
    pool: &PgPool,
    queues: &Queues,
    args: &QueueShowArgs,
) -> anyhow::Result<()> {
    let done = queue::run_now(pool, queues, &args.id)
        .await
        .map_err(queue_error)?;
    if args.json {
        return output::print_json(&done);
    }
    match done.was {
        queue::JobState::Pending => outln!("job {} was already runnable", done.id)?,
        was => outln!("job {} ({was}) is runnable now", done.id)?,
    }
    Ok(())
}

/// `aegis queue pause --json`.
#[derive(Debug, Serialize)]
struct PauseReport {
    paused: Vec<PausedKind>,
}

/// A paused kind, short-named.
#[derive(Debug, Serialize)]
struct PausedKind {
    kind: String,
    paused_at: chrono::DateTime<chrono::Utc>,
}

/// Pauses a kind (or both) for every worker.
pub(super) async fn pause(
    pool: &PgPool,
    queues: &Queues,
    args: &QueuePauseArgs,
) -> anyhow::Result<()> {
    let paused = queue::pause(pool, queues, args.kind.as_deref())
        .await
        .map_err(queue_error)?;
    let report = PauseReport {
        paused: paused
            .into_iter()
            .map(|p| PausedKind {
                kind: kind_name(queues, &p.kind),
                paused_at: p.paused_at,
            })
            .collect(),
    };
    if args.json {
        return output::print_json(&report);
    }
    for p in &report.paused {
        outln!(
            "{} is paused (since {}): workers start none of its jobs until `aegis queue resume`",
            p.kind,
            output::when(Some(p.paused_at))
        )?;
    }
    Ok(())
}

/// `aegis queue resume --json`.
#[derive(Debug, Serialize)]
struct ResumeReport {
    resumed: Vec<String>,
    jobs_released: u64,
}

/// Resumes a kind (or both).
pub(super) async fn resume(
    pool: &PgPool,
    queues: &Queues,
    args: &QueuePauseArgs,
) -> anyhow::Result<()> {
    let done = queue::resume(pool, queues, args.kind.as_deref())
        .await
        .map_err(queue_error)?;
    let report = ResumeReport {
        resumed: done.resumed.iter().map(|k| kind_name(queues, k)).collect(),
        jobs_released: done.jobs_released,
    };
    if args.json {
        return output::print_json(&report);
    }
    if report.resumed.is_empty() {
        outln!("nothing was paused")?;
    }
    for kind in &report.resumed {
        outln!("{kind} resumed")?;
    }
    if report.jobs_released > 0 {
        outln!("{} held job(s) runnable now", report.jobs_released)?;
    }
    Ok(())
}
