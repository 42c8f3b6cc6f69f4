//! One inline sync run, start to end: record the run, sync the portfolio,
//! select the projects, sync each one's tasks, record every figure, close
//! the run. Progress goes to an [`Observer`].

use chrono::Utc;
use serde_json::json;
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::{
    AegisUser, Error, Result, SyncContext, portfolio::sync_and_record, project::sync_project_tasks,
};
use crate::{
    asana::ClientStats,
    store::{
        self,
        projects::{ProjectState, UpsertCounts},
        runs::{NewRun, RequestFigures, TaskFigures},
    },
};

pub use aegis_jobs::Mode;

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

/// Progress of a run, for a terminal or a log. Every method has a no-op default.
pub trait Observer: Send + Sync {
    /// The portfolio step finished.
    fn portfolio_synced(&self, _projects: usize, _counts: UpsertCounts, _removed: usize) {}
    /// The projects whose tasks will be synced.
    fn projects_selected(&self, _names: &[String]) {}
    /// A project's task sync started.
    fn project_started(&self, _name: &str) {}
    /// A page of a project's tasks was written.
    fn tasks_synced(&self, _project: &str, _count: u64) {}
    /// A project's task sync ended.
    fn project_finished(&self, _name: &str, _result: std::result::Result<&TaskFigures, &str>) {}
}

/// An observer that writes plain log lines (for logs and non-terminals).
#[derive(Debug, Default)]
pub struct PlainObserver;

impl Observer for PlainObserver {
    fn portfolio_synced(&self, projects: usize, c: UpsertCounts, removed: usize) {
        info!(
            projects,
            created = c.created,
            updated = c.updated,
            unchanged = c.unchanged,
            removed,
            "portfolio synced"
        );
    }
    fn project_started(&self, name: &str) {
        info!(project = name, "syncing tasks");
    }
    fn project_finished(&self, name: &str, result: std::result::Result<&TaskFigures, &str>) {
        match result {
            Ok(f) => info!(
                project = name,
                created = f.tasks_created,
                updated = f.tasks_updated,
                unchanged = f.tasks_unchanged,
                removed = f.tasks_removed,
                deleted = f.tasks_deleted,
                "tasks synced"
            ),
            Err(e) => warn!(project = name, error = e, "tasks sync failed"),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run's id (see `sync_runs`).
    pub run: Uuid,
    /// `done`, `partial` or `failed`.
    pub status: String,
}

/// Runs a whole sync in this process and records it as an `inline` run.
///
/// # Errors
/// The first fatal problem (bad token, unknown portfolio or project, database);
/// [`Error::Partial`] when some projects failed and the others were synced.
/// Either way the run is recorded with its status and error.
#[instrument(skip_all, fields(portfolio.gid = %ctx.portfolio, run.id = tracing::field::Empty))]
pub async fn run_inline(
    ctx: &SyncContext,
    options: &SyncOptions,
    observer: &dyn Observer,
) -> Result<RunSummary> {
    let id = Uuid::new_v4();
    tracing::Span::current().record("run.id", tracing::field::display(id));
    let scope = json!({ "projects_only": options.projects_only, "projects": options.projects });
    let new = NewRun {
        id,
        origin: "inline",
        mode: options.mode.as_str(),
        scope,
        portfolio_gid: ctx.portfolio.as_str(),
    };
    store::runs::create(&ctx.pool, &new).await?;
    let result = run_steps(ctx, options, observer, id).await;
    let (status, error) = match &result {
        Ok(()) => ("done", None),
        Err(Error::Partial { .. }) => ("partial", result.as_ref().err().map(ToString::to_string)),
        Err(e) => ("failed", Some(e.to_string())),
    };
    store::runs::finish(&ctx.pool, id, status, error.as_deref()).await?;
    result.map(|()| RunSummary {
        run: id,
        status: status.to_owned(),
    })
}

async fn run_steps(
    ctx: &SyncContext,
    options: &SyncOptions,
    observer: &dyn Observer,
    run: Uuid,
) -> Result<()> {
    let outcome = sync_and_record(ctx, &ctx.asana.scoped(), run).await?;
    observer.portfolio_synced(
        outcome.projects.len(),
        outcome.counts,
        outcome.removed.len(),
    );
    if options.projects_only {
        return Ok(());
    }
    let selected = select(&outcome.projects, &options.projects)?;
    let names: Vec<String> = selected.iter().map(|p| p.name.clone()).collect();
    let pairs: Vec<(String, String)> = selected
        .iter()
        .map(|p| (p.asana_gid.clone(), p.name.clone()))
        .collect();
    store::runs::add_projects(&ctx.pool, run, &pairs).await?;
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
    if options.projects.is_empty() {
        store::state::set_tasks_synced(&ctx.pool, Utc::now()).await?;
    }
    Ok(())
}

async fn sync_one(
    ctx: &SyncContext,
    run: Uuid,
    project: &ProjectState,
    mode: Mode,
    observer: &dyn Observer,
) -> Result<()> {
    store::runs::start_project(&ctx.pool, run, &project.asana_gid).await?;
    observer.project_started(&project.name);
    let asana = ctx.asana.scoped();
    let me = AegisUser::new(ctx, &asana);
    let result = async {
        let _running = store::children::hold_project_run(&ctx.pool, &project.asana_gid).await?;
        sync_project_tasks(ctx, &asana, project, &me, mode, observer).await
    }
    .await;
    let requests = request_figures(&asana.stats());
    let (figures, error) = match &result {
        Ok(f) => (*f, None),
        Err(e) => (TaskFigures::default(), Some(e.to_string())),
    };
    store::runs::finish_project(
        &ctx.pool,
        run,
        &project.asana_gid,
        requests,
        figures,
        error.as_deref(),
    )
    .await?;
    observer.project_finished(&project.name, error.as_deref().map_or(Ok(&figures), Err));
    result.map(|_| ())
}

/// Projects whose tasks are synced: the chosen ones (gid or exact name), or
/// every project; archived projects never.
pub(crate) fn select(projects: &[ProjectState], wanted: &[String]) -> Result<Vec<ProjectState>> {
    let live = projects
        .iter()
        .filter(|p| p.removed_from_portfolio_at.is_none());
    if wanted.is_empty() {
        return Ok(live.filter(|p| !p.archived).cloned().collect());
    }
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|w| !projects.iter().any(|p| &p.asana_gid == *w || &p.name == *w))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let known = projects
            .iter()
            .map(|p| format!("{} ({})", p.name, p.asana_gid))
            .collect();
        return Err(Error::UnknownProjects { unknown, known });
    }
    Ok(live
        .filter(|p| !p.archived && wanted.iter().any(|w| w == &p.asana_gid || w == &p.name))
        .cloned()
        .collect())
}

pub(crate) fn request_figures(stats: &ClientStats) -> RequestFigures {
    RequestFigures {
        api_requests: stats.requests as i64,
        rate_limited: stats.rate_limited as i64,
        waited_ms: stats.waited.as_millis() as i64,
        pages: stats.pages as i64,
    }
}
