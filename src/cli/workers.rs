//! `aegis workers`: the worker processes seen in the last ten minutes (one
//! apalis worker per kind each: its heartbeat's age and the jobs it holds)
//! and the token's shared request budget (the next slot, a 429's pause, the
//! circuit). Read-only; a table, or JSON with `--json`.

use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use super::{args::JsonFlag, connect, duration, json::kind_name, out::outln, output, queue_error};
use crate::{
    config::DatabaseConfig,
    health::{self, BudgetState},
    queue::{self, WorkerRow},
};

/// `aegis workers --json`.
#[derive(Debug, Serialize)]
struct Workers {
    workers: Vec<WorkerRow>,
    budgets: Vec<BudgetState>,
}

/// Reads and prints the workers and budgets.
pub(super) async fn run(database: &DatabaseConfig, args: &JsonFlag) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let queues = &database.namespace().queues;
    let mut workers = queue::workers(&pool, queues).await.map_err(queue_error)?;
    for w in &mut workers {
        w.kind = kind_name(queues, &w.kind);
    }
    let budgets = health::budgets(&pool)
        .await
        .context("reading the request budgets failed")?;
    let report = Workers { workers, budgets };
    if args.json {
        return output::print_json(&report);
    }
    print_workers(&report.workers)?;
    print_budgets(&report.budgets)?;
    Ok(())
}

fn secs(s: i64) -> String {
    duration::format(Duration::from_secs(s.max(0) as u64))
}

fn print_workers(workers: &[WorkerRow]) -> std::io::Result<()> {
    if workers.is_empty() {
        return outln!("no worker seen in the last 10 minutes (start one: `aegis worker`)");
    }
    let header = [
        "process",
        "version",
        "worker",
        "kind",
        "heartbeat",
        "concurrency",
        "jobs in hand",
        "running",
    ];
    let mut table = output::table(&header, 5);
    for w in workers {
        table.add_row(vec![
            w.process.clone(),
            w.version.clone().unwrap_or_else(|| "?".to_owned()),
            w.id.clone(),
            w.kind.clone(),
            format!("{} ago", secs(w.heartbeat_age_secs)),
            w.concurrency
                .map_or_else(|| "?".to_owned(), |c| c.to_string()),
            w.jobs_in_hand.to_string(),
            w.running.to_string(),
        ]);
    }
    outln!("{table}")
}

fn print_budgets(budgets: &[BudgetState]) -> std::io::Result<()> {
    if budgets.is_empty() {
        return outln!("no request budget yet (the first request of a token makes one)");
    }
    for b in budgets {
        let next = match b.next_slot_in_ms {
            0 => "now".to_owned(),
            ms => format!("in {}", output::seconds(ms)),
        };
        let paused = b.paused_until.map_or_else(
            || "no".to_owned(),
            |until| format!("until {} (429)", output::when(Some(until))),
        );
        outln!(
            "budget {}: next slot {next}, paused {paused}, circuit {}{}, {} failure(s) in a row",
            b.key,
            b.circuit,
            b.probe_at
                .map(|at| format!(" (next probe {})", output::when(Some(at))))
                .unwrap_or_default(),
            b.failures
        )?;
    }
    Ok(())
}
