//! The only owner of SQL on apalis's Postgres storage (`apalis.jobs`,
//! `apalis.workers`), as River's driver seam is for River: job states and
//! the one dead-job rule, inspection (per-kind stats, listings, details),
//! administration (revive = retry + reopen the runs, purge), coalescing
//! ([`join_queued_job`]), what an attempt persists on its row
//! ([`persist_attempt`]: attempt limit, backoff), and liveness (the
//! keep-alive [`beat`], the drain checks). Nothing else in aegis names an
//! `apalis.` table, so an apalis-postgres upgrade is checked here. Backs
//! `aegis queue stats | list | show | retry | purge`; every returned type is
//! `Serialize` for `--json`. (`aegis-jobs` keeps its documented enqueue
//! INSERT.)
//!
//! Only the queues of one aegis setup (an [`aegis_jobs::Queues`], passed to
//! every function) are read or changed, so aegis shares the `apalis` schema
//! with a host application's own queues and with other aegis setups. A job's
//! *kind* is its queue name; [`kind`] also accepts it without the prefix
//! (`sync-project-tasks`).
//!
//! # Job states
//!
//! apalis records a raw `status` (`Pending | Queued | Running | Done | Failed
//! | Killed`); aegis derives one [`JobState`] from the row, evaluated at the
//! statement's `now()`, in this order:
//!
//! | state | row |
//! |---|---|
//! | `running` | `Running` |
//! | `done` | `Done` |
//! | `cancelled` | `Killed` by [`cancel`] (its last result says `cancelled`): never runs again |
//! | `dead` | `Killed` (fatal error), or `Failed` with `attempts >= max_attempts` |
//! | `retrying` | `Failed` with `attempts < max_attempts`: fetched again once `run_at` (the persisted backoff) passes |
//! | `scheduled` | `Pending` with `run_at > now()`: not runnable yet |
//! | `pending` | `Pending` with `run_at <= now()` (runnable now, whatever its `attempts`: a rescued orphan or a job returned at shutdown is pending again), or `Queued` (claimed into a worker's buffer, not started; `lock_by` names the worker) |
//!
//! A pending job's age is `now() - run_at`: how long it has been runnable.

use aegis_jobs::{Kind, Queues};

// The SQL fragments come first: `macro_rules!` are visible only below them.
/// SQL: true when the `apalis.jobs` row aliased `j` was cancelled by an
/// operator ([`cancel`]: `Killed`, its last result marked `cancelled`).
macro_rules! cancelled_j {
    () => {
        "(j.status = 'Killed' and (j.last_result -> 'cancelled') is not null)"
    };
}

/// SQL: true when the `apalis.jobs` row aliased `j` is dead.
macro_rules! dead_j {
    () => {
        concat!(
            "((j.status = 'Killed' and not ",
            cancelled_j!(),
            ") or (j.status = 'Failed' and j.attempts >= j.max_attempts))"
        )
    };
}

/// SQL: the [`JobState`] name of the `apalis.jobs` row aliased `j`.
macro_rules! state_j {
    () => {
        concat!(
            "(case when j.status = 'Running' then 'running' ",
            "when j.status = 'Done' then 'done' ",
            "when ",
            cancelled_j!(),
            " then 'cancelled' ",
            "when ",
            dead_j!(),
            " then 'dead' ",
            "when j.status = 'Failed' then 'retrying' ",
            "when j.status = 'Pending' and j.run_at > now() then 'scheduled' ",
            "else 'pending' end)"
        )
    };
}

/// SQL: the job rows of the queues in `$1`, as `s`, followed by `$tail`.
macro_rules! select_jobs {
    ($tail:literal) => {
        concat!(
            "select * from (select j.id, j.job_type as kind, ",
            state_j!(),
            " as state, j.status, j.attempts, j.max_attempts, ",
            "coalesce(j.priority, 0) as priority, j.run_at, j.lock_by, j.lock_at, j.done_at, ",
            "j.idempotency_key, j.job as payload, j.last_result ",
            "from apalis.jobs j where j.job_type = any($1)) s ",
            $tail
        )
    };
}

/// SQL: the re-queue of dead `apalis.jobs` rows aliased `j`, in the queues
/// in `$1`, that also match `$filter`.
macro_rules! requeue_dead {
    ($filter:literal) => {
        concat!(
            "update apalis.jobs j set status = 'Pending', attempts = 0, run_at = now(), ",
            "lock_by = null, lock_at = null, done_at = null ",
            "where j.job_type = any($1) and ",
            dead_j!(),
            " ",
            $filter,
            " returning j.id"
        )
    };
}

mod admin;
mod attempts;
mod cancel;
mod coalesce;
mod dead_letters;
mod filter;
mod handback;
mod jobs;
mod lease;
mod liveness;
pub mod pause;
mod poison;
mod processes;
mod revive;
pub mod schema;
mod state;
mod stats;
mod throughput;
mod workers;

pub use admin::{
    LIVE_WORKER_WINDOW, PurgeReport, RunNow, purge_done_older_than, purge_preview, run_now,
};
use admin::{RetryOutcome, retry, retry_all_dead};
pub use attempts::persist_attempt;
pub use cancel::{Cancel, Cancelled, cancel, is_cancelled};
pub use coalesce::join_queued_job;
pub use dead_letters::{DeadLetter, DeadReason, ParseDeadReasonError, dead_letters, revive_group};
pub use filter::{JobFilter, list_filtered};
pub use handback::{HandedBack, hand_back, hand_back_unfinished, hand_back_unowned};
pub use jobs::{JobDetail, JobSummary, PayloadSummary, list, show};
pub use lease::{Lease, holds, lease};
pub use liveness::{DrainReport, beat, drain_report, has_runnable_jobs};
pub use pause::{Pause, Resumed, is_paused, pause, paused, resume};
pub use poison::{Stranded, bury, release, stranded};
pub use processes::{ProcessInfo, register_process};
pub use revive::{Revive, Revived, revive};
pub use state::{JobState, ParseJobStateError};
pub use stats::{QueueStats, stats};
pub use throughput::{Throughput, throughput};
pub use workers::{WorkerRow, dead_by_project, workers};

/// Errors of queue inspection and administration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `apalis` schema is missing.
    #[error("the job queue tables do not exist: run `aegis migrate` first")]
    NotMigrated,
    /// A query failed.
    #[error("queue database error: {}", crate::store::describe(.0))]
    Database(sqlx::Error),
    /// A job kind that is not one of aegis's queues.
    #[error("unknown job kind {0:?}: expected sync-portfolio or sync-project-tasks")]
    UnknownKind(String),
    /// Only dead jobs are revived.
    #[error("job {id} is {state}, not dead: only dead jobs are retried")]
    NotDead {
        /// The job.
        id: String,
        /// Its state.
        state: JobState,
    },
    /// The job is over (done, dead or cancelled): nothing to cancel.
    #[error("job {id} is {state}: only jobs that have not finished can be cancelled")]
    Finished {
        /// The job.
        id: String,
        /// Its state.
        state: JobState,
    },
    /// Only a job that waits for its time can be made to run now.
    #[error(
        "job {id} is {state}: only scheduled or retrying jobs can be run now \
         (`aegis queue retry` revives a dead one)"
    )]
    NotWaiting {
        /// The job.
        id: String,
        /// Its state.
        state: JobState,
    },
    /// No run has that id.
    #[error("no run {0} (`aegis runs` lists the recent ones)")]
    NoSuchRun(uuid::Uuid),
    /// No job of aegis's queues has that id.
    #[error("no aegis job {0} (`aegis queue list --state dead` shows the dead ones)")]
    NoSuchJob(String),
    /// Recording on the runs failed.
    #[error(transparent)]
    Runs(#[from] crate::store::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_missing_schema(&e) {
            Error::NotMigrated
        } else {
            Error::Database(e)
        }
    }
}

/// The queue module's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The queue name of a job kind in `queues`: a full queue name
/// (`aegis.sync-portfolio`) or the kind alone (`sync-portfolio`).
///
/// # Errors
/// [`Error::UnknownKind`] when it names none of these queues.
pub fn kind(queues: &Queues, name: &str) -> Result<String> {
    queues
        .kind_of(name)
        .map(|k: Kind| queues.name(k))
        .ok_or_else(|| Error::UnknownKind(name.trim().to_owned()))
}

/// The queues a filter covers: one kind, or both.
fn kinds(queues: &Queues, filter: Option<&str>) -> Result<Vec<String>> {
    match filter {
        Some(name) => Ok(vec![kind(queues, name)?]),
        None => Ok(queues.all()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_queue_names_with_or_without_prefix() {
        use aegis_jobs::queue::{SYNC_PORTFOLIO, SYNC_PROJECT_TASKS};
        let queues = Queues::default();
        assert_eq!(kind(&queues, "sync-portfolio").unwrap(), SYNC_PORTFOLIO);
        assert_eq!(
            kind(&queues, SYNC_PROJECT_TASKS).unwrap(),
            SYNC_PROJECT_TASKS
        );
        assert!(matches!(kind(&queues, "other"), Err(Error::UnknownKind(k)) if k == "other"));
        let other = Queues::prefixed("billing");
        assert_eq!(
            kind(&other, "sync-portfolio").unwrap(),
            "billing.sync-portfolio"
        );
        assert!(kind(&other, SYNC_PORTFOLIO).is_err());
    }
}
