//! What an attempt leaves on its job's row besides apalis's own
//! acknowledgement: the worker's attempt limit (so "dead" can be read from
//! the row) and, for a retry, the next run time (the persisted backoff).

use std::time::Duration;

use sqlx::PgExecutor;

/// Writes `max_attempts` and, when `retry_in` is set, `run_at = now() +
/// retry_in` on the job's row.
///
/// # Errors
/// The database's.
pub async fn persist_attempt(
    db: impl PgExecutor<'_>,
    job_id: &str,
    max_attempts: u32,
    retry_in: Option<Duration>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"
        update apalis.jobs set max_attempts = $2,
            run_at = case when $3::bigint is null then run_at
                          else now() + make_interval(secs => $3::bigint / 1000.0) end
        where id = $1
        "#,
    )
    .bind(job_id)
    .bind(max_attempts as i32)
    .bind(retry_in.map(|d| d.as_millis() as i64))
    .execute(db)
    .await?;
    Ok(())
}
