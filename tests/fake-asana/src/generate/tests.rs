//! Unit tests of the generator: determinism, preset shapes, edge cases and
//! referential integrity of the generated worlds.

use std::collections::BTreeSet;

use super::{Preset, generate};
use crate::world::{FieldValue, Gid, Task, World};

const TOKEN: &str = "test-token";

fn custom(projects: usize, tasks_per_project: usize) -> World {
    generate(
        &Preset::Custom {
            projects,
            tasks_per_project,
        },
        42,
        TOKEN,
    )
}

fn main_projects(w: &World) -> Vec<Gid> {
    w.portfolios[&w.main_portfolio]
        .items
        .iter()
        .filter(|i| w.projects.contains_key(*i))
        .cloned()
        .collect()
}

fn in_order(w: &World, project: &Gid, task: &Gid) -> bool {
    w.projects[project].task_order.contains(task)
}

fn depth(w: &World, t: &Task) -> usize {
    t.parent.as_ref().map_or(0, |p| 1 + depth(w, &w.tasks[p]))
}

#[test]
fn same_seed_gives_the_same_world_and_another_seed_another() {
    for preset in [
        Preset::Seed,
        Preset::Custom {
            projects: 3,
            tasks_per_project: 40,
        },
    ] {
        let a = format!("{:?}", generate(&preset, 7, TOKEN));
        let b = format!("{:?}", generate(&preset, 7, TOKEN));
        let c = format!("{:?}", generate(&preset, 8, TOKEN));
        assert_eq!(a, b, "{preset:?}");
        assert_ne!(a, c, "{preset:?}");
    }
}

#[test]
fn seed_preset_has_the_three_projects_of_the_old_tool() {
    let w = generate(&Preset::Seed, 1, TOKEN);
    let items = &w.portfolios[&w.main_portfolio].items;
    let shape: Vec<(String, usize, bool)> = items
        .iter()
        .map(|p| {
            let p = &w.projects[p];
            (p.name.clone(), p.task_order.len(), p.archived)
        })
        .collect();
    let want = [("Aegis", 37), ("Triptic", 2), ("Agents", 0)];
    let want: Vec<_> = want
        .iter()
        .map(|(n, c)| (n.to_string(), *c, false))
        .collect();
    assert_eq!(shape, want);
    assert_eq!(w.portfolios.len(), 1, "no nested portfolio in Seed");
    assert_eq!(w.projects.len(), 3);
    let aegis = &w.projects[&items[0]];
    assert!(!aegis.custom_field_settings.is_empty());
    let subtasks = w.tasks.values().filter(|t| t.parent.is_some()).count();
    assert_eq!(subtasks, 2);
    assert_eq!(w.tasks.len(), 37 + 2 + 2);
    assert_eq!(w.tokens[TOKEN], w.portfolios[&w.main_portfolio].owner);
    assert!(w.events.is_empty());
}

#[test]
fn demo_preset_is_eight_projects_of_150_with_one_archived() {
    let w = generate(&Preset::Demo, 3, TOKEN);
    let projects = main_projects(&w);
    assert_eq!(projects.len(), 8);
    let archived: Vec<_> = projects
        .iter()
        .filter(|p| w.projects[*p].archived)
        .collect();
    assert_eq!(archived.len(), 1);
    let tops = |p: &Gid| {
        let pr = &w.projects[p];
        let own =
            |t: &&Gid| w.tasks[*t].parent.is_none() && w.tasks[*t].memberships[0].project == *p;
        pr.task_order.iter().filter(own).count()
    };
    assert!(projects.iter().all(|p| tops(p) == 150));
}

#[test]
fn every_custom_field_subtype_is_defined_and_both_set_and_unset() {
    let w = custom(3, 200);
    let subtypes: BTreeSet<&str> = w
        .custom_fields
        .values()
        .map(|d| d.resource_subtype.as_str())
        .collect();
    let want = ["date", "enum", "multi_enum", "number", "people", "text"];
    assert_eq!(subtypes, want.into_iter().collect());
    let formats: BTreeSet<_> = w
        .custom_fields
        .values()
        .filter_map(|d| d.format.as_deref())
        .collect();
    assert!(formats.contains("currency") && formats.contains("percentage"));
    let enums = w
        .custom_fields
        .values()
        .filter(|d| d.resource_subtype == "enum");
    assert!(enums.flat_map(|d| &d.enum_options).any(|o| !o.enabled));
    let values: Vec<&FieldValue> = w
        .tasks
        .values()
        .flat_map(|t| t.custom_values.iter().map(|v| &v.value))
        .collect();
    let set = |v: &&FieldValue| match v {
        FieldValue::Text(x) => x.is_some(),
        FieldValue::Number(x) => x.is_some(),
        FieldValue::Enum(x) => x.is_some(),
        FieldValue::MultiEnum(x) | FieldValue::People(x) => !x.is_empty(),
        FieldValue::Date(x) => x.is_some(),
    };
    for kind in 0..6 {
        let of_kind: Vec<_> = values.iter().filter(|v| kind_of(v) == kind).collect();
        assert!(of_kind.iter().any(|v| set(v)), "kind {kind} never set");
        assert!(of_kind.iter().any(|v| !set(v)), "kind {kind} never unset");
    }
    let timed = values
        .iter()
        .any(|v| matches!(v, FieldValue::Date(Some(d)) if d.date_time.is_some()));
    assert!(timed, "a date value with date_time");
}

fn kind_of(v: &FieldValue) -> usize {
    match v {
        FieldValue::Text(_) => 0,
        FieldValue::Number(_) => 1,
        FieldValue::Enum(_) => 2,
        FieldValue::MultiEnum(_) => 3,
        FieldValue::Date(_) => 4,
        FieldValue::People(_) => 5,
    }
}

#[test]
fn a_task_has_notes_over_64_kb_with_escaped_html_notes() {
    let w = custom(2, 30);
    let t = w
        .tasks
        .values()
        .find(|t| t.notes.len() > 65_536)
        .expect("huge notes");
    assert!(t.notes.chars().count() > 65_536);
    assert!(t.html_notes.starts_with("<body>") && t.html_notes.ends_with("</body>"));
    let inner = &t.html_notes[6..t.html_notes.len() - 7];
    assert!(!inner.contains('<') && !inner.contains('"'));
    assert!(inner.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;"));
}

#[test]
fn a_task_and_a_subtask_are_multi_homed() {
    let w = custom(3, 20);
    let multi = |t: &&Task| t.memberships.len() >= 2 && t.parent.is_none();
    let t = w.tasks.values().find(multi).expect("multi-homed task");
    assert!(
        t.memberships
            .iter()
            .all(|m| in_order(&w, &m.project, &t.gid))
    );
    let sub = w
        .tasks
        .values()
        .find(|t| t.parent.is_some() && !t.memberships.is_empty());
    let sub = sub.expect("multi-homed subtask");
    assert!(in_order(&w, &sub.memberships[0].project, &sub.gid));
    let settings = &w.projects[&sub.memberships[0].project].custom_field_settings;
    assert_eq!(sub.custom_values.len(), settings.len());
}

#[test]
fn subtasks_go_two_levels_deep_and_stay_out_of_projects() {
    let w = custom(2, 50);
    assert!(w.tasks.values().any(|t| depth(&w, t) == 2));
    for t in w.tasks.values().filter(|t| t.parent.is_some()) {
        let parent = &w.tasks[t.parent.as_ref().unwrap()];
        assert!(parent.subtasks.contains(&t.gid));
        for p in w.projects.values() {
            let member = t.memberships.iter().any(|m| m.project == p.gid);
            assert_eq!(p.task_order.contains(&t.gid), member);
        }
        if t.memberships.is_empty() {
            assert!(t.custom_values.is_empty());
        }
    }
    let parents = w
        .tasks
        .values()
        .filter(|t| t.parent.is_none() && !t.subtasks.is_empty());
    let share = parents.count() as f64 / 100.0;
    assert!((0.03..0.25).contains(&share), "share of parents {share}");
}

#[test]
fn the_nested_portfolio_holds_a_project_and_cycles_back() {
    let w = custom(3, 5);
    let main = &w.portfolios[&w.main_portfolio];
    let nested: Vec<_> = main
        .items
        .iter()
        .filter(|i| w.portfolios.contains_key(*i))
        .collect();
    assert_eq!(nested.len(), 1);
    let nested = &w.portfolios[nested[0]];
    assert!(nested.items.contains(&main.gid), "cycle");
    let own: Vec<_> = nested
        .items
        .iter()
        .filter(|i| w.projects.contains_key(*i))
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(
        w.projects[own[0]].task_order.len(),
        super::NESTED_PROJECT_TASKS
    );
    assert_eq!(main_projects(&w).len(), 3);
}

#[test]
fn the_last_project_is_archived_when_there_are_two_or_more() {
    let w = custom(5, 3);
    let archived: Vec<_> = main_projects(&w)
        .into_iter()
        .map(|p| w.projects[&p].archived)
        .collect();
    assert_eq!(archived, [false, false, false, false, true]);
    let w = custom(1, 3);
    assert!(w.projects.values().all(|p| !p.archived));
}

#[test]
fn edge_cases_are_present() {
    let w = custom(3, 20);
    let any = |f: &dyn Fn(&Task) -> bool| w.tasks.values().any(f);
    for name in super::text::UNICODE_NAMES {
        assert!(any(&|t| t.name == name), "{name}");
    }
    assert!(any(&|t| t.assignee.is_none()
        && t.due_on.is_none()
        && t.due_at.is_none()));
    assert!(any(&|t| t.due_at.is_some() && t.start_on.is_some()));
    assert!(any(&|t| t.due_on.is_some() && t.start_on.is_some()));
    assert!(any(&|t| t.completed && t.completed_by.is_some()));
    assert!(any(&|t| t.resource_subtype == "milestone"));
    assert!(any(
        &|t| t.resource_subtype == "approval" && t.approval_status.is_some()
    ));
    assert!(any(&|t| t.tags.len() >= 3 && t.followers.len() >= 3));
    assert!(w.events.is_empty());
}

#[test]
fn gids_are_unique_digit_strings() {
    let w = custom(4, 60);
    let mut all: Vec<&Gid> = vec![&w.workspace.gid];
    all.extend(
        w.teams
            .keys()
            .chain(w.users.keys())
            .chain(w.portfolios.keys()),
    );
    all.extend(
        w.projects
            .keys()
            .chain(w.sections.keys())
            .chain(w.tasks.keys()),
    );
    all.extend(w.tags.keys().chain(w.custom_fields.keys()));
    all.extend(
        w.custom_fields
            .values()
            .flat_map(|d| d.enum_options.iter().map(|o| &o.gid)),
    );
    let unique: BTreeSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
    assert!(
        all.iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
    );
    assert!(w.tasks.iter().all(|(k, t)| *k == t.gid));
}

#[test]
fn every_referenced_gid_exists() {
    let w = custom(4, 80);
    for t in w.tasks.values() {
        check_task_refs(&w, t);
    }
    for p in w.projects.values() {
        assert!(w.teams.contains_key(&p.team));
        assert!(p.owner.iter().all(|o| w.users.contains_key(o)));
        assert!(p.sections.iter().all(|s| w.sections[s].project == p.gid));
        assert!(
            p.custom_field_settings
                .iter()
                .all(|f| w.custom_fields.contains_key(f))
        );
        let unique: BTreeSet<_> = p.task_order.iter().collect();
        assert_eq!(unique.len(), p.task_order.len());
    }
    for p in w.portfolios.values() {
        assert!(w.users.contains_key(&p.owner));
        let exists = |i: &Gid| w.projects.contains_key(i) || w.portfolios.contains_key(i);
        assert!(p.items.iter().all(exists));
    }
    assert!(w.tokens.values().all(|u| w.users.contains_key(u)));
}

fn check_task_refs(w: &World, t: &Task) {
    let user = |u: &Gid| w.users.contains_key(u);
    assert!(
        t.assignee
            .iter()
            .chain(&t.completed_by)
            .chain(&t.created_by)
            .all(user)
    );
    assert!(t.followers.iter().all(user));
    assert!(t.tags.iter().all(|g| w.tags.contains_key(g)));
    assert!(
        t.subtasks
            .iter()
            .all(|s| w.tasks[s].parent.as_ref() == Some(&t.gid))
    );
    let mut enabled = Vec::new();
    for m in &t.memberships {
        let p = &w.projects[&m.project];
        assert!(p.task_order.contains(&t.gid));
        let s = m.section.as_ref().expect("section");
        assert!(p.sections.contains(s));
        enabled.extend(p.custom_field_settings.iter().cloned());
    }
    let fields: Vec<_> = t.custom_values.iter().map(|v| v.field.clone()).collect();
    let mut want: Vec<_> = Vec::new();
    for f in enabled {
        if !want.contains(&f) {
            want.push(f);
        }
    }
    assert_eq!(fields, want, "one value per field of the task's projects");
    for v in &t.custom_values {
        let def = &w.custom_fields[&v.field];
        let option = |o: &Gid| def.enum_options.iter().any(|e| e.gid == *o);
        match &v.value {
            FieldValue::Enum(o) => assert!(o.iter().all(option)),
            FieldValue::MultiEnum(os) => assert!(os.iter().all(option)),
            FieldValue::People(us) => assert!(us.iter().all(user)),
            _ => {}
        }
    }
}

#[test]
fn timestamps_are_whole_milliseconds_and_ordered() {
    let w = custom(3, 100);
    let whole =
        |t: &chrono::DateTime<chrono::Utc>| t.timestamp_subsec_nanos().is_multiple_of(1_000_000);
    for t in w.tasks.values() {
        assert!(whole(&t.created_at) && whole(&t.modified_at));
        assert!(t.modified_at >= t.created_at);
        assert_eq!(t.completed, t.completed_at.is_some());
        assert_eq!(t.completed, t.completed_by.is_some());
        if let Some(c) = t.completed_at {
            assert!(whole(&c) && c > t.created_at && c <= t.modified_at);
        }
        assert!(t.due_on.is_none() || t.due_at.is_none());
        assert!(t.resource_subtype != "milestone" || t.start_on.is_none());
        assert_eq!(
            t.resource_subtype == "approval",
            t.approval_status.is_some()
        );
    }
    for p in w.projects.values() {
        assert!(whole(&p.created_at) && p.modified_at >= p.created_at);
    }
}

#[test]
fn tiny_sizes_do_not_panic() {
    for (p, t) in [(0, 0), (1, 0), (1, 1), (2, 3), (0, 5)] {
        let w = custom(p, t);
        assert_eq!(main_projects(&w).len(), p);
    }
}

#[test]
fn a_large_custom_world_builds() {
    let w = custom(20, 5000);
    let projects = main_projects(&w);
    assert_eq!(projects.len(), 20);
    let top = w.tasks.values().filter(|t| t.parent.is_none()).count();
    assert_eq!(top, 20 * 5000 + super::NESTED_PROJECT_TASKS);
}
