//! Which work a worker may do: the job is the truth, so a job for a
//! portfolio the worker does not serve is dead at once with the reason,
//! and nothing of the other portfolio is written.

use aegis::{
    queue::{self, JobState},
    runs::{self, RunStatus},
};
use aegis_jobs::{Mode, Scope, SyncPortfolio};
use fake_asana::{Config, generate::Preset};
use sqlx::PgPool;

use crate::helpers::{TestApp, worker_config};

#[sqlx::test(migrations = false)]
async fn a_job_for_another_portfolio_is_dead_with_the_reason(pool: PgPool) {
    let app = TestApp::new(
        pool,
        Config {
            preset: Preset::Custom {
                projects: 2,
                tasks_per_project: 3,
            },
            ..Config::default()
        },
    )
    .await;
    // Enqueued as a host would with aegis-jobs alone: no run row yet.
    let job = SyncPortfolio::new("999999", Scope::default(), Mode::Full);
    let run = job.run;
    let mut tx = app.pool.begin().await.unwrap();
    aegis_jobs::enqueue(&mut tx, &job).await.unwrap();
    tx.commit().await.unwrap();

    let report = app.drain(worker_config()).await;
    assert_eq!((report.done, report.dead), (0, 1), "{report:?}");
    let dead = queue::list(
        &app.pool,
        &aegis_jobs::Queues::default(),
        Some(JobState::Dead),
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(dead.len(), 1);
    let recorded = runs::get(&app.pool, run).await.unwrap().unwrap();
    assert_eq!(recorded.status, RunStatus::Failed);
    let error = recorded.error.unwrap_or_default();
    assert!(
        error.contains("portfolio 999999") && error.contains(app.fake.portfolio_gid.as_str()),
        "{error}"
    );
    assert_eq!(app.fake.stats().total_requests, 0, "no request for it");
    let projects = app.count("select count(*) from projects").await;
    assert_eq!(projects, 0, "nothing of the worker's portfolio was written");
}

/// The backend pid holding the run lock of project `gid` in this test's
/// database (other tests sync projects with the same gids), once one does.
async fn run_lock_holder(pool: &PgPool, gid: &str) -> i32 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "select l.pid from pg_locks l join pg_database d on d.oid = l.database \
             where l.locktype = 'advisory' and l.granted and d.datname = current_database() \
             and l.objid = (hashtext('aegis.project-run:' || $1)::bigint & 4294967295)::oid",
        )
        .bind(gid)
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no sync took the run lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_sync_that_loses_its_run_lock_writes_nothing_more(pool: PgPool) {
    let app = TestApp::new(
        pool,
        Config {
            preset: Preset::Custom {
                projects: 1,
                tasks_per_project: 400,
            },
            latency: std::time::Duration::from_millis(30),
            ..Config::default()
        },
    )
    .await;
    let known = app.sync(aegis::sync::SyncOptions {
        projects_only: true,
        ..Default::default()
    });
    known.await.expect("the projects are stored");
    let gid: String =
        sqlx::query_scalar("select asana_gid from projects where not archived limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let full = aegis::sync::SyncOptions {
        mode: Mode::Full,
        projects: vec![gid.clone()],
        ..Default::default()
    };
    let first = {
        let ctx = app.ctx.clone();
        let options = full.clone();
        tokio::spawn(async move {
            aegis::sync::run_inline(&ctx, &options, &aegis::sync::PlainObserver).await
        })
    };
    // Only the connection holding the lock dies; the sync's process lives on.
    let holder = run_lock_holder(&app.pool, &gid).await;
    let killed: bool = sqlx::query_scalar("select pg_terminate_backend($1)")
        .bind(holder)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(killed);
    let ended = first.await.unwrap();
    let error = ended
        .expect_err("a sync without its lock does not end done")
        .to_string();
    assert!(error.contains("lost its run lock"), "{error}");
    let results = runs::projects(&app.pool, runs::recent(&app.pool, 1).await.unwrap()[0].id)
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert!(
        results[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("lost its run lock"),
        "{results:?}"
    );
    // The next sync finds the lock free and gives the rows of a clean one.
    let everything = aegis::sync::SyncOptions {
        mode: Mode::Full,
        ..Default::default()
    };
    app.sync(everything).await.expect("the next sync succeeds");
    let rows = crate::processes::signals::task_rows(&app.pool).await;
    assert_eq!(
        rows,
        crate::processes::signals::clean_sync_rows(&app.pool, &app.fake).await
    );
}
