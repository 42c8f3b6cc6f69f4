//! The API under `/api/1.0` (reads, and the webhook routes), behind the gate: the router, and what
//! every handler shares — query parameters, `opt_fields` handling, and the
//! `{"data": …}` envelopes of single records and paged lists.

mod events;
mod portfolios;
mod projects;
mod tasks;
mod users;
mod webhooks;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{FromRequestParts, Query},
    http::request::Parts,
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::{
    error::ApiError, gate, opt_fields::OptFields, render::Form, server::AppState, triggers,
};

/// The shared state as handlers extract it.
pub(crate) type Shared = axum::extract::State<Arc<AppState>>;

/// A handler's answer.
pub(crate) type Answer = Result<Response, ApiError>;

/// The router of `/api/1.0`, every route wrapped by the gate, then by the
/// triggers (see `triggers`); unknown routes and methods get Asana's 404.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/users/{user}", get(users::user))
        .route("/workspaces", get(users::workspaces))
        .route("/workspaces/{gid}", get(users::workspace))
        .route("/portfolios", get(portfolios::list))
        .route("/portfolios/{gid}", get(portfolios::one))
        .route("/portfolios/{gid}/items", get(portfolios::items))
        .route("/projects", get(projects::list))
        .route("/projects/{gid}", get(projects::one))
        .route("/projects/{gid}/sections", get(projects::sections))
        .route("/projects/{gid}/tasks", get(tasks::for_project))
        .route("/sections/{gid}", get(projects::section))
        .route("/sections/{gid}/tasks", get(tasks::for_section))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{gid}", get(tasks::one))
        .route("/tasks/{gid}/subtasks", get(tasks::subtasks))
        .route("/events", get(events::events))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/webhooks/{gid}",
            get(webhooks::one)
                .put(webhooks::update)
                .delete(webhooks::delete),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        .with_state(state.clone())
        .layer(from_fn_with_state(state.clone(), triggers::fire))
        .layer(from_fn_with_state(state.gate.clone(), gate::gate));
    Router::new().nest("/api/1.0", api).fallback(no_route)
}

/// Asana's 404 for a route that does not exist.
pub(crate) async fn no_route() -> ApiError {
    ApiError::no_route()
}

/// The query string as pairs, in the order received.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
        Ok(Params { pairs })
    }
}

impl Params {
    /// The first value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be there: else 400 `<key>: Missing input`.
    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::bad_request(format!("{key}: Missing input")))
    }

    /// The parsed `opt_fields`, when sent.
    pub fn opt_fields(&self) -> Option<OptFields> {
        self.get("opt_fields").map(OptFields::parse)
    }

    /// A date-time parameter (RFC 3339, or a bare date meaning its midnight UTC).
    pub fn date_time(&self, key: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return Ok(Some(at.with_timezone(&Utc)));
        }
        let day = raw
            .parse::<NaiveDate>()
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0));
        let invalid = || ApiError::bad_request(format!("{key}: Not a valid date-time: {raw}"));
        day.map(|d| Some(d.and_utc())).ok_or_else(invalid)
    }

    fn pretty(&self) -> bool {
        self.get("opt_pretty")
            .is_some_and(|v| v.is_empty() || v == "true")
    }
}

/// A JSON body, pretty when `opt_pretty` asks for it.
fn body(params: &Params, value: Value) -> Response {
    if !params.pretty() {
        return Json(value).into_response();
    }
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

/// `{"data": record}`: projected by `opt_fields` from the full form, or the
/// default form without it.
pub(crate) fn single(params: &Params, render: impl Fn(Form) -> Value) -> Response {
    let data = match params.opt_fields() {
        Some(fields) => fields.project(&render(Form::Full)),
        None => render(Form::Default),
    };
    body(params, json!({ "data": data }))
}

/// How a list renders one key: `compact` without `opt_fields`, `full` (to be
/// projected) with it. Either may skip the key by returning `None`.
pub(crate) struct ListItem<C, F> {
    pub compact: C,
    pub full: F,
}

/// `{"data": [...], "next_page": …}` for one page of `keys`.
pub(crate) fn list<C, F>(
    state: &AppState,
    params: &Params,
    route: &str,
    keys: &[String],
    item: ListItem<C, F>,
) -> Answer
where
    C: Fn(&str) -> Option<Value>,
    F: Fn(&str) -> Option<Value>,
{
    let page = state
        .pager
        .page(keys, route, &params.pairs, &state.base_url, Utc::now())?;
    let keys = &keys[page.range];
    let data: Vec<Value> = match params.opt_fields() {
        Some(fields) => keys
            .iter()
            .filter_map(|k| (item.full)(k))
            .map(|v| fields.project(&v))
            .collect(),
        None => keys.iter().filter_map(|k| (item.compact)(k)).collect(),
    };
    let mut value = json!({ "data": data });
    if let Some(next) = page.next_page {
        value["next_page"] = next;
    }
    Ok(body(params, value))
}
