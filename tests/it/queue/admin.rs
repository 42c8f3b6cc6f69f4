//! `aegis queue retry | purge`: only dead jobs come back; purging keeps
//! what is recent, dead or referenced.

use std::time::Duration;

use aegis::queue::{self, Error, JobState, PurgeReport, Revive};
use aegis_jobs::queue::{SYNC_PORTFOLIO, SYNC_PROJECT_TASKS};
use sqlx::PgPool;

use super::*;
use crate::helpers::migrated;

/// Revives one job; `Ok(())` when it came back.
async fn retry(pool: &PgPool, id: &str) -> Result<(), Error> {
    let mut conn = pool.acquire().await.unwrap();
    let revived = queue::revive(&mut conn, &aegis_jobs::Queues::default(), Revive::Job(id)).await?;
    assert_eq!(revived.retried, [id.to_owned()]);
    Ok(())
}

/// Revives every dead job (of a kind); their ids.
async fn retry_all_dead(pool: &PgPool, kind: Option<&str>) -> Result<Vec<String>, Error> {
    let mut conn = pool.acquire().await.unwrap();
    Ok(queue::revive(
        &mut conn,
        &aegis_jobs::Queues::default(),
        Revive::AllDead { kind },
    )
    .await?
    .retried)
}

fn not_dead(result: Result<(), Error>) -> JobState {
    match result {
        Err(Error::NotDead { state, .. }) => state,
        other => panic!("expected not dead, got {other:?}"),
    }
}

#[sqlx::test(migrations = false)]
async fn retry_revives_dead_jobs(pool: PgPool) {
    migrated(&pool).await;
    worker(&pool, "w1", SYNC_PROJECT_TASKS, 0.0).await;
    let (dead, _) = project_job(&pool, "42").await;
    put(&pool, &dead, Row::exhausted().locked_by("w1")).await;
    let (killed, _) = portfolio_job(&pool).await;
    put(&pool, &killed, Row::killed()).await;

    retry(&pool, &dead).await.unwrap();
    let d = queue::show(&pool, &aegis_jobs::Queues::default(), &dead)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.state, d.status.as_str(), d.attempts),
        (JobState::Pending, "Pending", 0)
    );
    assert!(d.run_at <= chrono::Utc::now());
    assert_eq!((d.lock_by, d.lock_at, d.done_at), (None, None, None));
    assert_eq!(
        d.last_error.as_deref(),
        Some("HTTP 500 from Asana"),
        "history kept"
    );
    retry(&pool, &killed).await.unwrap();
    let again = not_dead(retry(&pool, &dead).await);
    assert_eq!(again, JobState::Pending, "once");
}

#[sqlx::test(migrations = false)]
async fn retry_refuses_jobs_that_are_not_dead(pool: PgPool) {
    migrated(&pool).await;
    worker(&pool, "w1", SYNC_PROJECT_TASKS, 0.0).await;
    for (row, state) in [
        (Row::retrying(), JobState::Retrying),
        (Row::running("w1"), JobState::Running),
        (Row::done(0.0), JobState::Done),
        (Row::scheduled(), JobState::Scheduled),
    ] {
        let (id, _) = project_job(&pool, "43").await;
        put(&pool, &id, row).await;
        assert_eq!(not_dead(retry(&pool, &id).await), state);
        assert_eq!(
            queue::show(&pool, &aegis_jobs::Queues::default(), &id)
                .await
                .unwrap()
                .unwrap()
                .state,
            state
        );
    }
    let missing = retry(&pool, "nope").await;
    assert!(matches!(missing, Err(Error::NoSuchJob(_))), "{missing:?}");
    host_job(&pool, "host-1").await;
    put(&pool, "host-1", Row::killed()).await;
    let host = retry(&pool, "host-1").await;
    assert!(matches!(host, Err(Error::NoSuchJob(_))), "{host:?}");
}

#[sqlx::test(migrations = false)]
async fn retry_all_dead_filters_by_kind(pool: PgPool) {
    migrated(&pool).await;
    let (a, _) = project_job(&pool, "1").await;
    put(&pool, &a, Row::exhausted()).await;
    let (b, _) = project_job(&pool, "2").await;
    put(&pool, &b, Row::killed()).await;
    let (retrying, _) = project_job(&pool, "3").await;
    put(&pool, &retrying, Row::retrying()).await;
    let (p, _) = portfolio_job(&pool).await;
    put(&pool, &p, Row::killed()).await;
    host_job(&pool, "host-1").await;
    put(&pool, "host-1", Row::killed()).await;

    let revived = retry_all_dead(&pool, Some("sync-project-tasks"))
        .await
        .unwrap();
    assert_eq!(revived, sorted(vec![a.clone(), b.clone()]));
    let stats = queue::stats(&pool, &aegis_jobs::Queues::default())
        .await
        .unwrap();
    assert_eq!(
        (stats[1].dead, stats[1].pending, stats[1].retrying),
        (0, 2, 1)
    );
    assert_eq!(stats[0].dead, 1, "the portfolio job is still dead");

    assert_eq!(retry_all_dead(&pool, None).await.unwrap(), [p]);
    assert!(retry_all_dead(&pool, None).await.unwrap().is_empty());
    let host = ids(&pool, "select status from apalis.jobs where id = 'host-1'").await;
    assert_eq!(
        host,
        ["Killed"],
        "other applications' queues are not touched"
    );
    let err = retry_all_dead(&pool, Some("emails")).await.unwrap_err();
    assert!(matches!(err, Error::UnknownKind(_)), "{err}");
}

#[sqlx::test(migrations = false)]
async fn purge_keeps_recent_and_dead_jobs_and_referenced_workers(pool: PgPool) {
    migrated(&pool).await;
    for (w, seen_ago) in [("old", 3.0 * DAY), ("busy", 3.0 * DAY), ("dead", 3.0 * DAY)] {
        worker(&pool, w, SYNC_PROJECT_TASKS, seen_ago).await;
    }
    worker(&pool, "idle", SYNC_PORTFOLIO, 3.0 * DAY).await;
    worker(&pool, "fresh", SYNC_PROJECT_TASKS, 60.0).await;
    worker(&pool, "host-w", "host.emails", 3.0 * DAY).await;
    let (old_done, _) = project_job(&pool, "1").await;
    put(&pool, &old_done, Row::done(2.0 * DAY).locked_by("old")).await;
    let (recent_done, _) = project_job(&pool, "2").await;
    put(&pool, &recent_done, Row::done(3600.0).locked_by("busy")).await;
    let (old_dead, _) = project_job(&pool, "3").await;
    put(
        &pool,
        &old_dead,
        Row::killed().done_ago(2.0 * DAY).locked_by("dead"),
    )
    .await;
    let (pending, _) = portfolio_job(&pool).await;
    put(&pool, &pending, Row::pending().runnable_for(2.0 * DAY)).await;
    host_job(&pool, "host-1").await;
    put(&pool, "host-1", Row::done(2.0 * DAY).locked_by("host-w")).await;

    let report = queue::purge_done_older_than(
        &pool,
        &aegis_jobs::Queues::default(),
        Duration::from_secs(86_400),
    )
    .await;
    assert_eq!(
        report.unwrap(),
        PurgeReport {
            jobs: 1,
            workers: 2
        }
    );
    let jobs = ids(&pool, "select id from apalis.jobs").await;
    let kept = vec![recent_done, old_dead, pending, "host-1".to_owned()];
    assert_eq!(sorted(jobs), sorted(kept));
    let workers = ids(&pool, "select id from apalis.workers order by id").await;
    assert_eq!(workers, ["busy", "dead", "fresh", "host-w"]);

    let again = queue::purge_done_older_than(
        &pool,
        &aegis_jobs::Queues::default(),
        Duration::from_secs(86_400),
    )
    .await;
    assert_eq!(again.unwrap(), PurgeReport::default());
}

#[sqlx::test(migrations = false)]
async fn purge_never_deletes_a_worker_seen_in_the_live_window(pool: PgPool) {
    migrated(&pool).await;
    worker(&pool, "alive", SYNC_PROJECT_TASKS, 1.0).await;
    worker(&pool, "gone", SYNC_PROJECT_TASKS, 3.0 * DAY).await;
    let (done, _) = project_job(&pool, "1").await;
    put(&pool, &done, Row::done(60.0).locked_by("alive")).await;
    let queues = aegis_jobs::Queues::default();
    let mut conn = pool.acquire().await.unwrap();
    let preview = queue::purge_preview(&mut conn, &queues, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        preview,
        PurgeReport {
            jobs: 1,
            workers: 1
        }
    );
    assert_eq!(
        ids(&pool, "select id from apalis.jobs").await,
        std::slice::from_ref(&done),
        "a preview deletes nothing"
    );
    let report = queue::purge_done_older_than(&pool, &queues, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report, preview);
    let workers = ids(&pool, "select id from apalis.workers order by id").await;
    assert_eq!(
        workers,
        ["alive"],
        "the live worker's row stays, its done job goes"
    );
}

#[sqlx::test(migrations = false)]
async fn purge_deletes_the_record_of_a_process_whose_workers_are_gone(pool: PgPool) {
    migrated(&pool).await;
    for (name, started_ago) in [("gone-1-aa", 2.0 * DAY), ("live-1-bb", 2.0 * DAY)] {
        sqlx::query(
            "insert into worker_processes (name, version, concurrency, started_at) \
             values ($1, '0.1.0', 4, now() - make_interval(secs => $2))",
        )
        .bind(name)
        .bind(started_ago)
        .execute(&pool)
        .await
        .unwrap();
    }
    worker(
        &pool,
        "gone-1-aa-projects-r0",
        SYNC_PROJECT_TASKS,
        3.0 * DAY,
    )
    .await;
    worker(&pool, "live-1-bb-projects-r0", SYNC_PROJECT_TASKS, 5.0).await;
    let queues = aegis_jobs::Queues::default();
    let report = queue::purge_done_older_than(&pool, &queues, Duration::from_secs(86_400))
        .await
        .unwrap();
    assert_eq!(report.workers, 1, "{report:?}");
    let left = ids(&pool, "select name from worker_processes order by name").await;
    assert_eq!(left, ["live-1-bb"], "the live process's record stays");
}
