//! Custom fields of generated worlds: one definition of every subtype (text,
//! number in plain, currency and percentage formats, enum with a disabled
//! option, multi_enum, date, date with time, people), which of them each
//! project enables, and seeded values (a mix of set and unset).

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use rand::Rng;

use super::{FieldPick, Gen, epoch};
use crate::world::{CustomFieldDef, DateValue, EnumOption, FieldValue, Gid};

/// Share of custom values that are set.
const SET_RATE: f64 = 0.6;

/// Defines every custom field, in this order: 0 Priority (enum), 1 Labels
/// (multi_enum), 2 Estimate (number, precision 1), 3 Budget (currency EUR),
/// 4 Progress (percentage), 5 Ticket (text), 6 Review date (date),
/// 7 Launch window (date with time), 8 Reviewers (people).
pub(super) fn define(g: &mut Gen) -> Vec<Gid> {
    let priority_options = [
        ("High", "red", true),
        ("Medium", "yellow-orange", true),
        ("Low", "blue", true),
        ("Legacy (retired)", "cool-gray", false),
    ];
    let label_options = [
        ("Backend", "green", true),
        ("Frontend", "purple", true),
        ("Infra ⚙️", "aqua", true),
        ("文档", "magenta", true),
    ];
    let priority = def(g, "Priority", "enum");
    let priority = with_options(g, priority, &priority_options);
    let labels = def(g, "Labels", "multi_enum");
    let labels = with_options(g, labels, &label_options);
    let defs = vec![
        priority,
        labels,
        number(def(g, "Estimate (h)", "number"), 1, "none", None),
        number(def(g, "Budget", "number"), 2, "currency", Some("EUR")),
        number(def(g, "Progress", "number"), 0, "percentage", None),
        def(g, "Ticket", "text"),
        def(g, "Review date", "date"),
        def(g, "Launch window 🕒", "date"),
        def(g, "Reviewers", "people"),
    ];
    g.timed_fields.insert(defs[7].gid.clone());
    defs.into_iter()
        .map(|d| {
            let gid = d.gid.clone();
            g.w.custom_fields.insert(gid.clone(), d);
            gid
        })
        .collect()
}

fn def(g: &mut Gen, name: &str, subtype: &str) -> CustomFieldDef {
    CustomFieldDef {
        gid: g.w.alloc_gid(),
        name: name.into(),
        resource_subtype: subtype.into(),
        precision: None,
        format: None,
        currency_code: None,
        enum_options: Vec::new(),
    }
}

fn number(
    mut d: CustomFieldDef,
    precision: u32,
    format: &str,
    cur: Option<&str>,
) -> CustomFieldDef {
    d.precision = Some(precision);
    d.format = Some(format.into());
    d.currency_code = cur.map(str::to_string);
    d
}

fn with_options(g: &mut Gen, mut d: CustomFieldDef, opts: &[(&str, &str, bool)]) -> CustomFieldDef {
    d.enum_options = opts
        .iter()
        .map(|(name, color, enabled)| EnumOption {
            gid: g.w.alloc_gid(),
            name: (*name).into(),
            color: (*color).into(),
            enabled: *enabled,
        })
        .collect();
    d
}

/// The fields a project enables, in definition order.
pub(super) fn pick(g: &mut Gen, defs: &[Gid], pick: &FieldPick) -> Vec<Gid> {
    match pick {
        FieldPick::All => defs.to_vec(),
        FieldPick::Some(idx) => idx.iter().map(|&i| defs[i].clone()).collect(),
        FieldPick::Random => {
            let n = g.rng.random_range(1..=defs.len());
            g.some_of(defs, n)
        }
    }
}

/// The unset value of a field (display_value null).
pub(super) fn unset(def: &CustomFieldDef) -> FieldValue {
    match def.resource_subtype.as_str() {
        "text" => FieldValue::Text(None),
        "number" => FieldValue::Number(None),
        "enum" => FieldValue::Enum(None),
        "multi_enum" => FieldValue::MultiEnum(Vec::new()),
        "date" => FieldValue::Date(None),
        _ => FieldValue::People(Vec::new()),
    }
}

/// A seeded value for `field`: set with probability `SET_RATE`.
pub(super) fn random_value(g: &mut Gen, field: &Gid) -> FieldValue {
    let def = g.w.custom_fields[field].clone();
    if !g.chance(SET_RATE) {
        return unset(&def);
    }
    set_value(g, &def)
}

/// A seeded, set value for `def`.
pub(super) fn set_value(g: &mut Gen, def: &CustomFieldDef) -> FieldValue {
    let rng = &mut g.rng;
    match def.resource_subtype.as_str() {
        "text" => FieldValue::Text(Some(match rng.random_range(0..5) {
            0 => format!("审查-{}", rng.random_range(1..100)),
            _ => format!("AEG-{}", rng.random_range(1..2000)),
        })),
        "number" => FieldValue::Number(Some(number_value(rng, def))),
        "enum" => FieldValue::Enum(Some(enum_pick(rng, def))),
        "multi_enum" => {
            let enabled: Vec<Gid> = def
                .enum_options
                .iter()
                .filter(|o| o.enabled)
                .map(|o| o.gid.clone())
                .collect();
            let n = g.rng.random_range(1..=enabled.len().min(3));
            FieldValue::MultiEnum(g.some_of(&enabled, n))
        }
        "date" => {
            let timed = g.timed_fields.contains(&def.gid);
            FieldValue::Date(Some(date_value(g, timed)))
        }
        _ => {
            let n = g.rng.random_range(1..=2);
            let users = g.users.clone();
            FieldValue::People(g.some_of(&users, n))
        }
    }
}

fn number_value(rng: &mut impl Rng, def: &CustomFieldDef) -> f64 {
    match def.format.as_deref() {
        Some("currency") => rng.random_range(0..5_000_000) as f64 / 100.0,
        Some("percentage") => rng.random_range(0..=100) as f64 / 100.0,
        _ => rng.random_range(1..=80) as f64 / 2.0,
    }
}

/// An enum option: an enabled one, or now and then any (the disabled one too).
fn enum_pick(rng: &mut impl Rng, def: &CustomFieldDef) -> Gid {
    let pool: Vec<&EnumOption> = if rng.random_bool(0.1) {
        def.enum_options.iter().collect()
    } else {
        def.enum_options.iter().filter(|o| o.enabled).collect()
    };
    pool[rng.random_range(0..pool.len())].gid.clone()
}

fn date_value(g: &mut Gen, timed: bool) -> DateValue {
    let days = Duration::days(g.rng.random_range(-30..=150));
    let t: DateTime<Utc> = epoch() + days;
    if !timed {
        return DateValue {
            date: t.date_naive(),
            date_time: None,
        };
    }
    let quarter = g.rng.random_range(0..96) * 15;
    let at = t
        .with_hour(0)
        .and_then(|t| t.with_minute(0))
        .expect("midnight")
        + Duration::minutes(quarter);
    DateValue {
        date: at.date_naive(),
        date_time: Some(at),
    }
}

/// A plain date `days` after the epoch's date.
pub(super) fn day(days: i64) -> NaiveDate {
    (epoch() + Duration::days(days)).date_naive()
}
