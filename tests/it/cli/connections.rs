//! Running out of database connections, with a role whose `CONNECTION
//! LIMIT` is small (a managed database's quota, say): a worker that could
//! not get the connections it may need refuses to start in one line (exit
//! 2), and a pool that had no connection to give says why: the server's
//! own refusal, or its own size.

use std::time::Duration;

use reqwest::Url;
use sqlx::{PgPool, postgres::PgPoolOptions};

use super::{aegis, assert_config_error, database_url, fake, sync_env};
use crate::helpers;

/// A login role allowed `limit` connections, dropped when the test ends.
struct LimitedRole {
    admin: PgPool,
    name: String,
}

impl LimitedRole {
    async fn new(admin: &PgPool, limit: i32) -> LimitedRole {
        let name = format!("aegis_limited_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "create role {name} login connection limit {limit}"
        )))
        .execute(admin)
        .await
        .expect("the role is created");
        LimitedRole {
            admin: admin.clone(),
            name,
        }
    }

    /// `pool`'s database URL as this role.
    fn url(&self, pool: &PgPool) -> String {
        let mut url = Url::parse(&database_url(pool)).expect("a URL");
        url.set_username(&self.name).expect("a user");
        url.to_string()
    }

    async fn drop(self) {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = '{0}';
             drop role if exists {0}",
            self.name
        )))
        .execute(&self.admin)
        .await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_worker_the_database_cannot_serve_refuses_to_start_in_one_line(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let role = LimitedRole::new(&pool, 8).await;
    let mut env = sync_env(&pool, &fake);
    env[0].1 = role.url(&pool);
    let run = aegis(&env, &["worker", "--drain", "--concurrency", "4"]).await;
    role.drop().await;
    assert_config_error(
        &run,
        "error: the database allows 8 more connections (the role's connection limit 8, 0 in use) \
         but this worker may open 16 at concurrency 4",
    );
    assert!(run.stderr.contains("lower --concurrency"), "{}", run.stderr);
    assert_eq!(fake.stats().total_requests, 0, "nothing asked of Asana");
}

#[sqlx::test(migrations = false)]
async fn a_pool_without_a_connection_to_give_says_why(pool: PgPool) {
    let role = LimitedRole::new(&pool, 1).await;
    let options = role.url(&pool).parse().expect("connect options");
    let limited = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy_with(options);
    let held = limited.acquire().await.expect("the role's one connection");
    let starved = limited.acquire().await.expect_err("no second connection");
    assert!(matches!(starved, sqlx::Error::PoolTimedOut), "{starved}");
    let why = aegis::store::why_no_connection(&limited).await;
    assert!(
        why.starts_with("the database refused a new connection: too many connections for role"),
        "{why}"
    );
    drop(held);
    limited.close().await;
    role.drop().await;

    let small = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy_with((*pool.connect_options()).clone());
    let _only = small.acquire().await.expect("the pool's one connection");
    assert!(small.acquire().await.is_err(), "the pool is full");
    let why = aegis::store::why_no_connection(&small).await;
    assert!(
        why.starts_with("all 1 connections of aegis's pool are in use"),
        "{why}"
    );
}
