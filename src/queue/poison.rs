//! Jobs whose payload a worker cannot decode (not JSON, or JSON of another
//! shape: version skew between an enqueuer and older workers, a rollback).
//!
//! apalis 1.0 decodes a whole fetched batch at once: one bad payload fails
//! the fetch, the worker restarts under a new incarnation name (`-r<n>`),
//! and every job of that batch stays `Queued`, locked by the incarnation
//! that died, until it is rescued as an orphan and the cycle repeats. These
//! statements let a sweep ([`crate::worker`]'s helpers) end that: it reads
//! the jobs still `Queued` by a process's superseded incarnations
//! ([`stranded`]), buries the undecodable ones ([`bury`]: dead at once, the
//! decode error as the reason) and hands the others back ([`release`]).

use aegis_jobs::Queues;
use sqlx::PgExecutor;

/// A job left `Queued` by a superseded incarnation of this process's
/// workers: `(id, queue, payload)`.
pub type Stranded = (String, String, Vec<u8>);

/// The jobs of `queues` still `Queued` by a superseded incarnation of the
/// workers whose names start with `prefix` (the newest incarnation of each
/// worker type is live and keeps its own).
///
/// # Errors
/// The database's.
pub async fn stranded(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    prefix: &str,
) -> Result<Vec<Stranded>, sqlx::Error> {
    sqlx::query_as(
        "with newest as (select distinct on (worker_type) id from apalis.workers \
             where starts_with(id, $2) \
             order by worker_type, substring(id from '-r([0-9]+)$')::int desc nulls last) \
         select j.id, j.job_type, j.job from apalis.jobs j \
         where j.job_type = any($1) and j.status = 'Queued' and starts_with(j.lock_by, $2) \
           and j.lock_by not in (select id from newest) \
         order by j.id",
    )
    .bind(queues.all())
    .bind(prefix)
    .fetch_all(db)
    .await
}

/// Makes the `Queued` job `id` dead at once (`Killed`), with `reason` as its
/// last result, as apalis records a fatal error. Returns whether it did.
///
/// # Errors
/// The database's.
pub async fn bury(db: impl PgExecutor<'_>, id: &str, reason: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update apalis.jobs set status = 'Killed', done_at = now(), lock_at = null, \
             last_result = jsonb_build_object('Err', $2::text) \
         where id = $1 and status = 'Queued'",
    )
    .bind(id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands the `Queued` jobs `ids` back: `Pending`, runnable now, unlocked,
/// no attempt charged. Returns how many.
///
/// # Errors
/// The database's.
pub async fn release(db: impl PgExecutor<'_>, ids: &[String]) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update apalis.jobs set status = 'Pending', lock_by = null, lock_at = null, \
             run_at = least(run_at, now()) \
         where id = any($1) and status = 'Queued'",
    )
    .bind(ids)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
