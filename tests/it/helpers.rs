//! Test set-up shared by the integration tests: a migrated database, the
//! fake Asana on loopback, and a sync context wired to both.

use std::{num::NonZeroU32, time::Duration};

use aegis::{
    asana::{AsanaClient, AsanaConfig, Gid},
    sync::{self, PlainObserver, RunSummary, SyncContext, SyncOptions},
    worker::{self, ProcessEnd, RetryPolicy, WorkerConfig},
};
use aegis_jobs::{Mode, Scope, SyncPortfolio};
use fake_asana::{Config, FakeAsana};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

/// Runs aegis's real migrations (apalis's storage included) on a test pool.
pub async fn migrated(pool: &PgPool) {
    aegis::store::migrate(pool, &aegis::store::Schema::public())
        .await
        .expect("migrations apply");
}

/// A pool on `pool`'s database large enough for [`worker_config`]'s
/// workers ([`worker::connections_needed`]), as a host or `aegis worker`
/// sizes it (the test pool is smaller).
pub fn worker_pool(pool: &PgPool) -> PgPool {
    let needed = worker::connections_needed(&worker_config());
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(needed)
        .connect_lazy_with((*pool.connect_options()).clone())
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

/// Installs a log subscriber once when `TEST_LOG` is set (silent otherwise).
pub fn init_test_log() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::new("info,aegis=debug,sqlx=warn");
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
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
        init_test_log();
        migrated(&pool).await;
        let fake = FakeAsana::spawn(config).await.expect("fake asana starts");
        let ctx = SyncContext {
            pool: worker_pool(&pool),
            namespace: aegis::store::Namespace::cli_default(),
            asana: client(&fake),
            portfolio: Gid::parse(&fake.portfolio_gid).expect("portfolio gid"),
            aegis_user: None,
            events_poll_every: None,
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

    /// Enqueues a sync run as `aegis enqueue sync` does; returns the run id.
    pub async fn enqueue(&self, scope: Scope, mode: Mode) -> Uuid {
        let job = SyncPortfolio::new(self.fake.portfolio_gid.clone(), scope, mode);
        let mut tx = self.pool.begin().await.expect("begin");
        let run = sync::jobs::enqueue_sync(&mut tx, &aegis::store::Namespace::cli_default(), &job)
            .await
            .expect("enqueue");
        tx.commit().await.expect("commit");
        run
    }

    /// Enqueues a default sync and drains it.
    pub async fn drain_after_enqueue(&self) -> worker::DrainReport {
        self.enqueue(Scope::default(), Mode::Incremental).await;
        self.drain(worker_config()).await
    }

    /// Runs a worker in this process until the queue is drained.
    pub async fn drain(&self, config: WorkerConfig) -> worker::DrainReport {
        let end = worker::run_process(self.ctx.clone(), config, true, Duration::from_secs(10))
            .await
            .expect("worker runs");
        match end {
            ProcessEnd::Drained(report) => report,
            other => panic!("the worker ended {other:?}, not drained"),
        }
    }

    /// A count from a SQL query returning one bigint.
    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count query")
    }
}

/// A worker configuration for tests: fast polling and retries.
pub fn worker_config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        policy: RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(300),
            max: Duration::from_secs(5),
            timeout: Duration::from_secs(60),
        },
        heartbeat: Duration::from_secs(1),
        missed_heartbeats: 3,
        poll_interval: Duration::from_millis(100),
        name: worker::unique_name(),
        schedules: Vec::new(),
        outage_limit: worker::DEFAULT_OUTAGE_LIMIT,
    }
}
