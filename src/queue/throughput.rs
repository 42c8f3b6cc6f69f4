//! Throughput: the jobs per kind that ended within a recent window (the
//! dashboard's overview), by how they ended.

use std::time::Duration;

use serde::Serialize;
use sqlx::PgExecutor;

use aegis_jobs::Queues;

use super::Result;

/// The jobs of one kind (queue) that ended within the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Throughput {
    /// The queue name.
    pub kind: String,
    /// Finished successfully (and not purged yet).
    pub done: i64,
    /// Ended dead (a fatal error, or out of attempts).
    pub dead: i64,
}

/// Per aegis queue (every queue listed, zeros when idle), the jobs whose
/// last attempt ended within `window` of the database's `now()`.
///
/// # Errors
/// When the query fails.
pub async fn throughput(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    window: Duration,
) -> Result<Vec<Throughput>> {
    Ok(sqlx::query_as(concat!(
        "select q.kind, count(j.id) filter (where j.status = 'Done') as done, ",
        "count(j.id) filter (where ",
        dead_j!(),
        ") as dead ",
        "from unnest($1::text[]) with ordinality as q(kind, ord) ",
        "left join apalis.jobs j on j.job_type = q.kind ",
        "and j.done_at > now() - make_interval(secs => $2) ",
        "group by q.kind, q.ord order by q.ord"
    ))
    .bind(queues.all())
    .bind(window.as_secs_f64())
    .fetch_all(db)
    .await?)
}
