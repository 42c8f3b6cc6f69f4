//! The host example against the fake Asana and a real PostgreSQL (a fresh,
//! empty database per test): the host's `sqlx::migrate!()` before and after
//! aegis's, in both orders, on one pool, without error or hang; a sync run
//! to `done` next to the host's own job; the host's `tasks` table untouched.

use std::time::Duration;

use aegis::{
    Aegis,
    jobs::Mode,
    sync::{PlainObserver, SyncOptions, run_inline},
};
use aegis_host_example::{Asana, Order, migrate, run};
use fake_asana::{Config, FakeAsana, generate::Preset};
use sqlx::PgPool;

async fn fake() -> (FakeAsana, Asana) {
    let fake = FakeAsana::spawn(Config {
        preset: Preset::Custom {
            projects: 3,
            tasks_per_project: 20,
        },
        ..Config::default()
    })
    .await
    .expect("the fake starts");
    let asana = Asana {
        token: fake.token.clone(),
        portfolio: fake.portfolio_gid.clone(),
        base_url: fake.base_url.clone(),
        requests_per_minute: 100_000,
    };
    (fake, asana)
}

/// The live tasks a clean inline full sync of the same world gives, in a
/// scratch schema of the same database.
async fn clean_sync_tasks(pool: &PgPool, asana: &Asana) -> i64 {
    let clean = Aegis::builder(pool, &asana.token, &asana.portfolio)
        .base_url(&asana.base_url)
        .requests_per_minute(asana.requests_per_minute)
        .schema("clean")
        .queue_prefix("clean")
        .build()
        .expect("builds");
    clean.migrate().await.expect("migrates");
    let options = SyncOptions {
        mode: Mode::Full,
        ..SyncOptions::default()
    };
    run_inline(clean.context(), &options, &PlainObserver)
        .await
        .expect("the clean sync succeeds");
    sqlx::query_scalar("select count(*) from tasks where deleted_at is null")
        .fetch_one(clean.pool())
        .await
        .unwrap()
}

async fn a_day_of_the_host(pool: PgPool, first: Order, then: Order) {
    let (_fake, asana) = fake().await;
    let day = tokio::time::timeout(Duration::from_secs(300), run(&pool, &asana, first));
    let report = day.await.expect("no hang").expect("the host's day works");
    assert_eq!(report.status, "done");
    assert_eq!(report.synced_tasks, clean_sync_tasks(&pool, &asana).await);
    assert_eq!(
        report.host_tasks, 1,
        "the host's own tasks table is its own"
    );
    assert_eq!(report.emails_sent, 1);
    // The next start runs both migrators again, the other way round.
    let aegis = Aegis::builder(&pool, &asana.token, &asana.portfolio)
        .build()
        .expect("builds");
    let again = tokio::time::timeout(Duration::from_secs(60), migrate(&pool, &aegis, then));
    again
        .await
        .expect("no hang")
        .expect("migrations apply again");
    let locks: i64 = sqlx::query_scalar(
        "select count(*) from pg_locks l join pg_database d on d.oid = l.database \
         where l.locktype = 'advisory' and d.datname = current_database()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(locks, 0, "no migrator lock is left behind");
}

#[sqlx::test(migrations = false)]
async fn host_migrations_first_then_aegis_first(pool: PgPool) {
    a_day_of_the_host(pool, Order::HostFirst, Order::AegisFirst).await;
}

#[sqlx::test(migrations = false)]
async fn aegis_migrations_first_then_host_first(pool: PgPool) {
    a_day_of_the_host(pool, Order::AegisFirst, Order::HostFirst).await;
}
