//! `aegis queue list` and `show`: job rows with their derived state, payload
//! summary and last error.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, types::Json};
use uuid::Uuid;

use aegis_jobs::Queues;

use super::{JobState, Result, kinds};

/// What a job's payload says it is about (empty when it cannot be read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PayloadSummary {
    /// The sync run.
    pub run: Option<Uuid>,
    /// The portfolio gid (portfolio syncs).
    pub portfolio: Option<String>,
    /// The project gid (project syncs).
    pub project: Option<String>,
}

impl PayloadSummary {
    fn of(payload: &serde_json::Value) -> Self {
        let text = |key| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        PayloadSummary {
            run: payload
                .get("run")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok()),
            portfolio: text("portfolio"),
            project: text("project"),
        }
    }
}

/// A job as `aegis queue list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSummary {
    /// The job id (a ULID).
    pub id: String,
    /// Its queue.
    pub kind: String,
    /// Its derived state.
    pub state: JobState,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// When it may run (next) or was last made runnable.
    pub run_at: DateTime<Utc>,
    /// The worker holding or last holding it.
    pub lock_by: Option<String>,
    /// When its last attempt ended.
    pub done_at: Option<DateTime<Utc>>,
    /// Run and gids from its payload.
    #[serde(flatten)]
    pub payload: PayloadSummary,
    /// The error of its last failed attempt.
    pub last_error: Option<String>,
}

/// Everything known about one job, as `aegis queue show` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobDetail {
    /// The job id (a ULID).
    pub id: String,
    /// Its queue.
    pub kind: String,
    /// Its derived state.
    pub state: JobState,
    /// apalis's raw status (`Pending`, `Queued`, `Running`, `Done`, `Failed`,
    /// `Killed`): apalis's internals, so not in the JSON (`state` is aegis's).
    #[serde(skip_serializing)]
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Priority (higher first).
    pub priority: i32,
    /// Its next (or last) run time.
    pub run_at: DateTime<Utc>,
    /// The worker holding or last holding it.
    pub lock_by: Option<String>,
    /// When that worker took it.
    pub lock_at: Option<DateTime<Utc>>,
    /// When its last attempt ended.
    pub done_at: Option<DateTime<Utc>>,
    /// The key that deduplicates enqueues.
    pub idempotency_key: Option<String>,
    /// Run and gids from its payload.
    pub summary: PayloadSummary,
    /// The full payload (a string when it is not JSON).
    pub payload: serde_json::Value,
    /// apalis's record of the last attempt: `{"Ok": …}` or `{"Err": "…"}`;
    /// not in the JSON (`last_error` is what it says).
    #[serde(skip_serializing)]
    pub last_result: Option<serde_json::Value>,
    /// The error of its last failed attempt.
    pub last_error: Option<String>,
}

/// A row of [`select_jobs!`], as the listings here and in
/// [`super::filter`] and [`super::dead_letters`] read it.
#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: String,
    kind: String,
    #[sqlx(try_from = "String")]
    state: JobState,
    pub(super) status: String,
    attempts: i32,
    max_attempts: i32,
    priority: i32,
    run_at: DateTime<Utc>,
    lock_by: Option<String>,
    lock_at: Option<DateTime<Utc>>,
    done_at: Option<DateTime<Utc>>,
    idempotency_key: Option<String>,
    payload: Vec<u8>,
    last_result: Option<Json<serde_json::Value>>,
}

impl JobRow {
    fn payload(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&self.payload).into_owned())
        })
    }

    fn last_error(&self) -> Option<String> {
        let err = self.last_result.as_ref()?.0.get("Err")?;
        Some(err.as_str().map_or_else(|| err.to_string(), str::to_owned))
    }

    pub(super) fn summary(self) -> JobSummary {
        let payload = PayloadSummary::of(&self.payload());
        let last_error = self.last_error();
        JobSummary {
            id: self.id,
            kind: self.kind,
            state: self.state,
            attempts: self.attempts,
            max_attempts: self.max_attempts,
            run_at: self.run_at,
            lock_by: self.lock_by,
            done_at: self.done_at,
            payload,
            last_error,
        }
    }

    fn detail(self) -> JobDetail {
        let payload = self.payload();
        let last_error = self.last_error();
        JobDetail {
            summary: PayloadSummary::of(&payload),
            payload,
            last_error,
            last_result: self.last_result.map(|r| r.0),
            id: self.id,
            kind: self.kind,
            state: self.state,
            status: self.status,
            attempts: self.attempts,
            max_attempts: self.max_attempts,
            priority: self.priority,
            run_at: self.run_at,
            lock_by: self.lock_by,
            lock_at: self.lock_at,
            done_at: self.done_at,
            idempotency_key: self.idempotency_key,
        }
    }
}

/// Up to `limit` jobs of aegis's queues, newest first (by id: ULIDs sort by
/// creation time), optionally only those in `state` and of `kind`.
///
/// # Errors
/// [`UnknownKind`](super::Error::UnknownKind) for a kind that is not aegis's; when the query fails.
pub async fn list(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    state: Option<JobState>,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<JobSummary>> {
    let rows: Vec<JobRow> = sqlx::query_as(select_jobs!(
        "where ($2::text is null or s.state = $2) order by s.id desc limit $3"
    ))
    .bind(kinds(queues, kind)?)
    .bind(state.map(JobState::as_str))
    .bind(limit.max(0))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(JobRow::summary).collect())
}

/// One job of aegis's queues by id; none when there is no such job.
///
/// # Errors
/// When the query fails.
pub async fn show(db: impl PgExecutor<'_>, queues: &Queues, id: &str) -> Result<Option<JobDetail>> {
    let row: Option<JobRow> = sqlx::query_as(select_jobs!("where s.id = $2"))
        .bind(queues.all())
        .bind(id.trim())
        .fetch_optional(db)
        .await?;
    Ok(row.map(JobRow::detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_summaries_read_run_and_gids() {
        let run = Uuid::new_v4();
        let v = serde_json::json!({"run": run.to_string(), "project": "42", "mode": "full"});
        let s = PayloadSummary::of(&v);
        assert_eq!(s.run, Some(run));
        assert_eq!(s.project.as_deref(), Some("42"));
        assert_eq!(s.portfolio, None);
        assert_eq!(
            PayloadSummary::of(&serde_json::json!("x")),
            PayloadSummary::default()
        );
    }
}
