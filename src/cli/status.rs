//! `aegis status`: per project, whether it is live, archived or gone from
//! the portfolio, how old its copy is, its last attempt and error, its dead
//! jobs, how its next sync reads Asana (events or a crawl, and why) and
//! the age of its events token; then `system_state`'s last syncs. A table,
//! or JSON with `--json`. With `--max-age`, exit 1 naming every active
//! project older than that (or never synced).

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{args::StatusArgs, connect, duration, one_line, out::outln, output};
use crate::{
    config::DatabaseConfig,
    health::{self, ProjectHealth},
    store,
};

/// `aegis status --json`.
#[derive(Debug, Serialize)]
struct Status {
    projects: Vec<ProjectHealth>,
    system_state: SystemState,
    /// `--max-age` in seconds, when given.
    max_age_secs: Option<u64>,
    /// Names of the active projects older than `--max-age`.
    stale: Vec<String>,
}

/// `system_state`, as printed.
#[derive(Debug, Serialize)]
struct SystemState {
    last_portfolio_sync_at: Option<DateTime<Utc>>,
    last_tasks_sync_at: Option<DateTime<Utc>>,
}

/// Reads and prints the status.
pub(super) async fn run(database: &DatabaseConfig, args: &StatusArgs) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let projects = health::projects(&pool, &database.namespace().queues)
        .await
        .context("reading the projects failed")?;
    let state = store::state::get(&pool)
        .await
        .context("reading system_state failed")?;
    let stale = match args.max_age {
        Some(max) => projects
            .iter()
            .filter(|p| p.older_than(max))
            .map(|p| p.status.name.clone())
            .collect(),
        None => Vec::new(),
    };
    let status = Status {
        projects,
        system_state: SystemState {
            last_portfolio_sync_at: state.last_portfolio_sync_at,
            last_tasks_sync_at: state.last_tasks_sync_at,
        },
        max_age_secs: args.max_age.map(|d| d.as_secs()),
        stale,
    };
    if args.json {
        output::print_json(&status)?;
    } else {
        print_table(&status)?;
    }
    match args.max_age {
        Some(max) if !status.stale.is_empty() => Err(stale_error(&status, max)),
        _ => Ok(()),
    }
}

/// The error for `--max-age`: every stale project, with its age.
fn stale_error(status: &Status, max: Duration) -> anyhow::Error {
    let named: Vec<String> = status
        .projects
        .iter()
        .filter(|p| status.stale.contains(&p.status.name))
        .map(|p| format!("{} ({})", p.status.name, age(p.status.age_secs)))
        .collect();
    anyhow::anyhow!(
        "{} active project(s) not synced within {}: {}",
        named.len(),
        duration::format(max),
        named.join(", ")
    )
}

/// `12m ago`, or `never synced`.
fn age(secs: Option<i64>) -> String {
    secs.map_or_else(
        || "never synced".to_owned(),
        |s| {
            format!(
                "{} ago",
                duration::format(Duration::from_secs(s.max(0) as u64))
            )
        },
    )
}

fn print_table(status: &Status) -> std::io::Result<()> {
    let header = [
        "project",
        "state",
        "mode",
        "synced",
        "last attempt",
        "dead",
        "token age",
        "tasks",
        "open",
        "deleted",
    ];
    let mut table = output::table(&header, 5);
    for p in &status.projects {
        let s = &p.status;
        let attempt = p.last_attempt.as_ref().map_or_else(
            || "-".to_owned(),
            |a| {
                format!(
                    "{} ({})",
                    a.status,
                    output::when(a.finished_at.or(a.started_at))
                )
            },
        );
        let token = p.events_token_age_secs.map_or_else(
            || "-".to_owned(),
            |t| duration::format(Duration::from_secs(t.max(0) as u64)),
        );
        table.add_row(vec![
            s.name.clone(),
            serde_plain(&p.state),
            p.mode.as_ref().map_or_else(|| "-".to_owned(), serde_plain),
            age(s.age_secs),
            attempt,
            p.dead_jobs.to_string(),
            token,
            s.tasks.to_string(),
            s.open.to_string(),
            s.deleted.to_string(),
        ]);
    }
    if status.projects.is_empty() {
        outln!("no projects yet (run `aegis sync`)")?;
    } else {
        outln!("{table}")?;
    }
    print_notes(status)?;
    let s = &status.system_state;
    outln!(
        "last portfolio sync: {}",
        output::when(s.last_portfolio_sync_at)
    )?;
    outln!(
        "last tasks sync:     {}",
        output::when(s.last_tasks_sync_at)
    )
}

/// A line per active project that will crawl or last crawled, and per
/// project whose last attempt failed.
fn print_notes(status: &Status) -> std::io::Result<()> {
    for p in &status.projects {
        if p.mode == Some(health::SyncMode::Crawl) {
            outln!("{}: next sync crawls: {}", p.status.name, p.mode_reason)?;
        } else if let Some(reason) = &p.status.last_sync_reason {
            outln!("{}: last sync crawled: {reason}", p.status.name)?;
        }
        if let Some(error) = p.last_attempt.as_ref().and_then(|a| a.error.as_deref()) {
            outln!("{}: last error: {}", p.status.name, one_line(error))?;
        }
    }
    Ok(())
}

/// A unit enum's serde name (`active`, `events`).
fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
