//! Test set-up shared by the integration tests: a migrated database, the
//! fake Asana on loopback, and a sync context wired to both.

use std::{num::NonZeroU32, time::Duration};

use aegis::{
    asana::{AsanaClient, AsanaConfig, Gid},
    sync::{self, PlainObserver, RunSummary, SyncContext, SyncOptions},
};
use fake_asana::{Config, FakeAsana};
use secrecy::SecretString;
use sqlx::PgPool;

/// Runs aegis's real migrations (apalis's storage included) on a test pool.
pub async fn migrated(pool: &PgPool) {
    aegis::store::migrate(pool).await.expect("migrations apply");
}

/// A client for the fake with test-friendly backoff (milliseconds, not seconds).
pub fn client(fake: &FakeAsana) -> AsanaClient {
    let mut config = AsanaConfig::new(
        fake.base_url.parse().expect("fake base url"),
        SecretString::from(fake.token.clone()),
    );
    config.requests_per_minute = NonZeroU32::new(100_000).expect("non-zero");
    config.backoff_base = Duration::from_millis(5);
    config.backoff_max = Duration::from_millis(50);
    config.request_timeout = Duration::from_secs(10);
    AsanaClient::new(config).expect("client builds")
}

/// A migrated database, a running fake, and a sync context over both.
pub struct TestApp {
    /// The test's own database.
    pub pool: PgPool,
    /// The fake Asana.
    pub fake: FakeAsana,
    /// What `aegis sync` would build.
    pub ctx: SyncContext,
}

impl TestApp {
    /// Migrates `pool` and starts a fake Asana from `config`.
    pub async fn new(pool: PgPool, config: Config) -> TestApp {
        migrated(&pool).await;
        let fake = FakeAsana::spawn(config).await.expect("fake asana starts");
        let ctx = SyncContext {
            pool: pool.clone(),
            asana: client(&fake),
            portfolio: Gid::parse(&fake.portfolio_gid).expect("portfolio gid"),
            aegis_user: None,
        };
        TestApp { pool, fake, ctx }
    }

    /// Runs an inline sync.
    pub async fn sync(&self, options: SyncOptions) -> Result<RunSummary, sync::Error> {
        sync::run_inline(&self.ctx, &options, &PlainObserver).await
    }

    /// Runs an inline sync of everything, which must succeed.
    pub async fn sync_all(&self) -> RunSummary {
        self.sync(SyncOptions::default())
            .await
            .expect("sync succeeds")
    }

    /// Runs an inline sync of everything, whatever its outcome.
    pub async fn sync_all_result(&self) -> Result<RunSummary, sync::Error> {
        self.sync(SyncOptions::default()).await
    }

    /// A count from a SQL query returning one bigint.
    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count query")
    }
}
