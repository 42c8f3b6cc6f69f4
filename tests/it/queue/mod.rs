//! Queue inspection and administration over a real apalis schema: jobs are
//! enqueued with `aegis_jobs::enqueue` and put into each state with the
//! same kind of UPDATE apalis itself uses to record a state.

use aegis_jobs::{Enqueued, Mode, Scope, SyncPortfolio, SyncProjectTasks};
use serde_json::{Value, json};
use sqlx::{PgPool, types::Json};
use uuid::Uuid;

/// Retry and purge.
mod admin;
/// Stats, list and show.
mod inspect;
/// Running rows no handler runs: handed back.
mod ownerless;

pub const DAY: f64 = 86_400.0;

/// How a test leaves a job row (what apalis would have written).
pub struct Row {
    status: &'static str,
    /// `None`: as many as allowed (`max_attempts`).
    attempts: Option<i32>,
    /// Seconds from now to `run_at` (negative: in the past).
    run_in: f64,
    done_ago: Option<f64>,
    lock_by: Option<&'static str>,
    last_result: Option<Value>,
}

impl Row {
    pub fn new(status: &'static str, attempts: Option<i32>) -> Row {
        Row {
            status,
            attempts,
            run_in: 0.0,
            done_ago: None,
            lock_by: None,
            last_result: None,
        }
    }
    pub fn pending() -> Row {
        Row::new("Pending", Some(0))
    }
    pub fn scheduled() -> Row {
        Row {
            run_in: 3600.0,
            ..Row::pending()
        }
    }
    pub fn queued(worker: &'static str) -> Row {
        Row::new("Queued", Some(0)).locked_by(worker)
    }
    pub fn running(worker: &'static str) -> Row {
        Row::new("Running", Some(1)).locked_by(worker)
    }
    pub fn retrying() -> Row {
        Row {
            run_in: 30.0,
            done_ago: Some(0.0),
            last_result: Some(json!({"Err": "HTTP 503 from Asana"})),
            ..Row::new("Failed", Some(1))
        }
    }
    pub fn exhausted() -> Row {
        Row {
            done_ago: Some(0.0),
            last_result: Some(json!({"Err": "HTTP 500 from Asana"})),
            ..Row::new("Failed", None)
        }
    }
    pub fn killed() -> Row {
        Row {
            done_ago: Some(0.0),
            last_result: Some(json!({"Err": "HTTP 404: project not found"})),
            ..Row::new("Killed", Some(1))
        }
    }
    pub fn done(ago: f64) -> Row {
        Row {
            done_ago: Some(ago),
            last_result: Some(json!({"Ok": 12})),
            ..Row::new("Done", Some(1))
        }
    }
    pub fn locked_by(self, worker: &'static str) -> Row {
        Row {
            lock_by: Some(worker),
            ..self
        }
    }
    pub fn runnable_for(self, secs: f64) -> Row {
        Row {
            run_in: -secs,
            ..self
        }
    }
    pub fn done_ago(self, secs: f64) -> Row {
        Row {
            done_ago: Some(secs),
            ..self
        }
    }
}

pub async fn put(pool: &PgPool, id: &str, row: Row) {
    let updated = sqlx::query(
        "update apalis.jobs set status = $2, attempts = coalesce($3, max_attempts),
            run_at = now() + make_interval(secs => $4),
            done_at = now() - make_interval(secs => $5),
            lock_by = $6, lock_at = case when $6::text is null then null else now() end,
            last_result = $7
         where id = $1",
    )
    .bind(id)
    .bind(row.status)
    .bind(row.attempts)
    .bind(row.run_in)
    .bind(row.done_ago)
    .bind(row.lock_by)
    .bind(row.last_result.map(Json))
    .execute(pool)
    .await
    .expect("state update");
    assert_eq!(updated.rows_affected(), 1, "job {id} exists");
}

pub fn inserted(result: Result<Enqueued, aegis_jobs::Error>) -> String {
    match result.expect("enqueue") {
        Enqueued::Inserted(id) => id,
        Enqueued::AlreadyPresent => panic!("a fresh run is never present"),
    }
}

pub async fn project_job(pool: &PgPool, project: &str) -> (String, SyncProjectTasks) {
    let job = SyncProjectTasks::new(Uuid::new_v4(), project, Mode::Full);
    let mut conn = pool.acquire().await.expect("connection");
    let id = inserted(aegis_jobs::enqueue(&mut conn, &job).await);
    (id, job)
}

pub async fn portfolio_job(pool: &PgPool) -> (String, SyncPortfolio) {
    let job = SyncPortfolio::new("900", Scope::default(), Mode::Incremental);
    let mut conn = pool.acquire().await.expect("connection");
    let id = inserted(aegis_jobs::enqueue(&mut conn, &job).await);
    (id, job)
}

/// A job of a host application's own queue, which aegis must ignore.
pub async fn host_job(pool: &PgPool, id: &str) {
    sqlx::query(
        "insert into apalis.jobs (id, job_type, job)
         values ($1, 'host.emails', convert_to('{\"to\": \"ada\"}', 'UTF8'))",
    )
    .bind(id)
    .execute(pool)
    .await
    .expect("host job");
}

pub async fn worker(pool: &PgPool, id: &str, queue: &str, seen_ago: f64) {
    sqlx::query(
        "insert into apalis.workers (id, worker_type, storage_name, layers, last_seen)
         values ($1, $2, 'PgStorage', '', now() - make_interval(secs => $3))",
    )
    .bind(id)
    .bind(queue)
    .bind(seen_ago)
    .execute(pool)
    .await
    .expect("worker row");
}

pub async fn ids(pool: &PgPool, sql: &'static str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await
        .expect("ids query")
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
