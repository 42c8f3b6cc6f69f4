//! `aegis queue cancel | run-now | pause | resume` against real worker
//! processes: a cancelled job never runs (or stops at its next page), a
//! scheduled job runs at once, and a paused kind is handed back uncharged
//! by every worker until it is resumed. Waits poll the database.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;

use super::{
    DRAIN, enqueue, env, finish, json, run_status, running_project_jobs, slow_fake, spawn,
};
use crate::{
    cli::{aegis, error_line, project_gid},
    helpers,
};

/// The id of the newest job (`queue list --json`).
async fn newest_job(env: &[(&str, String)]) -> String {
    let list = json(env, &["queue", "list"]).await;
    list["jobs"][0]["id"].as_str().expect("a job id").to_owned()
}

/// `queue show ID --json`.
async fn show(env: &[(&str, String)], id: &str) -> Value {
    json(env, &["queue", "show", id]).await
}

/// Polls `check` on the job `id` (at most 30 s).
async fn until_job(env: &[(&str, String)], id: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let job = show(env, id).await;
        if check(&job) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_cancelled_queued_job_never_runs_and_its_run_ends_cancelled(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(2, 10, Duration::ZERO).await;
    let env = env(&pool, &fake);
    let first = enqueue(&env, &[]).await;
    let job = newest_job(&env).await;
    let cancel = aegis(&env, &["queue", "cancel", &job]).await;
    assert_eq!(cancel.code, Some(0), "{}", cancel.both());
    assert!(
        cancel.stdout.contains(&format!("cancelled job {job}")),
        "{}",
        cancel.stdout
    );
    assert_eq!(show(&env, &job).await["state"], "cancelled");
    assert_eq!(run_status(&env, first).await, "cancelled");
    let again = aegis(&env, &["queue", "cancel", &job]).await;
    assert_eq!(again.code, Some(2), "{}", again.both());
    assert!(
        error_line(&again).contains("is cancelled"),
        "{}",
        again.stderr
    );

    // The same by run id, with --json.
    let second = enqueue(&env, &[]).await;
    let by_run = json(&env, &["queue", "cancel", "--run", &second.to_string()]).await;
    assert_eq!(
        by_run["runs_cancelled"],
        serde_json::json!([second.to_string()])
    );
    assert_eq!(
        by_run["cancelled"].as_array().map(Vec::len),
        Some(1),
        "{by_run}"
    );

    // Nothing is left to run: the drain ends at once, 0 (cancelled is not
    // dead), and no portfolio was ever listed.
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    let listed = fake
        .request_log()
        .iter()
        .any(|r| r.path.contains("portfolios"));
    assert!(!listed, "a cancelled portfolio job ran");
    assert_eq!(run_status(&env, second).await, "cancelled");
}

#[sqlx::test(migrations = false)]
async fn a_running_job_cancelled_stops_at_its_next_page(pool: PgPool) {
    helpers::migrated(&pool).await;
    // One project of 40 pages, each request slowed down.
    let fake = slow_fake(1, 4000, Duration::from_millis(40)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let worker = spawn(&env, &DRAIN);
    running_project_jobs(&pool).await;
    // A page or more of the big project is written before the cancel (its
    // nested neighbour has 4 tasks).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while stored_tasks(&pool).await < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no page was written"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let platform = project_gid(&pool, "Platform").await;
    let running = json(&env, &["queue", "list", "--state", "running"]).await;
    let job = running["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["project"] == platform.as_str()))
        .and_then(|j| j["id"].as_str())
        .unwrap_or_else(|| panic!("the big project's job runs: {running}"))
        .to_owned();
    let cancel = aegis(&env, &["queue", "cancel", &job]).await;
    assert_eq!(cancel.code, Some(0), "{}", cancel.both());
    let drained = finish(worker).await;
    assert_eq!(drained.code, Some(0), "{}", drained.both());
    let detail = json(&env, &["runs", &run.to_string()]).await;
    assert_eq!(detail["status"], "cancelled", "{detail} {}", drained.stderr);
    assert_eq!(
        detail["projects"][0]["project_name"], "Platform",
        "{detail}"
    );
    assert_eq!(detail["projects"][0]["status"], "cancelled", "{detail}");
    assert_eq!(show(&env, &job).await["state"], "cancelled");
    let stored = stored_tasks(&pool).await;
    assert!(
        stored < 4000,
        "the crawl went on after the cancel: {stored} tasks"
    );
}

async fn stored_tasks(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(pool)
        .await
        .expect("tasks are readable")
}

#[sqlx::test(migrations = false)]
async fn run_now_makes_a_scheduled_job_runnable_at_once(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(1, 5, Duration::ZERO).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let job = newest_job(&env).await;
    sqlx::query("update apalis.jobs set run_at = now() + interval '1 hour' where id = $1")
        .bind(&job)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(show(&env, &job).await["state"], "scheduled");
    let now = aegis(&env, &["queue", "run-now", &job]).await;
    assert_eq!(now.code, Some(0), "{}", now.both());
    assert!(
        now.stdout.contains("(scheduled) is runnable now"),
        "{}",
        now.stdout
    );
    assert_eq!(show(&env, &job).await["state"], "pending");
    // Without run-now this drain would wait an hour.
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert_eq!(run_status(&env, run).await, "done");
    let done = aegis(&env, &["queue", "run-now", &job]).await;
    assert_eq!(done.code, Some(2), "{}", done.both());
    assert!(
        error_line(&done).contains("is done: only scheduled or retrying"),
        "{}",
        done.stderr
    );
}

#[sqlx::test(migrations = false)]
async fn a_paused_kind_is_handed_back_uncharged_until_resumed(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(1, 5, Duration::ZERO).await;
    let env = env(&pool, &fake);
    let pause = aegis(&env, &["queue", "pause", "--kind", "sync-portfolio"]).await;
    assert_eq!(pause.code, Some(0), "{}", pause.both());
    assert!(
        pause.stdout.starts_with("sync-portfolio is paused"),
        "{}",
        pause.stdout
    );
    let stats = json(&env, &["queue", "stats"]).await;
    assert_eq!(stats["kinds"][0]["paused"], true, "{stats}");
    assert_eq!(stats["kinds"][1]["paused"], false, "{stats}");

    let run = enqueue(&env, &[]).await;
    let job = newest_job(&env).await;
    let worker = spawn(&env, &DRAIN);
    until_job(&env, &job, "handed back for the pause", |j| {
        j["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("paused"))
    })
    .await;
    let held = show(&env, &job).await;
    assert_eq!(held["attempts"], 0, "no attempt charged: {held}");
    assert_eq!(
        held["state"], "scheduled",
        "not runnable at once (no busy loop): {held}"
    );
    assert_eq!(run_status(&env, run).await, "queued");

    let resume = json(&env, &["queue", "resume"]).await;
    assert_eq!(
        resume["resumed"],
        serde_json::json!(["sync-portfolio"]),
        "{resume}"
    );
    let drained = finish(worker).await;
    assert_eq!(drained.code, Some(0), "{}", drained.both());
    assert_eq!(run_status(&env, run).await, "done");
    let stats = json(&env, &["queue", "stats"]).await;
    assert_eq!(stats["kinds"][0]["paused"], false, "{stats}");
}
