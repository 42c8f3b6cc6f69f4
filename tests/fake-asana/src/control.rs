//! The control API as Rust methods on [`FakeAsana`]: change the world (each
//! change emits Asana's events), now or when a given request arrives
//! (triggers), inject faults and limits, expire tokens, and read the
//! counters. The same operations are served over HTTP by `admin`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    faults::FaultRule,
    gate::{LoggedRequest, Stats},
    mutate::{MutateError, NewProject, NewTask, TaskPatch},
    server::FakeAsana,
    triggers::Trigger,
    world::{Gid, World},
};

impl FakeAsana {
    /// Adds a task at the end of a project. Panics if the project is unknown
    /// (a test's mistake); see [`FakeAsana::create_task`] for the fallible form.
    pub fn add_task(&self, project: &str, name: &str) -> Gid {
        let new = NewTask {
            project: Some(project.to_owned()),
            name: name.to_owned(),
            ..NewTask::default()
        };
        self.create_task(new)
            .unwrap_or_else(|e| panic!("add_task({project}, {name}): {e}"))
    }

    /// Adds a subtask at the end of a parent's subtasks. Panics if the parent
    /// is unknown.
    pub fn add_subtask(&self, parent: &str, name: &str) -> Gid {
        let new = NewTask {
            parent: Some(parent.to_owned()),
            name: name.to_owned(),
            ..NewTask::default()
        };
        self.create_task(new)
            .unwrap_or_else(|e| panic!("add_subtask({parent}, {name}): {e}"))
    }

    /// Creates a task with every option (project and/or parent, assignee, …).
    pub fn create_task(&self, new: NewTask) -> Result<Gid, MutateError> {
        self.state.write(|w, now| w.create_task(&new, now))
    }

    /// Edits a task's fields; each changed field emits `changed`.
    pub fn modify_task(&self, gid: &str, patch: TaskPatch) -> Result<(), MutateError> {
        self.state.write(|w, now| w.modify_task(gid, &patch, now))
    }

    /// Trashes a task (404 from now on; `deleted` event).
    pub fn delete_task(&self, gid: &str) -> Result<(), MutateError> {
        self.state.write(|w, now| w.delete_task(gid, now))
    }

    /// Restores a trashed task (`undeleted` event).
    pub fn undelete_task(&self, gid: &str) -> Result<(), MutateError> {
        self.state.write(|w, now| w.undelete_task(gid, now))
    }

    /// Adds a task to a project (`added` event, parent = the project).
    pub fn add_task_to_project(&self, task: &str, project: &str) -> Result<(), MutateError> {
        self.state
            .write(|w, now| w.add_task_to_project(task, project, now))
    }

    /// Removes a task from a project (`removed` event); the task stays 200.
    pub fn remove_task_from_project(&self, task: &str, project: &str) -> Result<(), MutateError> {
        self.state
            .write(|w, now| w.remove_task_from_project(task, project, now))
    }

    /// Moves a task to another section of one of its projects.
    pub fn move_task_to_section(&self, task: &str, section: &str) -> Result<(), MutateError> {
        self.state
            .write(|w, now| w.move_task_to_section(task, section, now))
    }

    /// Trashes a project (404 from now on, gone from portfolio items).
    pub fn delete_project(&self, gid: &str) -> Result<(), MutateError> {
        self.state.write(|w, now| w.delete_project(gid, now))
    }

    /// Archives or unarchives a project.
    pub fn archive_project(&self, gid: &str, archived: bool) -> Result<(), MutateError> {
        self.state
            .write(|w, now| w.archive_project(gid, archived, now))
    }

    /// Removes a project from the portfolio(s) holding it.
    pub fn remove_project_from_portfolio(&self, project: &str) -> Result<(), MutateError> {
        self.state
            .write(|w, now| w.remove_project_from_portfolio(project, now))
    }

    /// Adds a project (back) to the main portfolio, at the end.
    pub fn add_project_to_portfolio(&self, project: &str) -> Result<(), MutateError> {
        self.state
            .write(|w, now| w.add_project_to_portfolio(project, None, now))
    }

    /// Creates a project with `tasks` tasks in the main portfolio.
    pub fn add_project(&self, name: &str, tasks: usize) -> Result<Gid, MutateError> {
        let new = NewProject {
            name: name.to_owned(),
            tasks,
            in_portfolio: true,
        };
        self.state.write(|w, now| w.create_project(&new, now))
    }

    /// Makes `trigger`'s change when the first request matching it reaches
    /// its handler, just before it is answered; then the trigger is gone.
    pub fn add_trigger(&self, trigger: Trigger) {
        self.state.triggers().add(trigger);
    }

    /// Trashes `task` when the first request for `route` arrives, before it
    /// is answered: e.g. `/tasks/{task}/subtasks` stages "deleted after it
    /// was listed, before its subtasks were fetched". Panics if the task is
    /// not live now (a test's mistake).
    pub fn delete_task_on(&self, route: &str, task: &str) {
        let live = self.state.read(|w| w.live_task(task).is_some());
        assert!(live, "delete_task_on({route}, {task}): no such live task");
        self.add_trigger(Trigger::delete_task_on(route, task));
    }

    /// The triggers still to fire, in insertion order.
    pub fn triggers(&self) -> Vec<Trigger> {
        self.state.triggers().pending()
    }

    /// Removes every trigger still to fire.
    pub fn clear_triggers(&self) {
        self.state.triggers().clear();
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.state.gate.add_fault(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.gate.clear_faults();
    }

    /// Sets or removes the per-token rate limit (requests per minute).
    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.state.gate.set_rate_limit(per_minute);
    }

    /// Sets how many GETs a token may have in flight (Asana: 50).
    pub fn set_max_inflight_gets(&self, max: u32) {
        self.state.gate.set_max_inflight_gets(max);
    }

    /// The fault rules in force, in the order they are checked.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.state.gate.faults()
    }

    /// Sets the latency added to every API request.
    pub fn set_latency(&self, latency: Duration) {
        self.state.gate.set_latency(latency);
    }

    /// Makes every pagination offset issued so far expired.
    pub fn expire_offsets(&self) {
        self.state.pager.expire_all();
    }

    /// Changes the lifetime of pagination offsets.
    pub fn set_offset_ttl(&self, ttl: Duration) {
        self.state.pager.set_ttl(ttl);
    }

    /// Forgets every `/events` sync token (next use → 412).
    pub fn expire_sync_tokens(&self) {
        self.state.sync().expire_all();
    }

    /// Loses the next `count` events, as Asana's at-most-once delivery may:
    /// the change happens, no stream ever shows it.
    pub fn drop_next_events(&self, count: u32) {
        self.state.drop_next_events(count);
    }

    /// Changes the lifetime of `/events` sync tokens.
    pub fn set_event_token_ttl(&self, ttl: Duration) {
        self.state.sync().set_ttl(ttl);
    }

    /// Accepts another token, acting as `user`.
    pub fn add_token(&self, token: &str, user: &str) {
        self.state.gate.add_token(token.to_owned(), user.to_owned());
    }

    /// Rejects a token from now on (401).
    pub fn revoke_token(&self, token: &str) {
        self.state.gate.revoke_token(token);
    }

    /// The gate's counters.
    pub fn stats(&self) -> Stats {
        self.state.gate.stats()
    }

    /// Every API request so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.gate.request_log()
    }

    /// Clears the counters and the request log.
    pub fn reset_stats(&self) {
        self.state.gate.reset_stats();
    }

    /// Counts of what the world holds (as `GET /_admin/world`).
    pub fn world_summary(&self) -> Value {
        self.state.read(summary)
    }
}

/// Counts of what the world holds, and one line per project.
pub(crate) fn summary(world: &World) -> Value {
    let live_tasks = world
        .tasks
        .values()
        .filter(|t| world.live_task(&t.gid).is_some());
    let (subtasks, top): (Vec<_>, Vec<_>) = live_tasks.partition(|t| t.parent.is_some());
    let projects: Vec<Value> = world
        .projects
        .values()
        .filter(|p| !p.deleted)
        .map(|p| json!({ "gid": p.gid, "name": p.name, "archived": p.archived, "tasks": world.project_task_gids(p).len() }))
        .collect();
    json!({
        "workspace": world.workspace.gid,
        "main_portfolio": world.main_portfolio,
        "portfolio_items": world.portfolios.get(&world.main_portfolio).map_or(0, |p| p.items.len()),
        "portfolios": world.portfolios.len(),
        "users": world.users.len(),
        "sections": world.sections.len(),
        "custom_fields": world.custom_fields.len(),
        "tasks": top.len(),
        "subtasks": subtasks.len(),
        "trashed_tasks": world.tasks.values().filter(|t| t.deleted).count(),
        "events": world.events.len(),
        "last_event_seq": world.last_event_seq(),
        "projects": projects,
    })
}
