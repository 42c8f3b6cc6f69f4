//! The domain logic of a sync: the portfolio's projects, then each selected
//! project's tasks and subtasks, recorded as a run. It runs the same inline
//! (`aegis sync`) or from a queued job; nothing here knows which.

mod convert;
mod crawled;
mod delivered;
mod incremental;
pub mod jobs;
mod observer;
pub mod portfolio;
pub mod project;
mod recording;
pub mod run;
mod selection;

use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use crate::{
    asana::{self, AsanaClient, ClientStats, Gid},
    queue::{self, Lease},
    runs::{RequestFigures, Tally, TaskFigures},
    store::{
        self,
        locks::{LockMark, RunLock},
    },
};

pub use aegis_jobs::Mode;
pub use crawled::Crawled;
pub use observer::{Observer, PlainObserver};
pub use run::{RunSummary, SyncOptions, run_inline, run_inline_as};
pub use selection::{check as check_projects, select, unknown_projects};

/// What a sync needs, passed in (no globals).
#[derive(Debug, Clone)]
pub struct SyncContext {
    /// The database: aegis's own pool, whose `search_path` is
    /// `namespace.schema` ([`store::Namespace::connect_options`]).
    pub pool: PgPool,
    /// Where this setup's tables and queues are.
    pub namespace: store::Namespace,
    /// The Asana client (shared budget).
    pub asana: AsanaClient,
    /// The portfolio whose projects are synced.
    pub portfolio: Gid,
    /// Whose assignments set `assigned_to_aegis`; `None` = the token's user.
    pub aegis_user: Option<Gid>,
    /// With Asana webhooks: how often an incremental sync of the whole
    /// portfolio still polls the events of a project whose webhook is
    /// healthy (the safety net, see `crate::webhooks::health`); `None`
    /// polls every project every time.
    pub events_poll_every: Option<std::time::Duration>,
}

/// Errors of a sync.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Asana said no, or could not be reached.
    #[error(transparent)]
    Asana(#[from] asana::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// `--project` named projects the portfolio does not have.
    #[error("unknown project(s) {}: the portfolio has {}", .unknown.join(", "), known_list(.known))]
    UnknownProjects {
        /// What was asked for.
        unknown: Vec<String>,
        /// The projects that exist (names).
        known: Vec<String>,
    },
    /// Retrying cannot help: the job or the data is wrong (a project aegis
    /// does not know, an invalid gid, a payload that cannot be encoded).
    #[error("{0}")]
    Fatal(String),
    /// The session holding the project's run lock was lost (its connection
    /// killed or dropped) while the attempt ran: another sync of the project
    /// may be running, so nothing more of this one is written. Retryable.
    #[error(
        "project {project}: the sync lost its run lock (its database session ended); its writes were refused"
    )]
    LostRunLock {
        /// The project.
        project: String,
    },
    /// The attempt no longer owns its job (it was rescued or restarted
    /// elsewhere): nothing more of it is written.
    #[error("job {job}: this attempt lost the job to another one; its writes were refused")]
    LostOwnership {
        /// The job.
        job: String,
    },
    /// Some projects failed; the others were synced.
    #[error("{} of {} project(s) failed: {}", .failed.len(), .total, .failed.join("; "))]
    Partial {
        /// The run that recorded it.
        run: uuid::Uuid,
        /// `name: error` per failed project.
        failed: Vec<String>,
        /// Projects attempted.
        total: usize,
    },
}

/// One attempt at a step of a sync: its own client handle (whose stats are
/// the attempt's requests) and its task [`Tally`] (what its committed pages
/// did), both readable after the attempt failed, timed out or panicked.
/// Requests are recorded on a run once each: [`Attempt::unrecorded`] is
/// what was not yet recorded, [`Attempt::mark_recorded`] moves the mark.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The attempt's client handle.
    pub asana: AsanaClient,
    /// The attempt's task figures so far.
    pub tally: Tally,
    /// A queued attempt's lease on its job (none inline): every write the
    /// attempt commits checks it ([`Attempt::fence`]).
    pub lease: Option<Lease>,
    /// The project's run lock, once the attempt holds it: every write checks
    /// that its session still exists.
    run_lock: Arc<Mutex<Option<(String, LockMark)>>>,
    recorded: Arc<Mutex<ClientStats>>,
    /// The run it works for (the first, when runs coalesced), if known: a
    /// task another project of the run fetched is not fetched again.
    pub run: Option<uuid::Uuid>,
}

impl Attempt {
    /// A new attempt on the context's client (its shared budget).
    pub fn new(ctx: &SyncContext) -> Attempt {
        Attempt {
            asana: ctx.asana.scoped(),
            tally: Tally::new(),
            lease: None,
            run_lock: Arc::default(),
            recorded: Arc::default(),
            run: None,
        }
    }

    /// The same attempt, working for `run` (its handle, figures and locks
    /// shared).
    pub fn for_run(&self, run: uuid::Uuid) -> Attempt {
        Attempt {
            run: Some(run),
            ..self.clone()
        }
    }

    /// A new attempt at a queued job, fenced by its lease.
    pub fn leased(ctx: &SyncContext, lease: Option<Lease>) -> Attempt {
        Attempt {
            lease,
            ..Attempt::new(ctx)
        }
    }

    /// Checks, in the caller's transaction, that the attempt still owns its
    /// job (always true inline).
    ///
    /// # Errors
    /// [`Error::LostOwnership`] when another attempt has the job now.
    pub async fn fence(&self, conn: &mut sqlx::PgConnection) -> Result<()> {
        fence(conn, self.lease.as_ref(), self.run_lock().as_ref()).await
    }

    /// Checks, in the caller's transaction, the lease alone: for recording an
    /// attempt's result, which an attempt that lost only its run lock may
    /// still do.
    ///
    /// # Errors
    /// [`Error::LostOwnership`] when another attempt has the job now.
    pub async fn fence_job(&self, conn: &mut sqlx::PgConnection) -> Result<()> {
        fence(conn, self.lease.as_ref(), None).await
    }

    /// Holds the run lock of `project` from now on: later writes are fenced
    /// by it too.
    pub fn holds_run_lock(&self, project: &str, lock: &RunLock) {
        *self.run_lock.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((project.to_owned(), lock.mark()));
    }

    /// The run lock it holds: `(project, session)`.
    pub(crate) fn run_lock(&self) -> Option<(String, LockMark)> {
        self.run_lock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The requests not yet recorded, and the task figures so far.
    pub fn unrecorded(&self) -> (RequestFigures, TaskFigures) {
        let mark = *self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        let requests = RequestFigures::from(&self.asana.stats().since(&mark));
        (requests, self.tally.get())
    }

    /// Marks every request so far as recorded (call after the commit that
    /// recorded them).
    pub fn mark_recorded(&self) {
        *self.recorded.lock().unwrap_or_else(|p| p.into_inner()) = self.asana.stats();
    }
}

/// [`Attempt::fence`]: the job's lease and the project's run lock, checked
/// in the caller's transaction.
pub(crate) async fn fence(
    conn: &mut sqlx::PgConnection,
    lease: Option<&Lease>,
    run_lock: Option<&(String, LockMark)>,
) -> Result<()> {
    if let Some(lease) = lease
        && !queue::holds(conn, lease).await?
    {
        return Err(Error::LostOwnership {
            job: lease.job_id.clone(),
        });
    }
    match run_lock {
        Some((project, mark)) if !store::locks::still_held(conn, mark).await? => {
            Err(Error::LostRunLock {
                project: project.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// Whose assignments set `assigned_to_aegis`: the configured user, else the
/// token's own, asked only when a task is about to be written (and then
/// remembered by the client).
#[derive(Debug, Clone)]
pub struct AegisUser {
    configured: Option<Gid>,
    asana: AsanaClient,
}

impl AegisUser {
    /// The resolver for a sync using `asana`.
    pub fn new(ctx: &SyncContext, asana: &AsanaClient) -> AegisUser {
        AegisUser {
            configured: ctx.aegis_user.clone(),
            asana: asana.clone(),
        }
    }

    /// The user's gid (one request the first time, when not configured).
    ///
    /// # Errors
    /// Asana's, for `/users/me`.
    pub async fn gid(&self) -> Result<Option<Gid>> {
        match &self.configured {
            Some(gid) => Ok(Some(gid.clone())),
            None => Ok(Some(self.asana.me_once().await?.gid)),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(e.into())
    }
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "no projects".to_owned()
    } else {
        known.join(", ")
    }
}

/// The sync's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
