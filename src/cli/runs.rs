//! `aegis runs [ID]`: the sync history, read-only. Without an id, the most
//! recent runs, one row each; with one, that run's summary and its
//! per-project figures. A table, or JSON with `--json`.

use anyhow::Context as _;
use serde::Serialize;

use super::{args::RunsArgs, connect, output};
use crate::{
    config::{ConfigError, DatabaseConfig},
    store::{
        self,
        runs::{ProjectResult, Run},
    },
};

/// `aegis runs ID --json`.
#[derive(Debug, Serialize)]
struct RunDetail {
    #[serde(flatten)]
    run: Run,
    projects: Vec<ProjectResult>,
}

/// Lists recent runs, or shows one.
pub(super) async fn run(database: &DatabaseConfig, args: &RunsArgs) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let Some(id) = args.id else {
        let runs = store::runs::recent(&pool, args.limit)
            .await
            .context("reading the runs failed (has `aegis migrate` run?)")?;
        return if args.json {
            output::print_json(&runs)
        } else {
            print_list(&runs);
            Ok(())
        };
    };
    let run = store::runs::get(&pool, id)
        .await
        .context("reading the run failed")?
        .ok_or_else(|| ConfigError(format!("no run {id} (`aegis runs` lists the recent ones)")))?;
    let projects = store::runs::projects(&pool, id)
        .await
        .context("reading the run's projects failed")?;
    if args.json {
        return output::print_json(&RunDetail { run, projects });
    }
    println!("{}", output::run_line(&run));
    if !projects.is_empty() {
        println!("{}", output::project_results(&projects));
    }
    Ok(())
}

fn print_list(runs: &[Run]) {
    if runs.is_empty() {
        println!("no runs yet (run `aegis sync`)");
        return;
    }
    let mut table = output::table(
        &[
            "id", "started", "origin", "mode", "status", "took", "requests", "429s", "wait",
        ],
        5,
    );
    for r in runs {
        let took = r.finished_at.map_or_else(
            || "-".to_owned(),
            |end| output::seconds((end - r.started_at).num_milliseconds()),
        );
        table.add_row(vec![
            r.id.to_string(),
            output::when(Some(r.started_at)),
            r.origin.clone(),
            r.mode.clone(),
            r.status.clone(),
            took,
            r.requests.api_requests.to_string(),
            r.requests.rate_limited.to_string(),
            output::seconds(r.requests.waited_ms),
        ]);
    }
    println!("{table}");
}
