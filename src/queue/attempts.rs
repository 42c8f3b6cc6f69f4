//! What an attempt leaves on its job's row besides apalis's own
//! acknowledgement: the worker's attempt limit (so "dead" can be read from
//! the row) and, for a retry, the next run time (the persisted backoff),
//! both fenced by the attempt's [`Lease`].

use std::time::Duration;

use sqlx::PgExecutor;

use super::Lease;

/// Writes `max_attempts` and, when `retry_in` is set, `run_at = now() +
/// retry_in` on the job's row; only while `lease` (when given) holds.
/// Returns whether the row was written.
///
/// # Errors
/// The database's.
pub async fn persist_attempt(
    db: impl PgExecutor<'_>,
    job_id: &str,
    lease: Option<&Lease>,
    (max_attempts, retry_in): (u32, Option<Duration>),
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        r#"
        update apalis.jobs set max_attempts = $2,
            run_at = case when $3::bigint is null then run_at
                          else now() + make_interval(secs => $3::bigint / 1000.0) end
        where id = $1 and ($4::text is null or (lock_by = $4 and attempts = $5))
        "#,
    )
    .bind(job_id)
    .bind(max_attempts as i32)
    .bind(retry_in.map(|d| d.as_millis() as i64))
    .bind(lease.map(|l| l.lock_by.as_str()))
    .bind(lease.map(|l| l.attempts))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
