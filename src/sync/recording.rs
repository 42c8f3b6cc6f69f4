//! Recording an attempt's result on the runs that wait for it, the same for
//! inline and queued runs: the children's figures, and the close of every
//! run whose children are now all finished (by the last child, no
//! collector), with `last_tasks_sync_at` when a whole-portfolio run is done.

use chrono::Utc;
use sqlx::PgConnection;
use tracing::info;

use super::{Attempt, Result, SyncContext};
use crate::{
    runs::{self, Children, Outcome, RequestFigures, RunStatus, TaskFigures},
    store,
};

/// Records an attempt on `children` and closes the runs it finished. Call
/// it after [`runs::lock_runs`] in the transaction that writes the
/// attempt's last rows.
///
/// # Errors
/// The database's.
pub(crate) async fn record_attempt(
    conn: &mut PgConnection,
    children: Children<'_>,
    outcome: Outcome,
    figures: (RequestFigures, TaskFigures),
    error: Option<&str>,
) -> Result<()> {
    runs::child_finished(&mut *conn, children, outcome, figures, error).await?;
    if outcome == Outcome::Retrying {
        return Ok(());
    }
    for run in runs::close_finished(&mut *conn, children).await? {
        if run.status == RunStatus::Done && run.scope.0.projects.is_empty() {
            store::state::set_tasks_synced(&mut *conn, Utc::now()).await?;
        }
        info!(run.id = %run.id, run.status = %run.status, "run closed");
    }
    Ok(())
}

/// Records an attempt's result in a transaction of its own: fenced by the
/// attempt's lease, the runs locked, then [`record_attempt`]; the
/// attempt's requests are marked recorded once it commits.
///
/// # Errors
/// [`super::Error::LostOwnership`] when the attempt lost its job; the
/// database's.
pub(crate) async fn record_alone(
    ctx: &SyncContext,
    attempt: &Attempt,
    (children, outcome): (Children<'_>, Outcome),
    figures: (RequestFigures, TaskFigures),
    error: Option<&str>,
) -> Result<()> {
    let mut tx = ctx.pool.begin().await?;
    // Bookkeeping, not synced data: the lease alone decides (an attempt
    // that lost only its run lock still records its failure).
    attempt.fence_job(&mut tx).await?;
    runs::lock_runs(&mut tx, children).await?;
    record_attempt(&mut tx, children, outcome, figures, error).await?;
    tx.commit().await?;
    attempt.mark_recorded();
    Ok(())
}
