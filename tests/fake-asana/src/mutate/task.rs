//! Task life cycle: creation (in a project and/or under a parent), trashing
//! and restoring, and project membership changes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{MutateError, NewEvent, Result};
use crate::world::{Gid, Membership, ResourceRef, Task, World};

/// A task to create through the control API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// The project it joins (at the end of the project's order).
    #[serde(default)]
    pub project: Option<Gid>,
    /// The parent task, for a subtask.
    #[serde(default)]
    pub parent: Option<Gid>,
    /// Its name.
    pub name: String,
    /// Assignee (user gid).
    #[serde(default)]
    pub assignee: Option<Gid>,
    /// Due date.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Plain-text notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Completed already.
    #[serde(default)]
    pub completed: bool,
    /// `default_task` (default), `milestone`, `approval`.
    #[serde(default)]
    pub resource_subtype: Option<String>,
}

impl World {
    fn blank(&mut self, new: &NewTask, now: DateTime<Utc>) -> Task {
        let actor = self.actor();
        Task {
            gid: self.alloc_gid(),
            name: new.name.clone(),
            resource_subtype: new
                .resource_subtype
                .clone()
                .unwrap_or_else(|| "default_task".to_owned()),
            notes: new.notes.clone().unwrap_or_default(),
            html_notes: String::new(),
            completed: new.completed,
            completed_at: new.completed.then_some(now),
            completed_by: if new.completed { actor.clone() } else { None },
            due_on: new.due_on,
            due_at: None,
            start_on: None,
            created_at: now,
            modified_at: now,
            assignee: new.assignee.clone(),
            created_by: actor.clone(),
            memberships: Vec::new(),
            parent: new.parent.clone(),
            subtasks: Vec::new(),
            tags: Vec::new(),
            followers: actor.into_iter().collect(),
            custom_values: Vec::new(),
            approval_status: None,
            num_likes: 0,
            deleted: false,
        }
    }

    fn check_new(&self, new: &NewTask) -> Result<()> {
        if let Some(p) = &new.project {
            self.live_project(p)
                .ok_or_else(|| MutateError::UnknownProject(p.clone()))?;
        }
        if let Some(p) = &new.parent {
            self.live_task(p)
                .ok_or_else(|| MutateError::UnknownTask(p.clone()))?;
        }
        if let Some(u) = &new.assignee {
            self.users
                .get(u)
                .ok_or_else(|| MutateError::UnknownUser(u.clone()))?;
        }
        if new.project.is_none() && new.parent.is_none() {
            return Err(MutateError::Invalid(
                "a task needs a project or a parent".into(),
            ));
        }
        Ok(())
    }

    /// Creates a task in a project and/or under a parent task; emits `added`
    /// (parent = the parent task, then parent = the project).
    pub fn create_task(&mut self, new: &NewTask, now: DateTime<Utc>) -> Result<Gid> {
        self.check_new(new)?;
        let mut task = self.blank(new, now);
        let gid = task.gid.clone();
        let fields = self
            .projects
            .get(new.project.as_deref().unwrap_or_default());
        let fields = fields
            .map(|p| p.custom_field_settings.clone())
            .unwrap_or_default();
        task.custom_values = fields.iter().filter_map(|f| self.empty_value(f)).collect();
        self.tasks.insert(gid.clone(), task);
        if let Some(parent) = &new.parent {
            if let Some(p) = self.tasks.get_mut(parent) {
                p.subtasks.push(gid.clone());
            }
            let event = NewEvent {
                action: "added",
                resource: self.task_ref(&gid),
                parent: Some(self.task_ref(parent)),
                change: None,
                audience: self.audience_of(&gid),
            };
            self.push_event(now, event);
        }
        if let Some(project) = &new.project {
            self.add_task_to_project(&gid, project, now)?;
        }
        Ok(gid)
    }

    /// Trashes a task: 404 from now on, gone from every list; bumps
    /// `modified_at`; emits `deleted`.
    pub fn delete_task(&mut self, gid: &str, now: DateTime<Utc>) -> Result<()> {
        self.live_task(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let audience = self.audience_of(gid);
        if let Some(task) = self.tasks.get_mut(gid) {
            task.deleted = true;
            task.modified_at = now;
        }
        let event = NewEvent {
            action: "deleted",
            resource: self.task_ref(gid),
            parent: None,
            change: None,
            audience,
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Restores a trashed task; emits `undeleted`.
    pub fn undelete_task(&mut self, gid: &str, now: DateTime<Utc>) -> Result<()> {
        let task = self.tasks.get_mut(gid).filter(|t| t.deleted);
        let task = task.ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        task.deleted = false;
        task.modified_at = now;
        let event = NewEvent {
            action: "undeleted",
            resource: self.task_ref(gid),
            parent: None,
            change: None,
            audience: self.audience_of(gid),
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Adds a task to a project (at the end, in the project's first section);
    /// emits `added` with parent = the project. `modified_at` is not bumped.
    pub fn add_task_to_project(
        &mut self,
        gid: &str,
        project: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.live_task(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let p = self.projects.get_mut(project).filter(|p| !p.deleted);
        let p = p.ok_or_else(|| MutateError::UnknownProject(project.to_owned()))?;
        if !p.task_order.iter().any(|g| g == gid) {
            p.task_order.push(gid.to_owned());
        }
        let section = p.sections.first().cloned();
        let task = self
            .tasks
            .get_mut(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        if task.memberships.iter().any(|m| m.project == project) {
            return Ok(());
        }
        task.memberships.push(Membership {
            project: project.to_owned(),
            section,
        });
        let event = NewEvent {
            action: "added",
            resource: self.task_ref(gid),
            parent: Some(self.project_ref(project)),
            change: None,
            audience: self.audience_of(gid),
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Moves a task to another section of a project it is in; emits `added`
    /// with parent = the section. `modified_at` is not bumped (a move).
    pub fn move_task_to_section(
        &mut self,
        gid: &str,
        section: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.live_task(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let unknown = || MutateError::Invalid(format!("section: Unknown object: {section}"));
        let project = self
            .sections
            .get(section)
            .map(|s| s.project.clone())
            .ok_or_else(unknown)?;
        let task = self
            .tasks
            .get_mut(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let membership = task.memberships.iter_mut().find(|m| m.project == project);
        let not_in = || MutateError::Invalid(format!("task {gid} is not in project {project}"));
        membership.ok_or_else(not_in)?.section = Some(section.to_owned());
        let name = self.sections.get(section).map(|s| s.name.clone());
        let parent = ResourceRef {
            gid: section.to_owned(),
            resource_type: "section".to_owned(),
            name,
        };
        let event = NewEvent {
            action: "added",
            resource: self.task_ref(gid),
            parent: Some(parent),
            change: None,
            audience: self.audience_of(gid),
        };
        self.push_event(now, event);
        Ok(())
    }

    /// Removes a task from a project: it stays fetchable but leaves the
    /// project's lists and its memberships; emits `removed` with parent = the
    /// project. `modified_at` is not bumped.
    pub fn remove_task_from_project(
        &mut self,
        gid: &str,
        project: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.live_task(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let p = self.projects.get_mut(project).filter(|p| !p.deleted);
        let p = p.ok_or_else(|| MutateError::UnknownProject(project.to_owned()))?;
        p.task_order.retain(|g| g != gid);
        let mut audience = self.audience_of(gid);
        if !audience.iter().any(|g| g == project) {
            audience.push(project.to_owned());
        }
        let task = self
            .tasks
            .get_mut(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let before = task.memberships.len();
        task.memberships.retain(|m| m.project != project);
        if task.memberships.len() == before {
            return Err(MutateError::Invalid(format!(
                "task {gid} is not in project {project}"
            )));
        }
        let event = NewEvent {
            action: "removed",
            resource: self.task_ref(gid),
            parent: Some(self.project_ref(project)),
            change: None,
            audience,
        };
        self.push_event(now, event);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{small_world, t0};
    use super::*;

    fn new_task(project: Option<&str>, parent: Option<&str>, name: &str) -> NewTask {
        NewTask {
            project: project.map(Into::into),
            parent: parent.map(Into::into),
            name: name.into(),
            ..NewTask::default()
        }
    }

    #[test]
    fn subtask_events_bubble_to_the_project() {
        let mut w = small_world();
        let top = w
            .create_task(&new_task(Some("100"), None, "top"), t0())
            .unwrap();
        let sub = w
            .create_task(&new_task(None, Some(&top), "sub"), t0())
            .unwrap();
        let subsub = w
            .create_task(&new_task(None, Some(&sub), "subsub"), t0())
            .unwrap();
        w.delete_task(&subsub, t0()).unwrap();
        let last = w.events.last().unwrap();
        assert_eq!(last.action, "deleted");
        for gid in [&subsub, &sub, &top, &"100".to_owned()] {
            assert!(last.audience.contains(gid), "{gid} should see it");
        }
        assert_eq!(w.project_task_gids(&w.projects["100"]), vec![top.clone()]);
        assert!(w.live_task(&subsub).is_none());
        w.delete_task(&top, t0()).unwrap();
        assert!(
            w.live_task(&sub).is_none(),
            "subtasks of a trashed task are unreachable"
        );
    }

    #[test]
    fn removal_keeps_the_task_but_not_the_membership() {
        let mut w = small_world();
        let gid = w
            .create_task(&new_task(Some("100"), None, "t"), t0())
            .unwrap();
        let later = t0() + chrono::Duration::hours(1);
        w.remove_task_from_project(&gid, "100", later).unwrap();
        let task = w.live_task(&gid).unwrap();
        assert!(task.memberships.is_empty());
        assert_eq!(
            task.modified_at,
            t0(),
            "project moves do not bump modified_at"
        );
        let last = w.events.last().unwrap();
        assert_eq!(
            (
                last.action.as_str(),
                last.parent.as_ref().unwrap().gid.as_str()
            ),
            ("removed", "100")
        );
        assert!(last.audience.contains(&"100".to_owned()));
        assert!(w.project_task_gids(&w.projects["100"]).is_empty());
        w.delete_task(&gid, later).unwrap();
        assert_eq!(
            w.tasks[&gid].modified_at, later,
            "trashing bumps modified_at"
        );
        w.undelete_task(&gid, later).unwrap();
        assert_eq!(w.events.last().unwrap().action, "undeleted");
    }
}
