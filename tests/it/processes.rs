//! Real `aegis` processes on one queue: `enqueue sync`, `worker --drain`,
//! `queue …` and `runs` end to end; a worker killed with SIGKILL mid-job
//! (its jobs rescued by the next worker, the rows those of a clean sync);
//! a worker stopped with SIGTERM (in-flight jobs finish, unstarted ones go
//! back at once). The tests wait by polling the database, never by sleeping
//! for a guessed time.

use std::{process::Stdio, time::Duration};

use aegis::{
    asana::Gid,
    sync::{PlainObserver, SyncContext, SyncOptions, run_inline},
};
use chrono::{DateTime, Utc};
use fake_asana::{
    Config, FakeAsana,
    faults::{FaultKind, FaultRule},
    generate::Preset,
};
use serde_json::Value;
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::{
    cli::{Run, aegis, database_url, project_gid, sync_env},
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
fn env(pool: &PgPool, fake: &FakeAsana) -> Vec<(&'static str, String)> {
    let mut env = sync_env(pool, fake);
    env.push(("ASANA_REQUESTS_PER_MINUTE", "100000".to_owned()));
    env
}

/// A fake with `projects` × `tasks` and `latency` on every request.
async fn slow_fake(projects: usize, tasks: usize, latency: Duration) -> FakeAsana {
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
async fn enqueue(env: &[(&str, String)], args: &[&str]) -> Uuid {
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
async fn json(env: &[(&str, String)], args: &[&str]) -> Value {
    let mut argv = args.to_vec();
    argv.push("--json");
    let run = aegis(env, &argv).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    serde_json::from_str(&run.stdout).expect("JSON on stdout")
}

/// The `queue stats --json` row of `kind`.
async fn stats_of(env: &[(&str, String)], kind: &str) -> Value {
    let stats = json(env, &["queue", "stats"]).await;
    let rows = stats.as_array().expect("an array of kinds");
    rows.iter()
        .find(|row| row["kind"] == kind)
        .cloned()
        .expect("the kind is listed")
}

async fn run_status(env: &[(&str, String)], run: Uuid) -> Value {
    json(env, &["runs", &run.to_string()]).await["status"].clone()
}

/// Starts `aegis args…` in the background (killed if the test fails).
fn spawn(env: &[(&str, String)], args: &[&str]) -> Child {
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

/// Waits (at most 30 s) for a background `aegis` to exit.
async fn finish(child: Child) -> Run {
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the worker exits within 30 s")
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
    let portfolio = stats_of(&env, "aegis.sync-portfolio").await;
    assert_eq!(portfolio["pending"], 1, "{portfolio}");
    assert_eq!(stats_of(&env, PROJECTS).await["pending"], 0);

    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert!(drain.stdout.contains("0 dead"), "{}", drain.stdout);
    assert_eq!(run_status(&env, first).await, "done");
    let budgets: i64 = sqlx::query_scalar("select count(*) from rate_budgets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(budgets, 1, "the worker drew from the token's shared budget");
    assert_eq!(
        json(&env, &["queue", "list", "--state", "dead"]).await,
        Value::Array(vec![])
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
    assert_eq!(stats_of(&env, PROJECTS).await["dead"], 1);
    assert_eq!(run_status(&env, second).await, "partial");
    let dead = json(&env, &["queue", "list", "--state", "dead"]).await;
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

/// `(task gid, content hash, deleted, its projects' gids)`, sorted. The
/// home project (`tasks.project_id`) is left out: for a task in several
/// projects it is whichever project's sync wrote it first, so it depends on
/// the order projects are synced in, not on Asana's data.
type TaskRow = (String, String, bool, Vec<String>);

async fn task_rows(pool: &PgPool) -> Vec<TaskRow> {
    sqlx::query_as(
        "select t.asana_gid, t.content_hash, t.deleted_at is not null, \
         array(select p.asana_gid from task_memberships m join projects p on p.id = m.project_id \
               where m.task_id = t.id order by 1) \
         from tasks t order by 1",
    )
    .fetch_all(pool)
    .await
    .expect("tasks are readable")
}

/// The task rows a clean inline sync of `fake` gives, in a scratch database
/// next to `pool`'s (dropped afterwards).
async fn clean_sync_rows(pool: &PgPool, fake: &FakeAsana) -> Vec<TaskRow> {
    let own = pool.connect_options().get_database().unwrap().to_owned();
    // Postgres cuts names at 63 bytes: keep it short and distinct from `own`.
    let name = format!("aegis_clean_{}", &own[own.len().saturating_sub(40)..]);
    let ddl = |sql: String| async move {
        // The name is the test database's own plus a suffix: no user input.
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .expect("scratch database DDL");
    };
    ddl(format!(r#"drop database if exists "{name}" with (force)"#)).await;
    ddl(format!(r#"create database "{name}""#)).await;
    let url = database_url(pool).replace(&own, &name);
    let clean = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .expect("connects");
    helpers::migrated(&clean).await;
    let ctx = SyncContext {
        pool: clean.clone(),
        asana: helpers::client(fake),
        portfolio: Gid::parse(&fake.portfolio_gid).expect("gid"),
        aegis_user: None,
    };
    run_inline(&ctx, &SyncOptions::default(), &PlainObserver)
        .await
        .expect("the clean sync succeeds");
    let rows = task_rows(&clean).await;
    clean.close().await;
    ddl(format!(r#"drop database "{name}" with (force)"#)).await;
    rows
}

#[sqlx::test(migrations = false)]
async fn a_killed_workers_jobs_are_rescued_and_end_as_a_clean_sync(pool: PgPool) {
    helpers::migrated(&pool).await;
    // Three active projects of 300 tasks (the fourth is archived) and the
    // nested portfolio's small one; 50 ms per request keeps jobs in flight.
    let fake = slow_fake(4, 300, Duration::from_millis(50)).await;
    let env = env(&pool, &fake);
    enqueue(&env, &[]).await;
    let mut worker = spawn(
        &env,
        &["worker", "--heartbeat", "1s", "--poll-interval", "100ms"],
    );
    let running = running_project_jobs(&pool).await;
    let dead_worker = running[0].1.clone();
    let killed_at: DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&pool)
        .await
        .unwrap();
    worker.kill().await.expect("SIGKILL");
    let held: Vec<String> = running.into_iter().map(|(id, _)| id).collect();

    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), total)]);
    let duplicated: i64 =
        sqlx::query_scalar("select count(*) - count(distinct asana_gid) from tasks")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(duplicated, 0);

    // Rescued: picked again by another worker, within 30 s of the kill.
    let picked: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("select lock_by, lock_at from apalis.jobs where id = any($1)")
            .bind(&held)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(picked.len(), held.len());
    for (by, at) in &picked {
        assert_ne!(by, &dead_worker, "never picked again");
        let after = (*at - killed_at).to_std().unwrap_or_default();
        eprintln!("job picked again {after:?} after the SIGKILL");
        assert!(
            after < Duration::from_secs(30),
            "rescued {after:?} after the kill"
        );
    }

    fake.set_latency(Duration::ZERO);
    let rows = task_rows(&pool).await;
    assert!(rows.len() >= 3 * 300, "{}", rows.len());
    let clean = clean_sync_rows(&pool, &fake).await;
    let only_here: Vec<_> = rows.iter().filter(|r| !clean.contains(r)).take(5).collect();
    let only_clean: Vec<_> = clean.iter().filter(|r| !rows.contains(r)).take(5).collect();
    assert!(
        only_here.is_empty() && only_clean.is_empty() && rows.len() == clean.len(),
        "{} rows after the rescue, {} after a clean sync; only after the rescue: \
         {only_here:?}; only after the clean sync: {only_clean:?}",
        rows.len(),
        clean.len()
    );
}

#[sqlx::test(migrations = false)]
async fn sigterm_finishes_the_job_in_flight_and_returns_the_rest(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 200, Duration::from_millis(50)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let worker = spawn(
        &env,
        &[
            "worker",
            "--concurrency",
            "1",
            "--heartbeat",
            "1s",
            "--poll-interval",
            "100ms",
        ],
    );
    let running = running_project_jobs(&pool).await;
    assert_eq!(running.len(), 1, "{running:?}");
    let pid = worker.id().expect("the worker runs").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(kill.expect("kill runs").success());
    let stopped = finish(worker).await;
    assert_eq!(stopped.code, Some(0), "{}", stopped.both());

    let (in_flight, _) = &running[0];
    let status: String = sqlx::query_scalar("select status from apalis.jobs where id = $1")
        .bind(in_flight)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "Done", "the in-flight job finished");
    // Whatever had been fetched but not started is pending again, at once.
    let projects: Vec<(String, i64)> = sqlx::query_as(
        "select status, count(*) from apalis.jobs where job_type = $1 group by 1 order by 1",
    )
    .bind(PROJECTS)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        projects.iter().all(|(s, _)| s == "Done" || s == "Pending"),
        "{projects:?}"
    );
    assert!(projects.iter().any(|(s, _)| s == "Pending"), "{projects:?}");

    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert_eq!(run_status(&env, run).await, "done");
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), total)]);
}
