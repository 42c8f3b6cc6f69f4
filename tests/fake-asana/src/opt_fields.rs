//! Asana's `opt_fields`: parsing one comma-separated value (dotted paths,
//! `(a|b)` groups) and projecting a full JSON record down to exactly the
//! requested fields plus `gid` at every object level.
//!
//! Rules (see `notes/asana-api.md` §4 and §10.6):
//! - `a.b.c` asks for leaf `c` of object `b` of field `a`; arrays are walked
//!   element by element at any depth.
//! - `(x|y)` expands to each alternative (`memberships.(project|section).name`);
//!   a leading `this.` means the record itself.
//! - `gid` is kept on every object that has one; `resource_type` only when asked.
//! - A bare object field (`assignee`) gives that object's compact form
//!   (`gid`, `resource_type`, `name` where present); an object without a `gid`
//!   (a value such as `date_value`) comes whole, its nested resources compact.
//! - A bare scalar or array of scalars comes whole; `null` stays `null`.
//! - Unknown names are silently ignored.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A parsed `opt_fields` value.
#[derive(Debug, Clone, Default)]
pub struct OptFields {
    root: Node,
}

/// One level of the requested-field tree.
#[derive(Debug, Clone, Default, PartialEq)]
struct Node {
    /// The field was asked for without a sub-path (`assignee`).
    whole: bool,
    /// Sub-fields asked for (`assignee.name` → `name`).
    children: BTreeMap<String, Node>,
}

/// The keys of a compact record.
const COMPACT_KEYS: [&str; 3] = ["gid", "resource_type", "name"];

impl OptFields {
    /// Parses `opt_fields=a,b.c,d.(e|f)`; unknown names are kept and later ignored.
    pub fn parse(raw: &str) -> OptFields {
        let mut root = Node::default();
        for item in split_top(raw, ',') {
            for mut path in expand(item.trim()) {
                if path.first().is_some_and(|s| s == "this") {
                    path.remove(0);
                }
                if !path.is_empty() && path.iter().all(|s| !s.is_empty()) {
                    root.insert(&path);
                }
            }
        }
        OptFields { root }
    }

    /// True when no field at all was requested (only `gid` will be returned).
    pub fn is_empty(&self) -> bool {
        self.root.children.is_empty()
    }

    /// True when `path` (dotted, no groups) was requested, itself or below.
    pub fn requests(&self, path: &str) -> bool {
        let mut node = &self.root;
        for segment in path.split('.') {
            match node.children.get(segment) {
                Some(child) => node = child,
                None => return false,
            }
        }
        true
    }

    /// Keeps only the requested paths of `full` (an object or an array of
    /// objects), plus `gid` on every object at every depth.
    pub fn project(&self, full: &Value) -> Value {
        match full {
            Value::Array(items) => Value::Array(items.iter().map(|v| self.project(v)).collect()),
            Value::Object(object) => Value::Object(project_object(object, &self.root)),
            other => other.clone(),
        }
    }
}

impl Node {
    fn insert(&mut self, path: &[String]) {
        let mut node = self;
        for segment in path {
            node = node.children.entry(segment.clone()).or_default();
        }
        node.whole = true;
    }
}

/// Splits `s` at `sep` outside parentheses.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Expands one dotted path with `(a|b)` groups into every plain path it names.
fn expand(path: &str) -> Vec<Vec<String>> {
    if path.is_empty() {
        return Vec::new();
    }
    let mut results: Vec<Vec<String>> = vec![Vec::new()];
    for part in split_top(path, '.') {
        let part = part.trim();
        let alternatives: Vec<Vec<String>> =
            match part.strip_prefix('(').and_then(|p| p.strip_suffix(')')) {
                Some(inner) => split_top(inner, '|')
                    .into_iter()
                    .flat_map(|alt| expand(alt.trim()))
                    .collect(),
                None => vec![vec![part.to_owned()]],
            };
        results = results
            .iter()
            .flat_map(|prefix| {
                alternatives
                    .iter()
                    .map(move |alt| prefix.iter().chain(alt).cloned().collect())
            })
            .collect();
    }
    results
}

/// The requested fields of one object, plus its `gid`.
fn project_object(object: &Map<String, Value>, node: &Node) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(gid) = object.get("gid") {
        out.insert("gid".to_owned(), gid.clone());
    }
    for (name, child) in &node.children {
        if let Some(value) = object.get(name) {
            out.insert(name.clone(), project_value(value, child));
        }
    }
    out
}

/// A requested field's value, cut down to what `node` asks of it.
fn project_value(value: &Value, node: &Node) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project_value(v, node)).collect()),
        Value::Object(object) => {
            let mut out = project_object(object, node);
            if node.whole {
                for (key, v) in bare(object) {
                    out.entry(key).or_insert(v);
                }
            }
            Value::Object(out)
        }
        scalar => scalar.clone(),
    }
}

/// What a bare request for an object field returns: the compact form of a
/// resource (it has a `gid`), or a value object whole with nested resources compact.
fn bare(object: &Map<String, Value>) -> Map<String, Value> {
    if object.contains_key("gid") {
        return COMPACT_KEYS
            .iter()
            .filter_map(|k| object.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
    }
    object
        .iter()
        .map(|(k, v)| (k.clone(), compact_nested(v)))
        .collect()
}

fn compact_nested(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(compact_nested).collect()),
        Value::Object(object) => Value::Object(bare(object)),
        scalar => scalar.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn task() -> Value {
        json!({
            "gid": "1", "resource_type": "task", "name": "T", "notes": "n", "completed": false,
            "due_on": null,
            "assignee": {"gid": "10", "resource_type": "user", "name": "Ann", "email": "a@x"},
            "tags": [{"gid": "20", "resource_type": "tag", "name": "red"}],
            "memberships": [
                {"project": {"gid": "30", "resource_type": "project", "name": "P"},
                 "section": {"gid": "31", "resource_type": "section", "name": "S"}},
                {"project": {"gid": "32", "resource_type": "project", "name": "Q"}}
            ],
            "custom_fields": [{"gid": "40", "name": "Due", "resource_subtype": "date",
                "date_value": {"date": "2024-01-02", "date_time": null},
                "people_value": [{"gid": "10", "resource_type": "user", "name": "Ann", "email": "a@x"}]}],
            "labels": ["a", "b"],
            "grid": [[{"gid": "50", "name": "deep", "x": 1}]]
        })
    }

    fn project(raw: &str) -> Value {
        OptFields::parse(raw).project(&task())
    }

    #[test]
    fn keeps_requested_scalars_and_gid_only() {
        assert_eq!(
            project("name,notes"),
            json!({"gid": "1", "name": "T", "notes": "n"})
        );
    }

    #[test]
    fn resource_type_only_when_requested() {
        assert_eq!(project("name"), json!({"gid": "1", "name": "T"}));
        assert_eq!(
            project("resource_type"),
            json!({"gid": "1", "resource_type": "task"})
        );
    }

    #[test]
    fn empty_value_gives_gid_only() {
        assert!(OptFields::parse("").is_empty());
        assert_eq!(project(""), json!({"gid": "1"}));
        assert_eq!(project(" , ,"), json!({"gid": "1"}));
    }

    #[test]
    fn unknown_names_are_ignored() {
        assert_eq!(
            project("nope,name,assignee.nope"),
            json!({"gid": "1", "name": "T", "assignee": {"gid": "10"}})
        );
    }

    #[test]
    fn dotted_path_keeps_gid_at_every_depth() {
        assert_eq!(
            project("assignee.email"),
            json!({"gid": "1", "assignee": {"gid": "10", "email": "a@x"}})
        );
    }

    #[test]
    fn arrays_apply_to_each_element() {
        assert_eq!(
            project("tags.name"),
            json!({"gid": "1", "tags": [{"gid": "20", "name": "red"}]})
        );
        assert_eq!(
            project("grid.name"),
            json!({"gid": "1", "grid": [[{"gid": "50", "name": "deep"}]]})
        );
    }

    #[test]
    fn groups_expand_to_each_alternative() {
        let expected = json!({"gid": "1", "memberships": [
            {"project": {"gid": "30", "name": "P"}, "section": {"gid": "31", "name": "S"}},
            {"project": {"gid": "32", "name": "Q"}}
        ]});
        assert_eq!(project("memberships.(project|section).name"), expected);
    }

    #[test]
    fn leading_this_is_the_record_itself() {
        let expected =
            json!({"gid": "1", "assignee": {"gid": "10", "email": "a@x"}, "tags": [{"gid": "20"}]});
        assert_eq!(project("this.(assignee.email|tags.gid)"), expected);
        assert_eq!(project("this.name"), json!({"gid": "1", "name": "T"}));
    }

    #[test]
    fn bare_object_field_is_compact() {
        let expected =
            json!({"gid": "1", "assignee": {"gid": "10", "resource_type": "user", "name": "Ann"}});
        assert_eq!(project("assignee"), expected);
    }

    #[test]
    fn bare_and_dotted_requests_merge() {
        let a = json!({"gid": "10", "resource_type": "user", "name": "Ann", "email": "a@x"});
        assert_eq!(
            project("assignee,assignee.email"),
            json!({"gid": "1", "assignee": a})
        );
    }

    #[test]
    fn bare_value_object_comes_whole_with_nested_resources_compact() {
        let got = project("custom_fields.date_value,custom_fields.people_value");
        let expected = json!({"gid": "1", "custom_fields": [{"gid": "40",
            "date_value": {"date": "2024-01-02", "date_time": null},
            "people_value": [{"gid": "10", "resource_type": "user", "name": "Ann"}]}]});
        assert_eq!(got, expected);
        let bare = project("memberships");
        assert_eq!(
            bare["memberships"][1],
            json!({"project": {"gid": "32", "resource_type": "project", "name": "Q"}})
        );
    }

    #[test]
    fn bare_scalars_arrays_and_nulls_come_whole() {
        assert_eq!(
            project("labels,due_on,completed"),
            json!({"gid": "1", "labels": ["a", "b"], "due_on": null, "completed": false})
        );
        assert_eq!(project("due_on.name"), json!({"gid": "1", "due_on": null}));
    }

    #[test]
    fn projects_every_element_of_a_list() {
        let list = json!([{"gid": "1", "name": "a", "x": 1}, {"gid": "2", "name": "b"}]);
        assert_eq!(
            OptFields::parse("name").project(&list),
            json!([{"gid": "1", "name": "a"}, {"gid": "2", "name": "b"}])
        );
    }

    #[test]
    fn requests_reports_asked_paths() {
        let fields = OptFields::parse("memberships.(project|section).name,html_notes");
        assert!(fields.requests("html_notes"));
        assert!(fields.requests("memberships.section"));
        assert!(!fields.requests("notes"));
    }
}
