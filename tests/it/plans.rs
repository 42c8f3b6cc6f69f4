//! How an incremental sync reads Asana: the changed tasks one by one while
//! they are no more than the pages the project's last crawl read, a crawl
//! once they are more (the crawl is then cheaper).

use fake_asana::{Config, generate::Preset, mutate::TaskPatch};
use sqlx::PgPool;

use crate::helpers::TestApp;

fn world() -> Config {
    Config {
        preset: Preset::Custom {
            projects: 1,
            tasks_per_project: 120,
        },
        seed: 5,
        ..Config::default()
    }
}

/// The portfolio's first project.
fn first_project(app: &TestApp) -> String {
    let world = app.fake.snapshot();
    world.portfolios[&world.main_portfolio].items[0].to_string()
}

/// Renames the first `n` tasks of the portfolio's first project.
fn rename(app: &TestApp, n: usize, round: u32) {
    let world = app.fake.snapshot();
    let project = &world.projects[&world.portfolios[&world.main_portfolio].items[0]];
    for gid in project.task_order.iter().take(n) {
        let patch = TaskPatch {
            name: Some(format!("renamed {round} {gid}")),
            ..TaskPatch::default()
        };
        app.fake.modify_task(gid, patch).unwrap();
    }
}

/// `(crawl pages on record, last mode, last reason)` of the first project.
async fn recorded(app: &TestApp) -> (i32, String, Option<String>) {
    sqlx::query_as(
        "select crawl_pages, last_sync_mode, last_sync_reason from projects \
         where asana_gid = $1",
    )
    .bind(first_project(app))
    .fetch_one(&app.pool)
    .await
    .expect("the project is crawled")
}

#[sqlx::test(migrations = false)]
async fn changes_are_fetched_while_cheaper_than_the_last_crawl(pool: PgPool) {
    let app = TestApp::new(pool, world()).await;
    app.sync_all().await;
    let (pages, mode, _) = recorded(&app).await;
    assert_eq!(mode, "crawl");
    let on_record: i64 = sqlx::query_scalar("select sum(crawl_pages)::bigint from projects")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let crawl_pages = app
        .fake
        .request_log()
        .iter()
        .filter(|r| r.path == "/tasks" || r.path.ends_with("/subtasks"))
        .count();
    assert_eq!(
        on_record as usize, crawl_pages,
        "every crawl's pages are on record"
    );
    assert!(pages > 2 && pages < 100, "{pages}: not the flat 100");

    // As many changes as the crawl read pages: fetched one by one.
    rename(&app, pages as usize, 1);
    app.fake.reset_stats();
    app.sync_all().await;
    let (_, mode, reason) = recorded(&app).await;
    assert_eq!((mode.as_str(), reason), ("events", None));
    let fetched = app.fake.request_log();
    let singles = fetched
        .iter()
        .filter(|r| r.path.starts_with("/tasks/"))
        .count();
    assert_eq!(singles, pages as usize, "one fetch per changed task");

    // One more than that: a crawl is cheaper.
    rename(&app, pages as usize + 1, 2);
    app.fake.reset_stats();
    app.sync_all().await;
    let (_, mode, reason) = recorded(&app).await;
    assert_eq!(mode, "crawl");
    assert_eq!(
        reason.as_deref(),
        Some("more tasks changed than a crawl costs")
    );
    let log = app.fake.request_log();
    assert!(
        log.iter()
            .all(|r| !r.path.starts_with("/tasks/") || r.path.ends_with("/subtasks"))
    );
}

#[sqlx::test(migrations = false)]
async fn a_task_in_two_projects_is_fetched_once_per_run(pool: PgPool) {
    let config = Config {
        preset: Preset::Custom {
            projects: 3,
            tasks_per_project: 20,
        },
        seed: 9,
        ..Config::default()
    };
    let app = TestApp::new(pool, config).await;
    let world = app.fake.snapshot();
    let items = &world.portfolios[&world.main_portfolio].items;
    let live: Vec<_> = items
        .iter()
        .filter(|g| world.projects.get(*g).is_some_and(|p| !p.archived))
        .collect();
    let (home, other) = (live[0].to_string(), live[1].to_string());
    let task = world.projects[live[0]].task_order[0].to_string();
    app.fake.add_task_to_project(&task, &other).unwrap();
    app.sync_all().await;

    let patch = TaskPatch {
        name: Some("renamed in both projects".into()),
        ..TaskPatch::default()
    };
    app.fake.modify_task(&task, patch).unwrap();
    app.fake.reset_stats();
    app.sync_all().await;
    let log = app.fake.request_log();
    let events = log.iter().filter(|r| r.path == "/events").count();
    assert!(events >= 2, "both projects read their events: {events}");
    let fetches = log
        .iter()
        .filter(|r| r.path == format!("/tasks/{task}"))
        .count();
    assert_eq!(fetches, 1, "fetched once for {home} and {other}");
    let (name, members): (String, i64) = sqlx::query_as(
        "select t.name, (select count(*) from task_memberships m where m.task_id = t.id) \
         from tasks t where t.asana_gid = $1",
    )
    .bind(&task)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((name.as_str(), members), ("renamed in both projects", 2));
}
