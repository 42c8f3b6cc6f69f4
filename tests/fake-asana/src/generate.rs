//! The seeded generator of fake Asana worlds, and its presets.
//!
//! This module owns turning a [`Preset`] and a seed into a [`World`]: the
//! organisation (workspace, teams, users, tags, portfolios) lives here; the
//! submodules own the rest — `text` (names and notes), `fields` (custom field
//! definitions and values), `tasks` (projects, sections, tasks, subtasks) and
//! `edges` (the edge cases planted into every full-size world).
//!
//! Everything is drawn from one `ChaCha8Rng` in a fixed order, and every
//! timestamp is [`epoch`] plus a seeded whole-millisecond offset, so the same
//! preset, seed and token always give the same world. No events are
//! generated: the event log starts when the fake runs.
//!
//! Shapes: the main portfolio (owned by the token's user) lists the presets'
//! projects in order. Except in `Seed`, it also holds one nested portfolio
//! (second item) with one extra project of its own, and that nested portfolio
//! lists the main portfolio again: a deliberate cycle that clients must guard
//! against. `Seed` has no nested portfolio, so its portfolio is exactly the
//! three projects of the tool aegis replaces.

mod edges;
mod fields;
mod tasks;
#[cfg(test)]
mod tests;
mod text;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::world::{Gid, Portfolio, Tag, Team, User, Workspace, World};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub enum Preset {
    /// Mirrors the tool aegis replaces: projects Aegis (37 tasks), Triptic (2), Agents (0).
    Seed,
    /// A larger portfolio for the demo.
    Demo,
    /// `projects` × `tasks_per_project` generated tasks (plus the edge cases).
    Custom {
        /// Number of projects in the portfolio.
        projects: usize,
        /// Top-level tasks per project.
        tasks_per_project: usize,
    },
}

/// Number of projects in the `Demo` preset (the last one is archived).
pub const DEMO_PROJECTS: usize = 8;
/// Top-level tasks per project in the `Demo` preset.
pub const DEMO_TASKS_PER_PROJECT: usize = 150;
/// Top-level tasks of the project inside the nested portfolio.
pub const NESTED_PROJECT_TASKS: usize = 4;

/// The fixed instant every generated timestamp is offset from:
/// 2026-01-05T09:00:00.000Z.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// Builds a world from a preset; the same `seed` gives the same world.
/// `token` is accepted by the fake and acts as the portfolio's owner.
pub fn generate(preset: &Preset, seed: u64, token: &str) -> World {
    let plan = Plan::of(preset);
    let mut g = Gen::new(seed);
    g.organisation(token);
    let field_defs = fields::define(&mut g);
    let mut projects = Vec::new();
    for (i, p) in plan.projects.iter().enumerate() {
        let chosen = fields::pick(&mut g, &field_defs, &p.fields);
        let team = g.teams[i % g.teams.len()].clone();
        projects.push(tasks::project(&mut g, p, &team, &chosen, plan.subtask_rate));
    }
    match plan.edges {
        Edges::Full => edges::plant_full(&mut g, &projects),
        Edges::Light => edges::plant_light(&mut g, &projects),
    }
    let main = g.portfolio(&plan.portfolio_name, projects);
    if plan.nested {
        nest(&mut g, &main, &field_defs);
    }
    g.w.main_portfolio = main;
    g.w
}

/// Adds the nested portfolio (with its own project) as the main portfolio's
/// second item, and makes it list the main portfolio back (a cycle).
fn nest(g: &mut Gen, main: &Gid, field_defs: &[Gid]) {
    let plan = ProjectPlan {
        name: "Research lab 🔬 (nested)".into(),
        tasks: NESTED_PROJECT_TASKS,
        archived: false,
        fields: FieldPick::Some(vec![0, 5]),
    };
    let chosen = fields::pick(g, field_defs, &plan.fields);
    let team = g.teams[0].clone();
    let project = tasks::project(g, &plan, &team, &chosen, 0.0);
    let nested = g.portfolio("Platform initiatives", vec![project, main.clone()]);
    let items = &mut g.w.portfolios.get_mut(main).expect("main portfolio").items;
    items.insert(items.len().min(1), nested);
}

/// Which edge cases to plant.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Edges {
    /// Every edge case the sizes allow.
    Full,
    /// A couple of subtasks and a few simple cases (the `Seed` preset).
    Light,
}

/// Which of the defined custom fields a project enables.
#[derive(Debug, Clone, PartialEq)]
enum FieldPick {
    /// All of them, in definition order.
    All,
    /// A seeded subset (never empty).
    Random,
    /// These indexes into the definitions.
    Some(Vec<usize>),
}

/// One project to generate.
#[derive(Debug, Clone)]
struct ProjectPlan {
    name: String,
    tasks: usize,
    archived: bool,
    fields: FieldPick,
}

/// A preset, spelled out.
#[derive(Debug, Clone)]
struct Plan {
    portfolio_name: String,
    projects: Vec<ProjectPlan>,
    nested: bool,
    edges: Edges,
    /// Share of random top-level tasks that get subtasks.
    subtask_rate: f64,
}

impl Plan {
    fn of(preset: &Preset) -> Plan {
        match preset {
            Preset::Seed => Plan::seed(),
            Preset::Demo => Plan::custom(DEMO_PROJECTS, DEMO_TASKS_PER_PROJECT),
            Preset::Custom {
                projects,
                tasks_per_project,
            } => Plan::custom(*projects, *tasks_per_project),
        }
    }

    fn seed() -> Plan {
        let p = |name: &str, tasks, fields| ProjectPlan {
            name: name.into(),
            tasks,
            archived: false,
            fields,
        };
        Plan {
            portfolio_name: "Portfolio".into(),
            projects: vec![
                p("Aegis", 37, FieldPick::All),
                p("Triptic", 2, FieldPick::Some(vec![0, 2])),
                p("Agents", 0, FieldPick::Some(vec![])),
            ],
            nested: false,
            edges: Edges::Light,
            subtask_rate: 0.0,
        }
    }

    fn custom(projects: usize, tasks: usize) -> Plan {
        let projects = (0..projects)
            .map(|i| ProjectPlan {
                name: text::project_name(i),
                tasks,
                archived: projects >= 2 && i == projects - 1,
                fields: if i == 0 {
                    FieldPick::All
                } else {
                    FieldPick::Random
                },
            })
            .collect();
        Plan {
            portfolio_name: "Engineering portfolio 🚀".into(),
            projects,
            nested: true,
            edges: Edges::Full,
            subtask_rate: 0.1,
        }
    }
}

/// The generator's state: the world being built and the one rng.
struct Gen {
    w: World,
    rng: ChaCha8Rng,
    /// The token's user.
    me: Gid,
    users: Vec<Gid>,
    teams: Vec<Gid>,
    tags: Vec<Gid>,
    /// Date fields whose values carry a `date_time`.
    timed_fields: BTreeSet<Gid>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            w: World::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            me: Gid::new(),
            users: Vec::new(),
            teams: Vec::new(),
            tags: Vec::new(),
            timed_fields: BTreeSet::new(),
        }
    }

    /// Workspace, teams, users (the first is the token's), token and tags.
    fn organisation(&mut self, token: &str) {
        let gid = self.w.alloc_gid();
        self.w.workspace = Workspace {
            gid,
            name: "Acme Corp ✦ Workspace".into(),
        };
        for name in text::TEAMS {
            let gid = self.w.alloc_gid();
            let team = Team {
                gid: gid.clone(),
                name: name.into(),
            };
            self.w.teams.insert(gid.clone(), team);
            self.teams.push(gid);
        }
        for (name, email) in text::USERS {
            let gid = self.w.alloc_gid();
            let user = User {
                gid: gid.clone(),
                name: name.into(),
                email: email.into(),
            };
            self.w.users.insert(gid.clone(), user);
            self.users.push(gid);
        }
        self.me = self.users[0].clone();
        self.w.tokens.insert(token.to_string(), self.me.clone());
        self.define_tags();
    }

    fn define_tags(&mut self) {
        for (name, color) in text::TAGS {
            let gid = self.w.alloc_gid();
            let tag = Tag {
                gid: gid.clone(),
                name: name.into(),
                color: color.map(str::to_string),
            };
            self.w.tags.insert(gid.clone(), tag);
            self.tags.push(gid);
        }
    }

    /// A portfolio owned by the token's user, holding `items` in order.
    fn portfolio(&mut self, name: &str, items: Vec<Gid>) -> Gid {
        let gid = self.w.alloc_gid();
        let portfolio = Portfolio {
            gid: gid.clone(),
            name: name.into(),
            owner: self.me.clone(),
            items,
            color: "light-green".into(),
            created_at: epoch(),
            archived: false,
        };
        self.w.portfolios.insert(gid.clone(), portfolio);
        gid
    }

    /// `t` plus a random whole number of milliseconds in `lo..=hi`.
    fn after(&mut self, t: DateTime<Utc>, lo: Duration, hi: Duration) -> DateTime<Utc> {
        let ms = self
            .rng
            .random_range(lo.num_milliseconds()..=hi.num_milliseconds());
        t + Duration::milliseconds(ms)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// A random user gid.
    fn any_user(&mut self) -> Gid {
        let i = self.rng.random_range(0..self.users.len());
        self.users[i].clone()
    }

    /// Up to `n` distinct random picks from `pool`, in pool order.
    fn some_of(&mut self, pool: &[Gid], n: usize) -> Vec<Gid> {
        let mut picked: Vec<usize> = (0..pool.len()).collect();
        for i in (1..picked.len()).rev() {
            let j = self.rng.random_range(0..=i);
            picked.swap(i, j);
        }
        picked.truncate(n);
        picked.sort_unstable();
        picked.into_iter().map(|i| pool[i].clone()).collect()
    }
}
