//! Webhook routes: `POST /webhooks` (the handshake happens while the request
//! is open), `GET /webhooks?workspace=&resource=` (paged), `GET`, `PUT`
//! (filters) and `DELETE /webhooks/{gid}`. The delivery side is in
//! `crate::webhooks`.
//!
//! Bodies are JSON `{"data": {...}}` (Asana also takes form bodies; the
//! fake does not). Records are the full `WebhookResponse` by default;
//! `opt_fields` projects them like every other record.

use axum::{
    Json,
    body::Bytes,
    extract::{Extension, Path, State},
    http::StatusCode,
    response::IntoResponse,
};
use chrono::{SubsecRound, Utc};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Answer, ListItem, Params, Shared, single};
use crate::{
    error::ApiError,
    gate::Caller,
    server::AppState,
    webhooks::{self, Delivery, DeliveryKind, Webhook, WebhookFilter, render_webhook},
    world::World,
};

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct CreateBody {
    resource: Option<String>,
    target: Option<String>,
    #[serde(default)]
    filters: Vec<WebhookFilter>,
}

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(default)]
    filters: Vec<WebhookFilter>,
}

/// Parses `{"data": …}`, Asana-style 400 otherwise.
fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice::<Envelope<T>>(body)
        .map(|e| e.data)
        .map_err(|e| ApiError::bad_request(format!("Could not parse request data: {e}")))
}

fn validate(filters: &[WebhookFilter]) -> Result<(), ApiError> {
    filters
        .iter()
        .enumerate()
        .try_for_each(|(i, f)| f.validate(i))
}

/// The type of a resource a webhook can watch in the fake.
fn resource_type(world: &World, gid: &str) -> Option<&'static str> {
    if world.live_project(gid).is_some() {
        Some("project")
    } else {
        world.live_task(gid).map(|_| "task")
    }
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /webhooks`: validates, makes the handshake, stores the webhook,
/// starts its deliveries; 201 `{"data": webhook, "X-Hook-Secret": …}`.
pub(crate) async fn create(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    params: Params,
    body: Bytes,
) -> Answer {
    let CreateBody {
        resource,
        target,
        filters,
    } = parse(&body)?;
    let resource = resource.ok_or_else(|| ApiError::bad_request("resource: Missing input"))?;
    let target = target.ok_or_else(|| ApiError::bad_request("target: Missing input"))?;
    validate(&filters)?;
    let kind = state.read(|w| resource_type(w, &resource));
    let kind = kind.ok_or_else(|| ApiError::not_found("resource", &resource))?;
    state.webhooks.check_limits(&resource, &caller.user)?;
    let secret = new_secret();
    handshake(&state, &target, &secret).await?;
    // Checked again: other creations may have finished during the handshake.
    state.webhooks.check_limits(&resource, &caller.user)?;
    let (gid, cursor) = state.write(|w, _| (w.alloc_gid(), w.last_event_seq()));
    let webhook = Webhook {
        gid: gid.clone(),
        resource,
        resource_type: kind.to_owned(),
        target,
        secret: secret.clone(),
        owner: caller.user,
        filters,
        created_at: Utc::now().trunc_subsecs(3),
        last_success_at: None,
        last_failure_at: None,
        last_failure_content: None,
        delivery_retry_count: 0,
        next_attempt_after: None,
        failure_deletion_timestamp: None,
    };
    state.webhooks.insert(webhook.clone());
    webhooks::spawn_worker(&state, gid, cursor);
    let data = project(&state, &params, &webhook);
    let value = json!({ "data": data, "X-Hook-Secret": secret });
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

/// The handshake; a refusal is Asana's 400 and nothing is stored.
async fn handshake(state: &AppState, target: &str, secret: &str) -> Result<(), ApiError> {
    let timeout = state.webhooks.settings().delivery_timeout;
    let at = Utc::now();
    let outcome = webhooks::send::handshake(&state.webhooks.client, target, secret, timeout).await;
    let verdict = webhooks::send::accepted(&outcome, secret);
    state.webhooks.log(Delivery {
        webhook: String::new(),
        target: target.to_owned(),
        kind: DeliveryKind::Handshake,
        events: Vec::new(),
        attempt: 0,
        status: outcome.status(),
        ok: verdict.is_ok(),
        error: verdict.err().map(str::to_owned),
        retry_in_ms: None,
        at,
    });
    verdict.map_err(ApiError::bad_request)
}

/// The record, projected by `opt_fields` when sent.
fn project(state: &AppState, params: &Params, webhook: &Webhook) -> Value {
    let full = state.read(|w| render_webhook(w, webhook));
    match params.opt_fields() {
        Some(fields) => fields.project(&full),
        None => full,
    }
}

fn found(state: &AppState, gid: &str) -> Result<Webhook, ApiError> {
    state
        .webhooks
        .get(gid)
        .ok_or_else(|| ApiError::not_found("webhook", gid))
}

/// `GET /webhooks/{gid}`.
pub(crate) async fn one(State(state): Shared, Path(gid): Path<String>, params: Params) -> Answer {
    let webhook = found(&state, &gid)?;
    Ok(single(&params, |_| {
        state.read(|w| render_webhook(w, &webhook))
    }))
}

/// `PUT /webhooks/{gid}`: replaces the filters.
pub(crate) async fn update(
    State(state): Shared,
    Path(gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Answer {
    let UpdateBody { filters } = parse(&body)?;
    validate(&filters)?;
    found(&state, &gid)?;
    state.webhooks.update(&gid, |w| w.filters = filters);
    let webhook = found(&state, &gid)?;
    Ok(single(&params, |_| {
        state.read(|w| render_webhook(w, &webhook))
    }))
}

/// `DELETE /webhooks/{gid}` → `{"data": {}}`; no further deliveries.
pub(crate) async fn delete(State(state): Shared, Path(gid): Path<String>) -> Answer {
    state
        .webhooks
        .remove(&gid, "api")
        .ok_or_else(|| ApiError::not_found("webhook", &gid))?;
    Ok(Json(json!({ "data": {} })).into_response())
}

/// `GET /webhooks?workspace=` (required) `&resource=`: the caller's
/// webhooks in creation order, paged.
pub(crate) async fn list(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    params: Params,
) -> Answer {
    let workspace = params.required("workspace")?;
    if state.read(|w| w.workspace.gid != workspace) {
        return Err(ApiError::not_found("workspace", workspace));
    }
    let resource = params.get("resource");
    let all: Vec<Webhook> = state.webhooks.list();
    let mine = all
        .iter()
        .filter(|w| w.owner == caller.user && resource.is_none_or(|r| w.resource == r));
    let keys: Vec<String> = mine.map(|w| w.gid.clone()).collect();
    let record = |gid: &str| {
        let webhook = all.iter().find(|w| w.gid == gid)?;
        Some(state.read(|w| render_webhook(w, webhook)))
    };
    let item = ListItem {
        compact: record,
        full: record,
    };
    super::list(&state, &params, "/webhooks", &keys, item)
}
