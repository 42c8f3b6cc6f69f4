//! `aegis queue stats`: job counts per kind and state in one statement.

use serde::Serialize;
use sqlx::PgExecutor;

use aegis_jobs::Queues;

use super::Result;

/// Job counts of one kind (queue), by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct QueueStats {
    /// The queue name.
    pub kind: String,
    /// Runnable now (or claimed, not started).
    pub pending: i64,
    /// Waiting for their run time.
    pub scheduled: i64,
    /// Running.
    pub running: i64,
    /// Failed with attempts left.
    pub retrying: i64,
    /// Finished successfully (until purged).
    pub done: i64,
    /// Dead-lettered.
    pub dead: i64,
    /// Cancelled by an operator.
    pub cancelled: i64,
    /// Seconds the oldest pending job has been runnable; none without one.
    pub oldest_pending_age_secs: Option<i64>,
}

/// Job counts per aegis queue, every queue listed (zeros when empty), in
/// one statement.
///
/// # Errors
/// When the query fails.
pub async fn stats(db: impl PgExecutor<'_>, queues: &Queues) -> Result<Vec<QueueStats>> {
    let rows = sqlx::query_as(concat!(
        "select q.kind, ",
        "count(*) filter (where s.state = 'pending') as pending, ",
        "count(*) filter (where s.state = 'scheduled') as scheduled, ",
        "count(*) filter (where s.state = 'running') as running, ",
        "count(*) filter (where s.state = 'retrying') as retrying, ",
        "count(*) filter (where s.state = 'done') as done, ",
        "count(*) filter (where s.state = 'dead') as dead, ",
        "count(*) filter (where s.state = 'cancelled') as cancelled, ",
        "floor(extract(epoch from now() - min(s.run_at) filter (where s.state = 'pending')))",
        "::bigint as oldest_pending_age_secs ",
        "from unnest($1::text[]) with ordinality as q(kind, ord) left join (",
        "select j.job_type, j.run_at, ",
        state_j!(),
        " as state from apalis.jobs j where j.job_type = any($1)",
        ") s on s.job_type = q.kind group by q.kind, q.ord order by q.ord"
    ))
    .bind(queues.all())
    .fetch_all(db)
    .await?;
    Ok(rows)
}
