//! A stale attempt can write nothing: a worker frozen (SIGSTOP) past the
//! rescue window while it crawls a project is resumed (SIGCONT) after
//! another worker has taken the job. Its next write is refused by its
//! lease, it stops and records nothing (neither a result nor a failure),
//! and the rescuer's result stands: run `done`, the project `done` with no
//! error, no job left running, and the rows a clean sync's.

use std::time::Duration;

use sqlx::PgPool;

use super::{
    DRAIN, PROJECTS, enqueue, env, finish, run_status, running_project_jobs, signal,
    signals::{clean_sync_rows, task_rows},
    slow_fake, spawn, statuses,
};
use crate::helpers;

/// Waits until `query` (one bool, of `$1` the job and `$2` its first
/// owner) is true, for at most 60 s.
async fn until(pool: &PgPool, what: &str, query: &'static str, (job, owner): (&str, &str)) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done: bool = sqlx::query_scalar(query)
            .bind(job)
            .bind(owner)
            .fetch_one(pool)
            .await
            .expect("readable");
        if done {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The one aegis job not done, once it is the only one and running: its
/// id and worker.
async fn sole_running_job(pool: &PgPool) -> (String, String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let open: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "select id, status, lock_by from apalis.jobs \
             where job_type like 'aegis.%' and status <> 'Done'",
        )
        .fetch_all(pool)
        .await
        .expect("readable");
        if let [(id, status, Some(owner))] = &open[..]
            && status == "Running"
        {
            return (id.clone(), owner.clone());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "one job left within 60 s: {open:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_frozen_attempt_that_lost_its_job_writes_nothing(pool: PgPool) {
    helpers::migrated(&pool).await;
    // One big project (and the nested portfolio's small one); 40 ms per
    // request keeps the big one's crawl going for many seconds.
    let fake = slow_fake(1, 400, Duration::from_millis(40)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &["--full"]).await;
    let frozen = spawn(
        &env,
        &["worker", "--heartbeat", "1s", "--poll-interval", "100ms"],
    );
    running_project_jobs(&pool).await;
    // Only the big job left, running: whatever the rescuer runs is it.
    let (job, owner) = sole_running_job(&pool).await;
    signal(&frozen, "-STOP");

    // The rescuer takes the job once the frozen worker's heartbeats stop.
    let rescuer = spawn(&env, &DRAIN);
    until(
        &pool,
        "the job rescued by another worker",
        "select status = 'Running' and lock_by is not null and lock_by <> $2 \
         from apalis.jobs where id = $1",
        (&job, &owner),
    )
    .await;
    let taken_by: String = sqlx::query_scalar("select lock_by from apalis.jobs where id = $1")
        .bind(&job)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(taken_by, owner, "another worker holds the job");

    signal(&frozen, "-CONT");
    let drained = finish(rescuer).await;
    assert_eq!(drained.code, Some(0), "{}", drained.both());
    signal(&frozen, "-TERM");
    let stale = finish(frozen).await;
    assert!(
        stale
            .stderr
            .contains("attempt lost its job to another; nothing recorded"),
        "frozen: {}\nrescuer: {}",
        stale.both(),
        drained.both()
    );

    assert_eq!(run_status(&env, run).await, "done");
    let children: Vec<(String, Option<String>)> =
        sqlx::query_as("select status, error from sync_run_projects where run_id = $1")
            .bind(run)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        children.iter().all(|(s, e)| s == "done" && e.is_none()),
        "{children:?}"
    );
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), total)]);
    let owners: i64 = sqlx::query_scalar(
        "select count(*) from apalis.jobs where job_type = $1 and status = 'Running'",
    )
    .bind(PROJECTS)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(owners, 0, "no job left running");
    assert_eq!(task_rows(&pool).await, clean_sync_rows(&pool, &fake).await);
}
