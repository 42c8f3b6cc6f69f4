//! Which projects the webhooks keep fresh: those whose webhook is active
//! and was heard from (a delivery, a heartbeat, its handshake) within
//! [`HEARD_WITHIN`] (Asana's heartbeats come every 8 hours). For them the
//! scheduled incremental sync polls events only every `events_poll_every`
//! (the safety net for lost deliveries); a webhook failing, deleted, or
//! not heard from puts its project back on every tick at once.

use std::{collections::BTreeSet, time::Duration};

use aegis_jobs::{Mode, SyncPortfolio};
use sqlx::PgExecutor;
use tracing::debug;

use crate::{store::projects::ProjectState, sync::SyncContext};

/// How recent the last sign of life of a healthy webhook is.
pub const HEARD_WITHIN: Duration = Duration::from_secs(9 * 60 * 60);

/// The projects whose events poll can wait: a healthy webhook, and their
/// events were read less than `poll_every` ago (when the project's events
/// token was stored).
///
/// # Errors
/// The database's.
pub async fn poll_can_wait(
    db: impl PgExecutor<'_>,
    poll_every: Duration,
) -> Result<BTreeSet<String>, sqlx::Error> {
    let gids: Vec<String> = sqlx::query_scalar(
        r#"
        select w.project_gid from webhooks w
        join projects p on p.asana_gid = w.project_gid
        where w.state = 'active'
          and greatest(w.last_delivery_at, w.last_heartbeat_at, w.handshake_at)
              > now() - make_interval(secs => $1)
          and p.events_sync_token_at > now() - make_interval(secs => $2)
        "#,
    )
    .bind(HEARD_WITHIN.as_secs_f64())
    .bind(poll_every.as_secs_f64())
    .fetch_all(db)
    .await?;
    Ok(gids.into_iter().collect())
}

/// `selected` without the projects whose events poll can wait
/// ([`poll_can_wait`] under `ctx.events_poll_every`), for an incremental
/// sync of the whole portfolio; any other sync (full, chosen projects, or
/// no `events_poll_every`) keeps every project.
///
/// # Errors
/// The database's.
pub async fn without_covered(
    ctx: &SyncContext,
    job: &SyncPortfolio,
    selected: Vec<ProjectState>,
) -> Result<Vec<ProjectState>, sqlx::Error> {
    let Some(every) = ctx.events_poll_every else {
        return Ok(selected);
    };
    if job.mode != Mode::Incremental || !job.scope.projects.is_empty() {
        return Ok(selected);
    }
    let covered = poll_can_wait(&ctx.pool, every).await?;
    if !covered.is_empty() {
        debug!(
            covered = covered.len(),
            "events poll deferred for projects with healthy webhooks"
        );
    }
    Ok(selected
        .into_iter()
        .filter(|p| !covered.contains(&p.asana_gid))
        .collect())
}
