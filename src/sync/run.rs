//! One inline sync run, start to end: open the run, sync the portfolio,
//! select the projects, sync each one's tasks, record each project's
//! figures as its attempt ends, close the run. The run is recorded through
//! [`crate::runs`] exactly as a queued one; progress goes to an
//! [`Observer`].

use aegis_jobs::{Mode, Scope};
use tracing::instrument;
use uuid::Uuid;

use super::{
    Attempt, Error, Observer, Result, SyncContext, portfolio::sync_and_record,
    project::sync_project_tasks, recording::record_alone, selection::select,
};
use crate::{
    runs::{self, Children, NewRun, Origin, Outcome, RunStatus},
    store::{self, projects::ProjectState},
};

/// What to sync.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Only the portfolio's projects, no task requests at all.
    pub projects_only: bool,
    /// Only these projects (gid or exact name); empty = all.
    pub projects: Vec<String>,
    /// How.
    pub mode: Mode,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run's id (see [`crate::runs`]).
    pub run: Uuid,
    /// `done` (a run with failed projects is an [`Error::Partial`]).
    pub status: RunStatus,
}

/// Runs a whole sync in this process and records it as an `inline` run.
///
/// # Errors
/// The first fatal problem (bad token, unknown portfolio or project, database);
/// [`Error::Partial`] when some projects failed and the others were synced.
/// Either way the run is recorded with its status and error.
pub async fn run_inline(
    ctx: &SyncContext,
    options: &SyncOptions,
    observer: &dyn Observer,
) -> Result<RunSummary> {
    run_inline_as(ctx, options, observer, Uuid::new_v4()).await
}

/// [`run_inline`] under the run id `id`, so a caller that may interrupt it
/// (dropping the future) knows which run to [`runs::cancel`]. While it
/// runs, this process holds the run's liveness mark: should the process die
/// instead, [`runs::close_abandoned`] cancels the run.
///
/// # Errors
/// As [`run_inline`].
#[instrument(skip_all, fields(portfolio.gid = %ctx.portfolio, run.id = %id))]
pub async fn run_inline_as(
    ctx: &SyncContext,
    options: &SyncOptions,
    observer: &dyn Observer,
    id: Uuid,
) -> Result<RunSummary> {
    let _alive = store::locks::hold_inline_run(&ctx.pool, id).await?;
    let scope = Scope {
        projects_only: options.projects_only,
        projects: options.projects.clone(),
    };
    let new = NewRun {
        id,
        origin: Origin::Inline,
        mode: options.mode,
        scope: &scope,
        portfolio_gid: ctx.portfolio.as_str(),
    };
    runs::open(&ctx.pool, &new).await?;
    let result = run_steps(ctx, options, observer, id).await;
    let (status, error) = match &result {
        Ok(()) => (RunStatus::Done, None),
        Err(e @ Error::Partial { .. }) => (RunStatus::Partial, Some(e.to_string())),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    // A no-op when the last project's result already closed the run.
    runs::close(&ctx.pool, id, status, error.as_deref()).await?;
    result.map(|()| RunSummary { run: id, status })
}

async fn run_steps(
    ctx: &SyncContext,
    options: &SyncOptions,
    observer: &dyn Observer,
    run: Uuid,
) -> Result<()> {
    let outcome = sync_and_record(ctx, &Attempt::new(ctx), run).await?;
    observer.portfolio_synced(
        outcome.projects.len(),
        outcome.counts,
        outcome.removed.len(),
    );
    if options.projects_only {
        return Ok(());
    }
    let selected = select(&outcome.projects, &options.projects)?;
    let pairs: Vec<(String, String)> = selected
        .iter()
        .map(|p| (p.asana_gid.clone(), p.name.clone()))
        .collect();
    runs::add_pending(&ctx.pool, run, &pairs).await?;
    let names: Vec<String> = pairs.into_iter().map(|(_, name)| name).collect();
    observer.projects_selected(&names);
    let mut failed = Vec::new();
    for project in &selected {
        if let Err(e) = sync_one(ctx, run, project, options.mode, observer).await {
            failed.push(format!("{}: {e}", project.name));
        }
    }
    if !failed.is_empty() {
        return Err(Error::Partial {
            run,
            total: selected.len(),
            failed,
        });
    }
    Ok(())
}

/// One project of an inline run: one attempt, recorded as a queued job's
/// attempt is (its last result closes the run).
async fn sync_one(
    ctx: &SyncContext,
    run: Uuid,
    project: &ProjectState,
    mode: Mode,
    observer: &dyn Observer,
) -> Result<()> {
    let children = Children::OfProject {
        run,
        project_gid: &project.asana_gid,
    };
    runs::child_started(&ctx.pool, children).await?;
    observer.project_started(&project.name);
    let attempt = Attempt::new(ctx).for_run(run);
    let result = async {
        let running = store::locks::hold_project_run(&ctx.pool, &project.asana_gid).await?;
        attempt.holds_run_lock(&project.asana_gid, &running);
        sync_project_tasks(ctx, &attempt, project, mode, observer).await
    }
    .await;
    let (requests, tally) = attempt.unrecorded();
    let (outcome, figures, error) = match &result {
        Ok(f) => (Outcome::Done, *f, None),
        Err(e) => (Outcome::Dead, tally, Some(e.to_string())),
    };
    let recorded = (children, outcome);
    record_alone(
        ctx,
        &attempt,
        recorded,
        (requests, figures),
        error.as_deref(),
    )
    .await?;
    observer.project_finished(&project.name, error.as_deref().map_or(Ok(&figures), Err));
    result.map(|_| ())
}
