//! Coalescing: a request to sync a project joins the sync of it already
//! queued (not yet started) instead of adding another, so at most one sync
//! of a project is queued.

use aegis_jobs::{Kind, Mode, Queues};
use sqlx::PgConnection;

/// The not-yet-started project job of `project_gid`, which a new request
/// joins. A full request upgrades a queued incremental one to full (a full
/// sync covers an incremental request, not the reverse). Task lists (a
/// webhook's request names the tasks to fetch, `tasks`) merge: a request
/// with tasks joining a job with tasks adds them to its list; a job without
/// a list (it reads the events, or crawls) already covers any list and
/// stays as it is; a request without a list makes the job drop its list.
/// The row is locked until the caller's transaction ends, so no worker
/// starts it before the caller has recorded what waits for it.
///
/// # Errors
/// The database's.
pub async fn join_queued_job(
    conn: &mut PgConnection,
    queues: &Queues,
    project_gid: &str,
    mode: Mode,
    tasks: &[String],
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        r#"
        with queued as (
            select id, convert_from(job, 'UTF8')::jsonb as payload from apalis.jobs
            where job_type = $1 and status = 'Pending'
              and convert_from(job, 'UTF8')::jsonb ->> 'project' = $2
            order by run_at limit 1
            for update skip locked
        ), merged as (
            select id, case
                when cardinality($4::text[]) = 0 then payload - 'tasks'
                when payload ? 'tasks' then jsonb_set(payload, '{tasks}', (
                    select coalesce(jsonb_agg(gid order by gid), '[]'::jsonb) from (
                        select jsonb_array_elements_text(payload -> 'tasks') as gid
                        union select unnest($4::text[])
                    ) gids))
                else payload
            end as payload
            from queued
        )
        update apalis.jobs j set job = convert_to(case
            when $3 = 'full' then jsonb_set(m.payload, '{mode}', '"full"')
            else m.payload end::text, 'UTF8')
        from merged m where j.id = m.id
        returning j.id
        "#,
    )
    .bind(queues.name(Kind::SyncProjectTasks))
    .bind(project_gid)
    .bind(mode.as_str())
    .bind(tasks)
    .fetch_optional(conn)
    .await
}
