//! Changes to the [`World`] the way Asana makes them: each mutation bumps
//! `modified_at` where Asana does (field edits, trashing; not project moves)
//! and appends its events with their `audience`, so events bubble from a
//! subtask to its parent tasks and to the projects of the task and of all its
//! ancestors.

mod patch;
mod project;
mod task;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use patch::TaskPatch;
pub use project::NewProject;
pub use task::NewTask;

use crate::world::{Event, Gid, ResourceRef, World};

/// Why a mutation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MutateError {
    /// No such live task.
    #[error("task: Unknown object: {0}")]
    UnknownTask(Gid),
    /// No such live project.
    #[error("project: Unknown object: {0}")]
    UnknownProject(Gid),
    /// No such portfolio.
    #[error("portfolio: Unknown object: {0}")]
    UnknownPortfolio(Gid),
    /// No such user.
    #[error("user: Unknown object: {0}")]
    UnknownUser(Gid),
    /// No such custom field.
    #[error("custom_field: Unknown object: {0}")]
    UnknownField(Gid),
    /// A value that does not fit (a bad date, a wrong custom field value, …).
    #[error("{0}")]
    Invalid(String),
}

/// Result of a mutation.
pub type Result<T> = std::result::Result<T, MutateError>;

/// An event about to be appended.
struct NewEvent {
    action: &'static str,
    resource: ResourceRef,
    parent: Option<ResourceRef>,
    change: Option<Value>,
    audience: Vec<Gid>,
}

impl World {
    /// A reference to a task as events carry it.
    fn task_ref(&self, gid: &str) -> ResourceRef {
        let name = self.tasks.get(gid).map(|t| t.name.clone());
        ResourceRef {
            gid: gid.to_owned(),
            resource_type: "task".to_owned(),
            name,
        }
    }

    /// A reference to a project as events carry it.
    fn project_ref(&self, gid: &str) -> ResourceRef {
        let name = self.projects.get(gid).map(|p| p.name.clone());
        ResourceRef {
            gid: gid.to_owned(),
            resource_type: "project".to_owned(),
            name,
        }
    }

    /// A reference to a portfolio as events carry it.
    fn portfolio_ref(&self, gid: &str) -> ResourceRef {
        let name = self.portfolios.get(gid).map(|p| p.name.clone());
        ResourceRef {
            gid: gid.to_owned(),
            resource_type: "portfolio".to_owned(),
            name,
        }
    }

    /// Appends an event at `now`, done by the control API's actor.
    fn push_event(&mut self, now: DateTime<Utc>, new: NewEvent) {
        let seq = self.events.last().map_or(1, |e| e.seq + 1);
        let event = Event {
            seq,
            created_at: now,
            user: self.actor(),
            action: new.action.to_owned(),
            resource: new.resource,
            parent: new.parent,
            change: new.change,
            audience: new.audience,
        };
        self.events.push(event);
    }

    /// The position of the newest event (0 when there is none).
    pub fn last_event_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.seq)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::world::{Portfolio, Task, User, Workspace};

    /// A task with every field empty.
    pub(crate) fn blank_task(gid: &str, at: DateTime<Utc>) -> Task {
        Task {
            gid: gid.into(),
            name: format!("Task {gid}"),
            resource_subtype: "default_task".into(),
            notes: String::new(),
            html_notes: String::new(),
            completed: false,
            completed_at: None,
            completed_by: None,
            due_on: None,
            due_at: None,
            start_on: None,
            created_at: at,
            modified_at: at,
            assignee: None,
            created_by: None,
            memberships: vec![],
            parent: None,
            subtasks: vec![],
            tags: vec![],
            followers: vec![],
            custom_values: vec![],
            approval_status: None,
            num_likes: 0,
            deleted: false,
        }
    }

    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
    }

    /// A world with one user, one portfolio and project "P" (gid "100").
    pub(crate) fn small_world() -> World {
        let mut w = World {
            workspace: Workspace {
                gid: "1".into(),
                name: "W".into(),
            },
            ..World::default()
        };
        let user = User {
            gid: "2".into(),
            name: "Ann".into(),
            email: "ann@x.test".into(),
        };
        w.users.insert("2".into(), user);
        let portfolio = Portfolio {
            gid: "3".into(),
            name: "Port".into(),
            owner: "2".into(),
            items: vec!["100".into()],
            color: "light-green".into(),
            created_at: t0(),
            archived: false,
        };
        w.portfolios.insert("3".into(), portfolio);
        w.main_portfolio = "3".into();
        w.projects
            .insert("100".into(), project::tests::blank_project("100", t0()));
        w
    }
}
