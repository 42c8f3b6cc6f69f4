//! Observing runs without polling SQL: [`wait`] for one run to end, and
//! [`FinishedRuns`], the ids of runs as they end (a host's hook). A trigger
//! (migration `run_finished_notify`) notifies [`FINISHED_CHANNEL`] when a
//! run's status becomes `done`, `partial` or `failed`; the notification is
//! delivered when the closing transaction commits. A listener that
//! reconnects may miss one, so [`wait`] also re-reads its run every
//! [`WAIT_RECHECK`].

use std::time::Duration;

use sqlx::{PgPool, postgres::PgListener};
use uuid::Uuid;

use super::{Run, RunStatus, get};
use crate::store;

/// The channel a run's end is notified on (payload: its id).
pub const FINISHED_CHANNEL: &str = "aegis_run_finished";

/// How often [`wait`] re-reads its run between notifications.
pub const WAIT_RECHECK: Duration = Duration::from_secs(2);

/// Why [`wait`] returned without a finished run.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The run had not ended when the time was up.
    #[error("run {run} has not finished after {waited:?} (it is {})", status_name(.status))]
    TimedOut {
        /// The run.
        run: Uuid,
        /// How long was waited.
        waited: Duration,
        /// Its status then; `None` when no run has that id (yet: a job
        /// enqueued with `aegis-jobs` alone opens its run when a worker
        /// takes it).
        status: Option<RunStatus>,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

fn status_name(status: &Option<RunStatus>) -> &'static str {
    status.map_or("unknown", RunStatus::as_str)
}

/// Waits until `run` has ended (`done`, `partial` or `failed`) and returns
/// it as recorded, or gives up after `timeout`. Holds one connection of
/// `pool`'s database (a listener) while it waits.
///
/// # Errors
/// [`WaitError::TimedOut`] with the run's status then; the database's.
pub async fn wait(pool: &PgPool, run: Uuid, timeout: Duration) -> Result<Run, WaitError> {
    let mut listener = PgListener::connect_with(pool)
        .await
        .map_err(store::Error::from)?;
    listener
        .listen(FINISHED_CHANNEL)
        .await
        .map_err(store::Error::from)?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // Read after listening: an end committed in between is seen here.
        let current = get(pool, run).await?;
        if let Some(found) = current.as_ref().filter(|r| r.status.is_finished()) {
            return Ok(found.clone());
        }
        let until = deadline.min(tokio::time::Instant::now() + WAIT_RECHECK);
        if tokio::time::Instant::now() >= deadline {
            return Err(WaitError::TimedOut {
                run,
                waited: timeout,
                status: current.map(|r| r.status),
            });
        }
        // A notification (any run's) or the re-check interval: read again.
        let _ = tokio::time::timeout_at(until, listener.recv()).await;
    }
}

/// The ids of runs as they end, in this database (every aegis setup's:
/// compare with the ids you enqueued, or read each with [`get`]).
#[derive(Debug)]
pub struct FinishedRuns {
    listener: PgListener,
}

impl FinishedRuns {
    /// Starts listening on `pool`'s database (one connection of its own).
    ///
    /// # Errors
    /// The database's.
    pub async fn listen(pool: &PgPool) -> Result<Self, store::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(FINISHED_CHANNEL).await?;
        Ok(FinishedRuns { listener })
    }

    /// The next run to end. After a lost connection the listener
    /// reconnects by itself; runs that ended meanwhile are not reported.
    ///
    /// # Errors
    /// The database's.
    pub async fn next(&mut self) -> Result<Uuid, store::Error> {
        loop {
            let note = self.listener.recv().await?;
            if let Ok(id) = Uuid::parse_str(note.payload()) {
                return Ok(id);
            }
        }
    }
}
