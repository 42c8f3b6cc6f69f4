//! Triggers: changes to the world made when a matching request reaches its
//! handler, just before it is answered, to stage races deterministically
//! (e.g. a task deleted after a listing showed it, before its subtasks are
//! asked for: the request for its subtasks then sees it trashed).
//!
//! [`Triggers`] holds them in insertion order; each fires once, on the first
//! request whose route glob (as in [`faults`](crate::faults)) and query
//! substring match, and is then gone. Requests the gate turns away (401,
//! 429, a fault answered instead of the handler) do not fire them.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    faults::route_matches,
    gate::api_path,
    mutate::MutateError,
    server::AppState,
    world::{Gid, World},
};

/// What a trigger does to the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TriggerAction {
    /// Trashes a task, as the control API's `delete_task` does (its
    /// subtasks become unreachable, a `deleted` event is emitted).
    DeleteTask {
        /// The task's gid.
        task: Gid,
    },
}

impl TriggerAction {
    /// Applies the change at `now`.
    pub fn apply(&self, world: &mut World, now: DateTime<Utc>) -> Result<(), MutateError> {
        match self {
            TriggerAction::DeleteTask { task } => world.delete_task(task, now),
        }
    }
}

/// One trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Route pattern under `/api/1.0` (`*` one segment, trailing `**` any
    /// rest), matched against the path only, e.g. `/tasks/123/subtasks`.
    pub route: String,
    /// Optional substring the raw query must contain.
    #[serde(default)]
    pub query_contains: Option<String>,
    /// The change.
    #[serde(flatten)]
    pub action: TriggerAction,
}

impl Trigger {
    /// A trigger that trashes `task` when a request for `route` arrives.
    pub fn delete_task_on(route: &str, task: &str) -> Trigger {
        Trigger {
            route: route.to_owned(),
            query_contains: None,
            action: TriggerAction::DeleteTask {
                task: task.to_owned(),
            },
        }
    }

    fn matches(&self, path: &str, query: &str) -> bool {
        route_matches(&self.route, path)
            && (self.query_contains.as_deref()).is_none_or(|needle| query.contains(needle))
    }
}

/// The triggers still to fire, in insertion order.
#[derive(Debug, Default)]
pub struct Triggers {
    pending: Vec<Trigger>,
}

impl Triggers {
    /// Appends a trigger.
    pub fn add(&mut self, trigger: Trigger) {
        self.pending.push(trigger);
    }

    /// Removes every trigger.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// The triggers still to fire.
    pub fn pending(&self) -> Vec<Trigger> {
        self.pending.clone()
    }

    /// Removes the triggers a request fires and returns their actions, in
    /// insertion order. `path` is under `/api/1.0`, `query` the raw query.
    pub fn take(&mut self, path: &str, query: &str) -> Vec<TriggerAction> {
        let (fired, kept): (Vec<Trigger>, Vec<Trigger>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|t| t.matches(path, query));
        self.pending = kept;
        fired.into_iter().map(|t| t.action).collect()
    }
}

/// The axum middleware, inside the gate: applies the triggers a request
/// fires (a failed change is logged and dropped), then answers it.
pub(crate) async fn fire(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let path = api_path(req.uri().path());
    let query = req.uri().query().unwrap_or_default();
    let actions = state.triggers().take(&path, query);
    for action in actions {
        if let Err(error) = state.write(|w, now| action.apply(w, now)) {
            tracing::warn!(?action, %error, "fake-asana trigger failed");
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delete(task: &str) -> TriggerAction {
        TriggerAction::DeleteTask { task: task.into() }
    }

    #[test]
    fn a_trigger_fires_once_on_its_route_only() {
        let mut triggers = Triggers::default();
        triggers.add(Trigger::delete_task_on("/tasks/7/subtasks", "7"));
        assert!(triggers.take("/tasks/7", "").is_empty());
        assert!(triggers.take("/tasks/8/subtasks", "").is_empty());
        assert_eq!(triggers.take("/tasks/7/subtasks", ""), vec![delete("7")]);
        assert!(triggers.take("/tasks/7/subtasks", "").is_empty(), "once");
        assert!(triggers.pending().is_empty());
    }

    #[test]
    fn every_matching_trigger_fires_in_order_and_others_wait() {
        let mut triggers = Triggers::default();
        triggers.add(Trigger::delete_task_on("/tasks/*/subtasks", "1"));
        triggers.add(Trigger {
            query_contains: Some("project=5".into()),
            ..Trigger::delete_task_on("/tasks", "2")
        });
        triggers.add(Trigger::delete_task_on("/tasks/9/**", "3"));
        assert!(triggers.take("/tasks", "project=6").is_empty());
        assert_eq!(
            triggers.take("/tasks/9/subtasks", ""),
            vec![delete("1"), delete("3")]
        );
        assert_eq!(
            triggers.take("/tasks", "limit=1&project=5"),
            vec![delete("2")]
        );
        assert!(triggers.pending().is_empty());
        triggers.add(Trigger::delete_task_on("/**", "4"));
        triggers.clear();
        assert!(triggers.take("/x", "").is_empty());
    }

    #[test]
    fn triggers_round_trip_through_json() {
        let json = r#"{"route":"/tasks/1/subtasks","action":"delete_task","task":"1"}"#;
        let trigger: Trigger = serde_json::from_str(json).expect("parses");
        assert_eq!(trigger, Trigger::delete_task_on("/tasks/1/subtasks", "1"));
        let back = serde_json::to_value(&trigger).expect("serialises");
        assert_eq!(back["action"], "delete_task");
    }
}
