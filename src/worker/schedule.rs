//! Periodic syncs that fire once per tick however many worker processes
//! run the schedule.
//!
//! Every process ticks on the same wall-clock grid (multiples of the period
//! since the Unix epoch) and enqueues the tick's `SyncPortfolio` with a run
//! id derived from the portfolio, the mode and the tick. The id is the job's
//! idempotency key, so the first process to enqueue wins and the others
//! insert nothing (apalis-cron fires in every process; this does not).

use std::time::Duration;

use aegis_jobs::{Mode, Scope, SyncPortfolio};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::{info, warn};
use uuid::Uuid;

use crate::{store::Namespace, sync};

/// A periodic sync of the whole portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How often.
    pub every: Duration,
    /// How its tasks are synced.
    pub mode: Mode,
}

/// The tick at or before `now` on the grid of `every`.
pub fn tick_at(now: DateTime<Utc>, every: Duration) -> DateTime<Utc> {
    let period = every.as_millis().max(1) as i64;
    let ms = now.timestamp_millis();
    DateTime::from_timestamp_millis(ms - ms.rem_euclid(period)).unwrap_or(now)
}

/// The run id of a tick: the same in every process.
pub fn run_id(portfolio: &str, mode: Mode, tick: DateTime<Utc>) -> Uuid {
    let name = format!(
        "aegis:{portfolio}:{}:{}",
        mode.as_str(),
        tick.timestamp_millis()
    );
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

/// Enqueues the sync of the tick at or before `now`, unless a process did
/// already; returns whether this call enqueued it.
///
/// # Errors
/// The database's.
pub async fn fire(
    pool: &PgPool,
    namespace: &Namespace,
    portfolio: &str,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> sync::Result<bool> {
    let tick = tick_at(now, schedule.every);
    let job = SyncPortfolio {
        run: run_id(portfolio, schedule.mode, tick),
        portfolio: portfolio.to_owned(),
        scope: Scope::default(),
        mode: schedule.mode,
    };
    let mut tx = pool.begin().await?;
    let created = sync::jobs::enqueue_sync_once(&mut tx, namespace, &job).await?;
    tx.commit().await?;
    Ok(created)
}

/// Fires the schedule at every tick until the process stops.
pub async fn run(pool: PgPool, namespace: Namespace, portfolio: String, schedule: Schedule) {
    info!(
        every_s = schedule.every.as_secs_f64(),
        mode = schedule.mode.as_str(),
        "schedule started"
    );
    loop {
        let now = Utc::now();
        match fire(&pool, &namespace, &portfolio, schedule, now).await {
            Ok(true) => info!(tick = %tick_at(now, schedule.every), "scheduled sync enqueued"),
            Ok(false) => {}
            Err(e) => warn!(error.message = %e, "could not enqueue the scheduled sync"),
        }
        let next = tick_at(now, schedule.every) + schedule.every;
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_on_a_shared_grid() {
        let every = Duration::from_secs(300);
        let a = "2026-11-25T10:07:13.5Z".parse().unwrap();
        let b = "2026-11-25T10:09:59.9Z".parse().unwrap();
        assert_eq!(tick_at(a, every), tick_at(b, every));
        assert_eq!(tick_at(a, every).to_rfc3339(), "2026-11-25T10:05:00+00:00");
        let next = "2026-11-25T10:10:00Z".parse().unwrap();
        assert_ne!(tick_at(a, every), tick_at(next, every));
        let tick = tick_at(a, every);
        assert_eq!(run_id("1", Mode::Full, tick), run_id("1", Mode::Full, tick));
        assert_ne!(
            run_id("1", Mode::Full, tick),
            run_id("1", Mode::Incremental, tick)
        );
    }
}
