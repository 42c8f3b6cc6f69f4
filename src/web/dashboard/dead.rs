//! The dead letters (`/dead`), grouped by why they died
//! ([`crate::queue::DeadReason`]: 401 token, 403/404 access, decode,
//! exhausted, other), each group with "retry this group".

use axum::extract::State;
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::{
    DashboardState,
    format::{clip, kind, when_opt},
    layout::{Page, PageResult},
};
use crate::queue::{self, DeadLetter, DeadReason};

/// How many dead jobs the page reads.
const LIMIT: i64 = 1000;

/// `GET /dead`.
pub(super) async fn page(State(state): State<DashboardState>, page: Page) -> PageResult {
    let dead = queue::dead_letters(state.pool(), state.queues(), LIMIT).await?;
    let now = Utc::now();
    let body = html! {
        @if dead.is_empty() { p.muted #dead { "No dead jobs." } }
        @else {
            table #dead-groups {
                thead { tr { th { "group" } th { "why" } th.num { "jobs" } th {} } }
                tbody { @for reason in DeadReason::ALL {
                    @let n = dead.iter().filter(|d| d.reason == reason).count();
                    @if n > 0 {
                        tr data-reason=(reason.as_str()) {
                            td { a href={ "#" (reason.as_str()) } { (reason.as_str()) } }
                            td { (reason.describe()) } td.num { (n) }
                            td { @if page.can_act() {
                                (page.form("/dead/retry", "Retry this group", html! {
                                    input type="hidden" name="reason" value=(reason.as_str());
                                }))
                            } }
                        }
                    }
                } }
            }
            @for reason in DeadReason::ALL { (group(&page, &state, &dead, reason, now)) }
        }
    };
    Ok(page.render("Dead letters", body))
}

fn group(
    page: &Page,
    state: &DashboardState,
    dead: &[DeadLetter],
    reason: DeadReason,
    now: DateTime<Utc>,
) -> Markup {
    let jobs: Vec<&DeadLetter> = dead.iter().filter(|d| d.reason == reason).collect();
    if jobs.is_empty() {
        return html! {};
    }
    html! {
        h2 id=(reason.as_str()) { (reason.as_str()) ": " (reason.describe()) }
        table.dead data-reason=(reason.as_str()) {
            thead { tr { th { "job" } th { "kind" } th { "project" } th.num { "attempts" } th { "died" } th { "last error" } th {} } }
            tbody { @for d in jobs {
                @let job = &d.job;
                tr data-job=(job.id) {
                    td.mono { a href={ "/jobs/" (job.id) } { (job.id) } }
                    td { (kind(state.queues(), &job.kind)) }
                    td.mono { (job.payload.project.as_deref().unwrap_or("-")) }
                    td.num { (job.attempts) "/" (job.max_attempts) }
                    td { (when_opt(job.done_at, now)) }
                    td { @if let Some(e) = &job.last_error { span title=(e) { (clip(e, 90)) } } }
                    td { (page.action(&format!("/jobs/{}/retry", job.id), "Retry")) }
                }
            } }
        }
    }
}
