//! The durable job contract of aegis.
//!
//! This crate owns what is stored in the queue and must stay compatible
//! across deploys: the job payloads, their queue names, and typed enqueue
//! helpers that insert into apalis's Postgres queue inside the caller's
//! transaction. It holds no HTTP and no sync logic, so another service can
//! depend on it alone to enqueue aegis work; aegis's workers (the `aegis`
//! crate) run the jobs.
//!
//! Changing a payload is like a migration: add fields with `#[serde(default)]`
//! and never rename a queue without an alias period.
//!
//! The queue names are configuration ([`Queues`], default
//! `aegis.sync-portfolio` and `aegis.sync-project-tasks`): two aegis setups
//! share one database with two prefixes ([`enqueue_in`]). This crate writes
//! only to `apalis.jobs`; a job enqueued with it alone gets its run row
//! (aegis's `sync_runs`) when a worker takes it. The `aegis` crate's
//! `Aegis::enqueue_sync` records the run in the same transaction, so it is
//! known at once.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), aegis_jobs::Error> {
//! use aegis_jobs::{Mode, Scope, SyncPortfolio};
//!
//! let mut tx = pool.begin().await?;
//! // ... the caller's own writes ...
//! let job = SyncPortfolio::new("1204385601023456", Scope::default(), Mode::Incremental);
//! let run = job.run;
//! aegis_jobs::enqueue(&mut tx, &job).await?;
//! tx.commit().await?; // the job becomes visible to workers with the caller's writes
//! println!("queued sync run {run}");
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sqlx::PgConnection;
use uuid::Uuid;

mod queues;

pub use queues::{Kind, Queues, queue};

/// How a project's tasks are synced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Only what changed since the last sync (the default).
    #[default]
    Incremental,
    /// A full crawl plus reconciliation: deletions and removals become visible.
    Full,
}

impl Mode {
    /// The name used in payloads and in `sync_runs.mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Incremental => "incremental",
            Mode::Full => "full",
        }
    }
}

/// Which part of the portfolio a sync covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Only the portfolio's projects; no task is synced.
    #[serde(default)]
    pub projects_only: bool,
    /// Only these projects (gids or exact names); empty means every project.
    #[serde(default)]
    pub projects: Vec<String>,
}

/// Sync a portfolio: list its projects, upsert them, then fan out one
/// [`SyncProjectTasks`] per selected, non-archived project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPortfolio {
    /// The sync run this job starts (see aegis's `sync_runs`).
    pub run: Uuid,
    /// The portfolio's gid.
    pub portfolio: String,
    /// What to sync.
    #[serde(default)]
    pub scope: Scope,
    /// How to sync tasks.
    #[serde(default)]
    pub mode: Mode,
}

impl SyncPortfolio {
    /// A job for a new run (a fresh run id).
    pub fn new(portfolio: impl Into<String>, scope: Scope, mode: Mode) -> Self {
        SyncPortfolio {
            run: Uuid::new_v4(),
            portfolio: portfolio.into(),
            scope,
            mode,
        }
    }
}

/// Sync one project's tasks as part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProjectTasks {
    /// The run that asked for it (the first, when several runs coalesced).
    pub run: Uuid,
    /// The project's gid.
    pub project: String,
    /// How to sync its tasks.
    #[serde(default)]
    pub mode: Mode,
    /// When not empty, only these tasks (gids) are fetched: the project's
    /// events are not read and its events token does not move (a webhook
    /// delivery named them). Empty (and absent from the JSON) for a job
    /// that reads the events or crawls. Added after the first release:
    /// older payloads decode with an empty list; a worker older than the
    /// field ignores it (unknown fields are not denied) and runs the job as
    /// a plain incremental sync, which reads the events and so covers the
    /// same tasks, at the cost of an events request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<String>,
}

impl SyncProjectTasks {
    /// A job of `run` for `project` reading its events or crawling (no
    /// task list).
    pub fn new(run: Uuid, project: impl Into<String>, mode: Mode) -> Self {
        SyncProjectTasks {
            run,
            project: project.into(),
            mode,
            tasks: Vec::new(),
        }
    }
}

/// A payload stored in an aegis queue.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The queue it waits in by default.
    const QUEUE: &'static str;
    /// The queue it waits in for the setup of `queues`; by default
    /// [`QUEUE`](Self::QUEUE) (aegis's jobs take theirs from `queues`).
    fn queue_in(queues: &Queues) -> String {
        let _ = queues;
        Self::QUEUE.to_owned()
    }
    /// Attempts before it is dead, unless the worker sets its own limit.
    const MAX_ATTEMPTS: i32;
    /// The key that makes enqueueing the same job twice a no-op.
    fn idempotency_key(&self) -> String;
}

impl Job for SyncPortfolio {
    const QUEUE: &'static str = queue::SYNC_PORTFOLIO;
    fn queue_in(queues: &Queues) -> String {
        queues.name(Kind::SyncPortfolio)
    }
    const MAX_ATTEMPTS: i32 = 5;
    fn idempotency_key(&self) -> String {
        format!("run:{}", self.run)
    }
}

impl Job for SyncProjectTasks {
    const QUEUE: &'static str = queue::SYNC_PROJECT_TASKS;
    fn queue_in(queues: &Queues) -> String {
        queues.name(Kind::SyncProjectTasks)
    }
    const MAX_ATTEMPTS: i32 = 8;
    fn idempotency_key(&self) -> String {
        format!("run:{}:project:{}", self.run, self.project)
    }
}

/// Errors of the enqueue helpers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused the insert (is the apalis schema migrated?).
    #[error("enqueueing failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The payload could not be encoded.
    #[error("encoding the job failed: {0}")]
    Encode(#[from] serde_json::Error),
}

/// What an enqueue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job row, with its id.
    Inserted(String),
    /// A job with the same idempotency key exists already: nothing was added.
    AlreadyPresent,
}

/// Inserts `job` into its default queue unless a job with the same
/// idempotency key exists (then nothing happens and nothing fails). Runs on
/// the caller's connection or transaction: the job becomes visible when it
/// commits.
///
/// # Errors
/// When the database refuses the insert.
pub async fn enqueue<J: Job>(conn: &mut PgConnection, job: &J) -> Result<Enqueued, Error> {
    enqueue_in(conn, &Queues::default(), job).await
}

/// [`enqueue`] into the queue of `queues` for the job's kind.
///
/// # Errors
/// When the database refuses the insert.
pub async fn enqueue_in<J: Job>(
    conn: &mut PgConnection,
    queues: &Queues,
    job: &J,
) -> Result<Enqueued, Error> {
    let payload = serde_json::to_vec(job)?;
    let id: Option<String> = sqlx::query_scalar(
        r#"
        insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at,
            priority, idempotency_key)
        values (apalis.generate_ulid(), $1, $2, 'Pending', 0, $3, now(), 0, $4)
        on conflict (job_type, idempotency_key) do nothing
        returning id
        "#,
    )
    .bind(J::queue_in(queues))
    .bind(payload)
    .bind(J::MAX_ATTEMPTS)
    .bind(job.idempotency_key())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.map_or(Enqueued::AlreadyPresent, Enqueued::Inserted))
}

/// Inserts many jobs of one kind into its default queue in one statement,
/// skipping those whose idempotency key exists; returns how many were
/// inserted. Runs on the caller's connection or transaction.
///
/// # Errors
/// When the database refuses the insert.
pub async fn enqueue_many<J: Job>(conn: &mut PgConnection, jobs: &[J]) -> Result<u64, Error> {
    enqueue_many_in(conn, &Queues::default(), jobs).await
}

/// [`enqueue_many`] into the queue of `queues` for the jobs' kind.
///
/// # Errors
/// When the database refuses the insert.
pub async fn enqueue_many_in<J: Job>(
    conn: &mut PgConnection,
    queues: &Queues,
    jobs: &[J],
) -> Result<u64, Error> {
    let mut payloads = Vec::with_capacity(jobs.len());
    let mut keys = Vec::with_capacity(jobs.len());
    for job in jobs {
        payloads.push(serde_json::to_vec(job)?);
        keys.push(job.idempotency_key());
    }
    let done = sqlx::query(
        r#"
        insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at,
            priority, idempotency_key)
        select apalis.generate_ulid(), $1, payload, 'Pending', 0, $3, now(), 0, key
        from unnest($2::bytea[], $4::text[]) as input(payload, key)
        on conflict (job_type, idempotency_key) do nothing
        "#,
    )
    .bind(J::queue_in(queues))
    .bind(payloads)
    .bind(J::MAX_ATTEMPTS)
    .bind(keys)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_small_stable_json() {
        let run = Uuid::nil();
        let job = SyncProjectTasks::new(run, "42", Mode::Full);
        let json = serde_json::to_string(&job).unwrap();
        assert_eq!(
            json,
            r#"{"run":"00000000-0000-0000-0000-000000000000","project":"42","mode":"full"}"#
        );
        let old: SyncPortfolio = serde_json::from_str(
            r#"{"run":"00000000-0000-0000-0000-000000000000","portfolio":"1"}"#,
        )
        .unwrap();
        assert_eq!(old.scope, Scope::default());
        assert_eq!(old.mode, Mode::Incremental);
    }

    #[test]
    fn a_task_list_is_optional_both_ways() {
        let old: SyncProjectTasks = serde_json::from_str(
            r#"{"run":"00000000-0000-0000-0000-000000000000","project":"42","mode":"incremental"}"#,
        )
        .unwrap();
        assert!(old.tasks.is_empty());
        let mut job = SyncProjectTasks::new(Uuid::nil(), "42", Mode::Incremental);
        job.tasks = vec!["7".into(), "8".into()];
        let json = serde_json::to_string(&job).unwrap();
        assert!(json.ends_with(r#""tasks":["7","8"]}"#), "{json}");
        assert_eq!(
            serde_json::from_str::<SyncProjectTasks>(&json).unwrap(),
            job
        );
        // What a worker without the field sees: the same job, minus the list.
        #[derive(Deserialize)]
        struct OldShape {
            project: String,
            mode: Mode,
        }
        let old: OldShape = serde_json::from_str(&json).unwrap();
        assert_eq!((old.project.as_str(), old.mode), ("42", Mode::Incremental));
    }

    #[test]
    fn queues_default_to_the_documented_names_and_take_a_prefix() {
        let default = Queues::default();
        assert_eq!(default.name(Kind::SyncPortfolio), queue::SYNC_PORTFOLIO);
        assert_eq!(default.all(), queue::ALL.to_vec());
        assert_eq!(
            SyncProjectTasks::queue_in(&default),
            SyncProjectTasks::QUEUE
        );
        assert_eq!(
            SyncPortfolio::queue_in(&Queues::prefixed("b")),
            "b.sync-portfolio"
        );
        let billing = Queues::prefixed("billing");
        assert_eq!(
            billing.name(Kind::SyncProjectTasks),
            "billing.sync-project-tasks"
        );
        assert_eq!(billing.kind_of("sync-portfolio"), Some(Kind::SyncPortfolio));
        assert_eq!(
            billing.kind_of("billing.sync-project-tasks"),
            Some(Kind::SyncProjectTasks)
        );
        assert_eq!(billing.kind_of(queue::SYNC_PORTFOLIO), None);
    }

    #[test]
    fn idempotency_keys_name_the_run_and_project() {
        let run = Uuid::nil();
        let job = SyncProjectTasks::new(run, "42", Mode::Full);
        assert_eq!(job.idempotency_key(), format!("run:{run}:project:42"));
        assert_ne!(
            SyncPortfolio::new("1", Scope::default(), Mode::Full).run,
            run
        );
    }
}
