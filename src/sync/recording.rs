//! Recording an attempt's result on the runs that wait for it, the same for
//! inline and queued runs: the children's figures, and the close of every
//! run whose children are now all finished (by the last child, no
//! collector), with `last_tasks_sync_at` when a whole-portfolio run is done.

use chrono::Utc;
use sqlx::PgConnection;
use tracing::info;

use super::Result;
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
