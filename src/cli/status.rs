//! `aegis status`: per project, whether it is live, archived or gone from
//! the portfolio, when its tasks were last synced and how many it holds;
//! then `system_state`'s last syncs. A table, or JSON with `--json`.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{args::StatusArgs, connect, out::outln, output};
use crate::{
    config::DatabaseConfig,
    store::{self, status::ProjectStatus},
};

/// `aegis status --json`.
#[derive(Debug, Serialize)]
struct Status {
    projects: Vec<ProjectStatus>,
    system_state: SystemState,
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
    let projects = store::status::projects(&pool)
        .await
        .context("reading the projects failed")?;
    let state = store::state::get(&pool)
        .await
        .context("reading system_state failed")?;
    let status = Status {
        projects,
        system_state: SystemState {
            last_portfolio_sync_at: state.last_portfolio_sync_at,
            last_tasks_sync_at: state.last_tasks_sync_at,
        },
    };
    if args.json {
        return output::print_json(&status);
    }
    print_table(&status)?;
    Ok(())
}

fn print_table(status: &Status) -> std::io::Result<()> {
    let mut table = output::table(
        &[
            "project",
            "gid",
            "state",
            "tasks synced",
            "tasks",
            "open",
            "completed",
            "deleted",
        ],
        4,
    );
    for p in &status.projects {
        table.add_row(vec![
            p.name.clone(),
            p.asana_gid.clone(),
            state(p).to_owned(),
            output::when(p.last_tasks_sync_at),
            p.tasks.to_string(),
            p.open.to_string(),
            p.completed.to_string(),
            p.deleted.to_string(),
        ]);
    }
    if status.projects.is_empty() {
        outln!("no projects yet (run `aegis sync`)")?;
    } else {
        outln!("{table}")?;
    }
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

/// `removed` (left the portfolio), `archived`, or `active`.
fn state(p: &ProjectStatus) -> &'static str {
    if p.removed_from_portfolio_at.is_some() {
        "removed"
    } else if p.archived {
        "archived"
    } else {
        "active"
    }
}
