//! aegis's migrations next to a host's: each records its history in its
//! own table, in either order, on one pool, and a database migrated before
//! aegis had a table of its own keeps its history.

use std::time::Duration;

use sqlx::{
    PgPool, SqlSafeStr,
    migrate::{Migration, MigrationType, Migrator},
};

/// A host service's own migrator, with one table of its own, recorded in
/// sqlx's default `_sqlx_migrations`.
fn host_migrator() -> Migrator {
    let sql = "create table host_emails (id bigint primary key)".into_sql_str();
    Migrator::with_migrations(vec![Migration::new(
        1,
        "host emails".into(),
        MigrationType::Simple,
        sql,
        false,
    )])
}

/// Runs a migration, failing the test rather than hanging.
async fn within<F, T, E>(what: &str, migration: F) -> T
where
    F: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    match tokio::time::timeout(Duration::from_secs(30), migration).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => panic!("{what} failed: {e}"),
        Err(_) => panic!("{what} hung for 30 s"),
    }
}

async fn versions(pool: &PgPool, sql: &'static str) -> Vec<i64> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_host_and_aegis_migrate_one_database_in_either_order(pool: PgPool) {
    let host = host_migrator();
    within("the host's first migration", host.run(&pool)).await;
    within(
        "aegis's migration after the host's",
        aegis::store::migrate(&pool, &aegis::store::Schema::public()),
    )
    .await;
    within("the host's migration after aegis's", host.run(&pool)).await;
    within(
        "aegis's second migration",
        aegis::store::migrate(&pool, &aegis::store::Schema::public()),
    )
    .await;

    let hosts = versions(&pool, "select version from _sqlx_migrations order by 1").await;
    assert_eq!(hosts, [1], "only the host's history is in the host's table");
    let ours = versions(&pool, "select version from aegis_migrations order by 1").await;
    let expected: Vec<i64> = aegis::store::migrator().iter().map(|m| m.version).collect();
    assert_eq!(ours, expected);
    let applied = aegis::store::applied_migrations(&pool).await.unwrap();
    assert!(applied > expected.len() as i64, "apalis's are counted too");
}

#[sqlx::test(migrations = false)]
async fn aegis_first_then_the_host(pool: PgPool) {
    within(
        "aegis's migration",
        aegis::store::migrate(&pool, &aegis::store::Schema::public()),
    )
    .await;
    within(
        "the host's migration after aegis's",
        host_migrator().run(&pool),
    )
    .await;
    within("the host's again", host_migrator().run(&pool)).await;
}

#[sqlx::test(migrations = false)]
async fn a_database_migrated_before_keeps_its_history(pool: PgPool) {
    // Before: aegis's history in `_sqlx_migrations`, next to a host's row.
    let mut legacy = aegis::store::migrator();
    legacy.dangerous_set_table_name("_sqlx_migrations");
    within(
        "apalis's",
        apalis_postgres::PostgresStorage::<()>::migrations().run(&pool),
    )
    .await;
    within("the old aegis migration", legacy.run(&pool)).await;
    let mut host = host_migrator();
    host.set_ignore_missing(true);
    within("the host's, ignoring aegis's rows", host.run(&pool)).await;

    within(
        "aegis's migration now",
        aegis::store::migrate(&pool, &aegis::store::Schema::public()),
    )
    .await;
    let hosts = versions(&pool, "select version from _sqlx_migrations order by 1").await;
    assert_eq!(hosts, [1], "aegis's rows moved out, the host's stayed");
    let ours = versions(&pool, "select version from aegis_migrations order by 1").await;
    let expected: Vec<i64> = aegis::store::migrator().iter().map(|m| m.version).collect();
    assert_eq!(ours, expected, "nothing re-ran, nothing was lost");
    within("the host's, strict again", host_migrator().run(&pool)).await;
    let runs: i64 = sqlx::query_scalar("select count(*) from sync_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 0, "aegis's tables are there");
}
