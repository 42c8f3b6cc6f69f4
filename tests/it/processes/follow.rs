//! `aegis enqueue sync --wait` and `aegis runs ID --follow` against real
//! workers: both end when the run does, with its summary and its exit code
//! (0 done, 1 otherwise); `--follow` prints each project's changes first.

use std::{process::Stdio, time::Duration};

use fake_asana::{Config, FakeAsana};
use serde_json::Value;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

use super::{DRAIN, env, finish, spawn};
use crate::{
    cli::{aegis, error_line, forbidden_tasks_of, project_gid},
    helpers,
};

/// The env without the Asana token: waiting and following need none.
fn tokenless(env: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    env.iter()
        .filter(|(k, _)| *k != "ASANA_ACCESS_TOKEN")
        .cloned()
        .collect()
}

/// Polls until the database holds a run; returns its id.
async fn the_run(pool: &PgPool) -> Uuid {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let run: Option<Uuid> = sqlx::query_scalar("select id from sync_runs limit 1")
            .fetch_optional(pool)
            .await
            .expect("runs are readable");
        if let Some(run) = run {
            return run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no run was enqueued"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrations = false)]
async fn wait_and_follow_end_with_the_run_and_its_summary(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = FakeAsana::spawn(Config::default()).await.expect("fake");
    let env = env(&pool, &fake);
    let quiet = tokenless(&env);
    let waiting = spawn(&quiet, &["enqueue", "sync", "--wait"]);
    let run = the_run(&pool).await;
    let mut follow = tokio::process::Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(["runs", &run.to_string(), "--follow"])
        .env_clear()
        .envs(quiet.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("aegis starts");
    let mut lines = BufReader::new(follow.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("--follow prints at once")
        .expect("stdout is readable")
        .expect("a first line");
    assert_eq!(first, format!("run {run} queued (-)"));
    // No worker ran yet: only now does the run start.
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());

    let mut followed = Vec::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("--follow ends with the run")
        .expect("stdout is readable")
    {
        followed.push(line);
    }
    let status = follow.wait().await.expect("--follow exits");
    assert_eq!(status.code(), Some(0), "{followed:#?}");
    for project in ["Aegis", "Triptic", "Agents"] {
        let done = format!("{project}: done (attempt 1, crawl)");
        assert!(
            followed.iter().any(|l| l.starts_with(&done)),
            "{done}: {followed:#?}"
        );
    }
    let head = format!("run {run} done (queued ");
    assert!(
        followed.iter().any(|l| l.starts_with(&head)),
        "the summary ends it: {followed:#?}"
    );

    let waited = finish(waiting).await;
    assert_eq!(waited.code, Some(0), "{}", waited.both());
    assert!(
        waited
            .stdout
            .lines()
            .any(|l| l.starts_with(&format!("run {run} done (queued "))),
        "{}",
        waited.stdout
    );
}

#[sqlx::test(migrations = false)]
async fn wait_exits_1_with_the_summary_object_when_the_run_is_partial(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = FakeAsana::spawn(Config::default()).await.expect("fake");
    let env = env(&pool, &fake);
    let stored = aegis(&env, &["sync", "--no-console", "--projects-only"]).await;
    assert_eq!(stored.code, Some(0), "{}", stored.both());
    fake.add_fault(forbidden_tasks_of(&project_gid(&pool, "Triptic").await));
    let waiting = spawn(&tokenless(&env), &["enqueue", "sync", "--wait", "--json"]);
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(1), "a job died: {}", drain.both());
    let waited = finish(waiting).await;
    assert_eq!(waited.code, Some(1), "{}", waited.both());
    let summary: Value = serde_json::from_str(&waited.stdout).expect("one JSON object");
    assert_eq!(summary["status"], "partial", "{summary}");
    let projects = summary["projects"].as_array().expect("its projects");
    assert_eq!(projects.len(), 3, "{summary}");
    let run = summary["id"].as_str().expect("the run id");
    let error = error_line(&waited);
    assert!(
        error.starts_with(&format!("error: run {run} ended partial: Triptic")),
        "{error}"
    );
}
