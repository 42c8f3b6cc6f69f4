//! The domain logic of a sync: the portfolio's projects, then each selected
//! project's tasks and subtasks, recorded as a run. It runs the same inline
//! (`aegis sync`) or from a queued job; nothing here knows which.

mod convert;
mod incremental;
pub mod jobs;
pub mod portfolio;
pub mod project;
pub mod run;

use sqlx::PgPool;

use crate::{
    asana::{self, AsanaClient, Gid},
    store,
};

pub use run::{Mode, Observer, PlainObserver, RunSummary, SyncOptions, run_inline};

/// What a sync needs, passed in (no globals).
#[derive(Debug, Clone)]
pub struct SyncContext {
    /// The database.
    pub pool: PgPool,
    /// The Asana client (shared budget).
    pub asana: AsanaClient,
    /// The portfolio whose projects are synced.
    pub portfolio: Gid,
    /// Whose assignments set `assigned_to_aegis`; `None` = the token's user.
    pub aegis_user: Option<Gid>,
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
