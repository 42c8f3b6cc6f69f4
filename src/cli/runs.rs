//! `aegis runs [ID]`: the sync history, read-only. Without an id, the most
//! recent runs, one row each; with one, that run's summary and its
//! per-project figures. A table, or JSON with `--json`; `--follow` prints
//! its projects' progress until it ends ([`follow`]).
//!
//! Runs of both origins read alike, straight from their rows (see
//! [`crate::runs`]: a run's row holds the figures of everything it did).
//! Every run also shows how far its projects got (`6/8 done, 1 failed`): a
//! queued run is `queued` until a worker takes its portfolio job, `running`
//! while children are open, then `done`, `partial` or `failed`.

use anyhow::Context as _;

use super::{
    args::RunsArgs, connect, follow, json::RunList, out::outln, output, summary::RunDetail,
};
use crate::{
    config::{ConfigError, DatabaseConfig},
    runs::{self, Run},
};

/// Lists recent runs, or shows one.
pub(super) async fn run(database: &DatabaseConfig, args: &RunsArgs) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    for run in runs::close_abandoned(&pool)
        .await
        .context("reading the runs failed")?
    {
        tracing::warn!(run.id = %run, "closed run {run} as cancelled: {}", runs::ABANDONED);
    }
    let Some(id) = args.id else {
        let runs = runs::recent(&pool, args.limit)
            .await
            .context("reading the runs failed")?;
        return if args.json {
            output::print_json(&RunList { runs })
        } else {
            Ok(print_list(&runs)?)
        };
    };
    let run = runs::get(&pool, id)
        .await
        .context("reading the run failed")?
        .ok_or_else(|| ConfigError(format!("no run {id} (`aegis runs` lists the recent ones)")))?;
    if args.follow {
        return follow::follow(&pool, id, args.json).await;
    }
    let projects = runs::projects(&pool, id)
        .await
        .context("reading the run's projects failed")?;
    if args.json {
        return output::print_json(&RunDetail { run, projects });
    }
    let progress = run.progress.describe();
    outln!("{}", output::run_line(&run, Some(&progress)))?;
    if !projects.is_empty() {
        outln!("{}", output::project_results(&projects))?;
    }
    Ok(())
}

fn print_list(runs: &[Run]) -> std::io::Result<()> {
    if runs.is_empty() {
        return outln!("no runs yet (run `aegis sync` or `aegis enqueue sync`)");
    }
    let header = [
        "id", "started", "origin", "mode", "status", "projects", "took", "requests", "429s", "wait",
    ];
    let mut table = output::table(&header, 6);
    for r in runs {
        table.add_row(vec![
            r.id.to_string(),
            output::when(Some(r.started_at)),
            r.origin.to_string(),
            r.mode.clone(),
            r.status.to_string(),
            r.progress.describe(),
            output::took(r),
            r.requests.api_requests.to_string(),
            r.requests.rate_limited.to_string(),
            output::seconds(r.requests.waited_ms + r.requests.paced_ms),
        ]);
    }
    outln!("{table}")
}
