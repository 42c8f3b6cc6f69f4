//! The ownerless-job sweep on a real apalis schema: a job whose row says
//! `Running` under this live process's worker, locked longer than the grace
//! period, but that no handler here runs (its end was never recorded: the
//! database was unreachable when the attempt ended) goes back to the queue
//! with its attempts as they were; a job a handler runs, one just started,
//! and another process's job stay as they are.

use std::time::Duration;

use aegis::{queue, worker::RunningJobs};
use aegis_jobs::Queues;
use sqlx::PgPool;

use crate::helpers;

async fn running_job(pool: &PgPool, key: &str, worker: &str, locked_secs_ago: f64) -> String {
    sqlx::query_scalar(
        "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, \
             priority, idempotency_key, lock_by, lock_at) \
         values (apalis.generate_ulid(), 'aegis.sync-project-tasks', \
             convert_to('{\"run\":\"00000000-0000-0000-0000-000000000000\",\"project\":\"1\"}', 'UTF8'), \
             'Running', 2, 8, now(), 0, $1, $2, now() - make_interval(secs => $3)) \
         returning id",
    )
    .bind(key)
    .bind(worker)
    .bind(locked_secs_ago)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_running_row_no_handler_runs_goes_back_with_its_attempts(pool: PgPool) {
    helpers::migrated(&pool).await;
    for worker in ["me-projects-r0", "other-projects-r0"] {
        sqlx::query(
            "insert into apalis.workers (id, worker_type, storage_name) \
             values ($1, 'aegis.sync-project-tasks', 'PostgresStorage')",
        )
        .bind(worker)
        .execute(&pool)
        .await
        .unwrap();
    }
    let lost = running_job(&pool, "lost", "me-projects-r0", 60.0).await;
    let live = running_job(&pool, "live", "me-projects-r0", 60.0).await;
    let _fresh = running_job(&pool, "fresh", "me-projects-r0", 0.0).await;
    let _theirs = running_job(&pool, "theirs", "other-projects-r0", 60.0).await;
    let running = RunningJobs::default();
    let _handler = running.enter(&live);

    let handed = queue::hand_back_unowned(
        &pool,
        &Queues::default(),
        ("me-", &running.snapshot()),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(
        handed.iter().map(|h| h.id.clone()).collect::<Vec<_>>(),
        [lost]
    );
    let rows: Vec<(String, String, i32, Option<String>)> = sqlx::query_as(
        "select idempotency_key, status, attempts, lock_by from apalis.jobs order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let me = Some("me-projects-r0".to_owned());
    assert_eq!(
        rows,
        [
            ("fresh".to_owned(), "Running".to_owned(), 2, me.clone()),
            ("live".to_owned(), "Running".to_owned(), 2, me),
            ("lost".to_owned(), "Pending".to_owned(), 2, None),
            (
                "theirs".to_owned(),
                "Running".to_owned(),
                2,
                Some("other-projects-r0".to_owned())
            ),
        ]
    );
}
