//! `aegis-bench`, what `just bench` runs: the numbers that say how close
//! aegis gets to its three limits (Asana's request budget, what PostgreSQL
//! can ingest, a small worker's memory). It brings up a fresh database per
//! scenario on the server `DATABASE_URL` names (`scripts/db.sh url`), runs
//! the fake Asana in this process and aegis's workers as separate processes
//! (`target/release/aegis`), prints one table and writes
//! `target/bench/results.json`. Nothing here asserts: a missed goal is shown
//! as missed.

mod confirm;
mod drain;
mod env;
mod fake;
mod freshness;
mod full_sync;
mod ingest;
mod proc;
mod queue;
mod rate_bound;
mod report;

use std::{path::PathBuf, time::Duration};

use anyhow::Context as _;
use clap::{Parser, ValueEnum};

use env::{Bench, progress};
use report::Scenario;

/// Runs aegis's benchmark scenarios.
#[derive(Debug, Parser)]
#[command(name = "aegis-bench", about)]
struct Args {
    /// The server to create the scenarios' databases on.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// The workspace root (where `target/release/aegis` is).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Only these scenarios (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Which>,
    /// Small sizes, for trying the bench out (not the published figures).
    #[arg(long)]
    quick: bool,
    /// Keep each scenario's database instead of dropping it.
    #[arg(long)]
    keep_dbs: bool,
}

/// A scenario group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    /// Scenario 2.
    Ingest,
    /// Scenario 4.
    Queue,
    /// Scenarios 1 and 5 (full_sync_small, full_sync, resync_unchanged).
    FullSync,
    /// Scenario 3.
    RateBound,
    /// Scenario 6: eight workers under Asana's in-flight cap.
    Fleet,
    /// Scenario 7: what a truthful `tasks.last_synced_at` costs.
    Confirm,
    /// Scenario 8: staying fresh on 100 projects, polling vs webhooks.
    Freshness,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let root = args.root.canonicalize().context("--root")?;
    let mut bench = Bench::new(&args.database_url, &root).await?;
    bench.keep_dbs = args.keep_dbs;
    anyhow::ensure!(
        bench.aegis.exists(),
        "{} is missing: run `cargo build --release --workspace` first",
        bench.aegis.display()
    );
    let wanted = |w: Which| args.only.is_empty() || args.only.contains(&w);
    let mut scenarios = Vec::new();
    if wanted(Which::Ingest) {
        scenarios.push(ingest(&bench, args.quick).await);
    }
    if wanted(Which::Queue) {
        scenarios.push(queue(&bench, args.quick).await);
    }
    if wanted(Which::FullSync) {
        let upsert = scenarios.iter().find_map(|s| s.get("upsert_rows_per_s"));
        scenarios.extend(full_sync::run(&bench, full_sync_sizes(args.quick), upsert).await);
    }
    if wanted(Which::RateBound) {
        scenarios.push(rate_bound(&bench, args.quick).await);
    }
    if wanted(Which::Fleet) {
        scenarios.extend(fleet(&bench, args.quick).await);
    }
    if wanted(Which::Confirm) {
        let mut s = Scenario::new("confirm");
        if let Err(e) = confirm::run(&bench, args.quick, &mut s).await {
            s.fail(&e);
        }
        scenarios.push(s);
    }
    if wanted(Which::Freshness) {
        let mut s = Scenario::new("freshness");
        if let Err(e) = freshness::run(&bench, args.quick, &mut s).await {
            s.fail(&e);
        }
        scenarios.push(s);
    }
    let machine = env::machine(&bench.admin).await;
    let path = bench.out.join("results.json");
    report::write_json(&path, machine, &scenarios)?;
    println!("{}", report::table(&scenarios));
    println!("results: {}", path.display());
    progress(&format!("done in {:.0} s", bench.elapsed().as_secs_f64()));
    Ok(())
}

async fn ingest(bench: &Bench, quick: bool) -> Scenario {
    let sizes = ingest::Sizes {
        rows: if quick { 10_000 } else { 100_000 },
        per_row: if quick { 2_000 } else { 10_000 },
    };
    let mut s = Scenario::new("ingest");
    if let Err(e) = ingest::run(bench, sizes, &mut s).await {
        s.fail(&e);
    }
    s
}

async fn queue(bench: &Bench, quick: bool) -> Scenario {
    let sizes = queue::Sizes {
        jobs: if quick { 1_000 } else { 10_000 },
        pickups: if quick { 50 } else { 250 },
        idle: Duration::from_secs(if quick { 10 } else { 30 }),
    };
    let mut s = Scenario::new("queue");
    if let Err(e) = queue::run(bench, sizes, &mut s).await {
        s.fail(&e);
    }
    s
}

fn full_sync_sizes(quick: bool) -> full_sync::Sizes {
    full_sync::Sizes {
        projects: 20,
        tasks_per_project: if quick { 500 } else { 5_000 },
        small_tasks: 2_000,
        workers: drain::Workers {
            processes: 1,
            concurrency: 4,
            timeout: Duration::from_secs(if quick { 120 } else { 420 }),
            extra: &[],
        },
    }
}

async fn rate_bound(bench: &Bench, quick: bool) -> Scenario {
    let sizes = rate_bound::Sizes {
        budget_per_min: 600,
        latency: Duration::from_millis(40),
        projects: 5,
        // Three windows of the budget (one in quick mode).
        min_requests: if quick { 600 } else { 1_800 },
        workers: drain::Workers {
            processes: 3,
            concurrency: 4,
            timeout: Duration::from_secs(600),
            extra: &[],
        },
        held: Duration::ZERO,
    };
    let mut s = Scenario::new("rate_bound");
    if let Err(e) = rate_bound::run(bench, sizes, &mut s).await {
        s.fail(&e);
    }
    s
}

/// Eight workers at concurrency 10 on one token, each request held 1.8 s in
/// its in-flight slot at the fake (Asana's cap: 50): at 1500/min the budget
/// needs 45 in flight. Shared cap (the default) and, for comparison, each
/// process on its own 10 (`--token-in-flight 10000`).
async fn fleet(bench: &Bench, quick: bool) -> Vec<Scenario> {
    let mut out = Vec::new();
    for (name, extra) in [
        ("fleet", &[][..]),
        ("fleet_unshared", &["--token-in-flight", "10000"][..]),
    ] {
        let sizes = rate_bound::Sizes {
            budget_per_min: 1500,
            latency: Duration::ZERO,
            projects: 120,
            min_requests: if quick { 500 } else { 1500 },
            workers: drain::Workers {
                processes: 8,
                concurrency: 10,
                timeout: Duration::from_secs(300),
                extra,
            },
            held: Duration::from_millis(1800),
        };
        let mut s = Scenario::new(name);
        if let Err(e) = rate_bound::run(bench, sizes, &mut s).await {
            s.fail(&e);
        }
        out.push(s);
    }
    out
}
