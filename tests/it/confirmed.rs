//! `tasks.last_synced_at` means "last confirmed against Asana": every
//! successful sync of a project (incremental or full) confirms its live
//! tasks, without rewriting their rows; a failed sync confirms nothing; a
//! tombstoned task keeps the time it was last seen.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fake_asana::{
    Config,
    faults::{FaultKind, FaultRule},
    generate::Preset,
};
use sqlx::PgPool;

use crate::helpers::TestApp;

/// Per live task: `(last_synced_at as read, the row's xmin, updated_at)`.
type Seen = BTreeMap<String, (DateTime<Utc>, String, DateTime<Utc>)>;

async fn seen(pool: &PgPool) -> Seen {
    let rows: Vec<(String, DateTime<Utc>, String, DateTime<Utc>)> = sqlx::query_as(
        "select t.asana_gid, t.last_synced_at, r.xmin::text, t.updated_at \
         from tasks t join task_rows r using (id) where t.deleted_at is null",
    )
    .fetch_all(pool)
    .await
    .expect("tasks are readable");
    rows.into_iter()
        .map(|(gid, synced, xmin, updated)| (gid, (synced, xmin, updated)))
        .collect()
}

fn world() -> Config {
    Config {
        preset: Preset::Custom {
            projects: 2,
            tasks_per_project: 60,
        },
        seed: 11,
        ..Config::default()
    }
}

#[sqlx::test(migrations = false)]
async fn an_unchanged_incremental_sync_confirms_every_task_without_rewriting_it(pool: PgPool) {
    let app = TestApp::new(pool, world()).await;
    app.sync_all().await;
    let before = seen(&app.pool).await;
    assert!(before.len() > 50, "{}", before.len());

    let again = app.sync_all().await;
    let after = seen(&app.pool).await;
    assert_eq!(after.len(), before.len());
    let synced_at: Vec<DateTime<Utc>> =
        sqlx::query_scalar("select last_tasks_sync_at from projects where not archived")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for (gid, (synced, xmin, updated)) in &after {
        let (old_synced, old_xmin, old_updated) = &before[gid];
        assert!(synced > old_synced, "{gid} confirmed by run {}", again.run);
        assert!(synced_at.contains(synced), "{gid}: a project's sync time");
        assert_eq!(xmin, old_xmin, "{gid}: its row was not rewritten");
        assert_eq!(updated, old_updated, "{gid}: its content did not change");
    }
}

#[sqlx::test(migrations = false)]
async fn a_failed_sync_confirms_nothing_and_a_tombstone_keeps_its_time(pool: PgPool) {
    let app = TestApp::new(pool, world()).await;
    app.sync_all().await;
    let world = app.fake.snapshot();
    let project = world.portfolios[&world.main_portfolio].items[0].clone();
    let order = &world.projects[&project].task_order;
    let (gone, moved) = (order[0].to_string(), order[1].to_string());
    app.fake.delete_task(&gone).unwrap();
    app.fake.remove_task_from_project(&moved, &project).unwrap();
    app.sync_all().await;
    let tombstone = |pool: PgPool, gid: String| async move {
        sqlx::query_scalar::<_, DateTime<Utc>>(
            "select last_synced_at from tasks where asana_gid = $1 and deleted_at is not null",
        )
        .bind(gid)
        .fetch_one(&pool)
        .await
        .expect("the task is tombstoned")
    };
    let buried = tombstone(app.pool.clone(), gone.clone()).await;
    let moved_at = || async {
        sqlx::query_scalar::<_, DateTime<Utc>>(
            "select last_synced_at from tasks where asana_gid = $1",
        )
        .bind(&moved)
        .fetch_one(&app.pool)
        .await
        .expect("the moved task stays, outside the portfolio")
    };
    let left = moved_at().await;
    app.sync_all().await;
    assert_eq!(
        moved_at().await,
        left,
        "a task that left is confirmed no more"
    );
    assert_eq!(tombstone(app.pool.clone(), gone.clone()).await, buried);

    let before = seen(&app.pool).await;
    app.fake.add_fault(FaultRule {
        route: "/events".into(),
        query_contains: None,
        fault: FaultKind::ServerError,
        times: None,
        probability: None,
    });
    let failed = app.sync_all_result().await;
    let status = failed.as_ref().map(|r| r.status);
    assert!(
        !matches!(status, Ok(aegis::runs::RunStatus::Done)),
        "the sync did not succeed: {status:?}"
    );
    assert_eq!(
        seen(&app.pool).await,
        before,
        "a failed sync confirms nothing"
    );
    assert_eq!(tombstone(app.pool.clone(), gone).await, buried);
}
