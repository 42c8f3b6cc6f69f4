//! Read-side questions about the [`World`] that routes and mutations share:
//! which objects are live (not trashed), who a task's ancestors are, which
//! tasks a project, section, parent or assignee lists, in Asana's order.

use chrono::{DateTime, Utc};

use crate::world::{Gid, Project, Section, Task, World};

/// A `completed_since` filter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletedSince {
    /// `now`: incomplete tasks only.
    Now,
    /// Incomplete tasks, or completed at or after this time.
    At(DateTime<Utc>),
}

impl CompletedSince {
    /// Whether a task passes the filter.
    pub fn admits(&self, task: &Task) -> bool {
        match self {
            _ if !task.completed => true,
            CompletedSince::Now => false,
            CompletedSince::At(at) => task.completed_at.is_some_and(|done| done >= *at),
        }
    }
}

impl World {
    /// The task if it exists and neither it nor an ancestor is trashed.
    pub fn live_task(&self, gid: &str) -> Option<&Task> {
        let task = self.tasks.get(gid)?;
        let mut cursor = Some(task);
        while let Some(t) = cursor {
            if t.deleted {
                return None;
            }
            cursor = t.parent.as_ref().and_then(|p| self.tasks.get(p));
        }
        Some(task)
    }

    /// The project if it exists and is not trashed.
    pub fn live_project(&self, gid: &str) -> Option<&Project> {
        self.projects.get(gid).filter(|p| !p.deleted)
    }

    /// A section whose project is not trashed.
    pub fn live_section(&self, gid: &str) -> Option<&Section> {
        (self.sections.get(gid)).filter(|s| self.live_project(&s.project).is_some())
    }

    /// The user a `me`, gid or email names.
    pub fn find_user(&self, key: &str, me: Option<&str>) -> Option<Gid> {
        if key == "me" {
            return me.map(str::to_owned);
        }
        let by_email = || {
            self.users
                .values()
                .find(|u| u.email.eq_ignore_ascii_case(key))
        };
        self.users.get(key).or_else(by_email).map(|u| u.gid.clone())
    }

    /// The task's parent, grandparent, … (nearest first).
    pub fn ancestors(&self, gid: &str) -> Vec<Gid> {
        let mut out = Vec::new();
        let mut cursor = self.tasks.get(gid).and_then(|t| t.parent.clone());
        while let Some(parent) = cursor {
            if out.contains(&parent) {
                break;
            }
            cursor = self.tasks.get(&parent).and_then(|t| t.parent.clone());
            out.push(parent);
        }
        out
    }

    /// Every stream an event about this task shows in: the task, its
    /// ancestors, and the projects of the task and of each ancestor.
    pub fn audience_of(&self, gid: &str) -> Vec<Gid> {
        let mut chain = vec![gid.to_owned()];
        chain.extend(self.ancestors(gid));
        let mut out = chain.clone();
        for task in chain.iter().filter_map(|g| self.tasks.get(g)) {
            for m in &task.memberships {
                if !out.contains(&m.project) {
                    out.push(m.project.clone());
                }
            }
        }
        out
    }

    /// Live tasks a project lists, in project rank order.
    pub fn project_task_gids(&self, project: &Project) -> Vec<Gid> {
        let member = |t: &&Task| t.memberships.iter().any(|m| m.project == project.gid);
        let live = project
            .task_order
            .iter()
            .filter_map(|g| self.live_task(g))
            .filter(member);
        live.map(|t| t.gid.clone()).collect()
    }

    /// Live tasks of a section, in its project's rank order.
    pub fn section_task_gids(&self, section: &str) -> Vec<Gid> {
        let Some(project) = self
            .sections
            .get(section)
            .and_then(|s| self.live_project(&s.project))
        else {
            return Vec::new();
        };
        let in_section = |t: &&Task| {
            t.memberships
                .iter()
                .any(|m| m.project == project.gid && m.section.as_deref() == Some(section))
        };
        let live = project
            .task_order
            .iter()
            .filter_map(|g| self.live_task(g))
            .filter(in_section);
        live.map(|t| t.gid.clone()).collect()
    }

    /// Live subtasks of a task, in order.
    pub fn subtask_gids(&self, parent: &Task) -> Vec<Gid> {
        let live = parent.subtasks.iter().filter_map(|g| self.live_task(g));
        live.map(|t| t.gid.clone()).collect()
    }

    /// Live tasks assigned to a user, in gid (creation) order.
    pub fn assigned_task_gids(&self, user: &str) -> Vec<Gid> {
        let assigned = self
            .tasks
            .values()
            .filter(|t| t.assignee.as_deref() == Some(user));
        assigned
            .filter(|t| self.live_task(&t.gid).is_some())
            .map(|t| t.gid.clone())
            .collect()
    }

    /// The user mutations done through the control API are attributed to:
    /// the owner of the main portfolio.
    pub fn actor(&self) -> Option<Gid> {
        self.portfolios
            .get(&self.main_portfolio)
            .map(|p| p.owner.clone())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn completed_since_keeps_incomplete_and_recent() {
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let mut task = crate::mutate::tests::blank_task("1", at);
        assert!(CompletedSince::Now.admits(&task));
        task.completed = true;
        task.completed_at = Some(at);
        assert!(!CompletedSince::Now.admits(&task));
        assert!(CompletedSince::At(at).admits(&task));
        assert!(!CompletedSince::At(at + chrono::Duration::seconds(1)).admits(&task));
    }
}
