//! aegis's advisory locks (no table): one enqueuer of a project at a time,
//! one sync of a project's tasks at a time, in any process, and the
//! liveness mark of an inline run (held by its process for as long as it
//! runs).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tracing::info;
use uuid::Uuid;

use super::Result;

/// Serialises enqueuers of one project until the transaction ends.
pub async fn lock_project(conn: &mut PgConnection, project_gid: &str) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('aegis.project:' || $1))")
        .bind(project_gid)
        .execute(conn)
        .await?;
    Ok(())
}

/// The right to sync one project's tasks, held in a session of its own
/// (see [`hold_project_run`]). Dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _session: PgConnection,
    mark: LockMark,
}

/// Which server session holds a [`RunLock`]: its backend pid and start
/// time (a pid alone may be reused by a later session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockMark {
    pid: i32,
    started: DateTime<Utc>,
}

impl RunLock {
    /// The session that holds it, for [`still_held`].
    pub fn mark(&self) -> LockMark {
        self.mark.clone()
    }
}

/// Waits for, then holds, the right to sync the project's tasks: at most one
/// sync of a project runs at a time, in any process (a second one queued
/// behind it waits here). The lock lives in the returned session, detached
/// from the pool: dropping it, on any path including a panic or a killed
/// process, releases the lock. So does losing that session's connection
/// while the holder still runs: every write of the holder checks
/// [`still_held`] in its own transaction, so a holder that lost the lock
/// commits nothing more.
pub async fn hold_project_run(pool: &PgPool, project_gid: &str) -> Result<RunLock> {
    let mut conn = pool.acquire().await?.detach();
    let free: bool =
        sqlx::query_scalar("select pg_try_advisory_lock(hashtext('aegis.project-run:' || $1))")
            .bind(project_gid)
            .fetch_one(&mut conn)
            .await?;
    if !free {
        info!(
            project.gid = project_gid,
            "another sync of this project is running (one at a time per project): waiting for it to finish"
        );
        sqlx::query("select pg_advisory_lock(hashtext('aegis.project-run:' || $1))")
            .bind(project_gid)
            .execute(&mut conn)
            .await?;
        info!(
            project.gid = project_gid,
            "the other sync of this project ended; syncing"
        );
    }
    let (pid, started): (i32, DateTime<Utc>) = sqlx::query_as(
        "select pid, backend_start from pg_stat_activity where pid = pg_backend_pid()",
    )
    .fetch_one(&mut conn)
    .await?;
    Ok(RunLock {
        _session: conn,
        mark: LockMark { pid, started },
    })
}

/// Whether the session of `mark` still exists, and with it the lock it
/// holds (a session's advisory locks end only with the session or an
/// unlock, and aegis never unlocks a run lock by hand).
pub async fn still_held(conn: &mut PgConnection, mark: &LockMark) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from pg_stat_activity where pid = $1 and backend_start = $2)",
    )
    .bind(mark.pid)
    .bind(mark.started)
    .fetch_one(conn)
    .await?)
}

/// The liveness mark of inline run `run`: held in the returned connection's
/// session (detached from the pool) from before the run is opened until the
/// connection is dropped. A process that dies, however it dies, closes its
/// connection, and the server releases the mark.
pub async fn hold_inline_run(pool: &PgPool, run: Uuid) -> Result<PgConnection> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("select pg_advisory_lock(hashtext('aegis.inline-run:' || $1::text))")
        .bind(run)
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// Whether no live process holds the liveness mark of inline run `run`
/// (checked by taking it for an instant on `conn`).
pub async fn inline_run_is_orphaned(conn: &mut PgConnection, run: Uuid) -> Result<bool> {
    let free: bool = sqlx::query_scalar(
        "select pg_try_advisory_lock(hashtext('aegis.inline-run:' || $1::text))",
    )
    .bind(run)
    .fetch_one(&mut *conn)
    .await?;
    if free {
        sqlx::query("select pg_advisory_unlock(hashtext('aegis.inline-run:' || $1::text))")
            .bind(run)
            .execute(&mut *conn)
            .await?;
    }
    Ok(free)
}
