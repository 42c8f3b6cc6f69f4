//! `/metrics`, `/healthz` and `/readyz`, for Prometheus and orchestrators:
//! the router `aegis worker --http ADDR` serves, which a host may mount in
//! its own axum server ([`router`]).
//!
//! - `/metrics`: [`Metrics::encode`] after [`Metrics::refresh`] (the shared
//!   view read from the database). When the database cannot be read, the
//!   process's own series are still served, with `aegis_database_up 0`.
//! - `/healthz`: 200 while the process serves.
//! - `/readyz`: 200 `ready`, or 503 with one line saying why not: the
//!   database unreachable, a migration of this build not applied, or the
//!   token rejected by Asana (401; its work is held until it works).

use std::time::Duration;

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use sqlx::PgPool;
use tracing::warn;

use aegis_jobs::Queues;

use crate::{health, metrics::Metrics, store};

/// How long a probe waits for the database before it says so.
const DATABASE_WAIT: Duration = Duration::from_secs(3);

/// What the probes read.
#[derive(Debug, Clone)]
pub struct ProbeState {
    /// aegis's pool.
    pub pool: PgPool,
    /// aegis's queue names.
    pub queues: Queues,
    /// The process's series (the ones its Asana client counts in).
    pub metrics: Metrics,
    /// The token's budget key ([`crate::budget::token_key`]); `None` checks
    /// every token's.
    pub budget_key: Option<String>,
}

/// The probes' router: `GET /metrics`, `GET /healthz`, `GET /readyz`.
pub fn router(state: ProbeState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(state): State<ProbeState>) -> impl IntoResponse {
    let refreshed = tokio::time::timeout(
        DATABASE_WAIT,
        state.metrics.refresh(&state.pool, &state.queues),
    )
    .await;
    match refreshed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(error.message = %e, "metrics: could not read the shared view"),
        Err(_) => warn!("metrics: the database did not answer in time"),
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<ProbeState>) -> (StatusCode, String) {
    match tokio::time::timeout(DATABASE_WAIT, not_ready(&state)).await {
        Ok(None) => (StatusCode::OK, "ready\n".to_owned()),
        Ok(Some(why)) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database did not answer within {DATABASE_WAIT:?}\n"),
        ),
    }
}

/// Why the process is not ready, if it is not.
pub async fn not_ready(state: &ProbeState) -> Option<String> {
    if let Err(e) = sqlx::query("select 1").execute(&state.pool).await {
        return Some(format!(
            "the database is unreachable: {}",
            store::describe(&e)
        ));
    }
    match store::missing_migrations(&state.pool).await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => {
            return Some(format!(
                "{} migration(s) of this aegis are not applied: run `aegis migrate`",
                missing.len()
            ));
        }
        Err(e) => return Some(format!("cannot read the schema's migrations: {e}")),
    }
    if let Err(e) = store::check_migrated(&state.pool).await {
        return Some(format!(
            "the queue's tables are missing ({e}): run `aegis migrate`"
        ));
    }
    let budgets = match health::budgets(&state.pool).await {
        Ok(budgets) => budgets,
        Err(e) => return Some(format!("cannot read the token's budget: {e}")),
    };
    budgets
        .iter()
        .filter(|b| state.budget_key.as_deref().is_none_or(|k| k == b.key))
        .find(|b| b.circuit == "unauthorized")
        .map(|b| {
            format!(
                "Asana rejects the token (401) since {}: its work is held until it works; \
                 fix ASANA_ACCESS_TOKEN",
                b.hold_since
                    .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
            )
        })
}
