//! The jobs (`/jobs?state=&kind=&project=`) and one job (`/jobs/{id}`):
//! payload, attempts, next run, last error, and the actions its state
//! allows (retry a dead job; cancel an unfinished one; run a waiting one
//! now).

use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    DashboardState,
    format::{clip, kind, when, when_opt},
    layout::{Page, PageError, PageResult},
};
use crate::queue::{self, JobFilter, JobState, JobSummary};

/// How many jobs a listing shows.
const LIMIT: i64 = 200;

/// `?state=&kind=&project=` (empty means any).
#[derive(Debug, Default, Deserialize)]
pub(super) struct JobsQuery {
    state: Option<String>,
    kind: Option<String>,
    project: Option<String>,
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `GET /jobs`.
pub(super) async fn list(
    State(state): State<DashboardState>,
    page: Page,
    Query(query): Query<JobsQuery>,
) -> PageResult {
    let wanted = match nonempty(&query.state)
        .map(str::parse::<JobState>)
        .transpose()
    {
        Ok(wanted) => wanted,
        Err(e) => return Err(PageError::BadRequest(e.to_string())),
    };
    let filter = JobFilter {
        state: wanted,
        kind: nonempty(&query.kind),
        project: nonempty(&query.project),
    };
    let jobs = queue::list_filtered(state.pool(), state.queues(), &filter, LIMIT).await?;
    let now = Utc::now();
    let body = html! {
        (filters(&state, &filter))
        @if jobs.is_empty() { p.muted #jobs { "No jobs match." } }
        @else {
            table #jobs {
                thead { tr {
                    th { "job" } th { "kind" } th { "state" } th.num { "attempts" } th { "run at" } th { "project" }
                    th { "worker" } th { "last error" } th {}
                } }
                tbody { @for job in &jobs { (row(&page, &state, job, now)) } }
            }
            @if jobs.len() as i64 == LIMIT { p.muted { "The newest " (LIMIT) " are shown." } }
        }
    };
    Ok(page.render("Jobs", body))
}

fn filters(state: &DashboardState, filter: &JobFilter<'_>) -> Markup {
    let kinds: Vec<String> = state
        .queues()
        .all()
        .iter()
        .map(|q| kind(state.queues(), q))
        .collect();
    html! {
        form.filters method="get" action="/jobs" {
            label { "state " select name="state" {
                option value="" { "any" }
                @for s in JobState::ALL { option value=(s.as_str()) selected[filter.state == Some(s)] { (s.as_str()) } }
            } }
            label { "kind " select name="kind" {
                option value="" { "any" }
                @for k in &kinds { option value=(k) selected[filter.kind == Some(k.as_str())] { (k) } }
            } }
            label { "project gid " input name="project" value=(filter.project.unwrap_or_default()) size="18"; }
            button type="submit" { "Filter" }
        }
    }
}

fn row(page: &Page, state: &DashboardState, job: &JobSummary, now: DateTime<Utc>) -> Markup {
    html! {
        tr data-job=(job.id) data-state=(job.state.as_str()) {
            td.mono { a href={ "/jobs/" (job.id) } { (job.id) } }
            td { (kind(state.queues(), &job.kind)) }
            td { span class={ "badge " (job.state.as_str()) } { (job.state.as_str()) } }
            td.num { (job.attempts) "/" (job.max_attempts) }
            td { (when(job.run_at, now)) }
            td.mono { (job.payload.project.as_deref().unwrap_or("-")) }
            td.mono { (job.lock_by.as_deref().unwrap_or("-")) }
            td { @if let Some(e) = &job.last_error { span title=(e) { (clip(e, 70)) } } }
            td { (buttons(page, &job.id, job.state)) }
        }
    }
}

/// The actions a job in `state` allows.
fn buttons(page: &Page, id: &str, state: JobState) -> Markup {
    html! {
        @if state == JobState::Dead { (page.action(&format!("/jobs/{id}/retry"), "Retry")) }
        @if matches!(state, JobState::Scheduled | JobState::Retrying) { (page.action(&format!("/jobs/{id}/run-now"), "Run now")) }
        @if matches!(state, JobState::Pending | JobState::Scheduled | JobState::Retrying | JobState::Running) {
            (page.action(&format!("/jobs/{id}/cancel"), "Cancel"))
        }
    }
}

/// `GET /jobs/{id}`.
pub(super) async fn detail(
    State(state): State<DashboardState>,
    page: Page,
    Path(id): Path<String>,
) -> PageResult {
    let job = queue::show(state.pool(), state.queues(), &id)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("No aegis job {id}.")))?;
    let now = Utc::now();
    let next = match job.state {
        JobState::Pending | JobState::Scheduled | JobState::Retrying => "next run",
        _ => "run at",
    };
    let payload = serde_json::to_string_pretty(&job.payload).unwrap_or_default();
    let body = html! {
        dl #job {
            dt { "kind" } dd { (kind(state.queues(), &job.kind)) }
            dt { "state" } dd { span class={ "badge " (job.state.as_str()) } { (job.state.as_str()) } " " span.muted { "(apalis status " (job.status) ")" } }
            dt { "attempts" } dd { (job.attempts) " of " (job.max_attempts) }
            dt { (next) } dd { (when(job.run_at, now)) }
            dt { "worker" } dd.mono { (job.lock_by.as_deref().unwrap_or("-")) " " (when_opt(job.lock_at, now)) }
            dt { "finished" } dd { (when_opt(job.done_at, now)) }
            dt { "run" } dd.mono { @if let Some(run) = job.summary.run { a href={ "/runs/" (run) } { (run) } } @else { "-" } }
            dt { "project" } dd.mono { (job.summary.project.as_deref().unwrap_or("-")) }
            dt { "priority" } dd { (job.priority) }
            dt { "idempotency key" } dd.mono { (job.idempotency_key.as_deref().unwrap_or("-")) }
            dt { "last error" } dd #last-error { (job.last_error.as_deref().unwrap_or("-")) }
        }
        p #job-actions { (buttons(&page, &job.id, job.state)) }
        h2 { "Payload" }
        pre #payload { (payload) }
    };
    Ok(page.render(&format!("Job {}", job.id), body))
}
