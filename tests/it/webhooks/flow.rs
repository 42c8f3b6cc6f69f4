//! Deliveries through to rows: two deliveries before a worker runs make one
//! job naming both tasks, which syncs exactly them (rows equal a clean
//! crawl's, the events token unmoved); a lost delivery is caught by the
//! events poll; a webhook Asana deleted is re-created by `ensure` while the
//! poll covers the gap.

use aegis::{sync::SyncOptions, webhooks::Action};
use aegis_jobs::{Mode, Scope};
use fake_asana::mutate::TaskPatch;
use sqlx::PgPool;

use super::{Hooks, eventually};
use crate::helpers::worker_config;

/// Every stored field of the project's tasks that a sync writes.
async fn rows_of(hooks: &Hooks, project: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "select jsonb_build_object('gid', t.asana_gid, 'name', t.name, 'completed', t.completed,
            'description', t.description, 'assignee', t.assignee_gid, 'due_on', t.due_on,
            'custom_fields', t.custom_fields, 'tags', t.tags, 'modified_at', t.modified_at,
            'parent', t.parent_gid, 'deleted_at', t.deleted_at)
         from tasks t join projects p on p.id = t.project_id
         where p.asana_gid = $1 order by t.asana_gid",
    )
    .bind(project)
    .fetch_all(&hooks.app.pool)
    .await
    .unwrap()
}

async fn name_of(hooks: &Hooks, task: &str) -> String {
    sqlx::query_scalar("select name from tasks where asana_gid = $1")
        .bind(task)
        .fetch_one(&hooks.app.pool)
        .await
        .unwrap()
}

/// The project's events token and the time its tasks were last synced
/// (which confirms every task of it: `tasks.last_synced_at`).
async fn token_of(
    hooks: &Hooks,
    project: &str,
) -> (Option<String>, Option<chrono::DateTime<chrono::Utc>>) {
    sqlx::query_as(
        "select events_sync_token, last_tasks_sync_at from projects where asana_gid = $1",
    )
    .bind(project)
    .fetch_one(&hooks.app.pool)
    .await
    .unwrap()
}

/// Waits until the fake has dropped an event meant for webhook `gid`.
async fn delivery_lost(hooks: &Hooks, gid: &str) {
    hooks
        .app
        .fake
        .wait_for_webhooks(|view| {
            view.lost
                .iter()
                .any(|l| l.webhook.as_str() == gid)
                .then_some(())
        })
        .await;
}

fn rename(hooks: &Hooks, task: &str, name: &str) {
    hooks
        .app
        .fake
        .modify_task(task, TaskPatch::name(name))
        .expect("the fake renames");
}

/// The gids the pending job of `project` names, once it names all of `want`.
async fn job_naming(hooks: &Hooks, project: &str, want: &[&str]) -> Vec<serde_json::Value> {
    eventually("a job naming the delivered tasks", || async {
        let jobs = hooks.pending_project_jobs().await;
        let named = jobs.iter().any(|job| {
            job["project"] == project
                && want.iter().all(|w| {
                    job["tasks"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|g| g == w))
                })
        });
        named.then_some(jobs)
    })
    .await
}

#[sqlx::test(migrations = false)]
async fn two_deliveries_make_one_job_that_syncs_exactly_their_tasks(pool: PgPool) {
    let hooks = Hooks::start(pool).await;
    hooks.ensure().await;
    let (project, tasks) = hooks.project_with_tasks().await;
    let token = token_of(&hooks, &project).await;
    rename(&hooks, &tasks[0], "renamed by a webhook A");
    job_naming(&hooks, &project, &[&tasks[0]]).await;
    rename(&hooks, &tasks[1], "renamed by a webhook B");
    let jobs = job_naming(&hooks, &project, &[&tasks[0], &tasks[1]]).await;
    assert_eq!(jobs.len(), 1, "one coalesced job: {jobs:?}");
    let requests_before = hooks.app.fake.stats();
    let report = hooks.app.drain(worker_config()).await;
    assert_eq!(report.dead, 0, "{report:?}");
    assert_eq!(name_of(&hooks, &tasks[0]).await, "renamed by a webhook A");
    assert_eq!(name_of(&hooks, &tasks[1]).await, "renamed by a webhook B");
    assert_eq!(
        token_of(&hooks, &project).await,
        token,
        "the events token did not move, and the project's other tasks are not \
         taken as confirmed"
    );
    let _ = requests_before;
    let after_webhook = rows_of(&hooks, &project).await;
    let full = SyncOptions {
        mode: Mode::Full,
        ..SyncOptions::default()
    };
    hooks.app.sync(full).await.expect("a clean crawl");
    assert_eq!(
        rows_of(&hooks, &project).await,
        after_webhook,
        "rows equal a clean crawl's"
    );
}

#[sqlx::test(migrations = false)]
async fn a_lost_delivery_is_caught_by_the_events_poll(pool: PgPool) {
    let hooks = Hooks::start(pool).await;
    hooks
        .app
        .fake
        .update_webhook_settings(|s| s.loss_fraction = 1.0);
    hooks.ensure().await;
    let (project, tasks) = hooks.project_with_tasks().await;
    let (gid, _) = hooks.webhook_of(&project).await;
    rename(&hooks, &tasks[0], "renamed, delivery lost");
    delivery_lost(&hooks, &gid).await;
    assert!(
        hooks.pending_project_jobs().await.is_empty(),
        "nothing was delivered"
    );
    hooks.app.enqueue(Scope::default(), Mode::Incremental).await;
    let report = hooks.app.drain(worker_config()).await;
    assert_eq!(report.dead, 0, "{report:?}");
    assert_eq!(name_of(&hooks, &tasks[0]).await, "renamed, delivery lost");
}

#[sqlx::test(migrations = false)]
async fn a_webhook_asana_deleted_is_recreated_and_the_poll_covers_the_gap(pool: PgPool) {
    let hooks = Hooks::start(pool).await;
    hooks.ensure().await;
    let (project, tasks) = hooks.project_with_tasks().await;
    let (gid, _) = hooks.webhook_of(&project).await;
    assert!(hooks.app.fake.delete_webhook_as_asana(&gid));
    rename(&hooks, &tasks[0], "renamed while the webhook was gone");
    let report = hooks.ensure().await;
    let recreated = report.actions.iter().any(
        |a| matches!(a, Action::Recreated { project: p, webhook, .. } if *p == project && *webhook != gid),
    );
    assert!(recreated, "{report:?}");
    let (new_gid, _) = hooks.webhook_of(&project).await;
    assert!(hooks.app.fake.webhook(&new_gid).is_some());
    let deleted = hooks
        .app
        .count("select count(*) from webhooks where state = 'deleted'")
        .await;
    assert_eq!(deleted, 1);
    hooks.app.enqueue(Scope::default(), Mode::Incremental).await;
    let report = hooks.app.drain(worker_config()).await;
    assert_eq!(report.dead, 0, "{report:?}");
    assert_eq!(
        name_of(&hooks, &tasks[0]).await,
        "renamed while the webhook was gone"
    );
}

#[sqlx::test(migrations = false)]
async fn a_healthy_webhook_slows_the_poll_and_a_failing_one_restores_it(pool: PgPool) {
    let mut hooks = Hooks::start(pool).await;
    hooks
        .app
        .fake
        .update_webhook_settings(|s| s.loss_fraction = 1.0);
    hooks.ensure().await;
    hooks.app.ctx.events_poll_every = Some(std::time::Duration::from_secs(3600));
    let (project, tasks) = hooks.project_with_tasks().await;
    let (gid, id) = hooks.webhook_of(&project).await;
    rename(&hooks, &tasks[0], "renamed, delivery lost, poll deferred");
    delivery_lost(&hooks, &gid).await;
    // Healthy (handshake and heartbeat just now, events read by the sync
    // just before): the scheduled-style sync leaves the project's poll for later.
    hooks.app.enqueue(Scope::default(), Mode::Incremental).await;
    hooks.app.drain(worker_config()).await;
    assert_ne!(
        name_of(&hooks, &tasks[0]).await,
        "renamed, delivery lost, poll deferred"
    );
    // Failing: polled at once.
    sqlx::query("update webhooks set state = 'failing' where id = $1")
        .bind(id)
        .execute(&hooks.app.pool)
        .await
        .unwrap();
    hooks.app.enqueue(Scope::default(), Mode::Incremental).await;
    let report = hooks.app.drain(worker_config()).await;
    assert_eq!(report.dead, 0, "{report:?}");
    assert_eq!(
        name_of(&hooks, &tasks[0]).await,
        "renamed, delivery lost, poll deferred"
    );
}
