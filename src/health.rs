//! The health of the local copy, as `aegis status` and `aegis workers`
//! show it (and a dashboard will): per project its freshness, its last
//! attempt and error, its dead jobs and how its next sync will read Asana
//! (events or a crawl, and why); the token's budget state.
//!
//! Read-only: each part comes from the module that owns its tables
//! ([`store::status`], [`runs::last_attempts`], [`queue::dead_by_project`]);
//! [`budget`] reads the budget's table, which [`crate::budget`] writes.

pub mod budget;

use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;

use aegis_jobs::Queues;

use crate::{
    queue, runs,
    store::{self, status::ProjectStatus},
};

pub use budget::{BudgetState, budgets};

/// Errors reading the health.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading aegis's tables failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Reading the queue failed.
    #[error(transparent)]
    Queue(#[from] queue::Error),
}

/// Whether a project is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectState {
    /// In the portfolio, not archived: its tasks are synced.
    Active,
    /// Archived in Asana: its tasks are not synced.
    Archived,
    /// It left the portfolio.
    Removed,
}

/// How a project's next incremental sync reads Asana.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// Asana's events since the stored token: only changed tasks.
    Events,
    /// Every page of tasks.
    Crawl,
}

/// One project's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectHealth {
    /// Freshness and counts.
    #[serde(flatten)]
    pub status: ProjectStatus,
    /// Active, archived or removed.
    pub state: ProjectState,
    /// How its next incremental sync reads Asana (none when not synced).
    pub mode: Option<SyncMode>,
    /// Why.
    pub mode_reason: String,
    /// Seconds since its events token was stored.
    pub events_token_age_secs: Option<i64>,
    /// Its most recent attempt, in any run.
    pub last_attempt: Option<runs::LastAttempt>,
    /// Its dead jobs (`aegis queue list --state dead`).
    pub dead_jobs: i64,
}

impl ProjectHealth {
    /// Whether it is active and not synced within `max_age` (or never).
    pub fn older_than(&self, max_age: Duration) -> bool {
        self.state == ProjectState::Active
            && self
                .status
                .age_secs
                .is_none_or(|age| u64::try_from(age).unwrap_or(0) > max_age.as_secs())
    }
}

/// Every project's health, by name.
///
/// # Errors
/// The database's.
pub async fn projects(pool: &PgPool, queues: &Queues) -> Result<Vec<ProjectHealth>, Error> {
    let projects = store::status::projects(pool).await?;
    let attempts = runs::last_attempts(pool).await?;
    let dead = queue::dead_by_project(pool, queues).await?;
    Ok(projects
        .into_iter()
        .map(|status| {
            let gid = status.asana_gid.as_str();
            let state = state_of(&status);
            let (mode, mode_reason) = mode_of(&status, state);
            ProjectHealth {
                state,
                mode,
                mode_reason: mode_reason.to_owned(),
                events_token_age_secs: status.events_token_age_secs,
                last_attempt: attempts.iter().find(|a| a.project_gid == gid).cloned(),
                dead_jobs: dead.get(gid).copied().unwrap_or(0),
                status,
            }
        })
        .collect())
}

fn state_of(p: &ProjectStatus) -> ProjectState {
    if p.removed_from_portfolio_at.is_some() {
        ProjectState::Removed
    } else if p.archived {
        ProjectState::Archived
    } else {
        ProjectState::Active
    }
}

/// The rule [`crate::sync`]'s planner applies to an incremental sync.
fn mode_of(p: &ProjectStatus, state: ProjectState) -> (Option<SyncMode>, &'static str) {
    match state {
        ProjectState::Removed => (None, "it left the portfolio: its tasks are not synced"),
        ProjectState::Archived => (None, "archived in Asana: its tasks are not synced"),
        ProjectState::Active if p.last_full_sync_at.is_none() => {
            (Some(SyncMode::Crawl), "never crawled in full")
        }
        ProjectState::Active if !p.has_events_token => {
            (Some(SyncMode::Crawl), "no events token stored")
        }
        ProjectState::Active => (
            Some(SyncMode::Events),
            "events since the stored token (a crawl if Asana expired it or more than 100 \
             tasks changed)",
        ),
    }
}
