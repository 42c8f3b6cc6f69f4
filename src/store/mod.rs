//! Postgres: aegis's schema (migrations), and the upserts and reads of
//! projects, tasks and system state (runs are [`crate::runs`]'s).
//!
//! Every function takes an executor (`impl PgExecutor`) or a `&mut
//! PgConnection` when it runs several statements, so the caller chooses the
//! transaction. Writes go a page of rows per statement, never a query per row.

pub mod locks;
pub mod projects;
pub mod state;
pub mod status;
pub mod tasks;

use sha2::{Digest, Sha256};
use sqlx::{PgPool, migrate::Migrator};

/// aegis's own migrations (`migrations/`). apalis keeps its own.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// aegis's migrations failed.
    #[error("migrating aegis's tables failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// apalis's storage setup failed.
    #[error("setting up the apalis queue tables failed: {0}")]
    QueueSetup(String),
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Creates or updates every table aegis needs: apalis's queue storage, then
/// aegis's own. Idempotent.
///
/// # Errors
/// When the database refuses a migration (e.g. the role may not create tables).
pub async fn migrate(pool: &PgPool) -> Result<()> {
    apalis_postgres::PostgresStorage::setup(pool)
        .await
        .map_err(|e| Error::QueueSetup(e.to_string()))?;
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// How many migrations (aegis's and apalis's: they share sqlx's table)
/// are recorded as applied; 0 on a fresh database.
///
/// # Errors
/// The database's.
pub async fn applied_migrations(db: &PgPool) -> Result<i64> {
    let exists: bool = sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
        .fetch_one(db)
        .await?;
    if !exists {
        return Ok(0);
    }
    Ok(
        sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
            .fetch_one(db)
            .await?,
    )
}

/// A stable hash of a row's synced content, so an upsert that changes
/// nothing is recognised as unchanged.
pub(crate) fn content_hash<T: serde::Serialize>(content: &T) -> String {
    let bytes = serde_json::to_vec(content).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
