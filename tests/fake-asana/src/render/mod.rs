//! Asana's JSON for every resource of the [`World`]: the full records (every
//! property of the spec's `*Response` schema, nested objects rich enough for
//! dotted `opt_fields`), the "full minus opt-in" default of single GETs, and
//! the compact records lists return without `opt_fields`.

mod custom_field;
mod event;
mod project;
mod task;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

pub use custom_field::{custom_field_definition, custom_field_value, display_value};
pub use event::event;
pub use project::{portfolio, portfolio_item, project, section, user, workspace};
pub use task::{task, task_compact};

use crate::world::{Gid, World};

/// Which rendering of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Every property, nested objects rich (what `opt_fields` projects from).
    Full,
    /// What a single GET returns without `opt_fields`: every property except
    /// the opt-in ones, nested objects compact.
    Default,
}

/// A timestamp as Asana writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn timestamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A date as Asana writes it: `YYYY-MM-DD`.
pub fn date(day: &NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A nullable timestamp.
pub fn opt_timestamp(at: Option<&DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| json!(timestamp(at)))
}

/// A nullable date.
pub fn opt_date(day: Option<&NaiveDate>) -> Value {
    day.map_or(Value::Null, |day| json!(date(day)))
}

/// `{gid, resource_type, name}`.
pub fn named(gid: &str, resource_type: &str, name: &str) -> Value {
    json!({ "gid": gid, "resource_type": resource_type, "name": name })
}

/// A user as nested in other records: compact, plus `email` in the full form
/// so that `assignee.email` can be asked for.
pub fn user_ref(world: &World, gid: &str, form: Form) -> Value {
    let Some(user) = world.users.get(gid) else {
        return json!({ "gid": gid, "resource_type": "user", "name": Value::Null });
    };
    let mut value = named(&user.gid, "user", &user.name);
    if form == Form::Full {
        value["email"] = json!(user.email);
    }
    value
}

/// A nullable user reference.
pub fn opt_user_ref(world: &World, gid: Option<&Gid>, form: Form) -> Value {
    gid.map_or(Value::Null, |gid| user_ref(world, gid, form))
}

/// The workspace, compact.
pub fn workspace_compact(world: &World) -> Value {
    named(&world.workspace.gid, "workspace", &world.workspace.name)
}

/// A project, compact (its name even when the project is trashed).
pub fn project_compact(world: &World, gid: &str) -> Value {
    let name = world.projects.get(gid).map_or("", |p| p.name.as_str());
    named(gid, "project", name)
}

/// A section, compact.
pub fn section_compact(world: &World, gid: &str) -> Value {
    let name = world.sections.get(gid).map_or("", |s| s.name.as_str());
    named(gid, "section", name)
}

/// The team, compact.
pub fn team_compact(world: &World, gid: &str) -> Value {
    let name = world.teams.get(gid).map_or("", |t| t.name.as_str());
    named(gid, "team", name)
}

/// Drops the given keys from an object (turns a full record into a default one).
pub fn without(mut value: Value, keys: &[&str]) -> Value {
    if let Value::Object(map) = &mut value {
        for key in keys {
            map.remove(*key);
        }
    }
    value
}

/// Builds an object from `(key, value)` pairs, in order.
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<_, _>>(),
    )
}

/// The permalink Asana shows for a resource.
pub fn permalink(world: &World, kind: &str, gid: &str) -> String {
    format!(
        "https://app.asana.com/1/{}/{kind}/{gid}",
        world.workspace.gid
    )
}

/// Minimal HTML for plain notes, as `html_notes` carries it.
pub fn html_body(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!("<body>{escaped}</body>")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let at = Utc.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap();
        assert_eq!(timestamp(&at), "2024-03-05T07:08:09.000Z");
        let at = at + chrono::Duration::milliseconds(42);
        assert_eq!(timestamp(&at), "2024-03-05T07:08:09.042Z");
        assert_eq!(date(&at.date_naive()), "2024-03-05");
    }

    #[test]
    fn html_notes_escape_markup() {
        assert_eq!(html_body("a<b & c"), "<body>a&lt;b &amp; c</body>");
    }
}
