//! The runs (`/runs`) and one run (`/runs/{id}`): status, progress, and
//! requests against the run's floor ([`runs::floors`]: the fewest requests
//! that could have read what it read), the figure `aegis_run_requests_ratio`
//! exports for the last run.

use std::collections::HashMap;

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use uuid::Uuid;

use super::{
    DashboardState,
    format::{clip, when, when_opt},
    layout::{Page, PageError, PageResult},
};
use crate::runs::{self, ProjectResult, Run, RunFloor};

/// `GET /runs`.
pub(super) async fn list(State(state): State<DashboardState>, page: Page) -> PageResult {
    let runs = runs::recent(state.pool(), 50).await?;
    let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
    let floors: HashMap<Uuid, RunFloor> = runs::floors(state.pool(), &ids)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let now = Utc::now();
    let body = html! {
        @if runs.is_empty() { p.muted #runs { "No runs yet (aegis sync or aegis enqueue sync)." } }
        @else {
            table #runs {
                thead { tr {
                    th { "run" } th { "started" } th { "origin" } th { "mode" } th { "status" } th { "projects" }
                    th { "took" } th.num { "requests" } th.num { "floor" } th.num { "vs floor" } th.num { "pages" } th.num { "429s" }
                } }
                tbody { @for r in &runs { (run_row(r, floors.get(&r.id), now)) } }
            }
        }
    };
    Ok(page.render("Runs", body))
}

/// `1.23×`, or a dash without a floor.
fn versus(floor: Option<&RunFloor>) -> String {
    floor.map_or_else(|| "-".to_owned(), |f| format!("{:.2}×", f.ratio()))
}

fn run_row(r: &Run, floor: Option<&RunFloor>, now: DateTime<Utc>) -> Markup {
    let q = &r.requests;
    html! {
        tr data-run=(r.id) {
            td.mono { a href={ "/runs/" (r.id) } { (r.id.to_string()[..8]) } }
            td { (when(r.started_at, now)) }
            td { (r.origin.as_str()) } td { (r.mode) }
            td { span class={ "badge " (r.status.as_str()) } { (r.status.as_str()) } }
            td { (r.progress.describe()) }
            td { (took(r.started_at, r.finished_at)) }
            td.num { (q.api_requests) }
            td.num { @if let Some(f) = floor { (f.floor) } @else { "-" } }
            td.num { (versus(floor)) } td.num { (q.pages) }
            td.num { (q.rate_limited) }
        }
    }
}

fn took(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> String {
    end.map_or_else(
        || "-".to_owned(),
        |end| super::format::age((end - start).num_seconds()),
    )
}

/// `GET /runs/{id}`.
pub(super) async fn detail(
    State(state): State<DashboardState>,
    page: Page,
    Path(id): Path<Uuid>,
) -> PageResult {
    let run = runs::get(state.pool(), id)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("No run {id}.")))?;
    let projects = runs::projects(state.pool(), id).await?;
    let floor = runs::floors(state.pool(), &[id]).await?.pop();
    let now = Utc::now();
    let body = html! {
        (summary(&run, floor.as_ref(), now))
        @if !run.status.is_finished() { p { (page.action(&format!("/runs/{id}/cancel"), "Cancel this run")) } }
        h2 { "Projects" }
        @if projects.is_empty() { p.muted { "No project step recorded." } }
        @else { (project_table(&projects)) }
    };
    Ok(page.render(&format!("Run {}", &id.to_string()[..8]), body))
}

fn summary(r: &Run, floor: Option<&RunFloor>, now: DateTime<Utc>) -> Markup {
    let (q, t) = (&r.requests, &r.tasks);
    html! {
        dl #run {
            dt { "id" } dd.mono { (r.id) }
            dt { "status" } dd { span class={ "badge " (r.status.as_str()) } { (r.status.as_str()) } " " (r.progress.describe()) }
            dt { "origin, mode" } dd { (r.origin.as_str()) ", " (r.mode) }
            dt { "portfolio" } dd.mono { (r.portfolio_gid) }
            dt { "started" } dd { (when(r.started_at, now)) }
            dt { "finished" } dd { (when_opt(r.finished_at, now)) " (took " (took(r.started_at, r.finished_at)) ")" }
            dt { "requests" } dd #requests {
                (q.api_requests) " against a floor of "
                @if let Some(f) = floor { (f.floor) } @else { "-" }
                " (" (versus(floor)) "; the floor is the fewest requests that could read what it read: a page per 100 tasks crawled, an events read and a fetch per changed task otherwise) for " (q.pages) " pages read"
            }
            dt { "429s, waited, paced" } dd { (q.rate_limited) ", " (q.waited_ms) " ms, " (q.paced_ms) " ms" }
            dt { "tasks" } dd { (t.tasks_created) " created, " (t.tasks_updated) " updated, " (t.tasks_unchanged) " unchanged, " (t.tasks_removed) " removed, " (t.tasks_deleted) " deleted" }
            dt { "projects" } dd { (r.projects_created) " created, " (r.projects_updated) " updated, " (r.projects_unchanged) " unchanged, " (r.projects_removed) " removed" }
            @if let Some(e) = &r.error { dt { "error" } dd.error { (e) } }
        }
    }
}

fn project_table(projects: &[ProjectResult]) -> Markup {
    html! {
        table #run-projects {
            thead { tr {
                th { "project" } th { "status" } th.num { "attempts" } th { "job" } th.num { "requests" } th.num { "pages" }
                th.num { "429s" } th { "tasks +/~/=/−/✕" } th { "mode" } th { "error" }
            } }
            tbody { @for p in projects {
                @let (q, t) = (&p.requests, &p.tasks);
                tr data-gid=(p.project_gid) {
                    td { (p.project_name) br; span.muted.mono { (p.project_gid) } }
                    td { span class={ "badge " (p.status.as_str()) } { (p.status.as_str()) } }
                    td.num { (p.attempts) }
                    td.mono { @if let Some(job) = &p.job_id { a href={ "/jobs/" (job) } { (job) } } @else { "-" } }
                    td.num { (q.api_requests) } td.num { (q.pages) } td.num { (q.rate_limited) }
                    td { (t.tasks_created) " / " (t.tasks_updated) " / " (t.tasks_unchanged) " / " (t.tasks_removed) " / " (t.tasks_deleted) }
                    td { (p.mode.as_deref().unwrap_or("-")) @if let Some(why) = &p.mode_reason { br; span.muted { (why) } } }
                    td { @if let Some(e) = &p.error { span title=(e) { (clip(e, 80)) } } }
                }
            } }
        }
    }
}
