//! Ending runs early. Inline runs that will not end by themselves: one interrupted in
//! its process ([`cancel`], from `aegis sync`'s signal handler), and one
//! whose process died without closing it ([`close_abandoned`], by the next
//! command that reads runs). An inline run's process holds its liveness
//! mark ([`crate::store::locks::hold_inline_run`]) from before the run is
//! opened until it exits; a running inline run whose mark is free has no
//! process left. No time guess is involved: a live but slow process keeps
//! its mark, a killed one loses it the moment its connection closes.

use sqlx::{Acquire, PgConnection, PgPool};
use uuid::Uuid;

use crate::store::{Result, locks};

/// Why [`close_abandoned`] closes a run.
pub const ABANDONED: &str =
    "its `aegis sync` process ended without closing it (killed, or its machine lost)";

/// Closes the open run `run` as `cancelled` with `reason`, and its
/// unfinished children with it, in one transaction; returns whether it was
/// open.
pub async fn cancel(conn: &mut PgConnection, run: Uuid, reason: &str) -> Result<bool> {
    let mut tx = conn.begin().await?;
    sqlx::query(
        "update sync_run_projects set status = 'cancelled', error = $2, \
             finished_at = coalesce(finished_at, now()) \
         where run_id = $1 and status in ('pending', 'running', 'retrying')",
    )
    .bind(run)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let closed = sqlx::query(
        "update sync_runs set status = 'cancelled', error = $2, finished_at = now() \
         where id = $1 and status in ('queued', 'running')",
    )
    .bind(run)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(closed.rows_affected() == 1)
}

/// Cancels every running inline run whose process is gone (its liveness
/// mark is free); returns their ids.
pub async fn close_abandoned(pool: &PgPool) -> Result<Vec<Uuid>> {
    let open: Vec<Uuid> = sqlx::query_scalar(
        "select id from sync_runs where origin = 'inline' and status = 'running' order by started_at",
    )
    .fetch_all(pool)
    .await?;
    let mut closed = Vec::new();
    if open.is_empty() {
        return Ok(closed);
    }
    let mut conn = pool.acquire().await?;
    for run in open {
        if locks::inline_run_is_orphaned(&mut conn, run).await?
            && cancel(&mut conn, run, ABANDONED).await?
        {
            closed.push(run);
        }
    }
    Ok(closed)
}

/// Records that an operator cancelled the queued jobs `jobs`: their
/// unfinished children (in every run waiting for them) are `cancelled` with
/// `reason`, and each run they belong to that has no unfinished child left
/// closes `cancelled`. Returns the runs it closed. Call it in the
/// transaction that cancels the jobs.
pub async fn cancel_jobs(
    conn: &mut PgConnection,
    jobs: &[String],
    reason: &str,
) -> Result<Vec<Uuid>> {
    // The runs first, in a stable order, as a finishing child locks them
    // ([`super::lock_runs`]): whichever commits second sees the other's
    // child and closes the run.
    sqlx::query(
        "select id from sync_runs where id in (select run_id from sync_run_projects \
         where job_id = any($1)) order by id for update",
    )
    .bind(jobs)
    .fetch_all(&mut *conn)
    .await?;
    let runs: Vec<Uuid> = sqlx::query_scalar(
        "update sync_run_projects set status = 'cancelled', error = $2, \
             finished_at = coalesce(finished_at, now()) \
         where job_id = any($1) and status in ('pending', 'running', 'retrying') \
         returning run_id",
    )
    .bind(jobs)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar(
        "update sync_runs r set status = 'cancelled', error = $2, finished_at = now() \
         where r.id = any($1) and r.status in ('queued', 'running') and not exists ( \
             select 1 from sync_run_projects c where c.run_id = r.id \
             and c.status in ('pending', 'running', 'retrying')) \
         returning r.id",
    )
    .bind(runs)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await?)
}

/// The jobs syncing the unfinished children of `run`.
pub async fn open_child_jobs(db: impl sqlx::PgExecutor<'_>, run: Uuid) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select distinct job_id from sync_run_projects where run_id = $1 and job_id is not null \
         and status in ('pending', 'running', 'retrying') order by job_id",
    )
    .bind(run)
    .fetch_all(db)
    .await?)
}
