//! aegis's advisory locks (no table): one enqueuer of a project at a time,
//! and one sync of a project's tasks at a time, in any process.

use sqlx::{PgConnection, PgPool};

use super::Result;

/// Serialises enqueuers of one project until the transaction ends.
pub async fn lock_project(conn: &mut PgConnection, project_gid: &str) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('aegis.project:' || $1))")
        .bind(project_gid)
        .execute(conn)
        .await?;
    Ok(())
}

/// Waits for, then holds, the right to sync the project's tasks: at most one
/// sync of a project runs at a time, in any process (a second one queued
/// behind it waits here). The lock lives in the returned connection's
/// session, which is detached from the pool: dropping it, on any path
/// including a panic or a killed process, releases the lock.
pub async fn hold_project_run(pool: &PgPool, project_gid: &str) -> Result<PgConnection> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("select pg_advisory_lock(hashtext('aegis.project-run:' || $1))")
        .bind(project_gid)
        .execute(&mut conn)
        .await?;
    Ok(conn)
}
