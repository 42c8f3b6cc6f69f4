//! The projects (`/projects`): per project its freshness, how its next sync
//! reads Asana and why, its last error, its dead jobs and its events
//! token's age ([`crate::health::projects`]). Sorted by `?sort=`: `stale`
//! (the default: active projects never synced, then the oldest), `name`,
//! `dead` (most dead jobs first) or `token` (oldest events token first).

use std::cmp::Reverse;

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    DashboardState,
    format::{age, clip},
    layout::{Page, PageResult},
};
use crate::health::{self, ProjectHealth, ProjectState, SyncMode};

/// `?sort=`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ProjectsQuery {
    sort: Option<String>,
}

const SORTS: [(&str, &str); 4] = [
    ("stale", "stale first"),
    ("name", "name"),
    ("dead", "dead jobs"),
    ("token", "events token age"),
];

/// `GET /projects`.
pub(super) async fn page(
    State(state): State<DashboardState>,
    page: Page,
    Query(query): Query<ProjectsQuery>,
) -> PageResult {
    let mut projects = health::projects(state.pool(), state.queues()).await?;
    let sort = query
        .sort
        .as_deref()
        .filter(|s| SORTS.iter().any(|(k, _)| k == s))
        .unwrap_or("stale");
    sort_by(&mut projects, sort);
    let body = html! {
        p.muted {
            "Sort by: "
            @for (key, label) in SORTS {
                @if key == sort { strong { (label) } } @else { a href={ "/projects?sort=" (key) } { (label) } }
                " "
            }
        }
        @if projects.is_empty() { p.muted #projects { "No project yet: no portfolio sync has run." } }
        @else { (table(&projects)) }
    };
    Ok(page.render("Projects", body))
}

fn sort_by(projects: &mut [ProjectHealth], sort: &str) {
    match sort {
        "name" => projects.sort_by(|a, b| a.status.name.cmp(&b.status.name)),
        "dead" => projects.sort_by_key(|p| (Reverse(p.dead_jobs), p.status.name.clone())),
        "token" => projects.sort_by_key(|p| {
            (
                p.events_token_age_secs.is_some(),
                Reverse(p.events_token_age_secs),
                p.status.name.clone(),
            )
        }),
        _ => projects.sort_by_key(|p| {
            let synced = p.state != ProjectState::Active;
            (
                synced,
                p.status.age_secs.is_some(),
                Reverse(p.status.age_secs),
                p.status.name.clone(),
            )
        }),
    }
}

fn table(projects: &[ProjectHealth]) -> Markup {
    html! {
        table #projects {
            thead { tr {
                th { "project" } th { "state" } th { "tasks synced" } th.num { "tasks" } th { "next sync" }
                th { "last error" } th.num { "dead jobs" } th { "events token" }
            } }
            tbody { @for p in projects { (row(p)) } }
        }
    }
}

fn row(p: &ProjectHealth) -> Markup {
    let s = &p.status;
    let state = match p.state {
        ProjectState::Active => "active",
        ProjectState::Archived => "archived",
        ProjectState::Removed => "removed",
    };
    let mode = p.mode.map(|m| match m {
        SyncMode::Events => "events",
        SyncMode::Crawl => "crawl",
    });
    let error = p.last_attempt.as_ref().and_then(|a| a.error.as_deref());
    html! {
        tr data-gid=(s.asana_gid) {
            td { (s.name) br; span.muted.mono { (s.asana_gid) } }
            td { span class={ "badge " (state) } { (state) } }
            td { @match s.age_secs { Some(secs) => { (age(secs)) " ago" }, None => span.badge.stale { "never" } } }
            td.num { (s.tasks) }
            td title=(p.mode_reason) {
                @if let Some(mode) = mode { span class={ "badge " (mode) } { (mode) } " " }
                span.muted { (p.mode_reason) }
            }
            td { @if let Some(e) = error { span title=(e) { (clip(e, 90)) } } @else { span.muted { "-" } } }
            td.num { @if p.dead_jobs > 0 { a href={ "/jobs?state=dead&project=" (s.asana_gid) } { (p.dead_jobs) } } @else { "0" } }
            td { (p.events_token_age_secs.map_or_else(|| "none".to_owned(), |a| format!("{} old", age(a)))) }
        }
    }
}
