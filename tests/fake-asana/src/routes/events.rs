//! `GET /events?resource=&sync=`: the sync-token flow of a project's or a
//! task's event stream (the logic is in `crate::events`).

use std::time::Instant;

use axum::extract::State;
use serde_json::{Value, json};

use super::{Answer, Params, Shared};
use crate::{error::ApiError, render};

/// `GET /events`: 400 without `resource`, 404 for an unknown one, 412 with a
/// fresh token without (or with a stale) `sync`, else up to 100 events.
pub(crate) async fn events(State(state): Shared, params: Params) -> Answer {
    let resource = params.required("resource")?.to_owned();
    let fields = params.opt_fields();
    state.read(|w| {
        if w.live_project(&resource).is_none() && w.live_task(&resource).is_none() {
            return Err(ApiError::not_found("resource", &resource));
        }
        let page = state
            .sync()
            .poll(w, &resource, params.get("sync"), Instant::now())?;
        let render = |e| render::event(w, e);
        let data: Vec<Value> = match &fields {
            Some(fields) => page
                .events
                .iter()
                .map(|e| fields.project(&render(e)))
                .collect(),
            None => page.events.iter().map(render).collect(),
        };
        Ok(super::body(
            &params,
            json!({ "data": data, "sync": page.sync, "has_more": page.has_more }),
        ))
    })
}
