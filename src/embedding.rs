//! aegis inside a host service: one typed builder ([`Aegis::builder`]) for
//! everything aegis's workers need, from plain values, and the handful of
//! calls a host makes (migrate, register into its `Monitor`, enqueue inside
//! its own transaction, observe the run).
//!
//! The builder applies what the `aegis worker` binary applies: the worker
//! client settings (short in-process retries, longer waits persisted as the
//! job's next run), the token's budget shared through the database, and a
//! pool of aegis's own. That pool opens connections like the host's pool
//! (same server, role and TLS), with its `search_path` set to aegis's schema
//! (so aegis's tables never mix with the host's), sized by
//! [`worker::connections_needed`]: aegis's workers never starve the host's
//! jobs of connections, nor the reverse.
//!
//! # Example
//! ```no_run
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use aegis::{Aegis, jobs::{Mode, Scope}};
//! use apalis::prelude::Monitor;
//!
//! let aegis = Aegis::builder(&pool, std::env::var("ASANA_ACCESS_TOKEN")?, "1204385601023456")
//!     .schema("aegis")
//!     .build()?;
//! aegis.migrate().await?;
//! let restart = aegis.restart_policy();
//! let monitor = aegis
//!     .register(Monitor::new())?
//!     .should_restart(move |w, e| restart(w, e).unwrap_or(false));
//! let mut tx = pool.begin().await?;
//! let run = aegis.enqueue_sync(&mut tx, Scope::default(), Mode::Incremental).await?;
//! tx.commit().await?;
//! let running = tokio::spawn(monitor.run_with_signal(tokio::signal::ctrl_c()));
//! let finished = aegis.wait(run, Duration::from_secs(600)).await?;
//! println!("run {run}: {:?}", finished.status);
//! # running.abort();
//! # Ok(())
//! # }
//! ```

use std::{num::NonZeroU32, time::Duration};

use aegis_jobs::{Mode, Queues, Scope, SyncPortfolio};
use apalis::prelude::{Monitor, WorkerContext, WorkerError};
use reqwest::Url;
use secrecy::SecretString;
use sqlx::{PgConnection, PgPool, postgres::PgPoolOptions};
use uuid::Uuid;

use crate::{
    asana::{AsanaClient, DEFAULT_BASE_URL, Gid},
    budget,
    config::{AsanaSettings, DATABASE_CONNECT_TIMEOUT, DEFAULT_REQUESTS_PER_MINUTE},
    metrics::Metrics,
    runs::{self, FinishedRuns, Run, WaitError},
    store::{self, Namespace, Schema},
    sync::{self, SyncContext},
    worker::{self, RegisterError, WorkerConfig, schedule::Schedule},
};

/// What the builder refused, or what a host call failed on.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A value given to the builder is not usable; the message says which.
    #[error("aegis setup: {0}")]
    Config(String),
    /// The workers could not be registered.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Enqueueing failed.
    #[error(transparent)]
    Sync(#[from] sync::Error),
}

/// Builds an [`Aegis`]; see [`Aegis::builder`].
#[derive(Debug, Clone)]
pub struct AegisBuilder {
    host_pool: PgPool,
    token: SecretString,
    portfolio: String,
    requests_per_minute: u32,
    base_url: String,
    user_gid: Option<String>,
    schema: String,
    queue_prefix: String,
    max_connections: Option<u32>,
    worker: WorkerConfig,
}

impl AegisBuilder {
    /// The token's requests per minute, shared by every process of it
    /// (Asana: 150 on a free plan, 1,500 on a paid one; default 150).
    pub fn requests_per_minute(mut self, n: u32) -> Self {
        self.requests_per_minute = n;
        self
    }

    /// Asana's API root (default `https://app.asana.com/api/1.0`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Whose assignments set `assigned_to_aegis` (default: the token's user).
    pub fn user_gid(mut self, gid: impl Into<String>) -> Self {
        self.user_gid = Some(gid.into());
        self
    }

    /// The schema of aegis's tables (default `aegis`; created by
    /// [`Aegis::migrate`]).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The prefix of aegis's queue names (default `aegis`). Two aegis setups
    /// in one database need two schemas and two prefixes.
    pub fn queue_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.queue_prefix = prefix.into();
        self
    }

    /// Project jobs run at once by this process (default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.worker.concurrency = n;
        self
    }

    /// A periodic sync of the whole portfolio, fired once per tick however
    /// many processes run it.
    pub fn schedule(mut self, every: Duration, mode: Mode) -> Self {
        self.worker.schedules.push(Schedule { every, mode });
        self
    }

    /// Every worker setting at once (retries, heartbeats, name…).
    pub fn worker_config(mut self, config: WorkerConfig) -> Self {
        self.worker = config;
        self
    }

    /// Caps aegis's own pool (default: [`worker::connections_needed`]);
    /// [`build`](Self::build) refuses a cap below what the workers need.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n);
        self
    }

    /// Checks every value and builds aegis's pool (lazily: nothing connects
    /// yet) and Asana client.
    ///
    /// # Errors
    /// [`EmbedError::Config`] naming the bad value;
    /// [`EmbedError::Register`] for a `max_connections` below the need.
    pub fn build(self) -> Result<Aegis, EmbedError> {
        let bad =
            |what: &str, e: &dyn std::fmt::Display| EmbedError::Config(format!("{what}: {e}"));
        let schema = Schema::new(&self.schema).map_err(|e| bad("schema", &e))?;
        let settings = AsanaSettings {
            base_url: Url::parse(&self.base_url).map_err(|e| bad("base URL", &e))?,
            token: self.token,
            requests_per_minute: NonZeroU32::new(self.requests_per_minute)
                .ok_or_else(|| bad("requests per minute", &"must be at least 1"))?,
            portfolio: Gid::parse(&self.portfolio).map_err(|e| bad("portfolio", &e))?,
            aegis_user: (self.user_gid.as_deref())
                .map(Gid::parse)
                .transpose()
                .map_err(|e| bad("user gid", &e))?,
        };
        let namespace = Namespace {
            schema,
            queues: Queues::prefixed(self.queue_prefix),
        };
        let needed = worker::connections_needed(&self.worker);
        let allowed = self.max_connections.unwrap_or(needed);
        if allowed < needed {
            return Err(RegisterError::PoolTooSmall {
                allowed,
                needed,
                concurrency: self.worker.concurrency,
            }
            .into());
        }
        let options = namespace.connect_options((*self.host_pool.connect_options()).clone());
        let pool = PgPoolOptions::new()
            .max_connections(allowed)
            .acquire_timeout(DATABASE_CONNECT_TIMEOUT)
            .connect_lazy_with(options);
        let mut client = settings.worker_client_config();
        let metrics = Metrics::new();
        client.metrics = Some(metrics.clone());
        let budget_key = budget::token_key(&settings.token);
        budget::share(&mut client, pool.clone());
        let asana = AsanaClient::new(client).map_err(|e| bad("Asana client", &e))?;
        let ctx = SyncContext {
            pool,
            namespace,
            asana,
            portfolio: settings.portfolio,
            aegis_user: settings.aegis_user,
            events_poll_every: None,
        };
        Ok(Aegis {
            ctx,
            worker: self.worker,
            metrics,
            budget_key,
        })
    }
}

/// One aegis setup inside a host: its pool, Asana client, namespace and
/// worker settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Aegis {
    ctx: SyncContext,
    worker: WorkerConfig,
    metrics: Metrics,
    budget_key: String,
}

impl Aegis {
    /// A builder for the portfolio `portfolio_gid`, read with `token`, on the
    /// database of `host_pool` (whose connect options aegis's own pool
    /// copies; the host's pool itself is only used by the host).
    pub fn builder(
        host_pool: &PgPool,
        token: impl Into<String>,
        portfolio_gid: impl Into<String>,
    ) -> AegisBuilder {
        let defaults = Namespace::embedded_default();
        AegisBuilder {
            host_pool: host_pool.clone(),
            token: SecretString::from(token.into()),
            portfolio: portfolio_gid.into(),
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_gid: None,
            schema: defaults.schema.as_str().to_owned(),
            queue_prefix: defaults.queues.prefix().to_owned(),
            max_connections: None,
            worker: WorkerConfig::default(),
        }
    }

    /// Creates or updates aegis's tables (in its schema, with their history
    /// in its own `aegis_migrations`) and apalis's. Run it before or after
    /// the host's own `sqlx::migrate!()`, in either order.
    ///
    /// # Errors
    /// The database's.
    pub async fn migrate(&self) -> Result<(), EmbedError> {
        Ok(store::migrate(&self.ctx.pool, &self.ctx.namespace.schema).await?)
    }

    /// Registers aegis's workers (and their keep-alive and schedules) into
    /// the host's `monitor`; see [`worker::register`].
    ///
    /// # Errors
    /// [`RegisterError`].
    pub fn register(&self, monitor: Monitor) -> Result<Monitor, RegisterError> {
        worker::register(monitor, self.ctx.clone(), self.worker.clone())
    }

    /// aegis's restart policy for its own workers, to combine with the
    /// host's in `Monitor::should_restart` (`None`: not an aegis worker).
    pub fn restart_policy(
        &self,
    ) -> impl Fn(&WorkerContext, &WorkerError) -> Option<bool> + Send + Sync + 'static {
        self.worker.restart_policy()
    }

    /// Records a queued run and enqueues its sync on `conn` (the host's
    /// transaction, typically: a rollback enqueues nothing). The returned
    /// run id is known to [`run`](Self::run) at once, as `queued`.
    ///
    /// # Errors
    /// The database's.
    pub async fn enqueue_sync(
        &self,
        conn: &mut PgConnection,
        scope: Scope,
        mode: Mode,
    ) -> Result<Uuid, EmbedError> {
        let job = SyncPortfolio::new(self.ctx.portfolio.as_str(), scope, mode);
        Ok(sync::jobs::enqueue_sync(conn, &self.ctx.namespace, &job).await?)
    }

    /// A run as recorded; `None` for an unknown id.
    ///
    /// # Errors
    /// The database's.
    pub async fn run(&self, id: Uuid) -> Result<Option<Run>, EmbedError> {
        Ok(runs::get(&self.ctx.pool, id).await?)
    }

    /// Waits for a run to end; see [`runs::wait`].
    ///
    /// # Errors
    /// [`WaitError::TimedOut`]; the database's.
    pub async fn wait(&self, id: Uuid, timeout: Duration) -> Result<Run, WaitError> {
        runs::wait(&self.ctx.pool, id, timeout).await
    }

    /// The ids of runs as they end (a hook: spawn a task that reads them).
    ///
    /// # Errors
    /// The database's.
    pub async fn finished_runs(&self) -> Result<FinishedRuns, EmbedError> {
        Ok(FinishedRuns::listen(&self.ctx.pool).await?)
    }

    /// aegis's own pool (its `search_path` is aegis's schema): read aegis's
    /// tables through it.
    pub fn pool(&self) -> &PgPool {
        &self.ctx.pool
    }

    /// Where this setup's tables and queues are.
    pub fn namespace(&self) -> &Namespace {
        &self.ctx.namespace
    }

    /// The sync context the workers run with (for inline syncs:
    /// [`sync::run_inline`]).
    pub fn context(&self) -> &SyncContext {
        &self.ctx
    }

    /// The key of this setup's token in the shared budget's table (a hash
    /// of the token, never the token): [`crate::health::budgets`] lists it.
    pub fn budget_key(&self) -> &str {
        &self.budget_key
    }

    /// The Prometheus series of this setup (its requests, waits and jobs;
    /// the shared view after [`Metrics::refresh`]). Encode them into the
    /// host's own `/metrics`, or mount [`probes_router`](Self::probes_router).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// `GET /metrics`, `/healthz` and `/readyz` for this setup, an axum
    /// router to mount (e.g. `host_router.nest("/aegis", aegis.probes_router())`).
    #[cfg(feature = "web")]
    pub fn probes_router(&self) -> axum::Router {
        crate::web::probes::router(crate::web::probes::ProbeState {
            pool: self.ctx.pool.clone(),
            queues: self.ctx.namespace.queues.clone(),
            metrics: self.metrics.clone(),
            budget_key: Some(self.budget_key.clone()),
        })
    }

    /// The connections aegis's pool holds at most.
    pub fn connections_needed(&self) -> u32 {
        worker::connections_needed(&self.worker)
    }
}
