//! Tasks deleted in Asana while a full crawl runs, after the crawl listed
//! them and before it asked for their subtasks (the fake deletes them when
//! that request arrives): each is a deletion, tombstoned with its subtree,
//! and the crawl goes on, inline and as a queued job.

use std::collections::BTreeSet;

use aegis::{
    queue::{self, JobState},
    runs::{self, ChildStatus, RunStatus},
    sync::{Mode, SyncOptions},
};
use aegis_jobs::Scope;
use fake_asana::{Config, generate::Preset};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestApp, worker_config};

fn portfolio() -> Config {
    Config {
        preset: Preset::Custom {
            projects: 2,
            tasks_per_project: 12,
        },
        seed: 5,
        ..Config::default()
    }
}

fn full() -> SyncOptions {
    SyncOptions {
        mode: Mode::Full,
        ..SyncOptions::default()
    }
}

/// A task tree added to the portfolio's first project.
struct Tree {
    project: String,
    parent: String,
    /// The parent's subtasks, each with one subtask of its own.
    children: [String; 2],
    grandchildren: [String; 2],
}

impl Tree {
    fn add(app: &TestApp) -> Tree {
        let world = app.fake.snapshot();
        let items = &world.portfolios[&world.main_portfolio].items;
        let synced = |g: &&String| world.projects.get(*g).is_some_and(|p| !p.archived);
        let project = items.iter().find(synced).expect("a synced project").clone();
        let fake = &app.fake;
        let parent = fake.add_task(&project, "Parent deleted mid-crawl");
        let children = [1, 2].map(|i| fake.add_subtask(&parent, &format!("Child {i}")));
        let grandchildren = [0, 1].map(|i| fake.add_subtask(&children[i], "Grandchild"));
        Tree {
            project,
            parent,
            children,
            grandchildren,
        }
    }

    fn subtree(&self) -> Vec<&String> {
        let rest = self.children.iter().chain(&self.grandchildren);
        std::iter::once(&self.parent).chain(rest).collect()
    }
}

/// Every live task with its memberships and typed custom fields, as
/// comparable text: sync timestamps and row ids left out.
async fn live_rows(pool: &PgPool) -> BTreeSet<String> {
    sqlx::query_scalar(
        r#"
        select (to_jsonb(t) - '{id,parent_task_id,updated_at,last_synced_at,deleted_at}'::text[]
            || jsonb_build_object(
                'parent', (select p.asana_gid from tasks p where p.id = t.parent_task_id),
                'memberships', (select coalesce(jsonb_agg(to_jsonb(m) - '{task_id,last_synced_at}'::text[]
                    order by m.project_id), '[]') from task_memberships m where m.task_id = t.id),
                'fields', (select coalesce(jsonb_agg(to_jsonb(f) - 'task_id' order by f.field_gid), '[]')
                    from task_custom_fields f where f.task_id = t.id)))::text
        from tasks t where t.deleted_at is null
        "#,
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// Gids of the live tasks.
async fn live_gids(pool: &PgPool) -> BTreeSet<String> {
    sqlx::query_scalar("select asana_gid from tasks where deleted_at is null")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// A clean full sync of the fake's world as it is now, in the same
/// database emptied of tasks.
async fn clean_sync(app: &TestApp) {
    sqlx::query("truncate task_rows, task_memberships, task_custom_fields")
        .execute(&app.pool)
        .await
        .unwrap();
    app.sync(full()).await.expect("a clean full sync");
}

async fn tombstoned(pool: &PgPool, gids: &[&String]) -> Vec<String> {
    sqlx::query_scalar(
        "select asana_gid from tasks where asana_gid = any($1) and deleted_at is not null \
         order by asana_gid",
    )
    .bind(gids.iter().map(|g| g.as_str()).collect::<Vec<_>>())
    .fetch_all(pool)
    .await
    .unwrap()
}

fn sorted(gids: &[&String]) -> Vec<String> {
    let mut out: Vec<String> = gids.iter().map(|g| g.to_string()).collect();
    out.sort();
    out
}

/// The subtask listing of `gid` was asked for and answered 404: the race
/// happened.
fn raced(app: &TestApp, gid: &str) {
    let path = format!("/tasks/{gid}/subtasks");
    let log = app.fake.request_log();
    assert!(
        log.iter().any(|r| r.path == path && r.status == 404),
        "{path} answered 404"
    );
    assert!(app.fake.triggers().is_empty(), "the deletion happened");
}

/// The project's result in `run`: its status, attempts and tasks deleted.
async fn project_result(app: &TestApp, run: Uuid, project: &str) -> (ChildStatus, i32, i32) {
    let results = runs::projects(&app.pool, run).await.unwrap();
    let result = results.iter().find(|r| r.project_gid == project).unwrap();
    let outcome = (result.status, result.attempts, result.tasks.tasks_deleted);
    assert!(result.error.is_none(), "{outcome:?}: {:?}", result.error);
    outcome
}

async fn run_status(app: &TestApp, run: Uuid) -> RunStatus {
    runs::get(&app.pool, run).await.unwrap().unwrap().status
}

async fn last_run_status(app: &TestApp) -> RunStatus {
    runs::recent(&app.pool, 1).await.unwrap()[0].status
}

#[sqlx::test(migrations = false)]
async fn a_parent_deleted_before_its_subtasks_are_listed_is_tombstoned_inline(pool: PgPool) {
    let app = TestApp::new(pool, portfolio()).await;
    let tree = Tree::add(&app);
    app.sync(full()).await.expect("the first sync");
    app.fake
        .delete_task_on(&format!("/tasks/{}/subtasks", tree.parent), &tree.parent);

    let outcome = app.sync(full()).await;
    assert_eq!(last_run_status(&app).await, RunStatus::Done, "{outcome:?}");
    raced(&app, &tree.parent);
    let run = outcome.expect("the raced sync succeeds").run;
    let subtree = tree.subtree();
    assert_eq!(tombstoned(&app.pool, &subtree).await, sorted(&subtree));
    assert_eq!(
        project_result(&app, run, &tree.project).await,
        (ChildStatus::Done, 1, 5),
        "the parent, its 2 subtasks and their 2 subtasks deleted"
    );
    let raced_rows = live_rows(&app.pool).await;
    clean_sync(&app).await;
    assert_eq!(
        raced_rows,
        live_rows(&app.pool).await,
        "the store holds what a clean sync of the final world holds"
    );
}

#[sqlx::test(migrations = false)]
async fn a_parent_deleted_mid_crawl_leaves_the_queued_job_done_at_its_first_attempt(pool: PgPool) {
    let app = TestApp::new(pool, portfolio()).await;
    let tree = Tree::add(&app);
    app.sync(full()).await.expect("the first sync");
    app.fake
        .delete_task_on(&format!("/tasks/{}/subtasks", tree.parent), &tree.parent);

    let run = app.enqueue(Scope::default(), Mode::Full).await;
    let report = app.drain(worker_config()).await;
    let dead = queue::list(
        &app.pool,
        &aegis_jobs::Queues::default(),
        Some(JobState::Dead),
        None,
        10,
    )
    .await
    .unwrap();
    assert!(dead.is_empty(), "no dead job: {dead:?}");
    assert_eq!(report.dead, 0);
    raced(&app, &tree.parent);
    assert_eq!(run_status(&app, run).await, RunStatus::Done);
    assert_eq!(
        project_result(&app, run, &tree.project).await,
        (ChildStatus::Done, 1, 5),
        "done at its first attempt, the subtree deleted"
    );
    let (status, attempts): (String, i32) = sqlx::query_as(
        "select status, attempts from apalis.jobs where job_type = 'aegis.sync-project-tasks' \
         and convert_from(job, 'UTF8')::jsonb ->> 'project' = $1",
    )
    .bind(&tree.project)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("Done", 1));
    let subtree = tree.subtree();
    assert_eq!(tombstoned(&app.pool, &subtree).await, sorted(&subtree));
}

#[sqlx::test(migrations = false)]
async fn a_subtask_deleted_before_its_own_subtasks_are_listed_is_tombstoned(pool: PgPool) {
    let app = TestApp::new(pool, portfolio()).await;
    let tree = Tree::add(&app);
    app.sync(full()).await.expect("the first sync");
    let (doomed, spared) = (&tree.children[0], &tree.children[1]);
    app.fake
        .delete_task_on(&format!("/tasks/{doomed}/subtasks"), doomed);

    let outcome = app.sync(full()).await;
    assert_eq!(last_run_status(&app).await, RunStatus::Done, "{outcome:?}");
    raced(&app, doomed);
    let run = outcome.expect("the raced sync succeeds").run;
    assert_eq!(
        tombstoned(&app.pool, &tree.subtree()).await,
        sorted(&[doomed, &tree.grandchildren[0]]),
        "the subtask and its own subtask, not its parent or sibling"
    );
    assert_eq!(
        project_result(&app, run, &tree.project).await,
        (ChildStatus::Done, 1, 2)
    );
    // The parent's row keeps the subtask count its listing showed until the
    // next crawl lists it again: compare which tasks are live, not counts.
    let raced_gids = live_gids(&app.pool).await;
    assert!(raced_gids.contains(&tree.parent) && raced_gids.contains(spared));
    clean_sync(&app).await;
    assert_eq!(raced_gids, live_gids(&app.pool).await);
}
