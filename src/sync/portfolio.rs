//! Syncing a portfolio's projects: every item page (nested portfolios
//! followed), one upsert per page of projects, projects that left marked,
//! `system_state.last_portfolio_sync_at` recorded.

use chrono::Utc;
use futures::{StreamExt, pin_mut};
use tracing::instrument;

use super::{Attempt, Result, SyncContext, convert::project_row};
use crate::{
    asana::AsanaClient,
    runs,
    store::{
        self,
        projects::{ProjectRow, ProjectState, UpsertCounts},
    },
};

/// What the portfolio step did.
#[derive(Debug, Clone, Default)]
pub struct PortfolioOutcome {
    /// Projects created / updated / unchanged.
    pub counts: UpsertCounts,
    /// Gids of projects that left the portfolio.
    pub removed: Vec<String>,
    /// The portfolio's projects as stored now, by name.
    pub projects: Vec<ProjectState>,
}

/// Lists the portfolio (all pages), upserts its projects and marks those that
/// left it. `asana` is the run's client handle (its stats are the run's).
///
/// # Errors
/// Asana's (e.g. an unknown portfolio: 404) or the database's.
#[instrument(skip_all, fields(portfolio.gid = %ctx.portfolio))]
pub async fn sync_portfolio(ctx: &SyncContext, asana: &AsanaClient) -> Result<PortfolioOutcome> {
    let started = Utc::now();
    let stream = asana.portfolio_projects(&ctx.portfolio);
    pin_mut!(stream);
    let mut outcome = PortfolioOutcome::default();
    let mut listed = Vec::new();
    let mut batch: Vec<ProjectRow> = Vec::with_capacity(100);
    while let Some(item) = stream.next().await {
        let item = item?;
        listed.push(item.project.gid.to_string());
        batch.push(project_row(&item.project, &ctx.portfolio));
        if batch.len() == 100 {
            outcome.counts += store::projects::upsert_page(&ctx.pool, &batch, started).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        outcome.counts += store::projects::upsert_page(&ctx.pool, &batch, started).await?;
    }
    let mut tx = ctx.pool.begin().await?;
    outcome.removed =
        store::projects::mark_removed(&mut *tx, ctx.portfolio.as_str(), &listed, started).await?;
    store::state::set_portfolio_synced(&mut *tx, Utc::now()).await?;
    tx.commit().await?;
    let mut projects = store::projects::list(&ctx.pool).await?;
    projects.retain(|p| listed.contains(&p.asana_gid));
    outcome.projects = projects;
    Ok(outcome)
}

/// [`sync_portfolio`] on the attempt's client, then its figures (requests,
/// projects created, updated, unchanged, removed) recorded on the run,
/// whether it worked or not.
///
/// # Errors
/// As [`sync_portfolio`], or the database's when recording.
pub async fn sync_and_record(
    ctx: &SyncContext,
    attempt: &Attempt,
    run: uuid::Uuid,
) -> Result<PortfolioOutcome> {
    let outcome = sync_portfolio(ctx, &attempt.asana).await;
    let (requests, _) = attempt.unrecorded();
    let projects = match &outcome {
        Ok(o) => (o.counts, o.removed.len() as i32),
        Err(_) => (UpsertCounts::default(), 0),
    };
    let mut tx = ctx.pool.begin().await?;
    attempt.fence(&mut tx).await?;
    runs::record_portfolio(&mut *tx, run, requests, Some(projects)).await?;
    tx.commit().await?;
    attempt.mark_recorded();
    outcome
}
