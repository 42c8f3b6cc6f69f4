//! Which projects a sync covers: the one rule for `--project` (a gid or an
//! exact name of a project of the portfolio, as stored), used by the
//! inline sync, the portfolio job, and `aegis enqueue` before it enqueues.

use super::{Error, Result};
use crate::store::projects::ProjectState;

/// The projects whose tasks a sync covers: the chosen ones (gid or exact
/// name), or every project; archived projects and projects that left the
/// portfolio never.
///
/// # Errors
/// [`Error::UnknownProjects`] when a chosen one matches no project of the
/// portfolio (see [`unknown_projects`]).
pub fn select(projects: &[ProjectState], wanted: &[String]) -> Result<Vec<ProjectState>> {
    let live = projects
        .iter()
        .filter(|p| p.removed_from_portfolio_at.is_none());
    if wanted.is_empty() {
        return Ok(live.filter(|p| !p.archived).cloned().collect());
    }
    check(projects, wanted)?;
    Ok(live
        .filter(|p| !p.archived && wanted.iter().any(|w| matches(p, w)))
        .cloned()
        .collect())
}

/// Refuses chosen projects that match no project of the portfolio.
///
/// # Errors
/// [`Error::UnknownProjects`], listing the portfolio's projects.
pub fn check(projects: &[ProjectState], wanted: &[String]) -> Result<()> {
    let unknown = unknown_projects(projects, wanted);
    if unknown.is_empty() {
        return Ok(());
    }
    let known = projects
        .iter()
        .filter(|p| p.removed_from_portfolio_at.is_none())
        .map(|p| format!("{} ({})", p.name, p.asana_gid))
        .collect();
    Err(Error::UnknownProjects { unknown, known })
}

/// The chosen projects (gid or exact name) that match no project still in
/// the portfolio.
pub fn unknown_projects(projects: &[ProjectState], wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|w| {
            !projects
                .iter()
                .any(|p| p.removed_from_portfolio_at.is_none() && matches(p, w))
        })
        .cloned()
        .collect()
}

fn matches(project: &ProjectState, wanted: &str) -> bool {
    project.asana_gid == wanted || project.name == wanted
}
