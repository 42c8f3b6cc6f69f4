//! The live worker processes as apalis records them (`apalis.workers`,
//! with what each process recorded of itself, [`super::processes`]; `aegis
//! workers`) and the dead jobs per project (`aegis status`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use aegis_jobs::{Kind, Queues};

use super::{LIVE_WORKER_WINDOW, Result};

/// One apalis worker of aegis's queues seen within [`LIVE_WORKER_WINDOW`]
/// (an `aegis worker` process runs one per kind, named
/// `{process}-portfolio-r{restarts}` and `{process}-projects-r{restarts}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WorkerRow {
    /// The worker's name.
    pub id: String,
    /// The `aegis worker` process it belongs to (the name without its
    /// `-portfolio-r…` / `-projects-r…` suffix).
    #[sqlx(skip)]
    pub process: String,
    /// The queue it takes jobs from.
    pub kind: String,
    /// Its last heartbeat (or keep-alive beat).
    pub last_seen: DateTime<Utc>,
    /// Seconds since then (database clock).
    pub heartbeat_age_secs: i64,
    /// Jobs it holds now: fetched or running.
    pub jobs_in_hand: i64,
    /// Of them, running.
    pub running: i64,
    /// The aegis version its process runs (none: a process that did not
    /// say, e.g. an older aegis).
    pub version: Option<String>,
    /// Project jobs its process runs at once.
    pub concurrency: Option<i32>,
}

/// The workers of these queues seen within [`LIVE_WORKER_WINDOW`], most
/// recently seen first.
///
/// # Errors
/// The database's.
pub async fn workers(db: impl PgExecutor<'_>, queues: &Queues) -> Result<Vec<WorkerRow>> {
    let mut rows: Vec<WorkerRow> = sqlx::query_as(
        r#"
        select w.id, w.worker_type as kind, w.last_seen,
            floor(extract(epoch from now() - w.last_seen))::bigint as heartbeat_age_secs,
            count(j.id) as jobs_in_hand,
            count(j.id) filter (where j.status = 'Running') as running,
            p.version, p.concurrency
        from apalis.workers w
        left join apalis.jobs j on j.lock_by = w.id and j.status in ('Queued', 'Running')
        left join worker_processes p on starts_with(w.id, p.name || '-')
        where w.worker_type = any($1) and w.last_seen > now() - make_interval(secs => $2)
        group by w.id, p.name order by w.last_seen desc, w.id
        "#,
    )
    .bind(queues.all())
    .bind(LIVE_WORKER_WINDOW.as_secs_f64())
    .fetch_all(db)
    .await?;
    for row in &mut rows {
        row.process = process_of(&row.id).to_owned();
    }
    Ok(rows)
}

/// `host-1-a3f-projects-r2` → `host-1-a3f`.
fn process_of(worker: &str) -> &str {
    let Some((head, restarts)) = worker.rsplit_once("-r") else {
        return worker;
    };
    if restarts.is_empty() || !restarts.bytes().all(|b| b.is_ascii_digit()) {
        return worker;
    }
    ["-portfolio", "-projects"]
        .iter()
        .find_map(|suffix| head.strip_suffix(suffix))
        .unwrap_or(worker)
}

/// Dead project jobs per project gid (from their payloads; one that does
/// not decode names no project).
///
/// # Errors
/// The database's.
pub async fn dead_by_project(
    db: impl PgExecutor<'_>,
    queues: &Queues,
) -> Result<BTreeMap<String, i64>> {
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(concat!(
        "select j.job from apalis.jobs j where j.job_type = $1 and ",
        dead_j!()
    ))
    .bind(queues.name(Kind::SyncProjectTasks))
    .fetch_all(db)
    .await?;
    let mut dead = BTreeMap::new();
    for payload in payloads {
        let project = serde_json::from_slice::<serde_json::Value>(&payload)
            .ok()
            .and_then(|p| p.get("project")?.as_str().map(str::to_owned));
        if let Some(project) = project {
            *dead.entry(project).or_insert(0) += 1;
        }
    }
    Ok(dead)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_worker_names_its_process() {
        assert_eq!(super::process_of("vm-1-0a1b-projects-r12"), "vm-1-0a1b");
        assert_eq!(super::process_of("vm-1-0a1b-portfolio-r0"), "vm-1-0a1b");
        assert_eq!(super::process_of("someone-else"), "someone-else");
    }
}
