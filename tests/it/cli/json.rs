//! Every `--json` output against its documented fields (`docs/json.md`,
//! parsed here, so the document cannot drift from the binary): each is one
//! object, carries no field the document does not list, and every listed
//! field is there (unless it sits under a null or an empty list).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sqlx::PgPool;

use super::{aegis, fake, sync_env};
use crate::helpers;

/// `docs/json.md`: for each section (its heading's command), the documented
/// field paths (`runs[].id`) and the ones whose value is any JSON.
struct Documented {
    fields: BTreeMap<String, BTreeSet<String>>,
    opaque: BTreeSet<String>,
}

fn documented() -> Documented {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md");
    let text = std::fs::read_to_string(path).expect("docs/json.md is readable");
    let (mut fields, mut opaque) = (BTreeMap::new(), BTreeSet::new());
    let mut section: Option<String> = None;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = Some(heading.trim().trim_matches('`').to_owned());
            continue;
        }
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let (field, rest) = row.split_once('`').expect("a field in backticks");
        let section = section.clone().expect("a field under a heading");
        let kind = rest.split('|').nth(1).unwrap_or_default().trim();
        if kind == "json" {
            opaque.insert(format!("{section} {field}"));
        }
        let set: &mut BTreeSet<String> = fields.entry(section).or_default();
        set.insert(field.to_owned());
    }
    Documented { fields, opaque }
}

/// The field paths of `value` under `prefix`: `a`, `a.b`, `list[].c` (a
/// list's items share one path; a field whose value is any JSON, per
/// `stop`, is not looked into).
fn paths(value: &Value, prefix: &str, stop: &dyn Fn(&str) -> bool, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let path = match prefix {
                    "" => key.clone(),
                    p => format!("{p}.{key}"),
                };
                out.insert(path.clone());
                if !stop(&path) {
                    paths(v, &path, stop, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), stop, out);
            }
        }
        _ => {}
    }
}

/// Whether `path` is absent from `value` only because a value on its way
/// is null or an empty list.
fn excused(value: &Value, path: &str) -> bool {
    let mut here = vec![value];
    for step in path.split('.') {
        let (key, list) = match step.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (step, false),
        };
        let mut next = Vec::new();
        for v in here {
            match v.get(key) {
                None => return false,
                Some(Value::Null) => return true,
                Some(Value::Array(items)) if list && items.is_empty() => return true,
                Some(Value::Array(items)) if list => next.extend(items),
                Some(found) => next.push(found),
            }
        }
        here = next;
    }
    false
}

/// Checks one output against its section of the document.
fn check(doc: &Documented, section: &str, stdout: &str) {
    let value: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("{section}: stdout is not one JSON value ({e}): {stdout}"));
    assert!(value.is_object(), "{section}: not an object: {stdout}");
    let listed = doc
        .fields
        .get(section)
        .unwrap_or_else(|| panic!("docs/json.md has no section `{section}`"));
    let stop = |path: &str| doc.opaque.contains(&format!("{section} {path}"));
    let mut found = BTreeSet::new();
    paths(&value, "", &stop, &mut found);
    let undocumented: Vec<_> = found.difference(listed).collect();
    assert!(
        undocumented.is_empty(),
        "{section}: undocumented fields {undocumented:?}"
    );
    let missing: Vec<_> = listed
        .difference(&found)
        .filter(|p| !excused(&value, p))
        .collect();
    assert!(
        missing.is_empty(),
        "{section}: documented but missing {missing:?}: {stdout}"
    );
}

/// `aegis args…`, which must exit `code`; its stdout.
async fn stdout_of(env: &[(&str, String)], args: &[&str], code: i32) -> String {
    let run = aegis(env, args).await;
    assert_eq!(run.code, Some(code), "{args:?}: {}", run.both());
    run.stdout
}

#[sqlx::test(migrations = false)]
async fn every_json_output_matches_its_documented_fields(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let mut env = sync_env(&pool, &fake);
    env.push(("ASANA_REQUESTS_PER_MINUTE", "100000".to_owned()));
    let doc = documented();
    let run_detail = "aegis runs ID --json";

    // `sync --json`: one object on stdout, the logs on stderr.
    let sync = aegis(&env, &["sync", "--no-console", "--json"]).await;
    assert_eq!(sync.code, Some(0), "{}", sync.both());
    assert!(
        sync.stderr.contains("INFO"),
        "the logs stay on stderr: {}",
        sync.stderr
    );
    check(&doc, run_detail, &sync.stdout);
    let synced: Value = serde_json::from_str(&sync.stdout).unwrap();
    assert_eq!(synced["status"], "done");
    assert!(synced["tasks_created"].as_i64() > Some(0), "{synced}");

    let queued = stdout_of(&env, &["enqueue", "sync", "--json"], 0).await;
    check(&doc, "aegis enqueue sync --json", &queued);
    let list = stdout_of(&env, &["queue", "list", "--json"], 0).await;
    check(&doc, "aegis queue list --json", &list);
    let job: Value = serde_json::from_str(&list).unwrap();
    let job = job["jobs"][0]["id"].as_str().unwrap().to_owned();
    let args = ["queue", "show", &job, "--json"];
    check(
        &doc,
        "aegis queue show ID --json",
        &stdout_of(&env, &args, 0).await,
    );
    let args = ["queue", "run-now", &job, "--json"];
    check(
        &doc,
        "aegis queue run-now ID --json",
        &stdout_of(&env, &args, 0).await,
    );
    let args = ["queue", "pause", "--json"];
    check(
        &doc,
        "aegis queue pause --json",
        &stdout_of(&env, &args, 0).await,
    );
    check(
        &doc,
        "aegis queue stats --json",
        &stdout_of(&env, &["queue", "stats", "--json"], 0).await,
    );
    let args = ["queue", "resume", "--json"];
    check(
        &doc,
        "aegis queue resume --json",
        &stdout_of(&env, &args, 0).await,
    );
    let drain = aegis(&env, &["worker", "--drain", "--poll-interval", "100ms"]).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    let workers = stdout_of(&env, &["workers", "--json"], 0).await;
    check(&doc, "aegis workers --json", &workers);
    let workers: Value = serde_json::from_str(&workers).unwrap();
    let live = &workers["workers"][0];
    assert_eq!(live["version"], env!("CARGO_PKG_VERSION"), "{workers}");
    assert_eq!(live["concurrency"], 4, "{workers}");

    let runs = stdout_of(&env, &["runs", "--json"], 0).await;
    check(&doc, "aegis runs --json", &runs);
    let runs: Value = serde_json::from_str(&runs).unwrap();
    let run = runs["runs"][0]["id"].as_str().unwrap().to_owned();
    check(
        &doc,
        run_detail,
        &stdout_of(&env, &["runs", &run, "--json"], 0).await,
    );
    let args = ["status", "--json", "--max-age", "1h"];
    check(
        &doc,
        "aegis status --json",
        &stdout_of(&env, &args, 0).await,
    );

    let queued = stdout_of(&env, &["enqueue", "sync", "--json"], 0).await;
    let run = serde_json::from_str::<Value>(&queued).unwrap()["run"]
        .as_str()
        .unwrap()
        .to_owned();
    let args = ["queue", "cancel", "--run", &run, "--json"];
    check(
        &doc,
        "aegis queue cancel --json",
        &stdout_of(&env, &args, 0).await,
    );
    let args = ["queue", "retry", "--all-dead", "--json"];
    check(
        &doc,
        "aegis queue retry --json",
        &stdout_of(&env, &args, 0).await,
    );
    let args = [
        "queue",
        "purge",
        "--done-older-than",
        "0s",
        "--yes",
        "--json",
    ];
    check(
        &doc,
        "aegis queue purge --json",
        &stdout_of(&env, &args, 0).await,
    );
    sqlx::query(
        "insert into webhooks (id, project_gid, target)
         values ('00000000-0000-0000-0000-000000000001', '1',
             'https://hooks.example/webhooks/asana/00000000-0000-0000-0000-000000000001')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let args = ["webhooks", "list", "--json"];
    check(
        &doc,
        "aegis webhooks list --json",
        &stdout_of(&env, &args, 0).await,
    );
}
