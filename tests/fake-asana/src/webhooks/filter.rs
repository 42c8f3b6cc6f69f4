//! Webhook filters (spec `WebhookFilter`): which events of the subscribed
//! resource's stream a webhook delivers. An event passes when it matches any
//! filter; a filter matches when every key it sets matches (`resource_type`,
//! `resource_subtype`, `action`, and for `changed` events `fields`, which
//! must hold the changed field). No filters: every event passes.

use serde::{Deserialize, Serialize};

use crate::{error::ApiError, world::Event};

/// One filter of a webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookFilter {
    /// `task`, `project`, `story`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// E.g. `milestone`, as the resource's own `resource_subtype`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_subtype: Option<String>,
    /// `changed`, `added`, `removed`, `deleted` or `undeleted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// For `changed` only: the fields whose changes pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

/// The actions an event (and so a filter) can have.
const ACTIONS: [&str; 5] = ["changed", "added", "removed", "deleted", "undeleted"];

impl WebhookFilter {
    /// Asana's checks on a filter: a known action, `fields` only with
    /// `changed`. `index` is its position, for the message.
    pub fn validate(&self, index: usize) -> Result<(), ApiError> {
        if let Some(action) = &self.action
            && !ACTIONS.contains(&action.as_str())
        {
            return Err(ApiError::bad_request(format!(
                "filters[{index}].action: Not a valid action: {action}"
            )));
        }
        if self.fields.is_some() && self.action.as_deref() != Some("changed") {
            return Err(ApiError::bad_request(format!(
                "filters[{index}].fields: Only valid with action changed"
            )));
        }
        Ok(())
    }

    /// Whether `event` passes this filter; `subtype` is the resource's
    /// `resource_subtype` when it has one.
    pub fn matches(&self, event: &Event, subtype: Option<&str>) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        let field = event
            .change
            .as_ref()
            .and_then(|c| c["field"].as_str())
            .map(str::to_owned);
        let fields_ok = self
            .fields
            .as_ref()
            .is_none_or(|fs| field.as_ref().is_some_and(|f| fs.contains(f)));
        same(&self.resource_type, Some(&event.resource.resource_type))
            && same(&self.resource_subtype, subtype)
            && same(&self.action, Some(&event.action))
            && fields_ok
    }
}

/// Whether `event` passes a webhook's `filters` (any; all when empty).
pub fn passes(filters: &[WebhookFilter], event: &Event, subtype: Option<&str>) -> bool {
    filters.is_empty() || filters.iter().any(|f| f.matches(event, subtype))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::world::ResourceRef;

    fn event(action: &str, field: Option<&str>) -> Event {
        Event {
            seq: 1,
            created_at: Utc::now(),
            user: None,
            action: action.to_owned(),
            resource: ResourceRef {
                gid: "1".into(),
                resource_type: "task".into(),
                name: None,
            },
            parent: None,
            change: field.map(|f| json!({ "field": f, "action": "changed" })),
            audience: vec!["1".into()],
        }
    }

    fn filter(json: serde_json::Value) -> WebhookFilter {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn any_filter_passes_and_every_key_must_match() {
        let added = filter(json!({"resource_type": "task", "action": "added"}));
        let names =
            filter(json!({"resource_type": "task", "action": "changed", "fields": ["name"]}));
        let filters = [added, names];
        assert!(passes(&filters, &event("added", None), None));
        assert!(passes(&filters, &event("changed", Some("name")), None));
        assert!(!passes(&filters, &event("changed", Some("notes")), None));
        assert!(!passes(&filters, &event("deleted", None), None));
        assert!(passes(&[], &event("deleted", None), None));
        let milestones = filter(json!({"resource_subtype": "milestone"}));
        assert!(milestones.matches(&event("added", None), Some("milestone")));
        assert!(!milestones.matches(&event("added", None), Some("default_task")));
        let stories = filter(json!({"resource_type": "story"}));
        assert!(!stories.matches(&event("added", None), None));
    }

    #[test]
    fn fields_need_changed_and_actions_are_known() {
        assert!(
            filter(json!({"action": "added", "fields": ["name"]}))
                .validate(0)
                .is_err()
        );
        assert!(filter(json!({"fields": ["name"]})).validate(0).is_err());
        assert!(filter(json!({"action": "moved"})).validate(0).is_err());
        assert!(
            filter(json!({"action": "changed", "fields": ["name"]}))
                .validate(0)
                .is_ok()
        );
        let unknown = serde_json::from_value::<WebhookFilter>(json!({"colour": "red"}));
        assert!(unknown.is_err());
    }
}
