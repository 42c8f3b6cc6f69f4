//! Project-level changes: archiving, portfolio membership, new projects.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{MutateError, NewEvent, NewTask, Result};
use crate::world::{Gid, Project, Section, World};

/// A project to create through the control API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Its name.
    pub name: String,
    /// How many tasks to create in it (named `Task 1`, `Task 2`, …).
    #[serde(default)]
    pub tasks: usize,
    /// Add it to the main portfolio (default true).
    #[serde(default = "yes")]
    pub in_portfolio: bool,
}

fn yes() -> bool {
    true
}

impl World {
    /// Archives or unarchives a project; bumps its `modified_at` and emits
    /// `changed` (field `archived`) on the project's stream.
    pub fn archive_project(&mut self, gid: &str, archived: bool, now: DateTime<Utc>) -> Result<()> {
        let project = self.projects.get_mut(gid).filter(|p| !p.deleted);
        let project = project.ok_or_else(|| MutateError::UnknownProject(gid.to_owned()))?;
        project.archived = archived;
        project.modified_at = now;
        let event = NewEvent {
            action: "changed",
            resource: self.project_ref(gid),
            parent: None,
            change: Some(json!({ "field": "archived", "action": "changed" })),
            audience: vec![gid.to_owned()],
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Trashes a project: 404 from now on, gone from portfolio items, its
    /// tasks stay (in their other projects); emits `deleted` on its stream.
    pub fn delete_project(&mut self, gid: &str, now: DateTime<Utc>) -> Result<()> {
        let project = self.projects.get_mut(gid).filter(|p| !p.deleted);
        let project = project.ok_or_else(|| MutateError::UnknownProject(gid.to_owned()))?;
        project.deleted = true;
        project.modified_at = now;
        let event = NewEvent {
            action: "deleted",
            resource: self.project_ref(gid),
            parent: None,
            change: None,
            audience: vec![gid.to_owned()],
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Removes a project from every portfolio holding it (it disappears from
    /// `/portfolios/{gid}/items`); emits `removed` with parent = the portfolio.
    pub fn remove_project_from_portfolio(
        &mut self,
        project: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.live_project(project)
            .ok_or_else(|| MutateError::UnknownProject(project.to_owned()))?;
        let holders: Vec<Gid> = self
            .portfolios
            .values()
            .filter(|p| p.items.iter().any(|i| i == project))
            .map(|p| p.gid.clone())
            .collect();
        for portfolio in holders {
            if let Some(p) = self.portfolios.get_mut(&portfolio) {
                p.items.retain(|i| i != project);
            }
            let parent = Some(self.portfolio_ref(&portfolio));
            let audience = vec![portfolio.clone(), project.to_owned()];
            let event = NewEvent {
                action: "removed",
                resource: self.project_ref(project),
                parent,
                change: None,
                audience,
            };
            self.push_event(now, event);
        }
        Ok(())
    }

    /// Adds a project (back) to a portfolio (default: the main one), at the
    /// end; emits `added` with parent = the portfolio.
    pub fn add_project_to_portfolio(
        &mut self,
        project: &str,
        portfolio: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.live_project(project)
            .ok_or_else(|| MutateError::UnknownProject(project.to_owned()))?;
        let portfolio = portfolio.map_or_else(|| self.main_portfolio.clone(), str::to_owned);
        let p = self
            .portfolios
            .get_mut(&portfolio)
            .ok_or_else(|| MutateError::UnknownPortfolio(portfolio.clone()))?;
        if p.items.iter().any(|i| i == project) {
            return Ok(());
        }
        p.items.push(project.to_owned());
        let parent = Some(self.portfolio_ref(&portfolio));
        let audience = vec![portfolio.clone(), project.to_owned()];
        let event = NewEvent {
            action: "added",
            resource: self.project_ref(project),
            parent,
            change: None,
            audience,
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Creates a project with one section and `tasks` tasks, in the main
    /// portfolio unless told otherwise. Returns its gid.
    pub fn create_project(&mut self, new: &NewProject, now: DateTime<Utc>) -> Result<Gid> {
        let gid = self.alloc_gid();
        let section = Section {
            gid: self.alloc_gid(),
            name: "Untitled section".into(),
            project: gid.clone(),
            created_at: now,
        };
        let team = self.teams.keys().next().cloned().unwrap_or_default();
        let owner = self.actor();
        let project = Project {
            name: new.name.clone(),
            team,
            owner,
            sections: vec![section.gid.clone()],
            ..blank_project(&gid, now)
        };
        self.sections.insert(section.gid.clone(), section);
        self.projects.insert(gid.clone(), project);
        if new.in_portfolio {
            self.add_project_to_portfolio(&gid, None, now)?;
        }
        for i in 1..=new.tasks {
            let task = NewTask {
                project: Some(gid.clone()),
                name: format!("Task {i}"),
                ..NewTask::default()
            };
            self.create_task(&task, now)?;
        }
        Ok(gid)
    }
}

/// A project with every optional field empty.
pub(crate) fn blank_project(gid: &str, now: DateTime<Utc>) -> Project {
    Project {
        gid: gid.to_owned(),
        name: format!("Project {gid}"),
        notes: String::new(),
        archived: false,
        privacy_setting: "public_to_workspace".into(),
        color: Some("light-green".into()),
        team: String::new(),
        owner: None,
        created_at: now,
        modified_at: now,
        due_on: None,
        start_on: None,
        completed: false,
        completed_at: None,
        custom_field_settings: Vec::new(),
        task_order: Vec::new(),
        sections: Vec::new(),
        deleted: false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::tests::{small_world, t0};
    pub(crate) use super::blank_project;
    use super::*;

    #[test]
    fn projects_come_and_go_from_the_portfolio() {
        let mut w = small_world();
        let gid = w
            .create_project(
                &NewProject {
                    name: "New".into(),
                    tasks: 3,
                    in_portfolio: true,
                },
                t0(),
            )
            .unwrap();
        assert_eq!(w.portfolios["3"].items, vec!["100".to_owned(), gid.clone()]);
        assert_eq!(w.project_task_gids(&w.projects[&gid]).len(), 3);
        let first = &w.tasks[&w.projects[&gid].task_order[0]];
        assert_eq!(
            first.memberships[0].section.as_ref(),
            w.projects[&gid].sections.first()
        );
        w.remove_project_from_portfolio(&gid, t0()).unwrap();
        assert_eq!(w.portfolios["3"].items, vec!["100".to_owned()]);
        assert_eq!(w.events.last().unwrap().action, "removed");
        w.archive_project("100", true, t0()).unwrap();
        assert!(w.projects["100"].archived);
        w.delete_project(&gid, t0()).unwrap();
        assert!(w.live_project(&gid).is_none());
        assert!(w.delete_project(&gid, t0()).is_err());
    }
}
