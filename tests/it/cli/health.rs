//! `aegis status` (freshness, last attempt, dead jobs, mode; `--max-age`),
//! `aegis workers` (live workers, the token's budget) and the commands that
//! need no database: `completions` and `man`.

use serde_json::Value;
use sqlx::PgPool;

use super::{aegis, error_line, fake, project_gid, sync_env};
use crate::{
    helpers,
    queue::{Row, project_job, put, worker},
};

/// `aegis args… --json`, exit 0, parsed.
async fn json(env: &[(&str, String)], args: &[&str]) -> Value {
    let mut argv = args.to_vec();
    argv.push("--json");
    let run = aegis(env, &argv).await;
    assert_eq!(run.code, Some(0), "{argv:?}: {}", run.both());
    serde_json::from_str(&run.stdout).expect("JSON")
}

fn project<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["projects"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{name} listed: {status}"))
}

#[sqlx::test(migrations = false)]
async fn status_shows_modes_attempts_dead_jobs_and_max_age_names_the_stale(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let db = &env[..1];
    let stored = aegis(&env, &["sync", "--no-console", "--projects-only"]).await;
    assert_eq!(stored.code, Some(0), "{}", stored.both());
    let stale = aegis(db, &["status", "--max-age", "10m"]).await;
    assert_eq!(stale.code, Some(1), "{}", stale.both());
    let error = error_line(&stale);
    assert!(
        error.starts_with("error: 3 active project(s) not synced within 10m: "),
        "{error}"
    );
    assert!(error.contains("Aegis (never synced)"), "{error}");
    let before = json(db, &["status"]).await;
    assert_eq!(project(&before, "Aegis")["mode"], "crawl");
    let reason = project(&before, "Aegis")["mode_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("never crawled in full"), "{reason}");

    let synced = aegis(&env, &["sync", "--no-console"]).await;
    assert_eq!(synced.code, Some(0), "{}", synced.both());
    let fresh = aegis(db, &["status", "--max-age", "10m"]).await;
    assert_eq!(fresh.code, Some(0), "{}", fresh.both());
    let after = json(db, &["status"]).await;
    let aegis_row = project(&after, "Aegis");
    assert_eq!(aegis_row["mode"], "events", "{aegis_row}");
    assert_eq!(aegis_row["has_events_token"], true);
    assert!(
        aegis_row["events_token_age_secs"].as_i64().is_some(),
        "{aegis_row}"
    );
    assert_eq!(aegis_row["last_attempt"]["status"], "done", "{aegis_row}");
    assert_eq!(aegis_row["dead_jobs"], 0);
    // The first sync crawled (and says why); the next reads events.
    assert_eq!(aegis_row["last_sync_mode"], "crawl", "{aegis_row}");
    assert_eq!(aegis_row["last_sync_reason"], "never crawled in full");
    let again = aegis(&env, &["sync", "--no-console", "--project", "Aegis"]).await;
    assert_eq!(again.code, Some(0), "{}", again.both());
    let aegis_row = project(&json(db, &["status"]).await, "Aegis").clone();
    assert_eq!(aegis_row["last_sync_mode"], "events", "{aegis_row}");
    assert_eq!(aegis_row["last_sync_reason"], Value::Null);
    let runs = json(db, &["runs"]).await;
    let (last, first) = (&runs["runs"][0]["id"], &runs["runs"][1]["id"]);
    let last = json(db, &["runs", last.as_str().unwrap()]).await;
    assert_eq!(last["projects"][0]["mode"], "events", "{last}");
    let first = json(db, &["runs", first.as_str().unwrap()]).await;
    assert_eq!(first["projects"][0]["mode"], "crawl", "{first}");
    assert_eq!(first["projects"][0]["mode_reason"], "never crawled in full");

    // Triptic: two hours old, with a dead job; Agents archived and old too.
    let triptic = project_gid(&pool, "Triptic").await;
    let (dead, _) = project_job(&pool, &triptic).await;
    put(&pool, &dead, Row::new("Killed", Some(1))).await;
    sqlx::query(
        "update projects set last_tasks_sync_at = now() - interval '2 hours', \
         archived = (name = 'Agents') where name in ('Triptic', 'Agents')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let stale = aegis(db, &["status", "--max-age", "10m"]).await;
    assert_eq!(stale.code, Some(1), "{}", stale.both());
    let error = error_line(&stale);
    assert!(
        error.starts_with("error: 1 active project(s) not synced within 10m: Triptic (2h"),
        "{error}"
    );
    let table = &stale.stdout;
    assert!(table.contains("events"), "{table}");
    let status = aegis(db, &["status", "--max-age", "10m", "--json"]).await;
    assert_eq!(status.code, Some(1), "{}", status.both());
    let status: Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(status["stale"], serde_json::json!(["Triptic"]));
    assert_eq!(project(&status, "Triptic")["dead_jobs"], 1);
    assert_eq!(project(&status, "Agents")["state"], "archived");
    assert_eq!(project(&status, "Agents")["mode"], Value::Null);
}

#[sqlx::test(migrations = false)]
async fn workers_lists_live_workers_their_jobs_and_the_budget(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let db = &env[..1];
    let none = aegis(db, &["workers"]).await;
    assert_eq!(none.code, Some(0), "{}", none.both());
    assert!(none.stdout.contains("no worker seen"), "{}", none.stdout);
    // An inline sync makes the token's budget row.
    let stored = aegis(&env, &["sync", "--no-console", "--projects-only"]).await;
    assert_eq!(stored.code, Some(0), "{}", stored.both());
    let queue = aegis_jobs::queue::SYNC_PROJECT_TASKS;
    worker(&pool, "host-1-ab-projects-r0", queue, 5.0).await;
    worker(&pool, "gone-2-cd-projects-r0", queue, 3600.0).await;
    let (job, _) = project_job(&pool, &project_gid(&pool, "Aegis").await).await;
    put(&pool, &job, Row::running("host-1-ab-projects-r0")).await;
    sqlx::query("update rate_budgets set hold = 'outage', hold_since = now(), probe_at = now()")
        .execute(&pool)
        .await
        .unwrap();

    let report = json(db, &["workers"]).await;
    let workers = report["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), 1, "only the live one: {report}");
    let live = &workers[0];
    assert_eq!(live["process"], "host-1-ab");
    assert_eq!(live["kind"], "sync-project-tasks");
    assert_eq!(live["jobs_in_hand"], 1);
    assert_eq!(live["running"], 1);
    let budget = &report["budgets"][0];
    assert!(
        budget["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("sha256:")),
        "{budget}"
    );
    assert_eq!(budget["circuit"], "open", "{budget}");
    let table = aegis(db, &["workers"]).await;
    assert!(
        table.stdout.contains("host-1-ab-projects-r0"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains(", circuit open"), "{}", table.stdout);
}

#[tokio::test]
async fn completions_and_the_man_page_need_no_configuration() {
    for (shell, expected) in [
        ("bash", "_aegis()"),
        ("zsh", "#compdef aegis"),
        ("fish", "complete -c aegis"),
    ] {
        let run = aegis(&[], &["completions", shell]).await;
        assert_eq!(run.code, Some(0), "{shell}: {}", run.both());
        assert!(run.stdout.contains(expected), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("run-now"), "{shell}: every subcommand");
    }
    let man = aegis(&[], &["man"]).await;
    assert_eq!(man.code, Some(0), "{}", man.both());
    assert!(man.stdout.contains(".TH aegis 1"), "{}", man.stdout);
    assert!(man.stdout.contains("workers"), "{}", man.stdout);
    let bad = aegis(&[], &["completions", "tcsh"]).await;
    assert_eq!(bad.code, Some(2), "{}", bad.both());
}
