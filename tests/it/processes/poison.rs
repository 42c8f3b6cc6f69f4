//! A job whose payload does not decode (garbage bytes, or JSON of another
//! shape) beside valid jobs in one fetched batch: with a real `aegis worker
//! --drain`, the bad jobs are dead at once with the decode error as their
//! reason, the valid ones beside them run, and the drain exits 1 with the
//! rows of a clean sync.

use aegis_jobs::{Mode, SyncProjectTasks};
use sqlx::PgPool;
use uuid::Uuid;

use super::{DRAIN, PROJECTS, env, finish, spawn, statuses};
use crate::{
    cli::aegis,
    helpers,
    processes::signals::{clean_sync_rows, task_rows},
};

#[sqlx::test(migrations = false)]
async fn an_undecodable_job_is_dead_at_once_and_its_batch_runs(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = super::slow_fake(3, 10, std::time::Duration::ZERO).await;
    let env = env(&pool, &fake);
    let known = aegis(&env, &["sync", "--projects-only", "--no-console"]).await;
    assert_eq!(known.code, Some(0), "{}", known.both());
    let projects: Vec<String> =
        sqlx::query_scalar("select asana_gid from projects where not archived order by 1")
            .fetch_all(&pool)
            .await
            .unwrap();

    // Two bad payloads first (ULIDs sort by insertion), then the valid jobs:
    // one fetch of 8 takes them all.
    let mut tx = pool.begin().await.unwrap();
    for (key, payload) in [("garbage", &b"{not json"[..]), ("skew", br#"{"run":5}"#)] {
        sqlx::query(
            "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, \
             run_at, priority, idempotency_key) \
             values (apalis.generate_ulid(), $1, $2, 'Pending', 0, 8, now(), 0, $3)",
        )
        .bind(PROJECTS)
        .bind(payload)
        .bind(key)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let run = Uuid::new_v4();
    let jobs: Vec<_> = (projects.iter())
        .map(|project| SyncProjectTasks::new(run, project.clone(), Mode::Full))
        .collect();
    aegis_jobs::enqueue_many(&mut tx, &jobs).await.unwrap();
    tx.commit().await.unwrap();

    let mut args = DRAIN.to_vec();
    args.extend(["--concurrency", "8"]);
    let drain = finish(spawn(&env, &args)).await;
    assert_eq!(drain.code, Some(1), "{}", drain.both());
    assert!(drain.stderr.contains("2 dead"), "{}", drain.both());

    let bad: Vec<(String, String, i32)> = sqlx::query_as(
        "select idempotency_key, status, attempts from apalis.jobs \
         where idempotency_key in ('garbage', 'skew') order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        bad,
        [
            ("garbage".to_owned(), "Killed".to_owned(), 0),
            ("skew".to_owned(), "Killed".to_owned(), 0)
        ]
    );
    let show = aegis(&env, &["queue", "list", "--state", "dead"]).await;
    assert!(
        show.stdout.contains("undecodable payload"),
        "{}",
        show.both()
    );
    let done = jobs.len() as i64;
    assert_eq!(
        statuses(&pool).await,
        [("Done".to_owned(), done), ("Killed".to_owned(), 2)],
        "the valid jobs beside them ran, nothing is left running"
    );
    assert_eq!(task_rows(&pool).await, clean_sync_rows(&pool, &fake).await);
}
