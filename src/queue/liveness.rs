//! Liveness of aegis's workers and jobs: whether any job can still run
//! (for `--drain`), what the drained work came to, and the keep-alive beat
//! that marks a busy process's worker rows as seen.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use aegis_jobs::Queues;

/// Whether any aegis job can still run: pending (now or later), fetched,
/// running (including a dead worker's, until it is rescued), or failed with
/// attempts left; anything but done, dead or cancelled.
///
/// # Errors
/// The database's.
pub async fn has_runnable_jobs(
    db: impl PgExecutor<'_>,
    queues: &Queues,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "select exists (select 1 from apalis.jobs j where j.job_type = any($1) ",
        "and j.status not in ('Done', 'Killed') and not ",
        dead_j!(),
        ")"
    ))
    .bind(queues.all())
    .fetch_one(db)
    .await
}

/// What the jobs finished since a time came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DrainReport {
    /// Jobs done.
    pub done: i64,
    /// Jobs dead (killed, or out of attempts).
    pub dead: i64,
}

/// Counts the aegis jobs finished since `since`.
///
/// # Errors
/// The database's.
pub async fn drain_report(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    since: DateTime<Utc>,
) -> Result<DrainReport, sqlx::Error> {
    sqlx::query_as(concat!(
        "select count(*) filter (where j.status = 'Done') as done, ",
        "count(*) filter (where ",
        dead_j!(),
        ") as dead from apalis.jobs j where j.job_type = any($1) and j.done_at >= $2"
    ))
    .bind(queues.all())
    .bind(since)
    .fetch_one(db)
    .await
}

/// One keep-alive beat: marks seen the newest incarnation (`-r<restarts>`
/// suffix) of each worker type whose row name starts with `prefix`;
/// returns how many rows it marked.
///
/// # Errors
/// The database's.
pub async fn beat(db: impl PgExecutor<'_>, prefix: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update apalis.workers set last_seen = now() where id in (\
             select distinct on (worker_type) id from apalis.workers \
             where starts_with(id, $1) \
             order by worker_type, substring(id from '-r([0-9]+)$')::int desc nulls last)",
    )
    .bind(prefix)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
