//! Dead letters grouped by why they died (the dashboard's dead-letter
//! page), and reviving one group.
//!
//! The group comes from the row as the failure policy left it
//! ([`crate::worker`]'s guard): a job `Failed` with its attempts used up is
//! [`DeadReason::Exhausted`]; a `Killed` one died of a fatal error, whose
//! message (the error's `Display`, recorded as the last result) names its
//! kind: a 401, a 403/404, or a payload or response that does not decode.

use std::{fmt, str::FromStr};

use serde::Serialize;
use sqlx::{Acquire, PgConnection, PgExecutor};

use aegis_jobs::Queues;

use super::{Error, JobSummary, Result, Revive, Revived, jobs::JobRow, revive};

/// Why a dead job died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadReason {
    /// Asana rejected the token (401).
    Token,
    /// The token may not see the project or portfolio (403, 404).
    Access,
    /// A payload, or one of Asana's responses, that does not decode.
    Decode,
    /// Out of attempts after retryable failures.
    Exhausted,
    /// Another fatal error (a 400, a job for another portfolio, …).
    Other,
}

impl DeadReason {
    /// Every reason, in the order the dashboard lists them.
    pub const ALL: [DeadReason; 5] = [
        DeadReason::Token,
        DeadReason::Access,
        DeadReason::Decode,
        DeadReason::Exhausted,
        DeadReason::Other,
    ];

    /// The reason's name (`token`, `access`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DeadReason::Token => "token",
            DeadReason::Access => "access",
            DeadReason::Decode => "decode",
            DeadReason::Exhausted => "exhausted",
            DeadReason::Other => "other",
        }
    }

    /// A short description for people.
    pub fn describe(self) -> &'static str {
        match self {
            DeadReason::Token => "401: Asana rejected the token",
            DeadReason::Access => "403/404: not accessible to the token",
            DeadReason::Decode => "undecodable payload or response",
            DeadReason::Exhausted => "out of attempts",
            DeadReason::Other => "other fatal errors",
        }
    }

    /// The reason of a dead job with apalis status `status` and `last_error`.
    pub fn of(status: &str, last_error: Option<&str>) -> DeadReason {
        if status == "Failed" {
            return DeadReason::Exhausted;
        }
        let error = last_error.unwrap_or_default();
        let has = |needle: &str| error.contains(needle);
        if has("undecodable payload") || has("does not fit the expected schema") {
            DeadReason::Decode
        } else if has("(401)") {
            DeadReason::Token
        } else if has("(403)") || has("(404)") {
            DeadReason::Access
        } else {
            DeadReason::Other
        }
    }
}

impl fmt::Display for DeadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`DeadReason`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dead-letter reason {0:?}: expected token, access, decode, exhausted or other")]
pub struct ParseDeadReasonError(pub String);

impl FromStr for DeadReason {
    type Err = ParseDeadReasonError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        DeadReason::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseDeadReasonError(s.to_owned()))
    }
}

/// A dead job and why it died.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// The job.
    #[serde(flatten)]
    pub job: JobSummary,
    /// Why it died.
    pub reason: DeadReason,
}

/// Up to `limit` dead jobs of aegis's queues, newest first, with their reason.
///
/// # Errors
/// When the query fails.
pub async fn dead_letters(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    limit: i64,
) -> Result<Vec<DeadLetter>> {
    let rows: Vec<JobRow> = sqlx::query_as(select_jobs!(
        "where s.state = 'dead' order by s.id desc limit $2"
    ))
    .bind(queues.all())
    .bind(limit.max(0))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = row.status.clone();
            let job = row.summary();
            let reason = DeadReason::of(&status, job.last_error.as_deref());
            DeadLetter { job, reason }
        })
        .collect())
}

/// Revives every dead job whose reason is `reason` ([`revive`], one job at
/// a time in one transaction: a job that stopped being dead meanwhile is
/// left out, the others come back together with their runs reopened).
///
/// # Errors
/// The database's.
pub async fn revive_group(
    conn: &mut PgConnection,
    queues: &Queues,
    reason: DeadReason,
) -> Result<Revived> {
    let mut tx = conn.begin().await?;
    let ids: Vec<String> = dead_letters(&mut *tx, queues, i64::MAX)
        .await?
        .into_iter()
        .filter(|d| d.reason == reason)
        .map(|d| d.job.id)
        .collect();
    let mut done = Revived::default();
    for id in &ids {
        match revive(&mut tx, queues, Revive::Job(id)).await {
            Ok(revived) => {
                done.retried.extend(revived.retried);
                done.runs_reopened += revived.runs_reopened;
            }
            Err(Error::NotDead { .. } | Error::NoSuchJob(_)) => {}
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    done.retried.sort_unstable();
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_come_from_status_and_message() {
        let of = |status, error| DeadReason::of(status, Some(error));
        assert_eq!(of("Failed", "HTTP 500 (401)"), DeadReason::Exhausted);
        let token = "Asana rejected the token (401): check ASANA_ACCESS_TOKEN";
        assert_eq!(of("Killed", token), DeadReason::Token);
        let gone = "project 42 not found or not visible to this token (404)";
        assert_eq!(of("Killed", gone), DeadReason::Access);
        let shut = "project 42 is not accessible to this token (403): share it";
        assert_eq!(of("Killed", shut), DeadReason::Access);
        let bad = "undecodable payload, not a aegis.sync-project-tasks job (x)";
        assert_eq!(of("Killed", bad), DeadReason::Decode);
        assert_eq!(of("Killed", "unknown project(s) 7"), DeadReason::Other);
        assert_eq!(DeadReason::of("Killed", None), DeadReason::Other);
        for r in DeadReason::ALL {
            assert_eq!(r.as_str().parse::<DeadReason>(), Ok(r));
        }
    }
}
