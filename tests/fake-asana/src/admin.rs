//! The control API over HTTP under `/_admin` (JSON bodies, no auth, never
//! behind the gate): the same operations as the methods in `control`.
//!
//! Tasks: `POST /tasks` (NewTask), `PATCH /tasks/{gid}` (TaskPatch),
//! `DELETE /tasks/{gid}`, `POST /tasks/{gid}/undelete`,
//! `POST|DELETE /tasks/{gid}/projects/{project}`,
//! `POST /tasks/{gid}/section/{section}`. Projects: `POST /projects`
//! (NewProject), `DELETE /projects/{gid}`, `POST /projects/{gid}/archive`
//! (`{"archived": bool}`),
//! `POST|DELETE /portfolio/items/{project}`. Triggers (a change made when a
//! matching request arrives): `GET|POST|DELETE /triggers` (a Trigger, or an
//! array of them). Gate: `GET|POST|DELETE /faults`, `PUT /limits`, `POST /expire/offsets`, `POST /expire/sync-tokens`,
//! `POST /events/drop` (`{"count": n}`),
//! `POST /tokens` (`{"token","user"}`), `POST /tokens/revoke` (`{"token"}`),
//! `GET|DELETE /stats`, `GET /requests`. World: `GET /world`,
//! `GET /world/tasks/{gid}`, `GET /world/events?after=N`. Webhooks:
//! `/_admin/webhooks…`, served by `webhooks::admin`.

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    control::summary,
    error::ApiError,
    faults::FaultRule,
    mutate::{MutateError, NewProject, NewTask, TaskPatch},
    render::{self, Form},
    server::AppState,
    triggers::Trigger,
};

type Shared = State<Arc<AppState>>;
type Answer = Result<Response, ApiError>;

/// The `/_admin` router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let admin = Router::new()
        .route("/tasks", post(create_task))
        .route(
            "/tasks/{gid}",
            axum::routing::patch(modify_task).delete(delete_task),
        )
        .route("/tasks/{gid}/undelete", post(undelete_task))
        .route("/tasks/{gid}/section/{section}", post(move_to_section))
        .route(
            "/tasks/{gid}/projects/{project}",
            post(add_to_project).delete(remove_from_project),
        )
        .route("/projects", post(create_project))
        .route("/projects/{gid}", axum::routing::delete(delete_project))
        .route("/projects/{gid}/archive", post(archive_project))
        .route(
            "/portfolio/items/{project}",
            post(add_to_portfolio).delete(remove_from_portfolio),
        )
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
        .route(
            "/triggers",
            get(triggers).post(add_trigger).delete(clear_triggers),
        )
        .route("/limits", axum::routing::put(set_limits))
        .route("/expire/offsets", post(expire_offsets))
        .route("/expire/sync-tokens", post(expire_sync_tokens))
        .route("/events/drop", post(drop_events))
        .route("/tokens", post(add_token))
        .route("/tokens/revoke", post(revoke_token))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/requests", get(requests))
        .route("/world", get(world))
        .route("/world/tasks/{gid}", get(world_task))
        .route("/world/events", get(world_events))
        .with_state(state);
    Router::new().nest("/_admin", admin)
}

fn refused(error: MutateError) -> ApiError {
    let status = match error {
        MutateError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::NOT_FOUND,
    };
    ApiError::status(status, error.to_string())
}

fn done(result: Result<(), MutateError>) -> Answer {
    result.map_err(refused)?;
    Ok(Json(json!({ "data": {} })).into_response())
}

fn created(result: Result<String, MutateError>) -> Answer {
    let gid = result.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(json!({ "data": { "gid": gid } }))).into_response())
}

async fn create_task(State(s): Shared, Json(new): Json<NewTask>) -> Answer {
    created(s.write(|w, now| w.create_task(&new, now)))
}

async fn modify_task(
    State(s): Shared,
    Path(gid): Path<String>,
    Json(patch): Json<TaskPatch>,
) -> Answer {
    done(s.write(|w, now| w.modify_task(&gid, &patch, now)))
}

async fn delete_task(State(s): Shared, Path(gid): Path<String>) -> Answer {
    done(s.write(|w, now| w.delete_task(&gid, now)))
}

async fn undelete_task(State(s): Shared, Path(gid): Path<String>) -> Answer {
    done(s.write(|w, now| w.undelete_task(&gid, now)))
}

async fn add_to_project(State(s): Shared, Path((gid, project)): Path<(String, String)>) -> Answer {
    done(s.write(|w, now| w.add_task_to_project(&gid, &project, now)))
}

async fn remove_from_project(
    State(s): Shared,
    Path((gid, project)): Path<(String, String)>,
) -> Answer {
    done(s.write(|w, now| w.remove_task_from_project(&gid, &project, now)))
}

async fn move_to_section(State(s): Shared, Path((gid, section)): Path<(String, String)>) -> Answer {
    done(s.write(|w, now| w.move_task_to_section(&gid, &section, now)))
}

async fn delete_project(State(s): Shared, Path(gid): Path<String>) -> Answer {
    done(s.write(|w, now| w.delete_project(&gid, now)))
}

async fn create_project(State(s): Shared, Json(new): Json<NewProject>) -> Answer {
    created(s.write(|w, now| w.create_project(&new, now)))
}

#[derive(Deserialize)]
struct Archive {
    #[serde(default = "yes")]
    archived: bool,
}

fn yes() -> bool {
    true
}

async fn archive_project(
    State(s): Shared,
    Path(gid): Path<String>,
    body: Option<Json<Archive>>,
) -> Answer {
    let archived = body.is_none_or(|Json(a)| a.archived);
    done(s.write(|w, now| w.archive_project(&gid, archived, now)))
}

async fn add_to_portfolio(State(s): Shared, Path(project): Path<String>) -> Answer {
    done(s.write(|w, now| w.add_project_to_portfolio(&project, None, now)))
}

async fn remove_from_portfolio(State(s): Shared, Path(project): Path<String>) -> Answer {
    done(s.write(|w, now| w.remove_project_from_portfolio(&project, now)))
}

async fn faults(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.gate.faults() }))
}

/// Adds one rule, or several when the body is an array.
async fn add_fault(State(s): Shared, Json(body): Json<Value>) -> Answer {
    let rules: Vec<FaultRule> = match body {
        Value::Array(_) => serde_json::from_value(body),
        one => serde_json::from_value(one).map(|r| vec![r]),
    }
    .map_err(|e| ApiError::bad_request(format!("fault: {e}")))?;
    rules.into_iter().for_each(|r| s.gate.add_fault(r));
    done(Ok(()))
}

async fn clear_faults(State(s): Shared) -> Answer {
    s.gate.clear_faults();
    done(Ok(()))
}

async fn triggers(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.triggers().pending() }))
}

/// Adds one trigger, or several when the body is an array.
async fn add_trigger(State(s): Shared, Json(body): Json<Value>) -> Answer {
    let triggers: Vec<Trigger> = match body {
        Value::Array(_) => serde_json::from_value(body),
        one => serde_json::from_value(one).map(|t| vec![t]),
    }
    .map_err(|e| ApiError::bad_request(format!("trigger: {e}")))?;
    triggers.into_iter().for_each(|t| s.triggers().add(t));
    done(Ok(()))
}

async fn clear_triggers(State(s): Shared) -> Answer {
    s.triggers().clear();
    done(Ok(()))
}

/// `PUT /limits`: `{"requests_per_minute": n|null, "latency_ms": n,
/// "max_inflight_gets": n, "offset_ttl_secs": n, "event_token_ttl_secs": n}`;
/// absent keys are left alone.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    #[serde(default, deserialize_with = "nullable")]
    requests_per_minute: Option<Option<u32>>,
    latency_ms: Option<u64>,
    max_inflight_gets: Option<u32>,
    offset_ttl_secs: Option<u64>,
    event_token_ttl_secs: Option<u64>,
}

fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

async fn set_limits(State(s): Shared, Json(limits): Json<Limits>) -> Answer {
    if let Some(rpm) = limits.requests_per_minute {
        s.gate.set_rate_limit(rpm);
    }
    if let Some(ms) = limits.latency_ms {
        s.gate.set_latency(Duration::from_millis(ms));
    }
    if let Some(max) = limits.max_inflight_gets {
        s.gate.set_max_inflight_gets(max);
    }
    if let Some(secs) = limits.offset_ttl_secs {
        s.pager.set_ttl(Duration::from_secs(secs));
    }
    if let Some(secs) = limits.event_token_ttl_secs {
        s.sync().set_ttl(Duration::from_secs(secs));
    }
    done(Ok(()))
}

async fn expire_offsets(State(s): Shared) -> Answer {
    s.pager.expire_all();
    done(Ok(()))
}

async fn expire_sync_tokens(State(s): Shared) -> Answer {
    s.sync().expire_all();
    done(Ok(()))
}

#[derive(Deserialize)]
struct Count {
    count: u32,
}

/// Loses the next `count` events (at-most-once delivery).
async fn drop_events(State(s): Shared, Json(body): Json<Count>) -> Answer {
    s.drop_next_events(body.count);
    done(Ok(()))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
    #[serde(default)]
    user: Option<String>,
}

async fn add_token(State(s): Shared, Json(body): Json<TokenBody>) -> Answer {
    let user = body.user.or_else(|| s.read(|w| w.actor()));
    let user = user.ok_or_else(|| ApiError::bad_request("user: Missing input"))?;
    s.gate.add_token(body.token, user);
    done(Ok(()))
}

async fn revoke_token(State(s): Shared, Json(body): Json<TokenBody>) -> Answer {
    s.gate.revoke_token(&body.token);
    done(Ok(()))
}

async fn stats(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.gate.stats() }))
}

async fn reset_stats(State(s): Shared) -> Answer {
    s.gate.reset_stats();
    done(Ok(()))
}

async fn requests(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.gate.request_log() }))
}

async fn world(State(s): Shared) -> Json<Value> {
    Json(json!({ "data": s.read(summary) }))
}

/// A task in full, trashed ones included (with `"trashed": true`).
async fn world_task(State(s): Shared, Path(gid): Path<String>) -> Answer {
    s.read(|w| {
        let task = w
            .tasks
            .get(&gid)
            .ok_or_else(|| ApiError::not_found("task", &gid))?;
        let mut value = render::task(w, task, Form::Full);
        value["trashed"] = json!(w.live_task(&gid).is_none());
        Ok(Json(json!({ "data": value })).into_response())
    })
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

/// The event log after position `after`, with each event's `seq` and `audience`.
async fn world_events(State(s): Shared, Query(after): Query<After>) -> Json<Value> {
    let events = s.read(|w| {
        let newer = w.events.iter().filter(|e| e.seq > after.after);
        newer
            .map(|e| {
                let mut value = render::event(w, e);
                value["seq"] = json!(e.seq);
                value["audience"] = json!(e.audience);
                value
            })
            .collect::<Vec<_>>()
    });
    Json(json!({ "data": events }))
}
