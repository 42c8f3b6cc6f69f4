//! Field edits on a task ([`TaskPatch`]): each changed field bumps
//! `modified_at` and emits a `changed` event.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::{MutateError, NewEvent, Result};
use crate::{
    render::{self, Form},
    world::{CustomFieldDef, CustomValue, DateValue, FieldValue, Gid, World},
};

/// A partial update of a task; `None` leaves a field alone. For `assignee`
/// and `due_on`, `Some(None)` (JSON `null`) clears the field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New plain-text notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Complete or reopen.
    #[serde(default)]
    pub completed: Option<bool>,
    /// Assign (a user gid) or unassign (`null`).
    #[serde(default, deserialize_with = "nullable")]
    pub assignee: Option<Option<Gid>>,
    /// Set or clear the due date.
    #[serde(default, deserialize_with = "nullable")]
    pub due_on: Option<Option<NaiveDate>>,
    /// Custom field values by field gid: text → string, number → number,
    /// enum → option gid or name, multi_enum → list of those, date →
    /// `YYYY-MM-DD` or an RFC 3339 date-time, people → list of user gids;
    /// `null` (or `[]`) clears.
    #[serde(default)]
    pub custom_fields: BTreeMap<Gid, Value>,
}

fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl TaskPatch {
    /// A patch renaming the task.
    pub fn name(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// A patch completing or reopening the task.
    pub fn completed(completed: bool) -> Self {
        Self {
            completed: Some(completed),
            ..Self::default()
        }
    }

    /// Adds a custom field value to the patch.
    pub fn custom_field(mut self, field: impl Into<Gid>, value: Value) -> Self {
        self.custom_fields.insert(field.into(), value);
        self
    }
}

fn bad(def: &CustomFieldDef, value: &Value) -> MutateError {
    MutateError::Invalid(format!(
        "custom_fields: {value} is not a {} value for {}",
        def.resource_subtype, def.gid
    ))
}

fn option_gid(def: &CustomFieldDef, value: &Value) -> Result<Gid> {
    let key = value.as_str().ok_or_else(|| bad(def, value))?;
    let option = def
        .enum_options
        .iter()
        .find(|o| o.gid == key || o.name == key);
    option.map(|o| o.gid.clone()).ok_or_else(|| bad(def, value))
}

fn list(def: &CustomFieldDef, value: &Value) -> Result<Vec<Value>> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => Ok(items.clone()),
        _ => Err(bad(def, value)),
    }
}

fn date_value(def: &CustomFieldDef, value: &Value) -> Result<Option<DateValue>> {
    let Some(raw) = value.as_str() else {
        return if value.is_null() {
            Ok(None)
        } else {
            Err(bad(def, value))
        };
    };
    if let Ok(date) = raw.parse::<NaiveDate>() {
        return Ok(Some(DateValue {
            date,
            date_time: None,
        }));
    }
    let at = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| bad(def, value))?
        .with_timezone(&Utc);
    Ok(Some(DateValue {
        date: at.date_naive(),
        date_time: Some(at),
    }))
}

impl World {
    /// The unset value of a field, for a task joining a project with it.
    pub(super) fn empty_value(&self, field: &str) -> Option<CustomValue> {
        let def = self.custom_fields.get(field)?;
        let value = self.field_value(def, &Value::Null).ok()?;
        Some(CustomValue {
            field: field.to_owned(),
            value,
        })
    }

    /// Converts a JSON value to the field's typed value.
    fn field_value(&self, def: &CustomFieldDef, value: &Value) -> Result<FieldValue> {
        let text = || value.as_str().map(str::to_owned);
        Ok(match def.resource_subtype.as_str() {
            "text" if value.is_null() || value.is_string() => FieldValue::Text(text()),
            "number" if value.is_null() || value.is_number() => FieldValue::Number(value.as_f64()),
            "enum" if value.is_null() => FieldValue::Enum(None),
            "enum" => FieldValue::Enum(Some(option_gid(def, value)?)),
            "multi_enum" => FieldValue::MultiEnum(
                list(def, value)?
                    .iter()
                    .map(|v| option_gid(def, v))
                    .collect::<Result<_>>()?,
            ),
            "date" => FieldValue::Date(date_value(def, value)?),
            "people" => FieldValue::People(self.people(def, &list(def, value)?)?),
            _ => return Err(bad(def, value)),
        })
    }

    fn people(&self, def: &CustomFieldDef, items: &[Value]) -> Result<Vec<Gid>> {
        let user = |v: &Value| {
            v.as_str()
                .filter(|g| self.users.contains_key(*g))
                .map(str::to_owned)
        };
        items
            .iter()
            .map(|v| user(v).ok_or_else(|| bad(def, v)))
            .collect()
    }

    /// Applies a patch; every changed field bumps `modified_at` and emits
    /// `changed` with `change {field, action: "changed"}` (and `new_value`
    /// when the new value is a resource: assignee, custom field).
    pub fn modify_task(&mut self, gid: &str, patch: &TaskPatch, now: DateTime<Utc>) -> Result<()> {
        self.live_task(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let values = self.field_values(&patch.custom_fields)?;
        let mut changes = self.field_changes(gid, patch, now)?;
        changes.extend(self.custom_field_changes(gid, values));
        for change in changes {
            if let Some(task) = self.tasks.get_mut(gid) {
                task.modified_at = now;
            }
            let audience = self.audience_of(gid);
            let event = NewEvent {
                action: "changed",
                resource: self.task_ref(gid),
                parent: None,
                change: Some(change),
                audience,
            };
            self.push_event(now, event);
        }
        Ok(())
    }

    fn field_changes(
        &mut self,
        gid: &str,
        patch: &TaskPatch,
        now: DateTime<Utc>,
    ) -> Result<Vec<Value>> {
        if let Some(Some(user)) = &patch.assignee {
            self.users
                .get(user)
                .ok_or_else(|| MutateError::UnknownUser(user.clone()))?;
        }
        let actor = self.actor();
        let assignee = patch
            .assignee
            .clone()
            .map(|a| a.map_or(Value::Null, |u| render::user_ref(self, &u, Form::Default)));
        let task = self
            .tasks
            .get_mut(gid)
            .ok_or_else(|| MutateError::UnknownTask(gid.to_owned()))?;
        let mut changes = Vec::new();
        let field = |name: &str| json!({ "field": name, "action": "changed" });
        if let Some(name) = &patch.name {
            task.name.clone_from(name);
            changes.push(field("name"));
        }
        if let Some(notes) = &patch.notes {
            task.notes.clone_from(notes);
            task.html_notes = render::html_body(notes);
            changes.push(field("notes"));
        }
        if let Some(done) = patch.completed {
            task.completed = done;
            task.completed_at = done.then_some(now);
            task.completed_by = if done { actor } else { None };
            changes.push(field("completed"));
        }
        if let (Some(user), Some(new_value)) = (&patch.assignee, assignee) {
            task.assignee.clone_from(user);
            changes
                .push(json!({ "field": "assignee", "action": "changed", "new_value": new_value }));
        }
        if let Some(due) = patch.due_on {
            task.due_on = due;
            task.due_at = None;
            changes.push(field("due_on"));
        }
        Ok(changes)
    }

    /// Checks and converts every custom field value of a patch.
    fn field_values(&self, fields: &BTreeMap<Gid, Value>) -> Result<Vec<(Gid, FieldValue)>> {
        let convert = |(field, raw): (&Gid, &Value)| {
            let def = self
                .custom_fields
                .get(field)
                .ok_or_else(|| MutateError::UnknownField(field.clone()))?;
            Ok((field.clone(), self.field_value(def, raw)?))
        };
        fields.iter().map(convert).collect()
    }

    fn custom_field_changes(&mut self, gid: &str, values: Vec<(Gid, FieldValue)>) -> Vec<Value> {
        let mut changes = Vec::new();
        for (field, value) in values {
            let Some(def) = self.custom_fields.get(&field) else {
                continue;
            };
            let new_value = self.field_change_value(def, &value);
            let Some(task) = self.tasks.get_mut(gid) else {
                continue;
            };
            match task.custom_values.iter_mut().find(|v| v.field == field) {
                Some(slot) => slot.value = value,
                None => task.custom_values.push(CustomValue { field, value }),
            }
            changes.push(
                json!({ "field": "custom_fields", "action": "changed", "new_value": new_value }),
            );
        }
        changes
    }

    /// The compact custom field value an event's `change.new_value` carries.
    fn field_change_value(&self, def: &CustomFieldDef, value: &FieldValue) -> Value {
        let full = render::custom_field_value(self, def, value, Form::Default);
        let keep = [
            "gid",
            "resource_type",
            "name",
            "resource_subtype",
            "type",
            "display_value",
        ];
        let value_keys = [
            "text_value",
            "number_value",
            "enum_value",
            "multi_enum_values",
            "date_value",
            "people_value",
        ];
        let Value::Object(map) = full else {
            return Value::Null;
        };
        map.into_iter()
            .filter(|(k, _)| keep.contains(&k.as_str()) || value_keys.contains(&k.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{small_world, t0};
    use super::*;
    use crate::{mutate::NewTask, world::EnumOption};

    #[test]
    fn edits_bump_modified_at_and_emit_changed() {
        let mut w = small_world();
        let option = EnumOption {
            gid: "51".into(),
            name: "High".into(),
            color: "red".into(),
            enabled: true,
        };
        let def = CustomFieldDef {
            gid: "50".into(),
            name: "Priority".into(),
            resource_subtype: "enum".into(),
            precision: None,
            format: None,
            currency_code: None,
            enum_options: vec![option],
        };
        w.custom_fields.insert("50".into(), def);
        let new = NewTask {
            project: Some("100".into()),
            name: "t".into(),
            ..NewTask::default()
        };
        let gid = w.create_task(&new, t0()).unwrap();
        let later = t0() + chrono::Duration::minutes(5);
        let patch = TaskPatch {
            assignee: Some(Some("2".into())),
            ..TaskPatch::name("renamed")
        }
        .custom_field("50", json!("High"));
        w.modify_task(&gid, &patch, later).unwrap();
        let task = &w.tasks[&gid];
        assert_eq!((task.name.as_str(), task.modified_at), ("renamed", later));
        let changes: Vec<_> = w
            .events
            .iter()
            .filter(|e| e.action == "changed")
            .map(|e| e.change.clone().unwrap())
            .collect();
        assert_eq!(changes[0], json!({ "field": "name", "action": "changed" }));
        assert_eq!(changes[1]["new_value"]["name"], "Ann");
        assert_eq!(changes[2]["new_value"]["enum_value"]["name"], "High");
        assert_eq!(
            task.custom_values[0].value,
            FieldValue::Enum(Some("51".into()))
        );
        let bad = TaskPatch::default().custom_field("50", json!("Nope"));
        assert!(w.modify_task(&gid, &bad, later).is_err());
    }

    #[test]
    fn patches_deserialize_null_as_clear() {
        let patch: TaskPatch =
            serde_json::from_value(json!({ "assignee": null, "name": "x" })).unwrap();
        assert_eq!(patch.assignee, Some(None));
        assert_eq!(patch.due_on, None);
    }
}
