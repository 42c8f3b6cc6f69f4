//! The worker processes' own record (`worker_processes`): the aegis
//! version and concurrency of each process, written once when its workers
//! start, read by `aegis workers` beside apalis's worker rows, whose names
//! start with the process's name.

use serde::Serialize;
use sqlx::PgExecutor;

/// What a worker process says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProcessInfo {
    /// The process's name (its worker rows are `{name}-portfolio-r…`,
    /// `{name}-projects-r…`).
    pub name: String,
    /// The aegis version it runs.
    pub version: String,
    /// Project jobs it runs at once.
    pub concurrency: i32,
}

/// Records the process `info` (again, if it restarted its workers).
///
/// # Errors
/// The database's.
pub async fn register_process(
    db: impl PgExecutor<'_>,
    info: &ProcessInfo,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into worker_processes (name, version, concurrency) values ($1, $2, $3) \
         on conflict (name) do update set version = excluded.version, \
         concurrency = excluded.concurrency",
    )
    .bind(&info.name)
    .bind(&info.version)
    .bind(info.concurrency)
    .execute(db)
    .await?;
    Ok(())
}
