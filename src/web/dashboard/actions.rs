//! The dashboard's actions: each a POST that must come from an admin
//! ([`Role::Admin`], else 403) with the page's CSRF token (else 403; a
//! bearer-authenticated request needs none), calls the same
//! [`crate::queue`] function as `aegis queue …`, and redirects back (303)
//! with a flash message saying what it did or why it could not.

use std::time::Duration;

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    DashboardState,
    access::{Role, Via},
    cookies::{self, Tone},
    csrf,
    format::age,
    layout::{self, Page, refused, safe_back},
};
use crate::queue::{self, Cancel, DeadReason, Revive};

/// The fields an action form may carry.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    csrf: String,
    back: Option<String>,
    /// `/dead/retry`: the group.
    reason: Option<String>,
    /// `/purge`: `30m`, `12h`, `7d`.
    older_than: Option<String>,
}

/// Why an action did nothing.
#[derive(Debug, thiserror::Error)]
enum ActionError {
    /// The queue refused it (a job not dead, finished, unknown…) or failed.
    #[error(transparent)]
    Queue(#[from] queue::Error),
    /// The form asked for something that does not exist.
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for ActionError {
    fn from(e: sqlx::Error) -> Self {
        ActionError::Queue(e.into())
    }
}

/// A 403 unless the caller is an admin and the CSRF token holds.
fn refusal(
    state: &DashboardState,
    page: &Page,
    headers: &HeaderMap,
    form: &ActionForm,
) -> Option<Response> {
    let Some(access) = page.access else {
        return Some(refused(page, "Not signed in."));
    };
    if access.role != Role::Admin {
        return Some(refused(
            page,
            "Read-only access: this credential cannot act on the queue.",
        ));
    }
    if access.via != Via::Bearer && !csrf::verify(state.key(), headers, &form.csrf) {
        return Some(layout::csrf_refused(page));
    }
    None
}

/// 303 back with the outcome as the flash message.
fn done(form: &ActionForm, outcome: Result<String, ActionError>) -> Response {
    let flash = match outcome {
        Ok(text) => cookies::flash(Tone::Ok, &text),
        Err(e) => {
            tracing::warn!(error.message = %e, "a dashboard action was refused");
            cookies::flash(Tone::Error, &e.to_string())
        }
    };
    let back = safe_back(form.back.as_deref());
    ([(header::SET_COOKIE, flash)], Redirect::to(&back)).into_response()
}

/// Runs `$body` (a `Result<String, ActionError>`) once the action is allowed.
macro_rules! action {
    ($state:ident, $page:ident, $headers:ident, $form:ident, $body:expr) => {{
        if let Some(refusal) = refusal(&$state, &$page, &$headers, &$form) {
            return refusal;
        }
        let outcome: Result<String, ActionError> = async { $body }.await;
        done(&$form, outcome)
    }};
}

/// `POST /jobs/{id}/retry`: revives a dead job ([`queue::revive`]).
pub(super) async fn retry(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let mut conn = state.pool().acquire().await?;
        let revived = queue::revive(&mut conn, state.queues(), Revive::Job(&id)).await?;
        Ok(format!(
            "Job {id} is pending again ({} run(s) reopened).",
            revived.runs_reopened
        ))
    })
}

/// `POST /jobs/{id}/cancel` ([`queue::cancel`]).
pub(super) async fn cancel(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let mut conn = state.pool().acquire().await?;
        let reason = "by an operator (the dashboard)";
        let done = queue::cancel(&mut conn, state.queues(), Cancel::Job(&id), reason).await?;
        Ok(format!(
            "Cancelled job {id}; {} run(s) closed as cancelled.",
            done.runs_cancelled.len()
        ))
    })
}

/// `POST /runs/{id}/cancel`: the run's unfinished jobs ([`queue::cancel`]).
pub(super) async fn cancel_run(
    State(state): State<DashboardState>,
    Path(id): Path<Uuid>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let mut conn = state.pool().acquire().await?;
        let reason = "by an operator (the dashboard, whole run)";
        let done = queue::cancel(&mut conn, state.queues(), Cancel::Run(id), reason).await?;
        Ok(format!(
            "Cancelled {} job(s) of run {id}.",
            done.cancelled.len()
        ))
    })
}

/// `POST /jobs/{id}/run-now` ([`queue::run_now`]).
pub(super) async fn run_now(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let done = queue::run_now(state.pool(), state.queues(), &id).await?;
        Ok(match done.was {
            queue::JobState::Pending => format!("Job {id} was already runnable."),
            was => format!("Job {id} ({was}) is runnable now."),
        })
    })
}

/// `POST /dead/retry`: revives one group of dead letters ([`queue::revive_group`]).
pub(super) async fn retry_group(
    State(state): State<DashboardState>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let name = form.reason.as_deref().unwrap_or_default();
        let reason: DeadReason = name
            .parse()
            .map_err(|e: queue::ParseDeadReasonError| ActionError::Invalid(e.to_string()))?;
        let mut conn = state.pool().acquire().await?;
        let revived = queue::revive_group(&mut conn, state.queues(), reason).await?;
        Ok(format!(
            "Retried {} dead job(s) of group {reason} ({} run(s) reopened).",
            revived.retried.len(),
            revived.runs_reopened
        ))
    })
}

/// `POST /kinds/{kind}/pause` ([`queue::pause`]).
pub(super) async fn pause(
    State(state): State<DashboardState>,
    Path(kind): Path<String>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        queue::pause(state.pool(), state.queues(), Some(&kind)).await?;
        Ok(format!(
            "{kind} is paused: workers start none of its jobs until it is resumed."
        ))
    })
}

/// `POST /kinds/{kind}/resume` ([`queue::resume`]).
pub(super) async fn resume(
    State(state): State<DashboardState>,
    Path(kind): Path<String>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let done = queue::resume(state.pool(), state.queues(), Some(&kind)).await?;
        Ok(format!(
            "{kind} resumed; {} held job(s) runnable now.",
            done.jobs_released
        ))
    })
}

/// `POST /purge`: done jobs older than the form's age ([`queue::purge_done_older_than`]).
pub(super) async fn purge(
    State(state): State<DashboardState>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    action!(state, page, headers, form, {
        let older = form
            .older_than
            .as_deref()
            .and_then(parse_age)
            .ok_or_else(|| {
                ActionError::Invalid("Purge needs an age such as 30m, 12h or 7d.".to_owned())
            })?;
        let report = queue::purge_done_older_than(state.pool(), state.queues(), older).await?;
        Ok(format!(
            "Purged {} done job(s) finished more than {} ago and {} stale worker row(s).",
            report.jobs,
            age(older.as_secs() as i64),
            report.workers
        ))
    })
}

/// `90s`, `30m`, `12h`, `7d` (a bare number is days).
fn parse_age(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "d"),
    };
    let n: u64 = number.parse().ok()?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_backs_are_checked() {
        assert_eq!(parse_age("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_age("2"), Some(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_age("x"), None);
        assert_eq!(parse_age("5w"), None);
        assert_eq!(safe_back(Some("/jobs?state=dead")), "/jobs?state=dead");
        assert_eq!(safe_back(Some("//evil.example")), "/");
        assert_eq!(safe_back(Some("https://evil.example")), "/");
        assert_eq!(safe_back(None), "/");
    }
}
