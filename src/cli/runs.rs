//! `aegis runs [ID]`: the sync history, read-only. Without an id, the most
//! recent runs, one row each; with one, that run's summary and its
//! per-project figures. A table, or JSON with `--json`.
//!
//! Runs of both origins read alike: an inline run records its totals itself,
//! while a queued run's row holds only its portfolio job's requests, so its
//! children's figures are added here (see [`Progress`]). Every run also
//! shows how far its projects got (`6/8 done, 1 failed`): a queued run is
//! `queued` until a worker takes its portfolio job, `running` while children
//! are open, then `done`, `partial` or `failed`.

use anyhow::Context as _;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{args::RunsArgs, connect, output};
use crate::{
    config::{ConfigError, DatabaseConfig},
    store::{
        self,
        runs::{ProjectResult, Run},
    },
};

/// A run as printed: its row (figures rolled up) and its projects' progress.
#[derive(Debug, Serialize)]
struct RunView {
    #[serde(flatten)]
    run: Run,
    /// How far its projects got.
    progress: Progress,
}

/// `aegis runs ID --json`.
#[derive(Debug, Serialize)]
struct RunDetail {
    #[serde(flatten)]
    run: RunView,
    projects: Vec<ProjectResult>,
}

/// A run's per-project progress and request figures, from `sync_run_projects`.
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow)]
struct Progress {
    #[serde(skip)]
    run_id: Uuid,
    /// Projects whose tasks the run syncs.
    total: i64,
    done: i64,
    failed: i64,
    #[serde(skip)]
    api_requests: i64,
    #[serde(skip)]
    rate_limited: i64,
    #[serde(skip)]
    waited_ms: i64,
    #[serde(skip)]
    pages: i64,
}

impl Progress {
    fn describe(&self) -> String {
        if self.total == 0 {
            return "-".to_owned();
        }
        let mut text = format!("{}/{} done", self.done, self.total);
        if self.failed > 0 {
            text.push_str(&format!(", {} failed", self.failed));
        }
        text
    }
}

/// Lists recent runs, or shows one.
pub(super) async fn run(database: &DatabaseConfig, args: &RunsArgs) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let Some(id) = args.id else {
        let runs = store::runs::recent(&pool, args.limit)
            .await
            .context("reading the runs failed (has `aegis migrate` run?)")?;
        let runs = views(&pool, runs).await?;
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
    let run = views(&pool, vec![run]).await?.remove(0);
    let projects = store::runs::projects(&pool, id)
        .await
        .context("reading the run's projects failed")?;
    if args.json {
        return output::print_json(&RunDetail { run, projects });
    }
    let progress = run.progress.describe();
    println!("{}", output::run_line(&run.run, Some(&progress)));
    if !projects.is_empty() {
        println!("{}", output::project_results(&projects));
    }
    Ok(())
}

/// The runs with their progress; a queued run's request figures include
/// its children's.
async fn views(pool: &PgPool, runs: Vec<Run>) -> anyhow::Result<Vec<RunView>> {
    let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
    let progress: Vec<Progress> = sqlx::query_as(
        "select run_id, count(*) as total, count(*) filter (where status = 'done') as done, \
         count(*) filter (where status = 'failed') as failed, \
         sum(api_requests)::bigint as api_requests, sum(rate_limited)::bigint as rate_limited, \
         sum(waited_ms)::bigint as waited_ms, sum(pages)::bigint as pages \
         from sync_run_projects where run_id = any($1) group by run_id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await
    .context("reading the runs' projects failed")?;
    Ok(runs
        .into_iter()
        .map(|mut run| {
            let p = progress
                .iter()
                .find(|p| p.run_id == run.id)
                .copied()
                .unwrap_or_default();
            if run.origin == "queued" {
                let r = &mut run.requests;
                r.api_requests += p.api_requests;
                r.rate_limited += p.rate_limited;
                r.waited_ms += p.waited_ms;
                r.pages += p.pages;
            }
            RunView { run, progress: p }
        })
        .collect())
}

fn print_list(runs: &[RunView]) {
    if runs.is_empty() {
        println!("no runs yet (run `aegis sync` or `aegis enqueue sync`)");
        return;
    }
    let header = [
        "id", "started", "origin", "mode", "status", "projects", "took", "requests", "429s", "wait",
    ];
    let mut table = output::table(&header, 6);
    for RunView { run: r, progress } in runs {
        table.add_row(vec![
            r.id.to_string(),
            output::when(Some(r.started_at)),
            r.origin.clone(),
            r.mode.clone(),
            r.status.clone(),
            progress.describe(),
            output::took(r),
            r.requests.api_requests.to_string(),
            r.requests.rate_limited.to_string(),
            output::seconds(r.requests.waited_ms),
        ]);
    }
    println!("{table}");
}
