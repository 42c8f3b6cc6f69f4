//! Job listings filtered by state, kind and project (the dashboard's jobs
//! page): [`super::list`] with a project filter on the payload.

use sqlx::PgExecutor;

use aegis_jobs::Queues;

use super::{JobState, JobSummary, Result, jobs::JobRow, kinds};

/// Which jobs a listing keeps; every field `None` keeps them all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobFilter<'a> {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this kind (queue name, with or without the prefix).
    pub kind: Option<&'a str>,
    /// Only jobs whose payload names this project gid.
    pub project: Option<&'a str>,
}

/// Up to `limit` jobs of aegis's queues that `filter` keeps, newest first.
///
/// The project filter matches the payload's bytes as `aegis_jobs` writes
/// them (`"project":"<gid>"`, compact JSON) in SQL, so an undecodable
/// payload never fails the listing, then checks the decoded payload.
///
/// # Errors
/// [`UnknownKind`](super::Error::UnknownKind) for a kind that is not aegis's; when the query fails.
pub async fn list_filtered(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    filter: &JobFilter<'_>,
    limit: i64,
) -> Result<Vec<JobSummary>> {
    let needle = filter.project.map(|gid| {
        let gid = serde_json::Value::String(gid.trim().to_owned());
        format!("\"project\":{gid}").into_bytes()
    });
    let rows: Vec<JobRow> = sqlx::query_as(select_jobs!(
        "where ($2::text is null or s.state = $2) \
         and ($3::bytea is null or position($3 in s.payload) > 0) \
         order by s.id desc limit $4"
    ))
    .bind(kinds(queues, filter.kind)?)
    .bind(filter.state.map(JobState::as_str))
    .bind(needle)
    .bind(limit.max(0))
    .fetch_all(db)
    .await?;
    let project = filter.project.map(str::trim);
    Ok(rows
        .into_iter()
        .map(JobRow::summary)
        .filter(|job| project.is_none() || job.payload.project.as_deref() == project)
        .collect())
}
