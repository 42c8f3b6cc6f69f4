//! The store against a real PostgreSQL.

use aegis::store::{
    self,
    projects::{self, ProjectRow, UpsertCounts},
    tasks::{self, CustomValueRow, MembershipRow, TaskRow},
};
use chrono::{TimeZone, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::migrated;

fn project(gid: &str, name: &str) -> ProjectRow {
    ProjectRow {
        asana_gid: gid.into(),
        name: name.into(),
        notes: String::new(),
        archived: false,
        public: true,
        privacy_setting: Some("public_to_workspace".into()),
        asana_permalink_url: None,
        portfolio_gid: "900".into(),
        workspace_gid: Some("1".into()),
        workspace_name: Some("Acme".into()),
        team_gid: None,
        team_name: None,
        created_at: None,
        modified_at: None,
    }
}

fn task(gid: &str, name: &str, project_gid: &str) -> TaskRow {
    TaskRow {
        asana_gid: gid.into(),
        name: name.into(),
        resource_subtype: "default_task".into(),
        description: "notes".into(),
        html_notes: Some("<body>notes</body>".into()),
        completed: false,
        completed_at: None,
        due_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
        due_at: None,
        start_on: None,
        assignee_gid: Some("7".into()),
        assignee_name: Some("Ada".into()),
        assigned_to_aegis: true,
        parent_gid: None,
        num_subtasks: 0,
        asana_permalink_url: None,
        tags: json!([{"gid": "5", "name": "urgent"}]),
        custom_fields: json!({"Priority": "High"}),
        modified_at: Some(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()),
        created_at: Some(Utc.with_ymd_and_hms(2026, 1, 4, 9, 0, 0).unwrap()),
        memberships: vec![MembershipRow {
            project_gid: project_gid.into(),
            section_gid: Some("11".into()),
            section_name: Some("Doing".into()),
        }],
        custom_values: vec![CustomValueRow {
            field_gid: "31".into(),
            name: "Priority".into(),
            resource_subtype: "multi_enum".into(),
            display_value: Some("High, Low".into()),
            text_value: None,
            number_value: None,
            enum_value: None,
            multi_enum_values: Some(vec!["High".into(), "Low".into()]),
            date_value: None,
            date_time_value: None,
            people_value: None,
            enabled: true,
        }],
    }
}

async fn seed_projects(pool: &PgPool) -> i64 {
    let counts = projects::upsert_page(
        pool,
        &[project("100", "Aegis"), project("200", "Triptic")],
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        counts,
        UpsertCounts {
            created: 2,
            updated: 0,
            unchanged: 0
        }
    );
    projects::by_gid(pool, "100").await.unwrap().unwrap().id
}

#[sqlx::test(migrations = false)]
async fn migrations_are_idempotent_and_the_seed_queries_work(pool: PgPool) {
    migrated(&pool).await;
    migrated(&pool).await;
    sqlx::query("SELECT asana_gid, name, archived, last_synced_at FROM projects")
        .fetch_all(&pool)
        .await
        .unwrap();
    sqlx::query(
        "SELECT t.name, t.completed, t.assignee_name, t.last_synced_at \
         FROM tasks t JOIN projects p ON t.project_id = p.id WHERE p.name = 'Aegis'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let rows = sqlx::query("SELECT last_portfolio_sync_at, last_tasks_sync_at FROM system_state")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "system_state has exactly one row");
}

#[sqlx::test(migrations = false)]
async fn an_unchanged_page_is_unchanged_and_one_edit_is_one_update(pool: PgPool) {
    migrated(&pool).await;
    let home = seed_projects(&pool).await;
    let page: Vec<TaskRow> = (0..100)
        .map(|i| task(&format!("{}", 1000 + i), &format!("T{i}"), "100"))
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    let first = tasks::upsert_page(&mut conn, home, &page, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        first,
        UpsertCounts {
            created: 100,
            updated: 0,
            unchanged: 0
        }
    );
    let again = tasks::upsert_page(&mut conn, home, &page, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        again,
        UpsertCounts {
            created: 0,
            updated: 0,
            unchanged: 100
        }
    );
    let mut edited = page.clone();
    edited[42].custom_values[0].multi_enum_values = Some(vec!["High".into()]);
    let third = tasks::upsert_page(&mut conn, home, &edited, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        third,
        UpsertCounts {
            created: 0,
            updated: 1,
            unchanged: 99
        }
    );
    let (count,): (i64,) = sqlx::query_as("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 100, "no duplicate rows");
    let typed: (Vec<String>, String) = sqlx::query_as(
        "select cf.multi_enum_values, t.custom_fields->>'Priority' from task_custom_fields cf \
         join tasks t on t.id = cf.task_id where t.asana_gid = '1042'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(typed, (vec!["High".to_string()], "High".to_string()));
}

#[sqlx::test(migrations = false)]
async fn memberships_follow_the_task_and_tombstones_reach_subtasks(pool: PgPool) {
    migrated(&pool).await;
    let home = seed_projects(&pool).await;
    let mut parent = task("1", "Parent", "100");
    parent.memberships.push(MembershipRow {
        project_gid: "200".into(),
        section_gid: None,
        section_name: None,
    });
    let mut child = task("2", "Child", "100");
    child.parent_gid = Some("1".into());
    child.memberships.clear();
    let mut conn = pool.acquire().await.unwrap();
    // The subtask arrives first: its parent link is made once the parent is stored.
    tasks::upsert_page(&mut conn, home, &[child], Utc::now())
        .await
        .unwrap();
    tasks::upsert_page(&mut conn, home, &[parent.clone()], Utc::now())
        .await
        .unwrap();
    assert_eq!(tasks::link_orphans(&mut *conn).await.unwrap(), 1);
    let (members,): (i64,) = sqlx::query_as("select count(*) from task_memberships")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(members, 2, "one task row, two memberships");

    parent.memberships.truncate(1);
    tasks::upsert_page(&mut conn, home, &[parent], Utc::now())
        .await
        .unwrap();
    let (members,): (i64,) = sqlx::query_as("select count(*) from task_memberships")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(members, 1, "the membership that left is gone");

    let deleted = tasks::mark_deleted(&mut *conn, &["1".to_string()], Utc::now())
        .await
        .unwrap();
    assert_eq!(deleted, 2, "the parent and its subtask are tombstoned");
    let _ = store::state::get(&pool).await.unwrap();
}

/// Counts of (task rows, memberships, custom values, tasks homed nowhere,
/// tasks confirmed by no project).
async fn table_counts(pool: &PgPool) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "select (select count(*) from task_rows), (select count(*) from task_memberships), \
         (select count(*) from task_custom_fields), \
         (select count(*) from task_rows where project_id is null), \
         (select count(*) from task_rows where synced_by is null)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The children's foreign keys went for speed (the page statement writes
/// them from its own ids); what they did on delete is kept by triggers.
#[sqlx::test(migrations = false)]
async fn deleting_a_task_or_a_project_takes_the_rows_that_point_at_it(pool: PgPool) {
    migrated(&pool).await;
    let home = seed_projects(&pool).await;
    let page: Vec<TaskRow> = ["1", "2", "3"]
        .iter()
        .map(|gid| {
            let mut t = task(gid, "T", "100");
            t.memberships.push(MembershipRow {
                project_gid: "200".into(),
                section_gid: None,
                section_name: None,
            });
            t
        })
        .collect();
    let mut page = page;
    page[2].parent_gid = Some("1".into());
    let mut conn = pool.acquire().await.unwrap();
    tasks::upsert_page(&mut conn, home, &page, Utc::now())
        .await
        .unwrap();
    assert_eq!(tasks::link_orphans(&mut *conn).await.unwrap(), 1);
    assert_eq!(table_counts(&pool).await, (3, 6, 3, 0, 0));

    sqlx::query("delete from task_rows where asana_gid = '1'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        table_counts(&pool).await,
        (2, 4, 2, 0, 0),
        "the task's memberships and values went with it"
    );
    let (parent,): (Option<i64>,) =
        sqlx::query_as("select parent_task_id from task_rows where asana_gid = '3'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(parent, None, "its subtask is unlinked");

    sqlx::query("delete from projects where asana_gid = '100'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        table_counts(&pool).await,
        (2, 2, 2, 2, 2),
        "the project's memberships went; its tasks are homed and confirmed nowhere"
    );

    sqlx::query("truncate task_rows")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(table_counts(&pool).await, (0, 0, 0, 0, 0));
}
