//! Projects, sections, tasks and subtasks of generated worlds.
//!
//! A project gets 2–4 sections and its top-level tasks, each a member of the
//! project in one section; `task_order` groups them by section, in rank order.
//! Subtasks have a `parent`, are listed in the parent's `subtasks` and carry
//! no membership (so no custom values) unless `edges` multi-homes one.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::{Gen, ProjectPlan, epoch, fields, text};
use crate::world::{CustomValue, Gid, Membership, Project, Section, Task};

const SECTION_NAMES: [&str; 6] = [
    "Backlog",
    "To do",
    "In progress",
    "Review 👀",
    "Done",
    "Icebox",
];

/// Builds one project with its sections and top-level tasks (and, at
/// `subtask_rate`, subtasks under them); returns its gid.
pub(super) fn project(
    g: &mut Gen,
    plan: &ProjectPlan,
    team: &Gid,
    fields: &[Gid],
    subtask_rate: f64,
) -> Gid {
    let gid = new_project(g, plan, team, fields);
    let n_sections = g.rng.random_range(2..=4);
    let sections: Vec<Gid> = (0..n_sections).map(|i| section(g, &gid, i)).collect();
    let mut placed: Vec<(usize, Gid)> = Vec::with_capacity(plan.tasks);
    for _ in 0..plan.tasks {
        let s = g.rng.random_range(0..sections.len());
        let task = top_level(g, &gid, &sections[s]);
        if g.chance(subtask_rate) {
            let n = g.rng.random_range(1..=3);
            subtasks(g, &task, n, 0.3);
        }
        placed.push((s, task));
    }
    placed.sort_by_key(|(s, _)| *s);
    let p = g.w.projects.get_mut(&gid).expect("new project");
    p.task_order = placed.into_iter().map(|(_, t)| t).collect();
    p.sections = sections;
    gid
}

fn new_project(g: &mut Gen, plan: &ProjectPlan, team: &Gid, fields: &[Gid]) -> Gid {
    let gid = g.w.alloc_gid();
    let created_at = g.after(epoch(), Duration::zero(), Duration::hours(20));
    let modified_at = g.after(created_at, Duration::zero(), Duration::days(30));
    let color = text::COLORS[g.rng.random_range(0..text::COLORS.len())];
    let start = g.rng.random_range(0..30);
    let has_dates = g.chance(0.5);
    let owner = if g.chance(0.8) {
        Some(g.me.clone())
    } else {
        Some(g.any_user())
    };
    let project = Project {
        gid: gid.clone(),
        name: plan.name.clone(),
        notes: format!("Everything about {} — goals, owners & scope.", plan.name),
        archived: plan.archived,
        privacy_setting: if g.chance(0.85) {
            "public_to_workspace"
        } else {
            "private"
        }
        .into(),
        color: Some(color.into()),
        team: team.clone(),
        owner,
        created_at,
        modified_at,
        due_on: has_dates.then(|| fields::day(start + 120)),
        start_on: has_dates.then(|| fields::day(start)),
        completed: false,
        completed_at: None,
        custom_field_settings: fields.to_vec(),
        task_order: Vec::new(),
        sections: Vec::new(),
        deleted: false,
    };
    g.w.projects.insert(gid.clone(), project);
    gid
}

fn section(g: &mut Gen, project: &Gid, i: usize) -> Gid {
    let gid = g.w.alloc_gid();
    let created_at = g.w.projects[project].created_at + Duration::milliseconds(i as i64 + 1);
    let section = Section {
        gid: gid.clone(),
        name: SECTION_NAMES[i % SECTION_NAMES.len()].into(),
        project: project.clone(),
        created_at,
    };
    g.w.sections.insert(gid.clone(), section);
    gid
}

/// A random top-level task, member of `project` in `section`, with a value
/// for each of the project's fields. The caller places it in `task_order`.
pub(super) fn top_level(g: &mut Gen, project: &Gid, section: &Gid) -> Gid {
    let start = g.w.projects[project].created_at + Duration::days(1);
    let created_at = g.after(start, Duration::zero(), Duration::days(120));
    let mut task = random_task(g, created_at);
    task.memberships.push(Membership {
        project: project.clone(),
        section: Some(section.clone()),
    });
    let gid = task.gid.clone();
    g.w.tasks.insert(gid.clone(), task);
    add_values(g, &gid, project);
    gid
}

/// Adds `n` subtasks under `parent`, each getting sub-subtasks at
/// `deeper_rate`; returns them in order.
pub(super) fn subtasks(g: &mut Gen, parent: &Gid, n: usize, deeper_rate: f64) -> Vec<Gid> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let sub = subtask(g, parent);
        if g.chance(deeper_rate) {
            let m = g.rng.random_range(1..=2);
            subtasks(g, &sub, m, 0.0);
        }
        out.push(sub);
    }
    out
}

/// One subtask appended to `parent`'s subtasks.
pub(super) fn subtask(g: &mut Gen, parent: &Gid) -> Gid {
    let after = g.w.tasks[parent].created_at;
    let created_at = g.after(after, Duration::seconds(1), Duration::days(10));
    let mut task = random_task(g, created_at);
    task.parent = Some(parent.clone());
    let gid = task.gid.clone();
    g.w.tasks.insert(gid.clone(), task);
    let p = g.w.tasks.get_mut(parent).expect("parent task");
    p.subtasks.push(gid.clone());
    gid
}

/// Makes `task` a member of `project` too (last section, end of rank order)
/// and gives it values for the project's fields it lacks.
pub(super) fn multi_home(g: &mut Gen, task: &Gid, project: &Gid) {
    let p = g.w.projects.get_mut(project).expect("project");
    p.task_order.push(task.clone());
    let section = p.sections.last().cloned();
    let t = g.w.tasks.get_mut(task).expect("task");
    t.memberships.push(Membership {
        project: project.clone(),
        section,
    });
    add_values(g, task, project);
}

/// Appends a random value for each field of `project` that `task` lacks.
fn add_values(g: &mut Gen, task: &Gid, project: &Gid) {
    let fields = g.w.projects[project].custom_field_settings.clone();
    for field in fields {
        if g.w.tasks[task]
            .custom_values
            .iter()
            .any(|v| v.field == field)
        {
            continue;
        }
        let value = fields::random_value(g, &field);
        let t = g.w.tasks.get_mut(task).expect("task");
        t.custom_values.push(CustomValue { field, value });
    }
}

/// A task with seeded fields and no memberships, parent or values.
fn random_task(g: &mut Gen, created_at: DateTime<Utc>) -> Task {
    let gid = g.w.alloc_gid();
    let name = text::task_name(&mut g.rng);
    let notes = text::notes(&mut g.rng);
    let created_by = Some(g.any_user());
    let mut task = Task {
        gid,
        name,
        resource_subtype: "default_task".into(),
        html_notes: text::html_notes(&notes),
        notes,
        completed: false,
        completed_at: None,
        completed_by: None,
        due_on: None,
        due_at: None,
        start_on: None,
        created_at,
        modified_at: created_at,
        assignee: None,
        created_by,
        memberships: Vec::new(),
        parent: None,
        subtasks: Vec::new(),
        tags: Vec::new(),
        followers: Vec::new(),
        custom_values: Vec::new(),
        approval_status: None,
        num_likes: 0,
        deleted: false,
    };
    people(g, &mut task);
    subtype(g, &mut task);
    schedule(g, &mut task);
    history(g, &mut task);
    task
}

/// Assignee (null a quarter of the time), tags, followers and likes.
fn people(g: &mut Gen, task: &mut Task) {
    task.assignee = if g.chance(0.75) {
        Some(g.any_user())
    } else {
        None
    };
    let tags = g.tags.clone();
    let n_tags = [0, 0, 0, 1, 1, 2][g.rng.random_range(0..6)];
    task.tags = g.some_of(&tags, n_tags);
    let mut followers: Vec<Gid> = task.assignee.iter().cloned().collect();
    for _ in 0..g.rng.random_range(0..3) {
        let u = g.any_user();
        if !followers.contains(&u) {
            followers.push(u);
        }
    }
    task.followers = followers;
    task.num_likes = [0, 0, 0, 0, 1, 2, 5][g.rng.random_range(0..7)];
}

/// Mostly default tasks, some milestones and approvals.
fn subtype(g: &mut Gen, task: &mut Task) {
    match g.rng.random_range(0..100) {
        0..=3 => task.resource_subtype = "milestone".into(),
        4..=6 => {
            let statuses = ["pending", "approved", "rejected", "changes_requested"];
            task.resource_subtype = "approval".into();
            task.approval_status = Some(statuses[g.rng.random_range(0..4)].into());
        }
        _ => {}
    }
}

/// Due date (`due_on`, sometimes `due_at`, often none) and start date.
fn schedule(g: &mut Gen, task: &mut Task) {
    let base = (task.created_at - epoch()).num_days();
    match g.rng.random_range(0..10) {
        0..=3 => task.due_on = Some(fields::day(base + g.rng.random_range(-5..60))),
        4 => {
            let day = epoch() + Duration::days(base + g.rng.random_range(0..60));
            let at = day
                .date_naive()
                .and_hms_opt(g.rng.random_range(8..18), 0, 0);
            task.due_at = at.map(|t| t.and_utc());
        }
        _ => return,
    }
    let due = task.due_on.or(task.due_at.map(|t| t.date_naive()));
    if task.resource_subtype != "milestone" && g.chance(0.3) {
        task.start_on = due.map(|d| d - Duration::days(g.rng.random_range(1..15)));
    }
}

/// Completion (a third of tasks) and `modified_at`.
fn history(g: &mut Gen, task: &mut Task) {
    let span = g.after(
        task.created_at,
        Duration::milliseconds(1),
        Duration::days(30),
    );
    let done = match task.approval_status.as_deref() {
        Some(status) => status == "approved",
        None => g.chance(0.33),
    };
    if done {
        let at = g.after(
            task.created_at,
            Duration::milliseconds(1),
            span - task.created_at,
        );
        complete(task, at, g.any_user());
        task.modified_at = span;
    } else {
        task.modified_at = g.after(task.created_at, Duration::zero(), span - task.created_at);
    }
}

/// Marks `task` completed at `at` by `by` (bumping `modified_at` if needed).
pub(super) fn complete(task: &mut Task, at: DateTime<Utc>, by: Gid) {
    task.completed = true;
    task.completed_at = Some(at);
    task.completed_by = Some(by);
    task.modified_at = task.modified_at.max(at);
}
