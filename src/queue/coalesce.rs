//! Coalescing: a request to sync a project joins the sync of it already
//! queued (not yet started) instead of adding another, so at most one sync
//! of a project is queued.

use aegis_jobs::{Kind, Mode, Queues};
use sqlx::PgConnection;

/// The not-yet-started project job of `project_gid`, which a new request
/// joins. A full request upgrades a queued incremental one to full (a full
/// sync covers an incremental request, not the reverse). The row is locked
/// until the caller's transaction ends, so no worker starts it before the
/// caller has recorded what waits for it.
///
/// # Errors
/// The database's.
pub async fn join_queued_job(
    conn: &mut PgConnection,
    queues: &Queues,
    project_gid: &str,
    mode: Mode,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        with queued as (
            select id from apalis.jobs
            where job_type = $1 and status = 'Pending'
              and convert_from(job, 'UTF8')::jsonb ->> 'project' = $2
            order by run_at limit 1
            for update skip locked
        )
        update apalis.jobs j set job = case
            when $3 = 'full' then convert_to(
                jsonb_set(convert_from(j.job, 'UTF8')::jsonb, '{mode}', '"full"')::text, 'UTF8')
            else j.job end
        from queued where j.id = queued.id
        returning j.id
        "#,
    )
    .bind(queues.name(Kind::SyncProjectTasks))
    .bind(project_gid)
    .bind(mode.as_str())
    .fetch_optional(conn)
    .await
}
