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

#[cfg(test)]
mod tests {
    use super::*;

    fn project(gid: &str, name: &str, archived: bool, left: bool) -> ProjectState {
        ProjectState {
            id: 0,
            asana_gid: gid.to_owned(),
            name: name.to_owned(),
            archived,
            removed_from_portfolio_at: left.then(chrono::Utc::now),
            last_synced_at: None,
            last_tasks_sync_at: None,
            last_full_sync_at: None,
            events_sync_token: None,
            tasks_modified_watermark: None,
            crawl_pages: None,
        }
    }

    fn wanted(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn gids_and_exact_names_of_live_projects_are_known() {
        let projects = [
            project("1", "Aegis", false, false),
            project("2", "Old", true, false),
            project("3", "Gone", false, true),
        ];
        let asked = wanted(&["Aegis", "1", "2", "999", "aegis", "Gone", "3"]);
        assert_eq!(
            unknown_projects(&projects, &asked),
            ["999", "aegis", "Gone", "3"]
        );
        let Err(Error::UnknownProjects { known, .. }) = check(&projects, &asked) else {
            panic!("unknown projects refused");
        };
        assert_eq!(
            known,
            ["Aegis (1)", "Old (2)"],
            "those that left are not offered"
        );
    }

    #[test]
    fn archived_projects_are_known_but_never_synced() {
        let projects = [
            project("1", "Aegis", false, false),
            project("2", "Old", true, false),
        ];
        let all: Vec<String> = select(&projects, &[])
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(all, ["Aegis"]);
        assert!(select(&projects, &wanted(&["Old"])).unwrap().is_empty());
    }
}
