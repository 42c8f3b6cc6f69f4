//! Durable sync jobs drained by an in-process worker against the fake:
//! fan-out, idempotent parents, selection, persisted backoff, dead letters,
//! partial runs and their revival.

use std::collections::BTreeSet;

use aegis::{runs, store, sync, sync::SyncOptions};
use aegis_jobs::{Mode, Scope, SyncPortfolio};
use fake_asana::{
    Config,
    faults::{FaultKind, FaultRule},
    generate::Preset,
};
use sqlx::PgPool;

use crate::helpers::{TestApp, worker_config};

mod failures;

pub(super) fn portfolio(projects: usize, tasks: usize) -> Config {
    Config {
        preset: Preset::Custom {
            projects,
            tasks_per_project: tasks,
        },
        seed: 11,
        ..Config::default()
    }
}

pub(super) fn fault_on_project(project: &str, fault: FaultKind, times: Option<u32>) -> FaultRule {
    FaultRule {
        route: "/tasks".into(),
        query_contains: Some(format!("project={project}")),
        fault,
        times,
        probability: None,
    }
}

/// Every live task row, as comparable text.
async fn task_rows(pool: &PgPool) -> BTreeSet<String> {
    sqlx::query_scalar(
        "select concat_ws('|', asana_gid, name, completed, assignee_gid, custom_fields::text, \
         content_hash, (select count(*) from task_memberships m where m.task_id = t.id)) \
         from tasks t where deleted_at is null",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

pub(super) async fn project_gids(app: &TestApp) -> Vec<String> {
    let world = app.fake.snapshot();
    world.portfolios[&world.main_portfolio]
        .items
        .iter()
        .filter(|g| world.projects.contains_key(*g))
        .cloned()
        .collect()
}

pub(super) async fn run_status(app: &TestApp, run: uuid::Uuid) -> String {
    runs::get(&app.pool, run)
        .await
        .unwrap()
        .unwrap()
        .status
        .to_string()
}

#[sqlx::test(migrations = false)]
async fn enqueue_and_drain_gives_the_rows_an_inline_sync_gives(pool: PgPool) {
    let app = TestApp::new(pool.clone(), portfolio(3, 120)).await;
    let run = app.enqueue(Scope::default(), Mode::Full).await;
    let report = app.drain(worker_config()).await;
    assert_eq!(report.dead, 0);
    assert_eq!(run_status(&app, run).await, "done");
    let queued = task_rows(&app.pool).await;

    sqlx::query("truncate task_rows, task_memberships, task_custom_fields")
        .execute(&app.pool)
        .await
        .unwrap();
    let full = SyncOptions {
        mode: Mode::Full,
        ..SyncOptions::default()
    };
    app.sync(full).await.unwrap();
    assert_eq!(
        task_rows(&app.pool).await,
        queued,
        "queued and inline syncs store the same rows"
    );
    let state = store::state::get(&app.pool).await.unwrap();
    assert!(
        state.last_tasks_sync_at.is_some(),
        "the last child set last_tasks_sync_at"
    );
}

#[sqlx::test(migrations = false)]
async fn a_retried_parent_never_duplicates_its_children(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(5, 3)).await;
    let job = SyncPortfolio::new(
        app.fake.portfolio_gid.clone(),
        Scope::default(),
        Mode::Incremental,
    );
    let asana = sync::Attempt::new(&app.ctx);
    let first = sync::jobs::portfolio_job(&app.ctx, &asana, &job)
        .await
        .unwrap();
    let again = sync::jobs::portfolio_job(&app.ctx, &asana, &job)
        .await
        .unwrap();
    let live = store::projects::list(&app.pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| !p.archived)
        .count();
    assert_eq!(first, live, "one child per non-archived project");
    assert_eq!(again, 0, "the retried parent enqueued nothing");
    let children = app
        .count("select count(*) from apalis.jobs where job_type = 'aegis.sync-project-tasks'")
        .await;
    assert_eq!(children as usize, live);
    let recorded = app.count("select count(*) from sync_run_projects").await;
    assert_eq!(recorded as usize, live);
}

#[sqlx::test(migrations = false)]
async fn a_second_request_joins_the_queued_sync_of_a_project(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(2, 3)).await;
    let asana = sync::Attempt::new(&app.ctx);
    let (first, second) = (
        SyncPortfolio::new(
            app.fake.portfolio_gid.clone(),
            Scope::default(),
            Mode::Incremental,
        ),
        SyncPortfolio::new(
            app.fake.portfolio_gid.clone(),
            Scope::default(),
            Mode::Incremental,
        ),
    );
    // Both parents run before any project job starts: the second joins the
    // first's queued children instead of adding its own.
    let enqueued = sync::jobs::portfolio_job(&app.ctx, &asana, &first)
        .await
        .unwrap();
    let joined = sync::jobs::portfolio_job(&app.ctx, &asana, &second)
        .await
        .unwrap();
    let full = SyncPortfolio::new(app.fake.portfolio_gid.clone(), Scope::default(), Mode::Full);
    let upgraded = sync::jobs::portfolio_job(&app.ctx, &asana, &full)
        .await
        .unwrap();
    assert!(enqueued > 0);
    assert_eq!(
        joined, 0,
        "an incremental request joins the queued incremental syncs"
    );
    assert_eq!(upgraded, 0, "a full request joins them too");
    let modes: Vec<String> = sqlx::query_scalar(
        "select convert_from(job, 'UTF8')::jsonb ->> 'mode' from apalis.jobs \
         where job_type = 'aegis.sync-project-tasks'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(modes.len(), enqueued, "one queued sync per project");
    assert!(
        modes.iter().all(|m| m == "full"),
        "upgraded to full: {modes:?}"
    );
    let report = app.drain(worker_config()).await;
    assert_eq!(report.dead, 0);
    for run in [first.run, second.run, full.run] {
        assert_eq!(run_status(&app, run).await, "done", "run {run}");
    }
}

#[sqlx::test(migrations = false)]
async fn chosen_projects_touch_only_their_rows(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(3, 20)).await;
    let gids = project_gids(&app).await;
    let scope = Scope {
        projects_only: false,
        projects: vec![gids[0].clone()],
    };
    let run = app.enqueue(scope, Mode::Incremental).await;
    app.drain(worker_config()).await;
    assert_eq!(run_status(&app, run).await, "done");
    // Every stored task is in the chosen project (or a subtask of one that is).
    let outside: i64 = sqlx::query_scalar(
        "with recursive tree as ( \
             select t.id from tasks t join task_memberships m on m.task_id = t.id \
             join projects p on p.id = m.project_id where p.asana_gid = $1 \
             union select c.id from tasks c join tree on c.parent_task_id = tree.id) \
         select count(*) from tasks where id not in (select id from tree)",
    )
    .bind(&gids[0])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(outside, 0);
    assert!(app.count("select count(*) from tasks").await > 20);
    let state = store::state::get(&app.pool).await.unwrap();
    assert!(
        state.last_tasks_sync_at.is_none(),
        "a chosen-projects run is not a full tasks sync"
    );
}

#[sqlx::test(migrations = false)]
async fn a_schedule_fires_once_per_tick_however_many_processes_run_it(pool: PgPool) {
    crate::helpers::migrated(&pool).await;
    use aegis::worker::schedule::{Schedule, fire};
    let schedule = Schedule {
        every: std::time::Duration::from_secs(60),
        mode: Mode::Incremental,
    };
    let tick = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let later_same_tick = tick + chrono::Duration::seconds(30);
    let ns = aegis::store::Namespace::cli_default();
    let (a, b, c) = tokio::join!(
        fire(&pool, &ns, "42", schedule, tick),
        fire(&pool, &ns, "42", schedule, later_same_tick),
        fire(&pool, &ns, "42", schedule, tick),
    );
    let fired = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(
        fired.iter().filter(|f| **f).count(),
        1,
        "one process enqueues the tick: {fired:?}"
    );
    let next_tick = tick + chrono::Duration::seconds(60);
    assert!(
        fire(&pool, &ns, "42", schedule, next_tick).await.unwrap(),
        "the next tick fires again"
    );
    let jobs: i64 = sqlx::query_scalar(
        "select count(*) from apalis.jobs where job_type = 'aegis.sync-portfolio'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(jobs, 2);
}

/// Only the first attempt hangs: its first listing request is answered
/// after 10 minutes, so only the attempt timeout can end it (the client's
/// own request timeout, 10 s, is longer). That timeout, 5 s, is ample for a
/// healthy attempt (a few requests of a 5-task project) on a loaded machine;
/// one that still ran over would only add an attempt. The test fails if the
/// timed-out attempt were left `Running` (no drain end, not `Done`) or not
/// retried (dead, or a single attempt that waited out the hang).
#[sqlx::test(migrations = false)]
async fn two_syncs_of_one_project_never_run_at_once(pool: PgPool) {
    let app = TestApp::new(pool, portfolio(1, 5)).await;
    app.fake.set_latency(std::time::Duration::from_millis(150));
    // A sync of each project, plus a second one per project enqueued by
    // another service straight into the queue (no coalescing there).
    let asana = sync::Attempt::new(&app.ctx);
    let job = SyncPortfolio::new(app.fake.portfolio_gid.clone(), Scope::default(), Mode::Full);
    sync::jobs::portfolio_job(&app.ctx, &asana, &job)
        .await
        .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    for project in store::projects::list(&app.pool).await.unwrap() {
        let second = aegis_jobs::SyncProjectTasks::new(
            uuid::Uuid::new_v4(),
            project.asana_gid,
            Mode::Incremental,
        );
        aegis_jobs::enqueue(&mut conn, &second).await.unwrap();
    }
    let pending = app
        .count("select count(*) from apalis.jobs where job_type = 'aegis.sync-project-tasks'")
        .await;
    assert!(pending >= 2);
    let drain = app.drain(worker_config());
    let mut saw_a_wait = false;
    let watch = async {
        // Until the drain ends: does a job ever wait for the other's project lock?
        loop {
            let waiting = app
                .count("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory'")
                .await;
            saw_a_wait |= waiting > 0;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let report = tokio::select! {
        report = drain => report,
        () = watch => unreachable!("the watch never ends"),
    };
    assert_eq!(report.dead, 0);
    assert!(
        saw_a_wait,
        "the second sync of the project waited for the first"
    );
    let overlaps = overlapping_runs(&app).await;
    assert_eq!(overlaps, 0, "the two project syncs did not overlap");
}

/// Pairs of project children of different runs whose running times overlap.
async fn overlapping_runs(app: &TestApp) -> i64 {
    app.count(
        "select count(*) from sync_run_projects a join sync_run_projects b \
         on a.project_gid = b.project_gid and a.run_id < b.run_id \
         where a.started_at < b.finished_at and b.started_at < a.finished_at",
    )
    .await
}
