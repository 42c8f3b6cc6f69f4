//! Knowing when the queue is drained: no aegis job is pending, queued,
//! running, or waiting for a retry (rescued orphans count as pending), and
//! what the drained work left dead.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Whether any aegis job can still run: pending (now or later), fetched,
/// running (including a dead worker's, until it is rescued), or failed with
/// attempts left.
///
/// # Errors
/// The database's.
pub async fn has_runnable_jobs(db: impl PgExecutor<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        select exists (
            select 1 from apalis.jobs
            where job_type = any($1)
              and (status in ('Pending', 'Queued', 'Running')
                   or (status = 'Failed' and attempts < max_attempts))
        )
        "#,
    )
    .bind(&aegis_jobs::queue::ALL[..])
    .fetch_one(db)
    .await
}

/// What the jobs finished since `since` came to.
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
    since: DateTime<Utc>,
) -> Result<DrainReport, sqlx::Error> {
    sqlx::query_as(
        r#"
        select count(*) filter (where status = 'Done') as done,
               count(*) filter (where status = 'Killed'
                                or (status = 'Failed' and attempts >= max_attempts)) as dead
        from apalis.jobs
        where job_type = any($1) and done_at >= $2
        "#,
    )
    .bind(&aegis_jobs::queue::ALL[..])
    .bind(since)
    .fetch_one(db)
    .await
}
