//! Real `aegis` processes on one queue: `enqueue sync`, `worker --drain`,
//! `queue …` and `runs` end to end here; workers killed or stopped by a
//! signal in [`signals`]. The tests wait by polling the database, never by
//! sleeping for a guessed time.

/// Cancel, run-now, pause and resume against real workers.
mod control;
/// A frozen worker's stale attempt, fenced.
mod fencing;
/// Eight workers on one token under Asana's in-flight cap.
mod fleet;
/// `enqueue sync --wait` and `runs ID --follow`.
mod follow;
/// The token's shared hold: a revoked token, an Asana outage (the circuit).
mod holds;
/// Inline syncs interrupted by a signal or killed.
mod inline;
/// The database cut away under a draining worker, then back.
mod outage;
/// Undecodable payloads beside valid jobs in one batch.
mod poison;
/// SIGTERM past the shutdown timeout: unfinished jobs handed back at once.
mod shutdown;
/// SIGKILL and SIGTERM.
pub(crate) mod signals;

use std::{process::Stdio, time::Duration};

use fake_asana::{
    Config, FakeAsana,
    faults::{FaultKind, FaultRule},
    generate::Preset,
};
use serde_json::Value;
use sqlx::PgPool;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::{
    cli::{Run, aegis, project_gid, sync_env},
    helpers,
};

/// A worker that drains quickly: fast polling, heartbeats and retries.
const DRAIN: [&str; 8] = [
    "worker",
    "--drain",
    "--poll-interval",
    "100ms",
    "--heartbeat",
    "1s",
    "--retry-base",
    "200ms",
];

/// The project jobs' queue.
const PROJECTS: &str = "aegis.sync-project-tasks";

/// `sync_env` with a budget that never slows a test down.
pub(crate) fn env(pool: &PgPool, fake: &FakeAsana) -> Vec<(&'static str, String)> {
    let mut env = sync_env(pool, fake);
    env.push(("ASANA_REQUESTS_PER_MINUTE", "100000".to_owned()));
    env
}

/// A fake with `projects` × `tasks` and `latency` on every request.
pub(crate) async fn slow_fake(projects: usize, tasks: usize, latency: Duration) -> FakeAsana {
    let config = Config {
        preset: Preset::Custom {
            projects,
            tasks_per_project: tasks,
        },
        latency,
        ..Config::default()
    };
    FakeAsana::spawn(config).await.expect("the fake starts")
}

/// `aegis enqueue sync args…` without an Asana token; returns the run id.
pub(crate) async fn enqueue(env: &[(&str, String)], args: &[&str]) -> Uuid {
    let env: Vec<_> = env
        .iter()
        .filter(|(k, _)| *k != "ASANA_ACCESS_TOKEN")
        .cloned()
        .collect();
    let mut argv = vec!["enqueue", "sync"];
    argv.extend_from_slice(args);
    let run = aegis(&env, &argv).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    run.stdout.trim().parse().expect("enqueue prints a run id")
}

/// `aegis args… --json`, which must succeed, parsed.
pub(crate) async fn json(env: &[(&str, String)], args: &[&str]) -> Value {
    let mut argv = args.to_vec();
    argv.push("--json");
    let run = aegis(env, &argv).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    serde_json::from_str(&run.stdout).expect("JSON on stdout")
}

/// The `queue stats --json` row of `kind`.
async fn stats_of(env: &[(&str, String)], kind: &str) -> Value {
    let stats = json(env, &["queue", "stats"]).await;
    let rows = stats["kinds"].as_array().expect("an array of kinds");
    rows.iter()
        .find(|row| row["kind"] == kind)
        .cloned()
        .expect("the kind is listed")
}

pub(crate) async fn run_status(env: &[(&str, String)], run: Uuid) -> Value {
    json(env, &["runs", &run.to_string()]).await["status"].clone()
}

/// Starts `aegis args…` in the background (killed if the test fails).
pub(crate) fn spawn(env: &[(&str, String)], args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("aegis starts")
}

/// Sends `name` (`-TERM`, `-STOP`, …) to a background `aegis`.
fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("it runs").to_string();
    let sent = std::process::Command::new("kill")
        .args([name, &pid])
        .status();
    assert!(sent.expect("kill runs").success(), "kill {name}");
}

/// Waits (at most 30 s) for a background `aegis` to exit.
async fn finish(child: Child) -> Run {
    finish_within(child, Duration::from_secs(30)).await
}

/// Waits (at most `limit`) for a background `aegis` to exit.
async fn finish_within(child: Child, limit: Duration) -> Run {
    let output = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .expect("the worker exits in time")
        .expect("the worker's output is readable");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Polls until at least one project job is `Running`; returns the running
/// jobs' ids and workers.
async fn running_project_jobs(pool: &PgPool) -> Vec<(String, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let running: Vec<(String, String)> = sqlx::query_as(
            "select id, lock_by from apalis.jobs where job_type = $1 and status = 'Running' \
             and lock_by is not null order by id",
        )
        .bind(PROJECTS)
        .fetch_all(pool)
        .await
        .expect("jobs are readable");
        if !running.is_empty() {
            return running;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no project job started within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// aegis jobs by apalis status, e.g. `[("Done", 5)]`.
async fn statuses(pool: &PgPool) -> Vec<(String, i64)> {
    sqlx::query_as(
        "select status, count(*) from apalis.jobs where job_type like 'aegis.%' \
         group by status order by status",
    )
    .fetch_all(pool)
    .await
    .expect("jobs are readable")
}

#[sqlx::test(migrations = false)]
async fn enqueue_drain_dead_letter_and_retry_through_the_binary(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = FakeAsana::spawn(Config::default()).await.expect("fake");
    let env = env(&pool, &fake);
    let first = enqueue(&env, &[]).await;
    let portfolio = stats_of(&env, "sync-portfolio").await;
    assert_eq!(portfolio["pending"], 1, "{portfolio}");
    assert_eq!(stats_of(&env, "sync-project-tasks").await["pending"], 0);

    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert!(drain.stdout.contains("0 dead"), "{}", drain.stdout);
    assert_eq!(run_status(&env, first).await, "done");
    // One result line per project job: its project, counts, requests, time.
    let done: Vec<&str> = drain
        .stderr
        .lines()
        .filter(|l| l.contains("project job done"))
        .collect();
    assert_eq!(done.len(), 3, "{}", drain.stderr);
    let aegis_line = done
        .iter()
        .find(|l| l.contains("project=Aegis"))
        .expect("Aegis's line");
    for field in ["created=", "requests=", "duration_ms=", "project.gid="] {
        assert!(aegis_line.contains(field), "{field} in {aegis_line}");
    }
    let budgets: i64 = sqlx::query_scalar("select count(*) from rate_budgets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(budgets, 1, "the worker drew from the token's shared budget");
    assert_eq!(
        json(&env, &["queue", "list", "--state", "dead"]).await,
        serde_json::json!({"jobs": []})
    );

    let triptic = project_gid(&pool, "Triptic").await;
    fake.add_fault(FaultRule {
        route: "/tasks".into(),
        query_contains: Some(format!("project={triptic}")),
        fault: FaultKind::Status {
            code: 403,
            message: "Forbidden".into(),
        },
        times: None,
        probability: None,
    });
    let second = enqueue(&env, &["--full"]).await;
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(1), "{}", drain.both());
    let error = crate::cli::error_line(&drain);
    assert!(
        error.contains(", 1 dead (see `aegis queue list --state dead`)"),
        "{error}"
    );
    assert_eq!(stats_of(&env, "sync-project-tasks").await["dead"], 1);
    assert_eq!(run_status(&env, second).await, "partial");
    let dead = json(&env, &["queue", "list", "--state", "dead"]).await["jobs"].clone();
    assert_eq!(dead[0]["project"], triptic.as_str(), "{dead}");

    fake.clear_faults();
    let retried = json(&env, &["queue", "retry", "--all-dead"]).await;
    assert_eq!(
        retried["retried"],
        dead.as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].clone())
            .collect::<Value>()
    );
    assert_eq!(run_status(&env, second).await, "running");
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert_eq!(run_status(&env, second).await, "done");
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), 8)]);
}
