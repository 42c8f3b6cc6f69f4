//! Pausing job kinds for every worker process (`aegis queue pause | resume
//! [--kind K]`), shared through the database: the only owner of
//! `queue_pauses`.
//!
//! apalis fetches jobs in its own compiled query, so a paused kind's jobs
//! may still be fetched; the attempt then finds its kind paused before it
//! does anything and hands its job back ([`super::hand_back`]: pending,
//! lock cleared, no attempt charged) to be looked at again after
//! [`PAUSED_RECHECK`], so a paused queue costs one fetch per job every few
//! seconds, not a busy loop. [`resume`] makes the jobs handed back so
//! runnable at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use aegis_jobs::Queues;

use super::{Result, kinds};

/// How long a job fetched while its kind is paused waits before a worker
/// looks at it again.
pub const PAUSED_RECHECK: Duration = Duration::from_secs(5);

/// The last error a job handed back for a pause carries.
pub const PAUSED_REASON: &str = "its kind is paused (`aegis queue resume` lets it run)";

/// A paused kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Pause {
    /// The queue name.
    pub kind: String,
    /// Since when.
    pub paused_at: DateTime<Utc>,
}

/// Pauses `kind` (or both kinds) for every worker; pausing a paused kind
/// keeps its first time. Returns every paused kind of these queues.
///
/// # Errors
/// [`UnknownKind`](super::Error::UnknownKind); the database's.
pub async fn pause(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    kind: Option<&str>,
) -> Result<Vec<Pause>> {
    let wanted = kinds(queues, kind)?;
    let rows = sqlx::query_as(
        r#"
        with added as (
            insert into queue_pauses (kind) select unnest($1::text[])
            on conflict (kind) do nothing returning kind, paused_at
        )
        select kind, paused_at from added
        union all
        select kind, paused_at from queue_pauses where kind = any($2) and kind <> all($1)
        order by kind
        "#,
    )
    .bind(&wanted)
    .bind(queues.all())
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// What [`resume`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resumed {
    /// The kinds it resumed (queue names; empty: none was paused).
    pub resumed: Vec<String>,
    /// Jobs handed back while paused that are runnable again now.
    pub jobs_released: u64,
}

/// Resumes `kind` (or both kinds), and makes the jobs handed back while it
/// was paused runnable at once.
///
/// # Errors
/// [`UnknownKind`](super::Error::UnknownKind); the database's.
pub async fn resume(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    kind: Option<&str>,
) -> Result<Resumed> {
    let (resumed, released): (Vec<String>, i64) = sqlx::query_as(
        r#"
        with gone as (
            delete from queue_pauses where kind = any($1) returning kind
        ),
        released as (
            update apalis.jobs j set run_at = now()
            where j.job_type in (select kind from gone) and j.status = 'Pending'
              and j.run_at > now() and j.last_result ->> 'Err' = $2
            returning j.id
        )
        select coalesce((select array_agg(kind order by kind) from gone), '{}'),
            (select count(*) from released)
        "#,
    )
    .bind(kinds(queues, kind)?)
    .bind(PAUSED_REASON)
    .fetch_one(db)
    .await?;
    Ok(Resumed {
        resumed,
        jobs_released: u64::try_from(released).unwrap_or_default(),
    })
}

/// The paused kinds of these queues, by name.
///
/// # Errors
/// The database's.
pub async fn paused(db: impl PgExecutor<'_>, queues: &Queues) -> Result<Vec<Pause>> {
    Ok(sqlx::query_as(
        "select kind, paused_at from queue_pauses where kind = any($1) order by kind",
    )
    .bind(queues.all())
    .fetch_all(db)
    .await?)
}

/// Whether the queue `queue` (a full queue name) is paused.
///
/// # Errors
/// The database's.
pub async fn is_paused(db: impl PgExecutor<'_>, queue: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from queue_pauses where kind = $1)")
        .bind(queue)
        .fetch_one(db)
        .await
}
