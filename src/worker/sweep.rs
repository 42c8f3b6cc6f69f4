//! The sweep of jobs that would otherwise wait for ever, every heartbeat:
//!
//! - **Poison**: a job whose payload does not decode must not freeze the
//!   batch it was fetched with (see [`crate::queue::stranded`]). This
//!   process's jobs left `Queued` by an incarnation of its workers that died
//!   on a failed fetch are decoded as apalis decodes them: an undecodable
//!   one is dead at once with the decode error as its reason, the others go
//!   back to the queue at once, with no attempt charged.
//! - **Ownerless**: a job whose row says `Running` under this process's
//!   workers but that no handler here runs ([`super::RunningJobs`]): its
//!   attempt ended while the database was unreachable, so its end was never
//!   recorded, and as this process is alive nobody would rescue it. It goes
//!   back to the queue ([`crate::queue::hand_back_unowned`]). A job that
//!   ended here lately is not ownerless: apalis flushes ends late
//!   (`ENDED_GRACE`, 30 s).

use std::time::Duration;

use aegis_jobs::{Kind, Queues, SyncPortfolio, SyncProjectTasks};
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tracing::{error, info, warn};

use super::RunningJobs;
use crate::queue;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Undecodable jobs made dead.
    pub buried: u64,
    /// Jobs handed back to the queue.
    pub released: u64,
}

/// How long a job may be `Running` under this process before its handler
/// shows in [`RunningJobs`] (it enters within milliseconds of starting).
const GRACE: Duration = Duration::from_secs(5);

/// Why `payload` would not decode as a job of `queue`; `None` when it does.
pub fn decode_error(queues: &Queues, queue: &str, payload: &[u8]) -> Option<String> {
    fn check<T: DeserializeOwned>(payload: &[u8]) -> Option<String> {
        serde_json::from_slice::<T>(payload)
            .err()
            .map(|e| e.to_string())
    }
    let problem = match queues.kind_of(queue)? {
        Kind::SyncPortfolio => check::<SyncPortfolio>(payload),
        Kind::SyncProjectTasks => check::<SyncProjectTasks>(payload),
    }?;
    Some(format!(
        "undecodable payload, not a {queue} job ({problem}): fix or upgrade its enqueuer, \
         then enqueue it again"
    ))
}

/// One sweep of the jobs stranded by the workers named `prefix…`.
///
/// # Errors
/// The database's.
pub async fn sweep(pool: &PgPool, queues: &Queues, prefix: &str) -> Result<Swept, sqlx::Error> {
    let mut swept = Swept::default();
    let mut healthy = Vec::new();
    for (id, queue, payload) in queue::stranded(pool, queues, prefix).await? {
        match decode_error(queues, &queue, &payload) {
            Some(reason) => {
                if queue::bury(pool, &id, &reason).await? {
                    error!(job.id = %id, job.kind = %queue, %reason, "job is dead: its payload does not decode");
                    swept.buried += 1;
                }
            }
            None => healthy.push(id),
        }
    }
    swept.released = queue::release(pool, &healthy).await?;
    if swept.released > 0 {
        info!(
            jobs = swept.released,
            "jobs stranded by a failed fetch are back in the queue"
        );
    }
    Ok(swept)
}

/// Hands back the jobs `Running` under the workers named `prefix…` that no
/// handler of `running` runs; returns how many.
///
/// # Errors
/// The database's.
pub async fn ownerless(
    pool: &PgPool,
    queues: &Queues,
    (prefix, running): (&str, &RunningJobs),
) -> Result<usize, sqlx::Error> {
    let live = running.snapshot();
    let mut tx = pool.begin().await?;
    let handed = queue::hand_back_unowned(&mut *tx, queues, (prefix, &live), GRACE).await?;
    // A handler that entered between the snapshot and the statement (its
    // start flushed meanwhile) is not ownerless: try again next beat.
    let live = running.snapshot();
    if handed.iter().any(|job| live.contains(&job.id)) {
        tx.rollback().await?;
        return Ok(0);
    }
    tx.commit().await?;
    if !handed.is_empty() {
        warn!(
            jobs = %queue::HandedBack::line(&handed),
            "jobs whose attempt ended while the database was unreachable are back in the queue"
        );
    }
    Ok(handed.len())
}

/// Sweeps every `every` until aborted.
pub(super) async fn run(
    pool: PgPool,
    queues: Queues,
    (prefix, running): (String, RunningJobs),
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let swept = async {
            sweep(&pool, &queues, &prefix).await?;
            ownerless(&pool, &queues, (&prefix, &running)).await
        };
        if let Err(e) = swept.await {
            warn!(error = %crate::store::describe(&e), "the poison sweep failed; retrying at the next beat");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_judged_as_apalis_decodes_them() {
        let queues = Queues::default();
        let projects = aegis_jobs::queue::SYNC_PROJECT_TASKS;
        let good = br#"{"run":"00000000-0000-0000-0000-000000000000","project":"42"}"#;
        assert_eq!(decode_error(&queues, projects, good), None);
        let garbage = decode_error(&queues, projects, b"{not json").unwrap();
        assert!(
            garbage.contains("not a aegis.sync-project-tasks job"),
            "{garbage}"
        );
        let shape = decode_error(&queues, projects, br#"{"run":5}"#).unwrap();
        assert!(shape.contains("invalid type"), "{shape}");
        assert_eq!(decode_error(&queues, "host.other", b"x"), None);
    }
}
