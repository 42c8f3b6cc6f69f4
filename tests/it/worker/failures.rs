//! Failed attempts under an in-process worker: transient failures retried
//! with growing persisted delays, `Retry-After` honoured across attempts, a
//! 403 dead at once and revived, a project dead after its last attempt, and
//! an attempt that times out retried instead of left running.

use aegis::queue;
use aegis_jobs::{Mode, Scope};
use fake_asana::faults::FaultKind;
use sqlx::PgPool;

use super::{fault_on_project, portfolio, project_gids, run_status};
use crate::helpers::{TestApp, worker_config};

#[sqlx::test(migrations = false)]
async fn transient_failures_are_retried_with_growing_persisted_delays(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(2, 10)).await;
    let gids = project_gids(&app).await;
    // The client makes 5 attempts per request: 12 failures = 2 failed job attempts + 2 more.
    app.fake
        .add_fault(fault_on_project(&gids[0], FaultKind::ServerError, Some(12)));
    let run = app.enqueue(Scope::default(), Mode::Incremental).await;
    let report = app.drain(worker_config()).await;
    assert_eq!(report.dead, 0);
    assert_eq!(run_status(&app, run).await, "done");
    let log = app.fake.request_log();
    let hits: Vec<_> = log
        .iter()
        .filter(|r| r.query.contains(&format!("project={}", gids[0])))
        .collect();
    assert_eq!(hits.len(), 13, "12 failures then success");
    // Base 300 ms with ±25 % jitter: the first retry waits at least 225 ms,
    // the second at least 450 ms: more than any first delay could be (375 ms).
    let gap1 = hits[5].at_ms - hits[4].at_ms;
    let gap2 = hits[10].at_ms - hits[9].at_ms;
    assert!(
        gap1 >= 225,
        "the first retry waited its backoff ({gap1} ms)"
    );
    assert!(
        gap2 >= 450,
        "the second retry waited a doubled backoff ({gap1} ms, then {gap2} ms)"
    );
}

#[sqlx::test(migrations = false)]
async fn a_retry_after_is_honoured_across_attempts(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(1, 5)).await;
    let gids = project_gids(&app).await;
    app.fake.add_fault(fault_on_project(
        &gids[0],
        FaultKind::RateLimited { retry_after: 3 },
        Some(1),
    ));
    app.drain_after_enqueue().await;
    let log = app.fake.request_log();
    let hits: Vec<_> = log
        .iter()
        .filter(|r| r.query.contains(&format!("project={}", gids[0])))
        .collect();
    assert_eq!(hits[0].status, 429);
    assert!(
        hits[1].at_ms >= hits[0].at_ms + 3000,
        "not retried before Retry-After: {hits:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_forbidden_project_is_dead_at_once_and_revives_after_the_fault(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(3, 10)).await;
    let gids = project_gids(&app).await;
    let message = "project: Forbidden".to_string();
    app.fake.add_fault(fault_on_project(
        &gids[1],
        FaultKind::Status { code: 403, message },
        None,
    ));
    let run = app.enqueue(Scope::default(), Mode::Incremental).await;
    let report = app.drain(worker_config()).await;
    assert_eq!(report.dead, 1);
    assert_eq!(run_status(&app, run).await, "partial");
    let hits = app
        .fake
        .request_log()
        .iter()
        .filter(|r| r.query.contains(&format!("project={}", gids[1])))
        .count();
    assert_eq!(hits, 1, "a 403 is not retried");
    let dead = queue::list(
        &app.pool,
        &aegis_jobs::Queues::default(),
        Some(queue::JobState::Dead),
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(dead.len(), 1);

    app.fake.clear_faults();
    // What `aegis queue retry --all-dead` calls: revive and reopen the runs.
    let mut conn = app.pool.acquire().await.unwrap();
    let revived = queue::revive(
        &mut conn,
        &aegis_jobs::Queues::default(),
        queue::Revive::AllDead { kind: None },
    )
    .await
    .unwrap();
    assert_eq!(revived.runs_reopened, 1);
    assert_eq!(run_status(&app, run).await, "running");
    let report = app.drain(worker_config()).await;
    assert_eq!(report.dead, 0);
    assert_eq!(
        run_status(&app, run).await,
        "done",
        "the revived run closed again"
    );
}

#[sqlx::test(migrations = false)]
async fn a_project_that_always_fails_is_dead_after_max_attempts(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(2, 5)).await;
    let gids = project_gids(&app).await;
    app.fake
        .add_fault(fault_on_project(&gids[0], FaultKind::ServerError, None));
    let run = app.enqueue(Scope::default(), Mode::Incremental).await;
    let mut config = worker_config();
    config.policy.max_attempts = 3;
    config.policy.base = std::time::Duration::from_millis(50);
    let report = app.drain(config).await;
    assert_eq!(report.dead, 1);
    assert_eq!(run_status(&app, run).await, "partial");
    let (attempts, max): (i32, i32) = sqlx::query_as(
        "select attempts, max_attempts from apalis.jobs where job_type = 'aegis.sync-project-tasks' and status = 'Failed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((attempts, max), (3, 3));
    let stats = queue::stats(&app.pool, &aegis_jobs::Queues::default())
        .await
        .unwrap();
    let projects = stats
        .iter()
        .find(|s| s.kind == aegis_jobs::queue::SYNC_PROJECT_TASKS)
        .unwrap();
    assert_eq!(projects.dead, 1);
}

#[sqlx::test(migrations = false)]
async fn an_attempt_that_times_out_is_retried_not_left_running(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(1, 5)).await;
    let gids = project_gids(&app).await;
    let hang = FaultKind::Latency { ms: 10 * 60 * 1000 };
    app.fake
        .add_fault(fault_on_project(&gids[0], hang, Some(1)));
    let run = app.enqueue(Scope::default(), Mode::Incremental).await;
    let mut config = worker_config();
    config.policy.timeout = std::time::Duration::from_secs(5);
    let report = app.drain(config).await;
    assert_eq!(report.dead, 0);
    assert_eq!(run_status(&app, run).await, "done");
    let (status, attempts, last): (String, i32, Option<serde_json::Value>) = sqlx::query_as(
        "select status, attempts, last_result from apalis.jobs where job_type = 'aegis.sync-project-tasks'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        status == "Done" && attempts >= 2,
        "timed out, then retried and done: {status}, {attempts} attempts, {last:?}"
    );
    let needle = format!("project={}", gids[0]);
    let log = app.fake.request_log();
    let hits: Vec<_> = log.iter().filter(|r| r.query.contains(&needle)).collect();
    assert_eq!(hits[0].status, 0, "the first listing was never answered");
    assert!(hits.iter().any(|r| r.status == 200), "{hits:?}");
}
