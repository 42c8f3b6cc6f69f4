//! What goes over the wire: the webhook record (spec `WebhookResponse`),
//! the compact events of a delivery, and `X-Hook-Signature`.
//!
//! Webhook events are compact (notes §5): `user` and `parent` as
//! `{gid, resource_type}`, `resource` with its `resource_subtype` (observed
//! on Asana), no `name`, no deprecated `type`, and `change` (for `changed`)
//! whose `new_value` / `added_value` / `removed_value` resources carry only
//! `{gid, resource_type}`.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::Webhook;
use crate::{
    render::timestamp,
    world::{Event, ResourceRef, World},
};

/// Lowercase hex HMAC-SHA256 of `body`, keyed by `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn compact(r: &ResourceRef) -> Value {
    json!({ "gid": r.gid, "resource_type": r.resource_type })
}

/// Keeps only `gid` and `resource_type` of a resource value.
fn compact_value(value: &Value) -> Value {
    match value {
        Value::Object(object) if object.contains_key("gid") => {
            let keep = ["gid", "resource_type"];
            let kept = object.iter().filter(|(k, _)| keep.contains(&k.as_str()));
            Value::Object(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        other => other.clone(),
    }
}

fn compact_change(change: &Value) -> Value {
    let Value::Object(object) = change else {
        return change.clone();
    };
    let compacted: Map<String, Value> = object
        .iter()
        .map(|(k, v)| (k.clone(), compact_value(v)))
        .collect();
    Value::Object(compacted)
}

/// The resource's `resource_subtype`, for tasks.
pub fn subtype<'w>(world: &'w World, event: &Event) -> Option<&'w str> {
    (event.resource.resource_type == "task")
        .then(|| world.tasks.get(&event.resource.gid))
        .flatten()
        .map(|t| t.resource_subtype.as_str())
}

/// One event as a webhook delivers it.
pub fn webhook_event(world: &World, event: &Event) -> Value {
    let mut resource = compact(&event.resource);
    if let Some(subtype) = subtype(world, event) {
        resource["resource_subtype"] = json!(subtype);
    }
    let user = event.user.as_ref().map_or(
        Value::Null,
        |gid| json!({ "gid": gid, "resource_type": "user" }),
    );
    let mut value = json!({
        "user": user,
        "created_at": timestamp(&event.created_at),
        "action": event.action,
        "resource": resource,
        "parent": event.parent.as_ref().map_or(Value::Null, compact),
    });
    if event.action == "changed" {
        value["change"] = event.change.as_ref().map_or(Value::Null, compact_change);
    }
    value
}

fn opt_time(at: Option<&chrono::DateTime<chrono::Utc>>) -> Value {
    at.map_or(Value::Null, |t| json!(timestamp(t)))
}

/// The full webhook record (`WebhookResponse`), `resource` named from the world.
pub fn render_webhook(world: &World, webhook: &Webhook) -> Value {
    let name = match webhook.resource_type.as_str() {
        "project" => world.projects.get(&webhook.resource).map(|p| &p.name),
        _ => world.tasks.get(&webhook.resource).map(|t| &t.name),
    };
    json!({
        "gid": webhook.gid,
        "resource_type": "webhook",
        "active": true,
        "resource": {
            "gid": webhook.resource,
            "resource_type": webhook.resource_type,
            "name": name,
        },
        "target": webhook.target,
        "created_at": timestamp(&webhook.created_at),
        "last_success_at": opt_time(webhook.last_success_at.as_ref()),
        "last_failure_at": opt_time(webhook.last_failure_at.as_ref()),
        "last_failure_content": webhook.last_failure_content,
        "delivery_retry_count": webhook.delivery_retry_count,
        "next_attempt_after": opt_time(webhook.next_attempt_after.as_ref()),
        "failure_deletion_timestamp": opt_time(webhook.failure_deletion_timestamp.as_ref()),
        "filters": webhook.filters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn changed_values_keep_only_gid_and_type() {
        let change = json!({"field": "assignee", "action": "changed",
            "new_value": {"gid": "5", "resource_type": "user", "name": "Greg"}});
        assert_eq!(
            compact_change(&change)["new_value"],
            json!({"gid": "5", "resource_type": "user"})
        );
        assert_eq!(compact_change(&change)["field"], "assignee");
    }
}
