//! Events as `GET /events` returns them (spec `EventResponse`).

use serde_json::{Value, json};

use super::{Form, opt_user_ref, timestamp};
use crate::world::{Event, ResourceRef, World};

fn resource_ref(r: &ResourceRef) -> Value {
    json!({ "gid": r.gid, "resource_type": r.resource_type, "name": r.name })
}

/// One event: `user`, `created_at`, `action`, `resource`, `parent`, `change`
/// (only for `changed`) and the deprecated `type`.
pub fn event(world: &World, event: &Event) -> Value {
    let mut value = json!({
        "user": opt_user_ref(world, event.user.as_ref(), Form::Default),
        "created_at": timestamp(&event.created_at),
        "action": event.action,
        "resource": resource_ref(&event.resource),
        "parent": event.parent.as_ref().map_or(Value::Null, resource_ref),
        "type": event.resource.resource_type,
    });
    if event.action == "changed" {
        value["change"] = event.change.clone().unwrap_or(Value::Null);
    }
    value
}
