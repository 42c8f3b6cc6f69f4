//! A run's summary as every command that ends with one prints it (`sync`,
//! `enqueue sync --wait`, `runs ID [--follow]`): the per-project table and
//! the one-line summary, or with `--json` one object (the run's fields,
//! task totals included, and its `projects`), read back from the database
//! so what is shown is what was recorded. [`outcome`] turns how the run
//! ended into the exit code the README promises: 0 `done`, 1 otherwise.

use anyhow::Context as _;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{out::outln, output};
use crate::runs::{self, ProjectResult, Run, RunStatus};

/// A run and its per-project results: `aegis runs ID --json`, `sync
/// --json`, `enqueue sync --wait --json`.
#[derive(Debug, Serialize)]
pub(super) struct RunDetail {
    /// The run's own fields.
    #[serde(flatten)]
    pub run: Run,
    /// One entry per project.
    pub projects: Vec<ProjectResult>,
}

/// Reads a run and its projects.
///
/// # Errors
/// The database's; a run that is not recorded.
pub(super) async fn read(pool: &PgPool, id: Uuid) -> anyhow::Result<RunDetail> {
    let run = runs::get(pool, id)
        .await
        .context("reading the run failed")?
        .with_context(|| format!("run {id} is not recorded"))?;
    let projects = runs::projects(pool, id)
        .await
        .context("reading the run's projects failed")?;
    Ok(RunDetail { run, projects })
}

/// Prints the summary of `detail`: one JSON object, or the per-project
/// table (when it synced any project's tasks) and the run's line.
///
/// # Errors
/// Writing stdout.
pub(super) fn print(detail: &RunDetail, json: bool) -> anyhow::Result<()> {
    if json {
        return output::print_json(detail);
    }
    if !detail.projects.is_empty() {
        outln!("{}", output::project_results(&detail.projects))?;
    }
    outln!("{}", output::run_line(&detail.run, None))?;
    Ok(())
}

/// Ok for a `done` run; otherwise the error `main` prints (exit 1), naming
/// the run to inspect.
///
/// # Errors
/// The run ended `partial`, `failed` or `cancelled`.
pub(super) fn outcome(run: &Run) -> anyhow::Result<()> {
    if run.status == RunStatus::Done {
        return Ok(());
    }
    let why = run
        .error
        .as_deref()
        .map(|e| format!(": {}", super::one_line(e)))
        .unwrap_or_default();
    Err(anyhow::anyhow!(
        "run {} ended {}{why} (see `aegis runs {}`)",
        run.id,
        run.status,
        run.id
    ))
}
