//! The overview (`/`): jobs per kind and state, what ended in the last
//! hour, the token's budget, the live workers and the purge form.

use std::time::Duration;

use axum::extract::State;
use chrono::Utc;
use maud::{Markup, html};

use super::{
    DashboardState,
    format::{age, kind, when, when_opt},
    layout::{Page, PageResult},
};
use crate::{
    health::{self, BudgetState},
    queue::{self, JobState, QueueStats, Throughput, WorkerRow},
};

/// The window of the throughput figures.
const THROUGHPUT_WINDOW: Duration = Duration::from_secs(3600);

/// `GET /`.
pub(super) async fn page(State(state): State<DashboardState>, page: Page) -> PageResult {
    let (pool, queues) = (state.pool(), state.queues());
    let stats = queue::stats(pool, queues).await?;
    let paused = queue::paused(pool, queues).await?;
    let throughput = queue::throughput(pool, queues, THROUGHPUT_WINDOW).await?;
    let budgets = health::budgets(pool).await?;
    let workers = queue::workers(pool, queues).await?;
    let now = Utc::now();
    let body = html! {
        (totals(&stats))
        h2 { "Jobs per kind and state" }
        (stats_table(&page, &state, &stats, &paused))
        h2 { "Throughput (last hour)" }
        (throughput_table(&state, &throughput))
        h2 { "Asana budget" }
        (budget_table(&budgets, now))
        h2 { "Live workers" }
        (workers_table(&state, &workers))
        @if page.can_act() {
            h2 { "Purge" }
            (page.form("/purge", "Purge done jobs", html! {
                label { "finished more than " input name="older_than" value="7d" size="5"; " ago (30m, 12h, 7d)" }
            }))
        }
    };
    Ok(page.render("Overview", body))
}

fn totals(stats: &[QueueStats]) -> Markup {
    let sum = |f: fn(&QueueStats) -> i64| stats.iter().map(f).sum::<i64>();
    let cards = [
        ("pending", sum(|s| s.pending)),
        ("running", sum(|s| s.running)),
        ("retrying", sum(|s| s.retrying)),
        ("dead", sum(|s| s.dead)),
    ];
    html! {
        div.cards {
            @for (label, n) in cards {
                div.card #{ "total-" (label) } { div.n { (n) } div.l { (label) " jobs" } }
            }
        }
    }
}

fn stats_table(
    page: &Page,
    state: &DashboardState,
    stats: &[QueueStats],
    paused: &[queue::Pause],
) -> Markup {
    html! {
        table #stats {
            thead { tr {
                th { "kind" }
                @for s in JobState::ALL { th.num { (s.as_str()) } }
                th { "oldest pending" } th { "paused" } th {}
            } }
            tbody { @for s in stats {
                @let short = kind(state.queues(), &s.kind);
                @let is_paused = paused.iter().any(|p| p.kind == s.kind);
                tr data-kind=(short) {
                    td { (short) }
                    @for (n, st) in [s.pending, s.scheduled, s.running, s.retrying, s.done, s.dead, s.cancelled].into_iter().zip(JobState::ALL) {
                        td.num { a href={ "/jobs?state=" (st.as_str()) "&kind=" (short) } { (n) } }
                    }
                    td { (s.oldest_pending_age_secs.map_or_else(|| "-".to_owned(), age)) }
                    td { @if is_paused { span.badge.paused { "paused" } } @else { "no" } }
                    td {
                        @if is_paused { (page.action(&format!("/kinds/{short}/resume"), "Resume")) }
                        @else { (page.action(&format!("/kinds/{short}/pause"), "Pause")) }
                    }
                }
            } }
        }
    }
}

fn throughput_table(state: &DashboardState, rows: &[Throughput]) -> Markup {
    html! {
        table #throughput {
            thead { tr { th { "kind" } th.num { "done" } th.num { "dead" } th.num { "done per minute" } } }
            tbody { @for t in rows {
                tr { td { (kind(state.queues(), &t.kind)) } td.num { (t.done) } td.num { (t.dead) }
                     td.num { (format!("{:.2}", t.done as f64 / 60.0)) } }
            } }
        }
    }
}

fn budget_table(budgets: &[BudgetState], now: chrono::DateTime<Utc>) -> Markup {
    if budgets.is_empty() {
        return html! { p.muted #budget { "No budget recorded yet: no worker has sent a request." } };
    }
    html! {
        table #budget {
            thead { tr { th { "token" } th { "next slot" } th { "paused until" } th { "circuit" } th.num { "failures in a row" } th { "next probe" } th { "updated" } } }
            tbody { @for b in budgets {
                tr {
                    td.mono { (b.key) }
                    td { @if b.next_slot_in_ms == 0 { "now" } @else { "in " (b.next_slot_in_ms) " ms" } }
                    td { (when_opt(b.paused_until, now)) }
                    td { span class={ "badge " (b.circuit) } { (b.circuit) } }
                    td.num { (b.failures) }
                    td { (when_opt(b.probe_at, now)) }
                    td { (when(b.updated_at, now)) }
                }
            } }
        }
    }
}

fn workers_table(state: &DashboardState, workers: &[WorkerRow]) -> Markup {
    if workers.is_empty() {
        return html! { p.muted #workers { "No live worker (none seen in the last 10 minutes)." } };
    }
    html! {
        table #workers {
            thead { tr { th { "worker" } th { "process" } th { "kind" } th { "heartbeat" } th.num { "in hand" } th.num { "running" } th { "version" } th.num { "concurrency" } } }
            tbody { @for w in workers {
                tr {
                    td.mono { (w.id) } td.mono { (w.process) } td { (kind(state.queues(), &w.kind)) }
                    td { (age(w.heartbeat_age_secs)) " ago" }
                    td.num { (w.jobs_in_hand) } td.num { (w.running) }
                    td { (w.version.as_deref().unwrap_or("-")) }
                    td.num { (w.concurrency.map_or_else(|| "-".to_owned(), |c| c.to_string())) }
                }
            } }
        }
    }
}
