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
