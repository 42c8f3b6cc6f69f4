//! Realistic task rows for the ingest scenario: notes of a few hundred
//! bytes (plain and HTML), an assignee, tags, two project memberships with
//! sections and three typed custom field values, all derived from the row's
//! index so every run writes the same data.

use aegis::store::tasks::{CustomValueRow, MembershipRow, TaskRow};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;

/// The two projects every row is a member of (home first).
pub const PROJECTS: [&str; 2] = ["1300000000000001", "1300000000000002"];

const WORDS: [&str; 16] = [
    "review",
    "the",
    "quarterly",
    "roadmap",
    "with",
    "design",
    "and",
    "ship",
    "migration",
    "before",
    "launch",
    "customer",
    "feedback",
    "on",
    "onboarding",
    "flow",
];

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// About `len` bytes of words, varying with `i`.
fn text(i: usize, len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    let mut k = i;
    while out.len() < len {
        out.push_str(WORDS[k % WORDS.len()]);
        out.push(' ');
        k = k.wrapping_mul(31).wrapping_add(7) >> 1;
    }
    out.push_str(&format!("(#{i})"));
    out
}

/// The row of index `i`.
pub fn task(i: usize) -> TaskRow {
    let notes = text(i, 200 + i % 200);
    let created = base_time() + Duration::minutes(i as i64);
    let completed = i.is_multiple_of(5);
    let assignee = (i % 5 != 4).then(|| format!("1400000000000{:03}", i % 40));
    TaskRow {
        asana_gid: format!("{}", 1_500_000_000_000_000u64 + i as u64),
        name: format!("Task {i}: {}", text(i, 30).trim()),
        resource_subtype: "default_task".into(),
        html_notes: Some(format!("<body>{notes}</body>")),
        description: notes,
        completed,
        completed_at: completed.then(|| created + Duration::days(3)),
        due_on: NaiveDate::from_ymd_opt(2026, 2, 1 + (i % 28) as u32),
        due_at: None,
        start_on: None,
        assigned_to_aegis: i.is_multiple_of(10),
        assignee_name: assignee
            .as_ref()
            .map(|g| format!("User {}", &g[g.len() - 3..])),
        assignee_gid: assignee,
        parent_gid: None,
        num_subtasks: 0,
        asana_permalink_url: Some(format!(
            "https://app.asana.com/0/0/{}",
            1_500_000_000_000_000u64 + i as u64
        )),
        tags: json!([{"gid": format!("16000000000000{:02}", i % 7), "name": format!("tag-{}", i % 7)}]),
        custom_fields: json!({"Priority": priority(i), "Estimate": (i % 13).to_string(), "Stage": "Build"}),
        modified_at: Some(created + Duration::hours(5)),
        created_at: Some(created),
        memberships: memberships(i),
        custom_values: custom_values(i),
    }
}

fn priority(i: usize) -> &'static str {
    ["Low", "Medium", "High"][i % 3]
}

fn memberships(i: usize) -> Vec<MembershipRow> {
    PROJECTS
        .iter()
        .enumerate()
        .map(|(k, p)| MembershipRow {
            project_gid: (*p).into(),
            section_gid: Some(format!("17000000000000{k}{}", i % 4)),
            section_name: Some(["To do", "Doing", "Review", "Done"][i % 4].into()),
        })
        .collect()
}

fn custom_values(i: usize) -> Vec<CustomValueRow> {
    let blank = CustomValueRow {
        field_gid: String::new(),
        name: String::new(),
        resource_subtype: String::new(),
        display_value: None,
        text_value: None,
        number_value: None,
        enum_value: None,
        multi_enum_values: None,
        date_value: None,
        date_time_value: None,
        people_value: None,
        enabled: true,
    };
    vec![
        CustomValueRow {
            field_gid: "1800000000000001".into(),
            name: "Priority".into(),
            resource_subtype: "enum".into(),
            display_value: Some(priority(i).into()),
            enum_value: Some(priority(i).into()),
            ..blank.clone()
        },
        CustomValueRow {
            field_gid: "1800000000000002".into(),
            name: "Estimate".into(),
            resource_subtype: "number".into(),
            display_value: Some((i % 13).to_string()),
            number_value: Some((i % 13) as f64),
            ..blank.clone()
        },
        CustomValueRow {
            field_gid: "1800000000000003".into(),
            name: "Stage".into(),
            resource_subtype: "text".into(),
            display_value: Some("Build".into()),
            text_value: Some("Build".into()),
            ..blank
        },
    ]
}
