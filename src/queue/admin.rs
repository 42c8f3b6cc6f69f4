//! Re-queueing dead jobs (the queue half of [`revive`](super::revive)) and
//! `aegis queue purge`: deleting old
//! finished jobs and stale worker rows.

use std::time::Duration;

use serde::Serialize;
use sqlx::{Acquire, PgConnection, PgExecutor};

use aegis_jobs::Queues;

use super::{JobState, Result, kinds};

/// What [`retry`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "state", rename_all = "snake_case")]
pub(super) enum RetryOutcome {
    /// The dead job is pending again with its attempts reset.
    Retried,
    /// The job is not dead (only dead jobs are retried); its state.
    NotDead(JobState),
    /// No job of aegis's queues has that id.
    NotFound,
}

/// Brings a dead job back: `Pending`, attempts 0, runnable now, lock
/// cleared, `done_at` cleared (payload, idempotency key and last result
/// kept). Jobs in any other state are left alone. Only [`revive`](super::revive)
/// calls it, and reopens the job's runs in the same transaction.
///
/// # Errors
/// When the query fails.
pub(super) async fn retry(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    id: &str,
) -> Result<RetryOutcome> {
    let row: Option<RetryRow> = sqlx::query_as(concat!(
        "with target as (select j.id, ",
        state_j!(),
        " as state from apalis.jobs j where j.job_type = any($1) and j.id = $2), ",
        "requeued as (",
        requeue_dead!("and j.id in (select id from target)"),
        ") select t.state, exists (select 1 from requeued) as retried from target t"
    ))
    .bind(queues.all())
    .bind(id.trim())
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => RetryOutcome::NotFound,
        Some(RetryRow { retried: true, .. }) => RetryOutcome::Retried,
        Some(RetryRow { state, .. }) => RetryOutcome::NotDead(state),
    })
}

#[derive(sqlx::FromRow)]
struct RetryRow {
    /// The state before the retry.
    #[sqlx(try_from = "String")]
    state: JobState,
    retried: bool,
}

/// Brings back every dead job of aegis's queues (or of one kind) as
/// [`retry`] does; returns their ids, sorted, so [`revive`](super::revive)
/// can reopen their runs.
///
/// # Errors
/// [`UnknownKind`](super::Error::UnknownKind) for a kind that is not aegis's; when the query fails.
pub(super) async fn retry_all_dead(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    kind: Option<&str>,
) -> Result<Vec<String>> {
    let mut ids: Vec<String> = sqlx::query_scalar(requeue_dead!(""))
        .bind(kinds(queues, kind)?)
        .fetch_all(db)
        .await?;
    ids.sort_unstable();
    Ok(ids)
}

/// What a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// `Done` jobs deleted.
    pub jobs: u64,
    /// Stale worker rows deleted.
    pub workers: u64,
}

/// Worker rows seen this recently are never purged, whatever the age asked
/// for: their worker may be alive (a live worker whose row is gone fails
/// every job it records).
pub const LIVE_WORKER_WINDOW: Duration = Duration::from_secs(600);

/// What [`purge_done_older_than`] would delete now, without deleting it
/// (the same statement, rolled back).
///
/// # Errors
/// When the query fails.
pub async fn purge_preview(
    conn: &mut PgConnection,
    queues: &Queues,
    age: Duration,
) -> Result<PurgeReport> {
    let mut tx = conn.begin().await?;
    let report = purge_done_older_than(&mut *tx, queues, age).await?;
    tx.rollback().await?;
    Ok(report)
}

/// Deletes, in one statement, the `Done` jobs of aegis's queues that
/// finished more than `age` ago, and the rows of aegis's workers not seen for
/// `age` (nor within [`LIVE_WORKER_WINDOW`]) that no remaining job
/// references (`lock_by`), with the record of a process none of whose
/// worker rows is left. Dead, pending and running jobs are never deleted.
///
/// # Errors
/// When the query fails.
pub async fn purge_done_older_than(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    age: Duration,
) -> Result<PurgeReport> {
    let (jobs, workers): (i64, i64) = sqlx::query_as(concat!(
        "with cutoff as (select now() - make_interval(secs => $2) as at), ",
        "purged as (delete from apalis.jobs j using cutoff ",
        "where j.job_type = any($1) and j.status = 'Done' and j.done_at < cutoff.at ",
        "returning j.id), ",
        "stale as (delete from apalis.workers w using cutoff ",
        "where w.worker_type = any($1) ",
        "and w.last_seen < least(cutoff.at, now() - make_interval(secs => $3)) and not exists (",
        "select 1 from apalis.jobs j where j.lock_by = w.id ",
        "and not exists (select 1 from purged p where p.id = j.id)) ",
        "returning w.id), ",
        "processes as (delete from worker_processes p using cutoff ",
        "where p.started_at < cutoff.at and not exists (select 1 from apalis.workers w ",
        "where starts_with(w.id, p.name || '-') and not exists (",
        "select 1 from stale s where s.id = w.id)) returning p.name) ",
        // A data-modifying WITH runs whether or not the query reads it.
        "select (select count(*) from purged), (select count(*) from stale)"
    ))
    .bind(queues.all())
    .bind(age.as_secs_f64())
    .bind(LIVE_WORKER_WINDOW.as_secs_f64())
    .fetch_one(db)
    .await?;
    Ok(PurgeReport {
        jobs: u64::try_from(jobs).unwrap_or_default(),
        workers: u64::try_from(workers).unwrap_or_default(),
    })
}

/// What [`run_now`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunNow {
    /// The job.
    pub id: String,
    /// Its state before: `scheduled` or `retrying` (now runnable), or
    /// `pending` (it already was).
    pub was: JobState,
}

/// Makes a scheduled or retrying job runnable at once (its `run_at` now;
/// attempts unchanged); a pending job is left as it is.
///
/// # Errors
/// [`NoSuchJob`](super::Error::NoSuchJob); [`NotWaiting`](super::Error::NotWaiting)
/// for a job running, done, dead or cancelled; the database's.
pub async fn run_now(db: impl PgExecutor<'_>, queues: &Queues, id: &str) -> Result<RunNow> {
    let id = id.trim();
    let state: Option<String> = sqlx::query_scalar(concat!(
        "with target as (select j.id, ",
        state_j!(),
        " as state from apalis.jobs j where j.job_type = any($1) and j.id = $2), ",
        "moved as (update apalis.jobs j set run_at = now() from target t ",
        "where j.id = t.id and t.state in ('scheduled', 'retrying') returning j.id) ",
        "select t.state from target t"
    ))
    .bind(queues.all())
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(state) = state else {
        return Err(super::Error::NoSuchJob(id.to_owned()));
    };
    let was: JobState = state
        .parse()
        .map_err(|_| super::Error::NoSuchJob(id.to_owned()))?;
    match was {
        JobState::Scheduled | JobState::Retrying | JobState::Pending => Ok(RunNow {
            id: id.to_owned(),
            was,
        }),
        state => Err(super::Error::NotWaiting {
            id: id.to_owned(),
            state,
        }),
    }
}
