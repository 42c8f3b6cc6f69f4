//! Running the fake: its [`Config`], the shared state behind every handler,
//! and [`FakeAsana`], the handle tests hold (spawn on loopback, snapshot,
//! shut down). The control methods on the handle live in `control` (and
//! `webhooks::control` for webhooks).

use std::{
    net::{Ipv4Addr, SocketAddr},
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    admin,
    events::SyncStore,
    gate::{Gate, GateConfig},
    generate::{self, Preset},
    paging::Pager,
    routes,
    triggers::Triggers,
    webhooks::{self, Hub, WebhookSettings},
    world::World,
};

/// How to build and run a fake.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which world to generate.
    pub preset: Preset,
    /// Seed of the generator (same seed, same world).
    pub seed: u64,
    /// The bearer token the fake accepts (acting as the portfolio's owner).
    pub token: String,
    /// Requests per minute per token; None = unlimited.
    pub requests_per_minute: Option<u32>,
    /// In-flight GETs allowed per token (Asana: 50).
    pub max_inflight_gets: u32,
    /// Latency added to every API request.
    pub latency: Duration,
    /// Lifetime of pagination offsets (Asana: about 15 minutes).
    pub offset_ttl: Duration,
    /// Lifetime of `/events` sync tokens (Asana: 24 hours).
    pub event_token_ttl: Duration,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of the RNG behind probabilistic faults (and webhook event loss).
    pub fault_seed: u64,
    /// How webhooks are delivered (delay, heartbeats, retries, failure
    /// window, loss, limits); see `webhooks`.
    pub webhooks: WebhookSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            preset: Preset::Seed,
            seed: 1,
            token: "0/fake-token".to_owned(),
            requests_per_minute: None,
            max_inflight_gets: 50,
            latency: Duration::ZERO,
            offset_ttl: Duration::from_secs(15 * 60),
            event_token_ttl: Duration::from_secs(24 * 60 * 60),
            port: 0,
            fault_seed: 0,
            webhooks: WebhookSettings::default(),
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct AppState {
    world: RwLock<World>,
    sync: Mutex<SyncStore>,
    /// How many of the next events to lose (Asana's at-most-once delivery).
    drop_events: AtomicU32,
    /// Changes to make when matching requests arrive.
    triggers: Mutex<Triggers>,
    pub(crate) pager: Pager,
    pub(crate) gate: Arc<Gate>,
    pub(crate) base_url: String,
    /// Webhooks: registry, deliveries and their tasks.
    pub(crate) webhooks: Hub,
}

impl AppState {
    /// Reads the world (never held across an await).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&self.world.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the world at the current time (milliseconds, as Asana keeps),
    /// losing the events it appends while a drop count is set.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut World, DateTime<Utc>) -> T) -> T {
        let now = Utc::now().trunc_subsecs(3);
        let mut world = self.world.write().unwrap_or_else(|e| e.into_inner());
        let before = world.events.len();
        let result = f(&mut world, now);
        while world.events.len() > before && self.take_drop() {
            world.events.pop();
        }
        let recorded = world.events.len() > before;
        drop(world);
        if recorded {
            self.webhooks.events_recorded();
        }
        result
    }

    /// Loses the next `count` events (they never reach any stream).
    pub(crate) fn drop_next_events(&self, count: u32) {
        self.drop_events.store(count, Ordering::SeqCst);
    }

    fn take_drop(&self) -> bool {
        let decrement = |n: u32| n.checked_sub(1);
        self.drop_events
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, decrement)
            .is_ok()
    }

    /// The triggers still to fire.
    pub(crate) fn triggers(&self) -> MutexGuard<'_, Triggers> {
        self.triggers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sync-token store.
    pub(crate) fn sync(&self) -> MutexGuard<'_, SyncStore> {
        self.sync.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake Asana on 127.0.0.1.
#[derive(Debug)]
pub struct FakeAsana {
    /// `http://127.0.0.1:PORT/api/1.0`.
    pub base_url: String,
    /// The bearer token it accepts.
    pub token: String,
    /// The gid of the portfolio to sync.
    pub portfolio_gid: String,
    /// `http://127.0.0.1:PORT/_admin`, the control API.
    pub admin_url: String,
    pub(crate) state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

fn secret(seed: u64, purpose: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(purpose.as_bytes());
    hash.update(seed.to_be_bytes());
    hash.finalize().into()
}

impl FakeAsana {
    /// Generates the world and serves it on 127.0.0.1 (`config.port`, 0 = any).
    pub async fn spawn(config: Config) -> std::io::Result<FakeAsana> {
        let world = generate::generate(&config.preset, config.seed, &config.token);
        let listener =
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port))).await?;
        let addr = listener.local_addr()?;
        let gate_config = GateConfig {
            requests_per_minute: config.requests_per_minute,
            max_inflight_gets: config.max_inflight_gets,
            latency: config.latency,
            fault_seed: config.fault_seed,
        };
        let portfolio_gid = world.main_portfolio.clone();
        let state = Arc::new(AppState {
            gate: Gate::new(gate_config, world.tokens.clone()),
            pager: Pager::new(secret(config.seed, "offset"), config.offset_ttl),
            sync: Mutex::new(SyncStore::new(
                secret(config.seed, "sync"),
                config.event_token_ttl,
            )),
            drop_events: AtomicU32::new(0),
            triggers: Mutex::default(),
            world: RwLock::new(world),
            base_url: format!("http://{addr}/api/1.0"),
            webhooks: Hub::new(config.webhooks, config.fault_seed),
        });
        let app = routes::router(state.clone())
            .merge(admin::router(state.clone()))
            .merge(webhooks::admin_router(state.clone()));
        let (tx, rx) = oneshot::channel::<()>();
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        let server = tokio::spawn(async move { serve.await });
        Ok(FakeAsana {
            base_url: state.base_url.clone(),
            token: config.token,
            portfolio_gid,
            admin_url: format!("http://{addr}/_admin"),
            state,
            shutdown: Some(tx),
            server: Some(server),
        })
    }

    /// A copy of the whole world as it is now.
    pub fn snapshot(&self) -> World {
        self.state.read(World::clone)
    }

    /// Stops serving: no new connections, in-flight requests finish (for at
    /// most 5 s), and the webhook delivery tasks stop.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.state.webhooks.shutdown().await;
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
    }
}

impl Drop for FakeAsana {
    /// A fake dropped without `shutdown` still stops its webhook deliveries.
    fn drop(&mut self) {
        self.state.webhooks.abort();
    }
}
