//! A no-op job on its own queue and an apalis worker for it, built with the
//! storage configuration aegis's workers use (see `aegis::worker`): the
//! queue name, `batch_size` = concurrency, heartbeat, pubsub (LISTEN/NOTIFY)
//! plus a poll interval; the handler only counts and, for pickup latency,
//! reports how long after its insert it started.

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use aegis::worker::WorkerConfig;
use apalis::prelude::{BackendExt, BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::PostgresStorage;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::{sync::mpsc, task::JoinHandle};

/// The bench's queue: no aegis worker ever looks at it.
pub const QUEUE: &str = "aegis-bench.noop";

/// A job that does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Noop {
    /// Which batch it belongs to (keys must be unique).
    pub batch: u32,
    /// Its number in the batch.
    pub seq: u64,
    /// When it was inserted, in µs since [`clock`]'s origin.
    pub sent_us: u64,
}

impl aegis_jobs::Job for Noop {
    const QUEUE: &'static str = QUEUE;
    const MAX_ATTEMPTS: i32 = 1;
    fn idempotency_key(&self) -> String {
        format!("bench:{}:{}", self.batch, self.seq)
    }
}

/// Microseconds since this process's first call: the one clock both the
/// inserts and the handler read.
pub fn clock() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// What the handler reports to the bench.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Jobs handled.
    pub handled: Arc<AtomicU64>,
    /// Pickup latencies (µs), when someone listens.
    pub latencies: Option<mpsc::UnboundedSender<u64>>,
}

async fn handle(job: Noop, probe: Data<Probe>) -> Result<(), BoxDynError> {
    let now = clock();
    probe.handled.fetch_add(1, Ordering::Relaxed);
    if let Some(tx) = &probe.latencies {
        let _ = tx.send(now.saturating_sub(job.sent_us));
    }
    Ok(())
}

/// A running no-op worker; [`Running::stop`] ends it gracefully.
pub struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops the worker and waits (at most 10 s) for it to end, aborting
    /// it after that.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .is_err()
        {
            crate::env::progress("queue: the no-op worker did not stop within 10 s; aborted");
            abort.abort();
        }
    }
}

/// Starts a worker with `concurrency` on the no-op queue.
pub fn start(pool: &PgPool, concurrency: usize, probe: Probe) -> Running {
    let aegis = WorkerConfig::default();
    let config = aegis::worker::storage_config(QUEUE, concurrency, &aegis);
    let storage = PostgresStorage::<Noop>::new(pool)
        .with_config(config)
        .with_pubsub()
        .poll_with_interval(aegis.poll_interval);
    let worker = WorkerBuilder::new(format!("bench-noop-c{concurrency}-{}", clock()))
        .backend(storage)
        .concurrency(concurrency.max(1))
        .data(probe)
        .build(handle);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        let _ = stopped.await;
        Ok::<(), std::io::Error>(())
    };
    let task = tokio::spawn(async move {
        if let Err(e) = worker.run_until(signal).await {
            crate::env::progress(&format!("queue: the no-op worker failed: {e}"));
        }
    });
    Running { stop, task }
}
