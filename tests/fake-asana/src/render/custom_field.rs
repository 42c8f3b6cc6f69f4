//! Custom fields: definitions (for `custom_field_settings`) and the values
//! tasks carry, with `display_value` computed per subtype as Asana does.

use serde_json::{Value, json};

use super::{Form, date, object, timestamp, user_ref};
use crate::world::{CustomFieldDef, EnumOption, FieldValue, World};

/// An enum option, `{gid, resource_type, name, enabled, color}`.
pub fn enum_option(option: &EnumOption) -> Value {
    json!({
        "gid": option.gid, "resource_type": "enum_option", "name": option.name,
        "enabled": option.enabled, "color": option.color,
    })
}

fn option_of<'a>(def: &'a CustomFieldDef, gid: &str) -> Option<&'a EnumOption> {
    def.enum_options.iter().find(|o| o.gid == gid)
}

/// A number as shown: rounded to the field's precision; percentages (stored
/// as fractions) ×100 with `%` (the spec: "0.25 being displayed as 25%").
fn number_display(def: &CustomFieldDef, n: f64) -> String {
    let precision = def.precision.unwrap_or(0) as usize;
    match def.format.as_deref() {
        Some("percentage") => format!("{:.precision$}%", n * 100.0),
        _ => format!("{n:.precision$}"),
    }
}

/// The read-only string Asana shows for a value; `None` when unset.
pub fn display_value(world: &World, def: &CustomFieldDef, value: &FieldValue) -> Option<String> {
    let joined = |names: Vec<String>| (!names.is_empty()).then(|| names.join(", "));
    match value {
        FieldValue::Text(text) => text.clone(),
        FieldValue::Number(number) => number.map(|n| number_display(def, n)),
        FieldValue::Enum(option) => option
            .as_ref()
            .map(|gid| option_of(def, gid).map_or_else(String::new, |o| o.name.clone())),
        FieldValue::MultiEnum(options) => joined(
            options
                .iter()
                .filter_map(|gid| option_of(def, gid))
                .map(|o| o.name.clone())
                .collect(),
        ),
        FieldValue::Date(day) => day.as_ref().map(|d| match &d.date_time {
            Some(at) => timestamp(at),
            None => date(&d.date),
        }),
        FieldValue::People(users) => joined(
            users
                .iter()
                .filter_map(|gid| world.users.get(gid))
                .map(|u| u.name.clone())
                .collect(),
        ),
    }
}

/// The fields every custom field record carries, whatever its subtype.
fn common(def: &CustomFieldDef, form: Form) -> Vec<(&'static str, Value)> {
    let mut pairs = vec![
        ("gid", json!(def.gid)),
        ("resource_type", json!("custom_field")),
        ("name", json!(def.name)),
        ("type", json!(def.resource_subtype)),
        ("resource_subtype", json!(def.resource_subtype)),
        ("representation_type", json!(def.resource_subtype)),
        ("enabled", json!(true)),
        ("id_prefix", Value::Null),
        ("input_restrictions", json!([])),
        ("is_formula_field", json!(false)),
        ("custom_label", Value::Null),
        ("custom_label_position", Value::Null),
        ("is_global_to_workspace", json!(true)),
        ("has_notifications_enabled", json!(true)),
        ("asana_created_field", Value::Null),
        ("is_value_read_only", json!(false)),
        ("created_by", Value::Null),
        ("privacy_setting", json!("public_with_guests")),
        ("default_access_level", json!("editor")),
    ];
    if form == Form::Full {
        pairs.push(("description", json!("")));
    }
    if matches!(def.resource_subtype.as_str(), "enum" | "multi_enum") {
        pairs.push((
            "enum_options",
            def.enum_options.iter().map(enum_option).collect(),
        ));
    }
    if def.resource_subtype == "number" {
        pairs.push(("precision", json!(def.precision.unwrap_or(0))));
        pairs.push(("format", json!(def.format.as_deref().unwrap_or("none"))));
        pairs.push(("currency_code", json!(def.currency_code)));
    }
    pairs
}

/// A custom field definition without a value (as `custom_field_settings[].custom_field`).
pub fn custom_field_definition(def: &CustomFieldDef, form: Form) -> Value {
    object(common(def, form))
}

/// The value-bearing properties for a subtype.
fn value_pairs(
    world: &World,
    def: &CustomFieldDef,
    value: &FieldValue,
    form: Form,
) -> Vec<(&'static str, Value)> {
    match value {
        FieldValue::Text(text) => vec![
            ("text_value", json!(text)),
            ("html_text_value", json!(text)),
        ],
        FieldValue::Number(number) => vec![("number_value", json!(number))],
        FieldValue::Enum(option) => {
            let option = option.as_ref().and_then(|gid| option_of(def, gid));
            vec![("enum_value", option.map_or(Value::Null, enum_option))]
        }
        FieldValue::MultiEnum(options) => {
            let options = options
                .iter()
                .filter_map(|gid| option_of(def, gid))
                .map(enum_option);
            vec![("multi_enum_values", options.collect())]
        }
        FieldValue::Date(day) => {
            let day = day.as_ref().map(|d| {
                json!({ "date": date(&d.date), "date_time": d.date_time.as_ref().map(timestamp) })
            });
            vec![("date_value", day.unwrap_or(Value::Null))]
        }
        FieldValue::People(users) => {
            let people = users.iter().map(|gid| user_ref(world, gid, form));
            vec![("people_value", people.collect())]
        }
    }
}

/// A task's value for a field, as one entry of the task's `custom_fields`.
pub fn custom_field_value(
    world: &World,
    def: &CustomFieldDef,
    value: &FieldValue,
    form: Form,
) -> Value {
    let mut pairs = common(def, form);
    pairs.extend(value_pairs(world, def, value, form));
    pairs.push(("display_value", json!(display_value(world, def, value))));
    object(pairs)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::world::{DateValue, User};

    fn def(subtype: &str) -> CustomFieldDef {
        let option = |gid: &str, name: &str| EnumOption {
            gid: gid.into(),
            name: name.into(),
            color: "red".into(),
            enabled: true,
        };
        CustomFieldDef {
            gid: "10".into(),
            name: "Field".into(),
            resource_subtype: subtype.into(),
            precision: Some(2),
            format: None,
            currency_code: None,
            enum_options: vec![option("11", "High"), option("12", "Low")],
        }
    }

    fn world() -> World {
        let mut world = World::default();
        for (gid, name) in [("1", "Ann"), ("2", "Bob")] {
            let user = User {
                gid: gid.into(),
                name: name.into(),
                email: format!("{name}@x.test"),
            };
            world.users.insert(gid.into(), user);
        }
        world
    }

    #[test]
    fn display_values_follow_the_subtype() {
        let w = world();
        let show = |subtype: &str, v: FieldValue| display_value(&w, &def(subtype), &v);
        assert_eq!(
            show("number", FieldValue::Number(Some(1234.5678))),
            Some("1234.57".into())
        );
        assert_eq!(show("number", FieldValue::Number(None)), None);
        let percent = CustomFieldDef {
            format: Some("percentage".into()),
            precision: Some(0),
            ..def("number")
        };
        assert_eq!(
            display_value(&w, &percent, &FieldValue::Number(Some(0.25))),
            Some("25%".into())
        );
        assert_eq!(
            show("enum", FieldValue::Enum(Some("12".into()))),
            Some("Low".into())
        );
        let both = FieldValue::MultiEnum(vec!["11".into(), "12".into()]);
        assert_eq!(show("multi_enum", both), Some("High, Low".into()));
        assert_eq!(show("multi_enum", FieldValue::MultiEnum(vec![])), None);
        let day = NaiveDate::from_ymd_opt(2024, 8, 23).unwrap();
        let plain = DateValue {
            date: day,
            date_time: None,
        };
        assert_eq!(
            show("date", FieldValue::Date(Some(plain))),
            Some("2024-08-23".into())
        );
        let at = Utc.with_ymd_and_hms(2024, 8, 23, 22, 0, 0).unwrap();
        let timed = DateValue {
            date: day,
            date_time: Some(at),
        };
        assert_eq!(
            show("date", FieldValue::Date(Some(timed))),
            Some("2024-08-23T22:00:00.000Z".into())
        );
        let people = FieldValue::People(vec!["1".into(), "2".into()]);
        assert_eq!(show("people", people), Some("Ann, Bob".into()));
        assert_eq!(show("text", FieldValue::Text(None)), None);
    }

    #[test]
    fn values_carry_only_their_subtype_fields() {
        let w = world();
        let v = custom_field_value(
            &w,
            &def("enum"),
            &FieldValue::Enum(Some("11".into())),
            Form::Full,
        );
        assert_eq!(v["enum_value"]["name"], "High");
        assert_eq!(v["display_value"], "High");
        assert!(v.get("number_value").is_none());
        let v = custom_field_value(
            &w,
            &def("people"),
            &FieldValue::People(vec!["2".into()]),
            Form::Full,
        );
        assert_eq!(v["people_value"][0]["name"], "Bob");
        let v = custom_field_value(&w, &def("date"), &FieldValue::Date(None), Form::Default);
        assert_eq!(v["date_value"], Value::Null);
        assert_eq!(v["display_value"], Value::Null);
    }
}
