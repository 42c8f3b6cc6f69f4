//! A run's row in `sync_runs` holds its whole truth: the requests, 429s,
//! waits and pages of everything it did (the portfolio step and every
//! attempt of every child project) and the sum of its projects' task
//! figures, a task created by an attempt that later failed counted as
//! created once. The same fake world is synced inline into one fresh
//! database and as a queued run, with one child attempt failing midway and
//! retried, into another; each row is read with plain SQL and checked
//! against the fake's own request counts and against each other.

use aegis::sync::{self, Mode, PlainObserver, SyncContext, SyncOptions};
use aegis_jobs::Scope;
use fake_asana::{
    Config,
    faults::{FaultKind, FaultRule},
    gate::Stats,
    generate::Preset,
};
use sqlx::{
    PgPool,
    testing::{TestArgs, TestSupport},
};
use uuid::Uuid;

use crate::helpers::{TestApp, client, migrated, worker_config};

/// What `sync_runs` (or the sum of `sync_run_projects`) says a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
struct Figures {
    requests: i64,
    rate_limited: i64,
    waited_ms: i64,
    pages: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    removed: i64,
    deleted: i64,
}

impl Figures {
    fn tasks(&self) -> [i64; 5] {
        [
            self.created,
            self.updated,
            self.unchanged,
            self.removed,
            self.deleted,
        ]
    }
}

/// The run's own row, cast to bigint whatever the columns' types.
async fn run_figures(pool: &PgPool, run: Uuid) -> Figures {
    sqlx::query_as(
        "select api_requests::bigint as requests, rate_limited::bigint as rate_limited, \
         waited_ms::bigint as waited_ms, pages::bigint as pages, \
         tasks_created::bigint as created, tasks_updated::bigint as updated, \
         tasks_unchanged::bigint as unchanged, tasks_removed::bigint as removed, \
         tasks_deleted::bigint as deleted from sync_runs where id = $1",
    )
    .bind(run)
    .fetch_one(pool)
    .await
    .expect("the run's figures")
}

/// The sums over the run's `sync_run_projects` rows.
async fn children_figures(pool: &PgPool, run: Uuid) -> Figures {
    sqlx::query_as(
        "select coalesce(sum(api_requests), 0)::bigint as requests, \
         coalesce(sum(rate_limited), 0)::bigint as rate_limited, \
         coalesce(sum(waited_ms), 0)::bigint as waited_ms, \
         coalesce(sum(pages), 0)::bigint as pages, \
         coalesce(sum(tasks_created), 0)::bigint as created, \
         coalesce(sum(tasks_updated), 0)::bigint as updated, \
         coalesce(sum(tasks_unchanged), 0)::bigint as unchanged, \
         coalesce(sum(tasks_removed), 0)::bigint as removed, \
         coalesce(sum(tasks_deleted), 0)::bigint as deleted \
         from sync_run_projects where run_id = $1",
    )
    .bind(run)
    .fetch_one(pool)
    .await
    .expect("the children's figures")
}

/// A second fresh database, made by sqlx's test support as `#[sqlx::test]`
/// makes the first: named after this test, dropped first if a failed run
/// left it behind, and registered for `cargo sqlx test`'s clean-up.
async fn second_database(name: &'static str) -> (PgPool, String) {
    let args = TestArgs::new(name);
    let db = sqlx::Postgres::test_context(&args)
        .await
        .expect("a second test database");
    let pool = db
        .pool_opts
        .connect_with(db.connect_opts)
        .await
        .expect("connects to the second database");
    migrated(&pool).await;
    (pool, db.db_name)
}

async fn drop_database(pool: PgPool, name: &str) {
    pool.close().await;
    // A process that used it (an aegis killed by the test) may still be
    // closing its session: end those first.
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL is set");
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("connects to the server");
    sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1")
        .bind(name)
        .execute(&mut admin)
        .await
        .expect("ends the database's other sessions");
    sqlx::Postgres::cleanup_test(name)
        .await
        .expect("drops the second database");
}

/// The one parent task of the Seed world (it has two subtasks) and the
/// gid and name of its project.
fn parent_task(app: &TestApp) -> (String, String, String) {
    let world = app.fake.snapshot();
    let parent = world
        .tasks
        .values()
        .find(|t| !t.deleted && !t.subtasks.is_empty())
        .expect("the Seed world has a task with subtasks");
    let project = &world.projects[&parent.memberships[0].project];
    (
        parent.gid.clone(),
        project.gid.clone(),
        project.name.clone(),
    )
}

/// Live tasks and subtasks in the fake's world.
fn world_tasks(app: &TestApp) -> i64 {
    let summary = app.fake.world_summary();
    summary["tasks"].as_i64().expect("tasks") + summary["subtasks"].as_i64().expect("subtasks")
}

/// Enough 500s in a row on the parent's subtasks to exhaust the client's
/// attempts (5): the project's job attempt fails after its task page was
/// written, with a retryable error.
fn failing_subtasks(parent: &str) -> FaultRule {
    FaultRule {
        route: format!("/tasks/{parent}/subtasks"),
        query_contains: None,
        fault: FaultKind::ServerError,
        times: Some(5),
        probability: None,
    }
}

fn full() -> SyncOptions {
    SyncOptions {
        mode: Mode::Full,
        ..SyncOptions::default()
    }
}

/// Runs an inline full sync with `ctx`; returns its run id and the fake's
/// counts of the requests it served meanwhile.
async fn inline_run(app: &TestApp, ctx: &SyncContext) -> (Uuid, Stats) {
    app.fake.reset_stats();
    let summary = sync::run_inline(ctx, &full(), &PlainObserver)
        .await
        .expect("the inline sync succeeds");
    assert_eq!(summary.status, aegis::runs::RunStatus::Done);
    (summary.run, app.fake.stats())
}

/// Enqueues a full sync, fails one attempt of `project`'s job midway, and
/// drains; returns the run id and the fake's counts meanwhile.
async fn queued_run_with_a_retry(app: &TestApp, parent: &str, project: &str) -> (Uuid, Stats) {
    app.fake.reset_stats();
    app.fake.add_fault(failing_subtasks(parent));
    let run = app.enqueue(Scope::default(), Mode::Full).await;
    let report = app.drain(worker_config()).await;
    let stats = app.fake.stats();
    assert_eq!(report.dead, 0);
    assert!(
        app.fake.faults().is_empty(),
        "every injected 500 was served"
    );
    let (status,): (String,) = sqlx::query_as("select status from sync_runs where id = $1")
        .bind(run)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "done");
    let attempts: i32 = sqlx::query_scalar(
        "select attempts from sync_run_projects where run_id = $1 and project_gid = $2",
    )
    .bind(run)
    .bind(project)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(attempts >= 2, "the project's job was retried: {attempts}");
    let retried: i64 = sqlx::query_scalar(
        "select count(*) from apalis.jobs where job_type = 'aegis.sync-project-tasks' \
         and status = 'Done' and attempts >= 2",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(retried, 1, "exactly one job needed a second attempt");
    (run, stats)
}

#[sqlx::test(migrations = false)]
async fn a_run_row_holds_every_attempt_and_counts_each_task_once(pool: PgPool) {
    let config = Config {
        preset: Preset::Seed,
        ..Config::default()
    };
    let app = TestApp::new(pool, config).await;
    let (parent, project, name) = parent_task(&app);
    let (inline_pool, inline_db) =
        second_database(concat!(module_path!(), "::inline_run_database")).await;
    // Its own client too: nothing (such as the token's user) is cached
    // from one run to the other.
    let inline_ctx = SyncContext {
        pool: inline_pool.clone(),
        namespace: aegis::store::Namespace::cli_default(),
        asana: client(&app.fake),
        ..app.ctx.clone()
    };

    let (inline_id, inline_stats) = inline_run(&app, &inline_ctx).await;
    let stored: i64 = sqlx::query_scalar("select count(*) from tasks where deleted_at is null")
        .fetch_one(&inline_pool)
        .await
        .unwrap();
    let (queued_id, queued_stats) = queued_run_with_a_retry(&app, &parent, &project).await;
    eprintln!("retried project: {name} ({project}), parent task {parent}");
    eprintln!("fake, inline run: {inline_stats:?}");
    eprintln!("fake, queued run: {queued_stats:?}");
    assert!(
        queued_stats.total_requests > inline_stats.total_requests,
        "the failed attempt's requests came on top"
    );

    let inline = run_figures(&inline_pool, inline_id).await;
    let inline_children = children_figures(&inline_pool, inline_id).await;
    let queued = run_figures(&app.pool, queued_id).await;
    let queued_children = children_figures(&app.pool, queued_id).await;
    eprintln!("inline run {inline_id}: {inline:?}; its projects: {inline_children:?}");
    eprintln!("queued run {queued_id}: {queued:?}; its projects: {queued_children:?}");
    check_inline(
        inline,
        inline_children,
        &inline_stats,
        (world_tasks(&app), stored),
    );
    check_queued(queued, queued_children, &queued_stats, inline);
    drop_database(inline_pool, &inline_db).await;
}

/// The inline run: everything the fake served, every task created once.
fn check_inline(run: Figures, children: Figures, fake: &Stats, (world, stored): (i64, i64)) {
    assert_eq!(stored, world, "the inline sync stored the world's tasks");
    assert_eq!(run.requests, fake.total_requests as i64, "inline requests");
    assert_eq!(run.rate_limited, fake.served_429 as i64, "inline 429s");
    assert_eq!(
        run.tasks(),
        children.tasks(),
        "inline: the sum of its projects"
    );
    assert_eq!(
        run.tasks(),
        [world, 0, 0, 0, 0],
        "inline into an empty database"
    );
    assert!(run.pages >= children.pages && run.waited_ms >= children.waited_ms);
}

/// The queued run: the fake's counts including the failed attempt's, and
/// the inline run's task figures (a task written by the failed attempt
/// and unchanged for the retry is still created once).
fn check_queued(run: Figures, children: Figures, fake: &Stats, inline: Figures) {
    assert_eq!(run.requests, fake.total_requests as i64, "queued requests");
    assert_eq!(run.rate_limited, fake.served_429 as i64, "queued 429s");
    assert!(
        run.pages > inline.pages,
        "the failed attempt's pages count too: {} vs {}",
        run.pages,
        inline.pages
    );
    assert!(
        run.pages >= children.pages && run.waited_ms >= children.waited_ms,
        "the run holds its projects' pages and waits"
    );
    assert_eq!(
        run.tasks(),
        children.tasks(),
        "queued: the sum of its projects"
    );
    assert_eq!(run.tasks(), inline.tasks(), "queued tasks = inline tasks");
}
