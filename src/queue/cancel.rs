//! Cancelling jobs (`aegis queue cancel ID | --run RUN`): a cancelled job
//! never runs again, and the runs waiting for it record `cancelled`, in one
//! transaction.
//!
//! The job's row becomes `Killed` with its lock cleared and its last result
//! `{"Err": "cancelled: …", "cancelled": true}` (the [`JobState::Cancelled`]
//! state; `dead` jobs are the others that are `Killed`). A job fetched into
//! a worker's buffer but not started then has no lease when it starts, and
//! the attempt skips it ([`is_cancelled`]). A running attempt's lease no
//! longer holds: the fence of its next write (each page of a crawl, the
//! fan-out of a portfolio job) stops it with nothing more written, and
//! apalis's late acknowledgement changes nothing (the row has no lock).

use aegis_jobs::{Kind, Queues};
use serde::Serialize;
use sqlx::{Acquire, PgConnection, PgExecutor};
use uuid::Uuid;

use super::{
    Error, JobState, Result,
    revive::{portfolio_runs, run_of},
};
use crate::runs;

/// What to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel<'a> {
    /// One job, which must not be finished.
    Job(&'a str),
    /// The run: its portfolio job and the jobs of its unfinished children
    /// (a child job shared with another run, by coalescing, is cancelled
    /// for both), then the run itself.
    Run(Uuid),
}

/// What [`cancel`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cancelled {
    /// The jobs cancelled, sorted.
    pub cancelled: Vec<String>,
    /// The runs closed `cancelled`, sorted.
    pub runs_cancelled: Vec<Uuid>,
}

/// Cancels `target` with `reason`, atomically (in a transaction of its own,
/// or a savepoint of the caller's).
///
/// # Errors
/// [`Error::NoSuchJob`] or [`Error::Finished`] for a [`Cancel::Job`] that
/// is not an unfinished aegis job; [`Error::NoSuchRun`]; the database's.
pub async fn cancel(
    conn: &mut PgConnection,
    queues: &Queues,
    target: Cancel<'_>,
    reason: &str,
) -> Result<Cancelled> {
    let mut tx = conn.begin().await?;
    let reason = format!("cancelled: {reason}");
    let (jobs, run) = match target {
        Cancel::Job(id) => (vec![job_to_cancel(&mut tx, queues, id).await?], None),
        Cancel::Run(run) => {
            if runs::get(&mut *tx, run).await?.is_none() {
                return Err(Error::NoSuchRun(run));
            }
            let mut jobs = runs::open_child_jobs(&mut *tx, run).await?;
            jobs.extend(portfolio_jobs_of(&mut tx, queues, run).await?);
            (jobs, Some(run))
        }
    };
    let cancelled = kill(&mut *tx, queues, &jobs, &reason).await?;
    let mut closed = runs::cancel_jobs(&mut tx, &cancelled, &reason).await?;
    let parents = match run {
        Some(run) => vec![run],
        None => portfolio_runs(&mut tx, queues, &cancelled).await?,
    };
    for parent in parents {
        if runs::cancel(&mut tx, parent, &reason).await? {
            closed.push(parent);
        }
    }
    tx.commit().await?;
    closed.sort_unstable();
    closed.dedup();
    Ok(Cancelled {
        cancelled,
        runs_cancelled: closed,
    })
}

/// The id of the job `id` when it can be cancelled.
async fn job_to_cancel(conn: &mut PgConnection, queues: &Queues, id: &str) -> Result<String> {
    let id = id.trim();
    let state: Option<String> = sqlx::query_scalar(concat!(
        "select ",
        state_j!(),
        " from apalis.jobs j where j.job_type = any($1) and j.id = $2"
    ))
    .bind(queues.all())
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let state: JobState = match state {
        None => return Err(Error::NoSuchJob(id.to_owned())),
        Some(state) => state.parse().map_err(|_| Error::NoSuchJob(id.to_owned()))?,
    };
    match state {
        JobState::Done | JobState::Dead | JobState::Cancelled => Err(Error::Finished {
            id: id.to_owned(),
            state,
        }),
        _ => Ok(id.to_owned()),
    }
}

/// Kills the unfinished jobs among `ids` as cancelled; returns them, sorted.
async fn kill(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    ids: &[String],
    reason: &str,
) -> Result<Vec<String>> {
    let mut killed: Vec<String> = sqlx::query_scalar(
        r#"
        update apalis.jobs j set status = 'Killed', lock_by = null, lock_at = null,
            done_at = now(), last_result = jsonb_build_object('Err', $3::text, 'cancelled', true)
        where j.job_type = any($1) and j.id = any($2) and j.status not in ('Done', 'Killed')
          and not (j.status = 'Failed' and j.attempts >= j.max_attempts)
        returning j.id
        "#,
    )
    .bind(queues.all())
    .bind(ids)
    .bind(reason)
    .fetch_all(db)
    .await?;
    killed.sort_unstable();
    Ok(killed)
}

/// The unfinished portfolio jobs whose payload names `run`.
async fn portfolio_jobs_of(
    conn: &mut PgConnection,
    queues: &Queues,
    run: Uuid,
) -> Result<Vec<String>> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "select id, job from apalis.jobs where job_type = $1 and status not in ('Done', 'Killed')",
    )
    .bind(queues.name(Kind::SyncPortfolio))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, payload)| run_of(payload) == Some(run))
        .map(|(id, _)| id)
        .collect())
}

/// Whether the job `id` was cancelled: an attempt that starts without a
/// lease, or whose lease stopped holding, asks before it runs or
/// complains.
///
/// # Errors
/// The database's.
pub async fn is_cancelled(db: impl PgExecutor<'_>, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "select exists (select 1 from apalis.jobs j where j.id = $1 and ",
        cancelled_j!(),
        ")"
    ))
    .bind(id)
    .fetch_one(db)
    .await
}
