//! Inline syncs against the fake Asana: idempotence, change counting,
//! selection, deletions and removals, and Asana's failure modes.

use aegis::{
    runs::{self, RunStatus},
    store,
    sync::{Error, Mode, SyncOptions},
};
use fake_asana::{
    Config, TaskPatch,
    faults::{FaultKind, FaultRule},
    generate::Preset,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestApp;

fn multi_page() -> Config {
    Config {
        preset: Preset::Custom {
            projects: 3,
            tasks_per_project: 150,
        },
        seed: 3,
        ..Config::default()
    }
}

fn fault(route: &str, fault: FaultKind, times: u32) -> FaultRule {
    FaultRule {
        route: route.into(),
        query_contains: None,
        fault,
        times: Some(times),
        probability: None,
    }
}

async fn project_figures(app: &TestApp, run: Uuid) -> (i32, i32, i32) {
    let results = runs::projects(&app.pool, run).await.unwrap();
    results.iter().fold((0, 0, 0), |acc, r| {
        (
            acc.0 + r.tasks.tasks_created,
            acc.1 + r.tasks.tasks_updated,
            acc.2 + r.tasks.tasks_unchanged,
        )
    })
}

async fn aegis_gid(app: &TestApp) -> String {
    store::projects::list(&app.pool)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Aegis")
        .expect("Aegis stored")
        .asana_gid
}

fn full() -> SyncOptions {
    SyncOptions {
        mode: Mode::Full,
        ..SyncOptions::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_second_full_sync_changes_nothing_and_one_edit_is_one_update(pool: PgPool) {
    let app = TestApp::new(pool, multi_page()).await;
    let first = app.sync(full()).await.unwrap();
    let (created, updated, seen_twice) = project_figures(&app, first.run).await;
    assert!(
        created > 300,
        "several pages per project were stored ({created})"
    );
    assert_eq!(updated, 0);
    // Multi-homed tasks are seen once per project: created once, then unchanged.
    let seen = created + seen_twice;
    let rows = app.count("select count(*) from tasks").await;

    let second = app.sync(full()).await.unwrap();
    assert_eq!(
        project_figures(&app, second.run).await,
        (0, 0, seen),
        "nothing created or updated"
    );
    assert_eq!(
        app.count("select count(*) from tasks").await,
        rows,
        "no duplicates"
    );

    let task = first_task(&app);
    app.fake
        .modify_task(
            &task,
            TaskPatch {
                name: Some("Renamed ✨".into()),
                ..TaskPatch::default()
            },
        )
        .unwrap();
    let third = app.sync(full()).await.unwrap();
    assert_eq!(project_figures(&app, third.run).await, (0, 1, seen - 1));
    let run = runs::get(&app.pool, third.run).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Done);
    assert!(
        run.requests.api_requests > 0 && run.requests.pages > 0,
        "request figures recorded"
    );
}

fn first_task(app: &TestApp) -> String {
    let world = app.fake.snapshot();
    let project = &world.projects[&world.portfolios[&world.main_portfolio].items[0]];
    project.task_order[5].clone()
}

#[sqlx::test(migrations = false)]
async fn an_incremental_sync_reads_only_events_and_the_changed_tasks(pool: PgPool) {
    let app = TestApp::new(pool, multi_page()).await;
    app.sync_all().await;
    let projects = app
        .count("select count(*) from projects where not archived")
        .await as usize;

    app.fake.reset_stats();
    let unchanged = app.sync_all().await;
    assert_eq!(
        project_figures(&app, unchanged.run).await,
        (0, 0, 0),
        "nothing to write"
    );
    let log = app.fake.request_log();
    let events = log.iter().filter(|r| r.path == "/events").count();
    assert_eq!(events, projects, "one events request per project");
    assert!(
        log.iter().all(|r| r.path != "/tasks"),
        "no task listing: {log:?}"
    );

    let task = first_task(&app);
    app.fake
        .modify_task(
            &task,
            TaskPatch {
                name: Some("Renamed ✨".into()),
                ..TaskPatch::default()
            },
        )
        .unwrap();
    app.fake.reset_stats();
    let edited = app.sync_all().await;
    assert_eq!(project_figures(&app, edited.run).await, (0, 1, 0));
    let fetched: Vec<_> = app
        .fake
        .request_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/tasks"))
        .collect();
    assert_eq!(
        fetched.len(),
        1,
        "only the changed task is fetched: {fetched:?}"
    );
    let name: String = sqlx::query_scalar("select name from tasks where asana_gid = $1")
        .bind(&task)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "Renamed ✨");
}

#[sqlx::test(migrations = false)]
async fn projects_only_sends_no_task_request(pool: PgPool) {
    let app = TestApp::new(pool, Config::default()).await;
    app.sync(SyncOptions {
        projects_only: true,
        ..SyncOptions::default()
    })
    .await
    .unwrap();
    let log = app.fake.request_log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|r| !r.path.starts_with("/tasks")),
        "no task request: {log:?}"
    );
    assert_eq!(app.count("select count(*) from projects").await, 3);
    assert_eq!(app.count("select count(*) from tasks").await, 0);
    let state = store::state::get(&app.pool).await.unwrap();
    assert!(state.last_portfolio_sync_at.is_some() && state.last_tasks_sync_at.is_none());
}

#[sqlx::test(migrations = false)]
async fn a_chosen_project_by_name_or_gid_is_the_only_one_touched(pool: PgPool) {
    let app = TestApp::new(pool, Config::default()).await;
    let by_name = SyncOptions {
        projects: vec!["Triptic".into()],
        ..SyncOptions::default()
    };
    app.sync(by_name).await.unwrap();
    let per_project = "select count(*) from tasks t join projects p on p.id = t.project_id where p.name = 'Triptic'";
    assert_eq!(
        app.count(per_project).await,
        app.count("select count(*) from tasks").await
    );
    assert_eq!(app.count(per_project).await, 2);

    let aegis = aegis_gid(&app).await;
    app.sync(SyncOptions {
        projects: vec![aegis],
        ..SyncOptions::default()
    })
    .await
    .unwrap();
    let aegis_tasks = "select count(*) from tasks t join projects p on p.id = t.project_id where p.name = 'Aegis' and t.parent_task_id is null";
    assert_eq!(
        app.count(aegis_tasks).await,
        37,
        "the seed's 37 Aegis tasks"
    );
    let state = store::state::get(&app.pool).await.unwrap();
    assert!(
        state.last_tasks_sync_at.is_none(),
        "a partial selection is not a full tasks sync"
    );

    let unknown = SyncOptions {
        projects: vec!["Nope".into()],
        ..SyncOptions::default()
    };
    let err = app.sync(unknown).await.unwrap_err();
    assert!(matches!(err, Error::UnknownProjects { .. }));
    let message = err.to_string();
    assert!(
        message.contains("Nope") && message.contains("Aegis") && message.contains("Agents"),
        "{message}"
    );
}

#[sqlx::test(migrations = false)]
async fn deleted_tasks_are_tombstoned_and_moved_tasks_lose_the_membership(pool: PgPool) {
    let app = TestApp::new(pool, Config::default()).await;
    app.sync_all().await;
    let world = app.fake.snapshot();
    let aegis = aegis_gid(&app).await;
    let order = &world.projects[&aegis].task_order;
    let (gone, moved) = (order[0].clone(), order[1].clone());
    app.fake.delete_task(&gone).unwrap();
    app.fake.remove_task_from_project(&moved, &aegis).unwrap();
    let run = app.sync_all().await;

    let deleted: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select deleted_at from tasks where asana_gid = $1")
            .bind(&gone)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        deleted.is_some(),
        "the deleted task is tombstoned, not dropped"
    );
    let memberships: i64 = sqlx::query_scalar(
        "select count(*) from task_memberships m join tasks t on t.id = m.task_id where t.asana_gid = $1",
    )
    .bind(&moved)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(memberships, 0, "the moved task left Aegis");
    let results = runs::projects(&app.pool, run.run).await.unwrap();
    let aegis_result = results.iter().find(|r| r.project_name == "Aegis").unwrap();
    assert_eq!(
        (
            aegis_result.tasks.tasks_deleted,
            aegis_result.tasks.tasks_removed
        ),
        (1, 1)
    );
}

#[sqlx::test(migrations = false)]
async fn transient_failures_are_retried_and_the_sync_completes(pool: PgPool) {
    let app = TestApp::new(pool, multi_page()).await;
    // Four faults in a row on one request: within the client's five attempts.
    app.fake
        .add_fault(fault("/tasks", FaultKind::ServerError, 1));
    app.fake
        .add_fault(fault("/tasks", FaultKind::BadGatewayHtml, 1));
    app.fake
        .add_fault(fault("/tasks", FaultKind::GatewayTimeout, 1));
    app.fake.add_fault(fault("/tasks", FaultKind::Truncated, 1));
    app.fake.add_fault(fault(
        "/portfolios/*/items",
        FaultKind::RateLimited { retry_after: 1 },
        1,
    ));
    let run = app.sync_all().await;
    assert_eq!(run.status, RunStatus::Done);
    let stats = app.fake.stats();
    assert_eq!(stats.served_429, 1);
    let log = app.fake.request_log();
    let first = log.iter().position(|r| r.status == 429).unwrap();
    let next = &log[first + 1];
    assert!(
        next.at_ms >= log[first].at_ms + 1000,
        "no request before Retry-After passed: {:?}",
        &log[first..first + 2]
    );
    let recorded = runs::get(&app.pool, run.run).await.unwrap().unwrap();
    assert_eq!(recorded.requests.rate_limited, 1);
    assert!(recorded.requests.waited_ms >= 1000);
}

#[sqlx::test(migrations = false)]
async fn an_expired_offset_restarts_the_listing_without_duplicates(pool: PgPool) {
    let app = TestApp::new(pool, multi_page()).await;
    app.fake.set_offset_ttl(std::time::Duration::ZERO);
    // Every offset is expired on arrival: each listing restarts until the
    // client gives up, which must fail the project cleanly, not loop.
    let err = app.sync_all_result().await;
    assert!(err.is_err());
    app.fake.set_offset_ttl(std::time::Duration::from_secs(900));
    app.sync_all().await;
    let dupes = app
        .count("select count(*) - count(distinct asana_gid) from tasks")
        .await;
    assert_eq!(dupes, 0);
}

#[sqlx::test(migrations = false)]
async fn a_rejected_token_fails_at_once_with_a_clear_message(pool: PgPool) {
    let app = TestApp::new(pool, Config::default()).await;
    app.fake.revoke_token(&app.fake.token);
    let err = app.sync(SyncOptions::default()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Asana rejected the token (401): check ASANA_ACCESS_TOKEN"),
        "{err}"
    );
    assert_eq!(app.fake.stats().total_requests, 1, "a 401 is not retried");
    assert!(!format!("{err:?}").contains(&app.fake.token));
    let runs = runs::recent(&app.pool, 1).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert!(runs[0].error.as_deref().unwrap_or_default().contains("401"));
}

#[sqlx::test(migrations = false)]
async fn an_unknown_portfolio_is_named_in_the_error(pool: PgPool) {
    let mut app = TestApp::new(pool, Config::default()).await;
    app.ctx.portfolio = aegis::asana::Gid::parse("123").unwrap();
    let err = app.sync(SyncOptions::default()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("portfolio 123 not found or not visible to this token (404)"),
        "{err}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_truncated_body_that_never_heals_is_reported(pool: PgPool) {
    let app = TestApp::new(pool, Config::default()).await;
    app.fake
        .add_fault(fault("/tasks", FaultKind::Truncated, 1000));
    let err = app.sync(SyncOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::Partial { .. }), "{err}");
    let truncated = app
        .fake
        .request_log()
        .iter()
        .filter(|r| r.path == "/tasks")
        .count();
    assert!(truncated > 1, "retried before giving up");
    assert_eq!(
        app.count("select count(*) from tasks").await,
        0,
        "nothing half-written"
    );
}
