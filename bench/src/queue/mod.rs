//! Scenario 4, `queue`: bulk enqueue (`aegis_jobs::enqueue_many`, one
//! call), drains of no-op jobs at concurrency 1 and 8 by an apalis worker
//! configured as aegis's, pickup latency on an idle worker, and the queries
//! an idle `aegis worker` process makes.

mod idle;
mod noop;

use std::{
    sync::{Arc, atomic::AtomicU64, atomic::Ordering},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::{
    env::{Bench, progress},
    report::{Goal, Scenario},
};
use noop::{Noop, Probe};

/// Sizes of the scenario.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Jobs enqueued in one call, and drained at each concurrency.
    pub jobs: u64,
    /// Jobs whose pickup latency is measured.
    pub pickups: u64,
    /// How long the idle worker is watched.
    pub idle: Duration,
}

/// Runs the scenario into `s`.
pub async fn run(bench: &Bench, sizes: Sizes, s: &mut Scenario) -> anyhow::Result<()> {
    let db = bench.fresh_db("queue").await?;
    let result = measure(bench, &db.pool, sizes, s).await;
    bench.drop_db(db).await;
    result
}

async fn measure(
    bench: &Bench,
    pool: &PgPool,
    sizes: Sizes,
    s: &mut Scenario,
) -> anyhow::Result<()> {
    let enqueued = enqueue(pool, 1, sizes.jobs).await?;
    s.put("jobs", sizes.jobs).put_goal(
        "enqueue_jobs_per_s",
        enqueued.round(),
        Some(Goal::AtLeast(10_000.0)),
    );
    let c1 = drain(pool, 1, sizes.jobs).await?;
    s.put("drain_jobs_per_s_c1", c1.round());
    enqueue(pool, 2, sizes.jobs).await?;
    let c8 = drain(pool, 8, sizes.jobs).await?;
    s.put_goal(
        "drain_jobs_per_s_c8",
        c8.round(),
        Some(Goal::AtLeast(1_000.0)),
    );
    let (count, p50, p99) = pickup(pool, sizes.pickups).await?;
    s.put("pickup_jobs", count)
        .put_goal("pickup_p50_ms", p50, Some(Goal::AtMost(20.0)))
        .put("pickup_p99_ms", p99);
    let idle = idle::queries_per_s(bench, sizes.idle).await?;
    s.put_goal("idle_queries_per_s", idle, Some(Goal::AtMost(2.0)));
    s.note(format!(
        "apalis worker in the bench process with aegis's storage config (pubsub, poll {} ms, \
         heartbeat {} s, batch = concurrency), no-op handler; drain = worker start to the last \
         job marked Done; pickup = insert (one autocommit insert each, the worker idle) to \
         handler start; idle = transactions (xact_commit + xact_rollback in pg_stat_database) \
         of a fresh database while one `aegis worker` with default flags sits idle on it, the \
         probes reading from another database",
        aegis::worker::WorkerConfig::default()
            .poll_interval
            .as_millis(),
        aegis::worker::WorkerConfig::default().heartbeat.as_secs(),
    ));
    Ok(())
}

/// Enqueues `n` no-op jobs of `batch` in one call; returns jobs/s.
async fn enqueue(pool: &PgPool, batch: u32, n: u64) -> anyhow::Result<f64> {
    let jobs: Vec<Noop> = (0..n)
        .map(|seq| Noop {
            batch,
            seq,
            sent_us: 0,
        })
        .collect();
    let mut conn = pool.acquire().await?;
    let started = Instant::now();
    let inserted = aegis_jobs::enqueue_many(&mut conn, &jobs).await?;
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(inserted == n, "enqueue_many inserted {inserted} of {n}");
    progress(&format!("queue: enqueued {n} jobs in {elapsed:.2} s"));
    Ok(n as f64 / elapsed)
}

async fn done(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from apalis.jobs where job_type = $1 and status = 'Done'",
    )
    .bind(noop::QUEUE)
    .fetch_one(pool)
    .await?)
}

/// Drains `n` waiting jobs at `concurrency`; returns jobs/s.
async fn drain(pool: &PgPool, concurrency: usize, n: u64) -> anyhow::Result<f64> {
    let target = done(pool).await? + n as i64;
    let handled = Arc::new(AtomicU64::new(0));
    let probe = Probe {
        handled: handled.clone(),
        latencies: None,
    };
    let started = Instant::now();
    let worker = noop::start(pool, concurrency, probe);
    let limit = Duration::from_secs(150);
    let result = async {
        while handled.load(Ordering::Relaxed) < n {
            anyhow::ensure!(
                started.elapsed() < limit,
                "drain c{concurrency}: too slow, gave up"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        while done(pool).await? < target {
            anyhow::ensure!(
                started.elapsed() < limit,
                "drain c{concurrency}: acks missing"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(started.elapsed().as_secs_f64())
    }
    .await;
    worker.stop().await;
    let elapsed = result?;
    progress(&format!(
        "queue: drained {n} jobs at concurrency {concurrency} in {elapsed:.1} s"
    ));
    Ok(n as f64 / elapsed)
}

/// Inserts `n` jobs one at a time into an idle worker's queue; returns
/// how many were measured (at most 60 s are spent) and the p50 and p99 of
/// insert → handler start, in ms.
async fn pickup(pool: &PgPool, n: u64) -> anyhow::Result<(u64, f64, f64)> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let probe = Probe {
        handled: Arc::new(AtomicU64::new(0)),
        latencies: Some(tx),
    };
    let concurrency = aegis::worker::WorkerConfig::default().concurrency;
    let worker = noop::start(pool, concurrency, probe);
    let result = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut conn = pool.acquire().await?;
        let mut latencies = Vec::new();
        let started = Instant::now();
        for seq in 0..n {
            if started.elapsed() > Duration::from_secs(60) {
                progress("queue: pickup measurement stopped after 60 s");
                break;
            }
            let job = Noop {
                batch: 3,
                seq,
                sent_us: noop::clock(),
            };
            aegis_jobs::enqueue(&mut conn, &job).await?;
            let us = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .context("a job was not picked up within 5 s")?
                .context("the worker stopped")?;
            latencies.push(us as f64 / 1000.0);
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        Ok::<_, anyhow::Error>(latencies)
    }
    .await;
    worker.stop().await;
    let mut latencies = result?;
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    progress(&format!(
        "queue: pickup p50 {:.1} ms, p99 {:.1} ms",
        at(0.5),
        at(0.99)
    ));
    Ok((latencies.len() as u64, round2(at(0.5)), round2(at(0.99))))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
