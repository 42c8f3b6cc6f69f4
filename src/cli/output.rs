//! What the commands print on stdout: tables (box-drawn on a terminal,
//! plain ASCII otherwise), JSON for `--json`, and the formatting of times,
//! durations and a run's figures shared by `sync` and `runs`.

use std::io::{self, IsTerminal};

use chrono::{DateTime, Utc};
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, presets};
use serde::Serialize;

use super::out::outln;
use crate::runs::{ProjectResult, Run, RunStatus};

/// A table with `header`; columns from `numeric_from` on are right-aligned.
pub(super) fn table(header: &[&str], numeric_from: usize) -> Table {
    let mut table = Table::new();
    // Never wrap cells: a run id or a timestamp split over lines is unreadable.
    table.set_content_arrangement(ContentArrangement::Disabled);
    if io::stdout().is_terminal() {
        table.load_style(presets::UTF8_FULL_CONDENSED);
    } else {
        table.load_style(presets::ASCII_MARKDOWN);
    }
    table.set_header(header.to_vec());
    for column in table.column_iter_mut().skip(numeric_from) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    table
}

/// Prints `value` as pretty JSON on stdout.
pub(super) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

/// A timestamp for a table: RFC 3339 to the second, or `never`.
pub(super) fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "never".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Milliseconds as seconds with one decimal, e.g. `1.5s`.
pub(super) fn seconds(ms: i64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The per-project figures of a run, one row per project, in 80 columns:
/// no rules but the header's, names clipped to 20 characters. `wait` is
/// every wait: the rate budget's pacing and 429s or retries.
pub(super) fn project_results(results: &[ProjectResult]) -> Table {
    let header = [
        "project", "status", "mode", "new", "updated", "same", "moved", "deleted", "req", "429s",
        "wait",
    ];
    let mut table = table(&header, 3);
    // No rules but the header's: the columns are spaces apart.
    let rule = if io::stdout().is_terminal() {
        '─'
    } else {
        '-'
    };
    table
        .load_style(presets::NOTHING.header_separator(LineStyle::none().fill(rule).junction(rule)));
    for column in table.column_iter_mut() {
        column.set_padding((0, 0));
    }
    for r in results {
        let t = &r.tasks;
        table.add_row(vec![
            clip(&r.project_name, 20),
            r.status.to_string(),
            r.mode.clone().unwrap_or_else(|| "-".to_owned()),
            t.tasks_created.to_string(),
            t.tasks_updated.to_string(),
            t.tasks_unchanged.to_string(),
            t.tasks_removed.to_string(),
            t.tasks_deleted.to_string(),
            r.requests.api_requests.to_string(),
            r.requests.rate_limited.to_string(),
            seconds(r.requests.waited_ms + r.requests.paced_ms),
        ]);
    }
    table
}

/// At most `max` characters of `name`, with `…` when cut.
pub(super) fn clip(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let mut cut: String = name.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// How long a run took, or where it stands while it is open.
pub(super) fn took(run: &Run) -> String {
    match (run.finished_at, run.status) {
        (Some(end), _) => seconds((end - run.started_at).num_milliseconds()),
        (None, RunStatus::Queued) => "not started".to_owned(),
        (None, _) => "still running".to_owned(),
    }
}

/// A run in a few lines of at most 80 columns: id, status, mode, how far
/// its projects got (when known); then its project, request and task
/// figures, and its error.
pub(super) fn run_line(run: &Run, progress: Option<&str>) -> String {
    let took = took(run);
    let progress = progress
        .filter(|p| *p != "-")
        .map(|p| format!(", project tasks {p}"))
        .unwrap_or_default();
    let mut lines = vec![
        format!(
            "run {} {} ({} {}, {took}{progress})",
            run.id, run.status, run.origin, run.mode
        ),
        format!(
            "  projects: {} created, {} updated, {} unchanged, {} removed",
            run.projects_created,
            run.projects_updated,
            run.projects_unchanged,
            run.projects_removed
        ),
        format!(
            "  requests: {} ({} pages), {} 429s",
            run.requests.api_requests, run.requests.pages, run.requests.rate_limited,
        ),
        format!(
            "  waited: {} (rate budget {}, 429s and retries {})",
            seconds(run.requests.waited_ms + run.requests.paced_ms),
            seconds(run.requests.paced_ms),
            seconds(run.requests.waited_ms),
        ),
    ];
    if run.progress.total > 0 {
        let t = &run.tasks;
        lines.push(format!(
            "  tasks: {} created, {} updated, {} unchanged, {} removed, {} deleted",
            t.tasks_created, t.tasks_updated, t.tasks_unchanged, t.tasks_removed, t.tasks_deleted
        ));
    }
    if let Some(error) = &run.error {
        lines.push(format!("  error: {}", super::one_line(error)));
    }
    lines.join("\n")
}
