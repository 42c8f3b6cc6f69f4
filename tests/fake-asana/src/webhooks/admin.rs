//! `/_admin/webhooks`, the webhook control API over HTTP (no auth, never
//! behind the gate): `GET` everything (webhooks with their secrets,
//! deliveries, removals, lost events), `GET|PUT /settings` (PUT takes any
//! subset of [`WebhookSettings`], durations in milliseconds),
//! `GET /deliveries?webhook=<gid>` (`count`, `last_status`, `deliveries`)
//! and `DELETE /{gid}` (deleted as Asana would).

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::WebhookSettings;
use crate::{error::ApiError, server::AppState};

type Shared = State<Arc<AppState>>;

/// The `/_admin/webhooks` routes (to be nested under `/_admin`).
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/webhooks", get(view))
        .route("/webhooks/settings", get(settings).put(set_settings))
        .route("/webhooks/deliveries", get(deliveries))
        .route("/webhooks/{gid}", axum::routing::delete(delete))
        .with_state(state);
    Router::new().nest("/_admin", routes)
}

async fn view(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.webhooks.view() }))
}

async fn settings(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.webhooks.settings() }))
}

/// Merges the given keys into the settings in force.
async fn set_settings(State(s): Shared, Json(body): Json<Value>) -> Result<Response, ApiError> {
    let mut current = serde_json::to_value(s.webhooks.settings()).unwrap_or_default();
    let Value::Object(changes) = body else {
        return Err(ApiError::bad_request("settings: expected an object"));
    };
    for (key, value) in changes {
        current[key] = value;
    }
    let settings: WebhookSettings = serde_json::from_value(current)
        .map_err(|e| ApiError::bad_request(format!("settings: {e}")))?;
    s.webhooks.set_settings(settings.clone());
    Ok(Json(json!({ "data": settings })).into_response())
}

#[derive(Deserialize)]
struct Which {
    webhook: Option<String>,
}

/// The deliveries (of one webhook with `?webhook=`): count, last status, all.
async fn deliveries(State(s): Shared, Query(which): Query<Which>) -> Json<Value> {
    let view = s.webhooks.view();
    let picked: Vec<_> = view
        .deliveries
        .iter()
        .filter(|d| which.webhook.as_ref().is_none_or(|w| d.webhook == *w))
        .collect();
    let last_status = picked.last().and_then(|d| d.status);
    Json(json!({ "data": {
        "count": picked.len(),
        "last_status": last_status,
        "deliveries": picked,
    }}))
}

async fn delete(State(s): Shared, Path(gid): Path<String>) -> Result<Response, ApiError> {
    s.webhooks
        .remove(&gid, "admin")
        .ok_or_else(|| ApiError::not_found("webhook", &gid))?;
    Ok(Json(json!({ "data": {} })).into_response())
}
