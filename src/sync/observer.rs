//! Progress of a sync, for a terminal or a log: the [`Observer`] a sync
//! reports to, and [`PlainObserver`], which writes log lines.

use tracing::{info, warn};

use crate::{runs::TaskFigures, store::projects::UpsertCounts};

/// Progress of a run, for a terminal or a log. Every method has a no-op default.
pub trait Observer: Send + Sync {
    /// The portfolio step finished.
    fn portfolio_synced(&self, _projects: usize, _counts: UpsertCounts, _removed: usize) {}
    /// The projects whose tasks will be synced.
    fn projects_selected(&self, _names: &[String]) {}
    /// A project's task sync started.
    fn project_started(&self, _name: &str) {}
    /// A page of a project's tasks was written.
    fn tasks_synced(&self, _project: &str, _count: u64) {}
    /// A project's task sync ended.
    fn project_finished(&self, _name: &str, _result: std::result::Result<&TaskFigures, &str>) {}
}

/// An observer that writes plain log lines (for logs and non-terminals).
#[derive(Debug, Default)]
pub struct PlainObserver;

impl Observer for PlainObserver {
    fn portfolio_synced(&self, projects: usize, c: UpsertCounts, removed: usize) {
        info!(
            projects,
            created = c.created,
            updated = c.updated,
            unchanged = c.unchanged,
            removed,
            "portfolio synced"
        );
    }
    fn project_started(&self, name: &str) {
        info!(project = name, "syncing tasks");
    }
    /// A line per page, so a large project is not silent for minutes.
    fn tasks_synced(&self, project: &str, count: u64) {
        info!(project, tasks = count, "page of tasks synced");
    }
    fn project_finished(&self, name: &str, result: std::result::Result<&TaskFigures, &str>) {
        match result {
            Ok(f) => info!(
                project = name,
                created = f.tasks_created,
                updated = f.tasks_updated,
                unchanged = f.tasks_unchanged,
                removed = f.tasks_removed,
                deleted = f.tasks_deleted,
                "tasks synced"
            ),
            Err(e) => warn!(project = name, error = e, "tasks sync failed"),
        }
    }
}
