//! The `system_state` singleton: when the portfolio and the tasks were last synced.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::Result;

/// The `system_state` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SystemState {
    /// Last completed portfolio (projects) sync.
    pub last_portfolio_sync_at: Option<DateTime<Utc>>,
    /// Last completed tasks sync.
    pub last_tasks_sync_at: Option<DateTime<Utc>>,
}

/// Reads the singleton row.
pub async fn get(db: impl PgExecutor<'_>) -> Result<SystemState> {
    let row = sqlx::query_as(
        "select last_portfolio_sync_at, last_tasks_sync_at from system_state where id = 1",
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}

/// Records a completed portfolio sync.
pub async fn set_portfolio_synced(db: impl PgExecutor<'_>, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("update system_state set last_portfolio_sync_at = $1 where id = 1")
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a completed tasks sync.
pub async fn set_tasks_synced(db: impl PgExecutor<'_>, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("update system_state set last_tasks_sync_at = $1 where id = 1")
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}
