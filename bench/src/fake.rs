//! The fake Asana, in the bench process (aegis's workers are separate
//! processes that reach it over loopback HTTP), and the request floor a sync
//! of its world cannot go below ([`MinRequests`]).

use std::{
    collections::{BTreeSet, VecDeque},
    time::Duration,
};

use fake_asana::{
    Config, FakeAsana,
    generate::{self, Preset},
    world::World,
};
use serde_json::{Value, json};

use crate::proc::AegisEnv;

/// Starts a fake with `projects` × `tasks_per_project` generated tasks.
pub async fn spawn(
    projects: usize,
    tasks_per_project: usize,
    requests_per_minute: Option<u32>,
    latency: Duration,
) -> anyhow::Result<FakeAsana> {
    let config = Config {
        preset: Preset::Custom {
            projects,
            tasks_per_project,
        },
        requests_per_minute,
        latency,
        ..Config::default()
    };
    Ok(FakeAsana::spawn(config).await?)
}

/// Starts a small fake (the seed preset) for processes that must reach
/// Asana but will not sync.
pub async fn spawn_seed() -> anyhow::Result<FakeAsana> {
    Ok(FakeAsana::spawn(Config::default()).await?)
}

/// The smallest tasks-per-project (from `start`, in steps of `step`) whose
/// generated world of `projects` projects is `enough`, with its floor.
pub fn size_for(
    projects: usize,
    (start, step): (usize, usize),
    enough: impl Fn(&MinRequests) -> bool,
) -> (usize, MinRequests) {
    let mut tasks = start;
    loop {
        let preset = Preset::Custom {
            projects,
            tasks_per_project: tasks,
        };
        let min = MinRequests::of(&generate::generate(&preset, 1, &Config::default().token));
        if enough(&min) || tasks >= 20_000 {
            return (tasks, min);
        }
        tasks += step;
    }
}

/// The environment of aegis processes syncing `fake` into `database_url`.
pub fn aegis_env(fake: &FakeAsana, database_url: &str, requests_per_minute: u32) -> AegisEnv {
    AegisEnv {
        database_url: database_url.to_owned(),
        base_url: fake.base_url.clone(),
        token: fake.token.clone(),
        portfolio: fake.portfolio_gid.clone(),
        requests_per_minute,
    }
}

/// The requests a full sync of a world needs at the least, by kind.
///
/// Counted: one `GET /portfolios/{gid}/items` page per 100 items of every
/// portfolio reached from the main one (nested ones followed, each once);
/// per synced project (live, not archived, reached through the portfolios)
/// one `GET /tasks?project=` page per 100 member tasks (at least one)
/// and one `GET /events` for its sync token; one `GET /tasks/{gid}/subtasks`
/// page per 100 subtasks of every distinct live task with subtasks, at every
/// level, in those projects' trees (a task in two projects counts once);
/// and one `GET /users/me` (the token's user, for `assigned_to_aegis`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinRequests {
    /// Portfolio item pages.
    pub portfolio_pages: u64,
    /// Projects whose tasks are synced.
    pub projects: u64,
    /// Project task pages.
    pub task_pages: u64,
    /// Subtask pages.
    pub subtask_pages: u64,
    /// Events sync tokens (one per project).
    pub event_tokens: u64,
    /// `/users/me`.
    pub users_me: u64,
    /// Distinct live tasks and subtasks in the synced projects' trees.
    pub tasks: u64,
}

impl MinRequests {
    /// The floor: every kind summed.
    pub fn total(&self) -> u64 {
        self.portfolio_pages
            + self.task_pages
            + self.subtask_pages
            + self.event_tokens
            + self.users_me
    }

    /// The breakdown, for the JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "portfolio_item_pages": self.portfolio_pages,
            "project_task_pages": self.task_pages,
            "subtask_pages": self.subtask_pages,
            "events_sync_tokens": self.event_tokens,
            "users_me": self.users_me,
            "synced_projects": self.projects,
            "tasks_in_world": self.tasks,
        })
    }

    /// Computes the floor for a full sync of `world`'s main portfolio.
    pub fn of(world: &World) -> MinRequests {
        let mut min = MinRequests {
            users_me: 1,
            ..MinRequests::default()
        };
        let projects = synced_projects(world, &mut min.portfolio_pages);
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::new();
        for gid in &projects {
            let project = &world.projects[gid];
            let members = world.project_task_gids(project);
            min.projects += 1;
            min.event_tokens += 1;
            min.task_pages += pages(members.len()).max(1);
            queue.extend(members);
        }
        while let Some(gid) = queue.pop_front() {
            if !seen.insert(gid.clone()) {
                continue;
            }
            let Some(task) = world.live_task(&gid) else {
                continue;
            };
            let subtasks = world.subtask_gids(task);
            min.subtask_pages += pages(subtasks.len());
            queue.extend(subtasks);
        }
        min.tasks = seen.len() as u64;
        min
    }
}

fn pages(items: usize) -> u64 {
    items.div_ceil(100) as u64
}

/// Live, unarchived projects reached from the main portfolio (nested
/// portfolios followed breadth-first, each once), counting item pages.
fn synced_projects(world: &World, portfolio_pages: &mut u64) -> Vec<String> {
    let mut visited = BTreeSet::new();
    let mut queue = VecDeque::from([world.main_portfolio.clone()]);
    let mut projects = Vec::new();
    while let Some(gid) = queue.pop_front() {
        if !visited.insert(gid.clone()) {
            continue;
        }
        let Some(portfolio) = world.portfolios.get(&gid) else {
            continue;
        };
        *portfolio_pages += pages(portfolio.items.len()).max(1);
        for item in &portfolio.items {
            if world.portfolios.contains_key(item) {
                queue.push_back(item.clone());
            } else if let Some(p) = world.live_project(item)
                && !p.archived
                && !projects.contains(item)
            {
                projects.push(item.clone());
            }
        }
    }
    projects
}
