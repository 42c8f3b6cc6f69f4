//! The edge cases planted into generated worlds, so that they are present
//! whatever the seed (as far as the sizes allow).
//!
//! Full worlds get, on the first top-level tasks of the portfolio's projects
//! (first project first): subtasks two levels deep, one subtask also a member
//! of a project, notes over 64 KB, unicode names (emoji, CJK, RTL, combining
//! marks), a task with no assignee, dates or set values, `due_at`, a
//! completed task, a milestone, a pending approval, tags and followers, and
//! `start_on`; plus one top-level task in two projects at once.

use chrono::{Duration, NaiveDate};

use super::{Gen, fields, tasks, text};
use crate::world::{Gid, Task};

/// One per-task edge case.
type Plant = fn(&mut Gen, &Gid);

/// Plants every edge case the sizes allow into `projects` (in portfolio order).
pub(super) fn plant_full(g: &mut Gen, projects: &[Gid]) {
    let mut candidates = top_level_tasks(g, projects).into_iter();
    let deep = candidates.next();
    let plants: [Plant; 12] = [
        huge_notes,
        emoji,
        nothing_set,
        due_at,
        completed,
        milestone,
        approval,
        tagged,
        start_on,
        cjk,
        rtl,
        combining,
    ];
    for (plant, task) in plants.iter().zip(candidates) {
        plant(g, &task);
    }
    if let (Some(p0), Some(p1)) = (projects.first(), projects.get(1))
        && let Some(task) = g.w.projects[p0].task_order.last().cloned()
    {
        tasks::multi_home(g, &task, p1);
    }
    if let Some(task) = deep {
        let home = projects.get(1).or(projects.first()).expect("a project");
        let subs = tasks::subtasks(g, &task, 2, 0.0);
        tasks::subtasks(g, &subs[0], 2, 0.0);
        tasks::multi_home(g, &subs[1], home);
    }
}

/// The Seed preset's light touch: two subtasks under one task of the first
/// project (the random tasks already vary dates, assignees and completion).
pub(super) fn plant_light(g: &mut Gen, projects: &[Gid]) {
    if let Some(task) = top_level_tasks(g, projects).get(2) {
        tasks::subtasks(g, task, 2, 0.0);
    }
}

/// Top-level tasks of `projects`, project by project, in rank order.
fn top_level_tasks(g: &Gen, projects: &[Gid]) -> Vec<Gid> {
    projects
        .iter()
        .flat_map(|p| g.w.projects[p].task_order.iter().cloned())
        .collect()
}

fn task<'a>(g: &'a mut Gen, gid: &Gid) -> &'a mut Task {
    g.w.tasks.get_mut(gid).expect("planted task")
}

/// The task's creation date plus `days`.
fn day_of(g: &Gen, gid: &Gid, days: i64) -> NaiveDate {
    (g.w.tasks[gid].created_at + Duration::days(days)).date_naive()
}

fn huge_notes(g: &mut Gen, gid: &Gid) {
    let t = task(g, gid);
    t.notes = text::huge_notes();
    t.html_notes = text::html_notes(&t.notes);
}

fn rename(g: &mut Gen, gid: &Gid, which: usize) {
    task(g, gid).name = text::UNICODE_NAMES[which].to_string();
}

fn emoji(g: &mut Gen, gid: &Gid) {
    rename(g, gid, 0);
}

fn cjk(g: &mut Gen, gid: &Gid) {
    rename(g, gid, 1);
}

fn rtl(g: &mut Gen, gid: &Gid) {
    rename(g, gid, 2);
}

fn combining(g: &mut Gen, gid: &Gid) {
    rename(g, gid, 3);
}

/// No assignee, no dates, every custom value unset.
fn nothing_set(g: &mut Gen, gid: &Gid) {
    let unset: Vec<_> = g.w.tasks[gid]
        .custom_values
        .iter()
        .map(|v| fields::unset(&g.w.custom_fields[&v.field]))
        .collect();
    let t = task(g, gid);
    t.assignee = None;
    t.due_on = None;
    t.due_at = None;
    t.start_on = None;
    for (v, u) in t.custom_values.iter_mut().zip(unset) {
        v.value = u;
    }
}

/// Due at 17:30 UTC a week after creation, starting three days before.
fn due_at(g: &mut Gen, gid: &Gid) {
    let due = day_of(g, gid, 7);
    let t = task(g, gid);
    t.resource_subtype = "default_task".into();
    t.approval_status = None;
    t.due_on = None;
    t.due_at = due.and_hms_opt(17, 30, 0).map(|d| d.and_utc());
    t.start_on = Some(due - Duration::days(3));
}

fn completed(g: &mut Gen, gid: &Gid) {
    let by = g.any_user();
    let t = task(g, gid);
    if !t.completed {
        let at = t.created_at + Duration::minutes(90);
        tasks::complete(t, at, by);
    }
}

fn milestone(g: &mut Gen, gid: &Gid) {
    let due = day_of(g, gid, 14);
    let t = task(g, gid);
    t.resource_subtype = "milestone".into();
    t.approval_status = None;
    t.due_on = Some(due);
    t.due_at = None;
    t.start_on = None;
}

fn approval(g: &mut Gen, gid: &Gid) {
    let t = task(g, gid);
    t.resource_subtype = "approval".into();
    t.approval_status = Some("pending".into());
    t.completed = false;
    t.completed_at = None;
    t.completed_by = None;
}

/// Three tags and three followers (the token's user among them).
fn tagged(g: &mut Gen, gid: &Gid) {
    let tags = g.tags[..3].to_vec();
    let followers = vec![g.me.clone(), g.users[4].clone(), g.users[5].clone()];
    let t = task(g, gid);
    t.tags = tags;
    t.followers = followers;
}

fn start_on(g: &mut Gen, gid: &Gid) {
    let (start, due) = (day_of(g, gid, 5), day_of(g, gid, 20));
    let t = task(g, gid);
    if t.resource_subtype == "milestone" {
        t.resource_subtype = "default_task".into();
    }
    t.due_on = Some(due);
    t.due_at = None;
    t.start_on = Some(start);
}
