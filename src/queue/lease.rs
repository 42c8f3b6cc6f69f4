//! An attempt's lease on its job, and the fence that checks it.
//!
//! apalis sets a job's `lock_by` (the worker) when a worker fetches it, and
//! a rescue of a silent worker's job clears it and adds one to `attempts`
//! (so does every acknowledged attempt). So `(lock_by, attempts)` read when
//! an attempt starts is a fencing token: once the job was rescued or
//! another attempt has run, the row no longer carries it, even if the same
//! worker fetched it again. (`lock_at` is no token: apalis rewrites it when
//! its batched lock of a fetched job lands, which may be after the attempt
//! started.) Every write an attempt makes checks it in the same
//! transaction ([`holds`]), so an attempt that lost its job, say frozen
//! past the rescue window, commits nothing after it noticed.
//!
//! The check does not lock the job row: a worker frozen inside a write
//! transaction would then hide its job from every rescue (apalis's rescue
//! skips locked rows) for as long as it stays frozen. The price is a
//! window of one statement: a write checked just before a rescue may still
//! commit. It cannot race the rescuer's own writes, which wait for the
//! project's sync lock.

use sqlx::{PgConnection, PgExecutor};

/// An attempt's hold on its job row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Lease {
    /// The job.
    pub job_id: String,
    /// The worker that started the attempt.
    pub lock_by: String,
    /// The job's attempts before this one.
    pub attempts: i32,
}

/// The lease of the attempt now running `job_id`, read as it starts; `None`
/// when no worker holds the row (nothing to fence with).
///
/// # Errors
/// The database's.
pub async fn lease(db: impl PgExecutor<'_>, job_id: &str) -> Result<Option<Lease>, sqlx::Error> {
    sqlx::query_as(
        "select id as job_id, lock_by, attempts from apalis.jobs \
         where id = $1 and status in ('Queued', 'Running') and lock_by is not null",
    )
    .bind(job_id)
    .fetch_optional(db)
    .await
}

/// Whether the lease still holds: the same worker holds the row, with no
/// attempt since (see the module docs for what it does not lock).
///
/// # Errors
/// The database's.
pub async fn holds(conn: &mut PgConnection, lease: &Lease) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from apalis.jobs where id = $1 \
         and status in ('Queued', 'Running') and lock_by = $2 and attempts = $3)",
    )
    .bind(&lease.job_id)
    .bind(&lease.lock_by)
    .bind(lease.attempts)
    .fetch_one(conn)
    .await
}
