//! The failure policy of a job attempt, decided once, in aegis's own code
//! (apalis 1.0 leaves these gaps open):
//!
//! - the attempt runs in its own task with a timeout, so a panic or a hang
//!   ends as a *retryable failure* and never leaves the row `Running`;
//! - a retryable failure moves the job's `run_at` into the future
//!   (exponential backoff with jitter, at least Asana's `Retry-After`),
//!   persisted in the queue, not slept in memory;
//! - a fatal failure (Asana 400/401/403/404…, undecodable data) kills the job
//!   at once (`AbortError` → `Killed`), and so does the last attempt;
//! - the worker's `--max-attempts` is written on the row, so "dead" is
//!   `Killed`, or `Failed` with `attempts >= max_attempts`;
//! - an attempt that met the token's hold (Asana rejecting the token, 401,
//!   or the circuit open after failures in a row) is neither fatal nor
//!   charged: its job is handed back (pending, lock cleared, `attempts` as
//!   they were) to run when the token's next probe is due; so is one that
//!   found the database unreachable or out of connections (a pool or a
//!   server with too few: the message then says which);
//! - every write of an attempt is fenced by its lease
//!   ([`crate::queue::Lease`]): an attempt that lost its job (frozen past
//!   the rescue window, say) commits nothing, not even its failure.

use std::{future::Future, time::Duration};

use apalis::prelude::{AbortError, BoxDynError};
use tracing::{debug, error, info, warn};

use aegis_jobs::Kind;

use super::{
    JobContext,
    admission::{Admission, admit},
    observe,
};
use crate::{
    metrics::JobOutcome,
    queue, store,
    sync::{self, Attempt},
};

/// How attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a job is dead.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter.
    pub base: Duration,
    /// Longest delay between attempts (a longer `Retry-After` still wins).
    pub max: Duration,
    /// Longest an attempt may run before it counts as a failure.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(2),
            max: Duration::from_secs(10 * 60),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1`: `base × 2^(attempt-1)`, with
    /// ±25 % jitter, capped at `max`, never shorter than `retry_after`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let jitter = rand::random_range(0.75..=1.25);
        let backoff = exp.min(self.max).mul_f64(jitter);
        retry_after.map_or(backoff, |r| backoff.max(r))
    }
}

/// A failed attempt, classified.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// What went wrong, in one line.
    pub message: String,
    /// Retrying cannot help.
    pub fatal: bool,
    /// Asana asked to wait this long.
    pub retry_after: Option<Duration>,
    /// The attempt lost its job to another attempt: it records nothing.
    pub lost: bool,
    /// The token's work is held, or the database gave no connection: the
    /// job waits this long (zero: one probe interval) without spending an
    /// attempt.
    pub hold: Option<Duration>,
    /// No database connection was to be had in time (the pool's or the
    /// server's connections all in use): the message gets the reason.
    pub starved: bool,
}

impl Failure {
    /// Classifies a sync error: Asana's own classification, database
    /// trouble is retryable, a bad request (unknown project) is fatal.
    pub fn from_sync(e: &sync::Error) -> Failure {
        let unreachable = match e {
            sync::Error::Store(crate::store::Error::Database(db)) => store::is_unreachable(db),
            sync::Error::Asana(a) => a.is_budget_unavailable(),
            _ => false,
        };
        let hold = match e {
            sync::Error::Asana(a) => a.hold().map(|_| a.retry_after().unwrap_or_default()),
            _ => None,
        };
        let hold = hold.or(unreachable.then_some(DATABASE_WAIT));
        let (fatal, retry_after) = match e {
            sync::Error::Asana(a) => (!a.is_retryable() && hold.is_none(), a.retry_after()),
            sync::Error::Fatal(_) => (true, None),
            sync::Error::Store(_) => (false, None),
            sync::Error::UnknownProjects { .. } => (true, None),
            sync::Error::Partial { .. } | sync::Error::LostOwnership { .. } => (false, None),
            sync::Error::LostRunLock { .. } => (false, None),
        };
        Failure {
            message: e.to_string(),
            fatal,
            retry_after,
            lost: matches!(e, sync::Error::LostOwnership { .. }),
            hold,
            starved: matches!(
                e,
                sync::Error::Store(crate::store::Error::Database(sqlx::Error::PoolTimedOut))
            ),
        }
    }

    /// How the attempt ends, as [`settle`] decides it, for the metrics.
    fn outcome(&self, attempt: u32, max_attempts: u32, leased: bool) -> JobOutcome {
        if self.lost {
            JobOutcome::Lost
        } else if self.hold.is_some() && leased {
            JobOutcome::HandedBack
        } else if self.fatal || attempt >= max_attempts {
            JobOutcome::Dead
        } else {
            JobOutcome::Retry
        }
    }

    fn retryable(message: String) -> Failure {
        Failure {
            message,
            fatal: false,
            retry_after: None,
            lost: false,
            hold: None,
            starved: false,
        }
    }
}

/// How an attempt ended, for the job's bookkeeping hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It will run again at the persisted time.
    Retry,
    /// It is dead (fatal, or out of attempts).
    Dead,
}

/// Runs one attempt of a job of `kind` under the context's policy, unless
/// its kind is paused or it was cancelled ([`admit`]). `work` gets the
/// [`sync::Attempt`] (its client handle's stats and its tally are the
/// attempt's); `on_failure` gets it back, even after a timeout or a panic,
/// to record the failed attempt in aegis's tables (before apalis updates
/// the queue row).
pub async fn run_attempt<W, Fut, H, HFut>(
    ctx: &JobContext,
    (kind, job_id, attempt): (Kind, &str, u32),
    work: W,
    on_failure: H,
) -> Result<(), BoxDynError>
where
    W: FnOnce(Attempt) -> Fut,
    Fut: Future<Output = sync::Result<()>> + Send + 'static,
    H: FnOnce(Attempt, Verdict, String) -> HFut,
    HFut: Future<Output = sync::Result<()>>,
{
    let _running = ctx.running.enter(job_id);
    let queue = ctx.sync.namespace.queues.name(kind);
    let lease = match admit(ctx, job_id, &queue).await {
        Admission::Run(lease) => lease,
        Admission::Skip => return Ok(()),
    };
    let run = Attempt::leased(&ctx.sync, lease);
    let started = std::time::Instant::now();
    let mut failure = match attempt_outcome(ctx.policy.timeout, work(run.clone())).await {
        Ok(()) => {
            observe::attempt(ctx, &queue, JobOutcome::Done, started);
            return Ok(());
        }
        Err(f) => f,
    };
    let outcome = failure.outcome(attempt, ctx.policy.max_attempts, run.lease.is_some());
    observe::attempt(ctx, &queue, outcome, started);
    if failure.starved {
        let why = store::why_no_connection(&ctx.sync.pool).await;
        failure.message = format!("{}: {why}", failure.message);
    }
    settle(ctx, (job_id, attempt), run, failure, on_failure).await
}

/// Records a failed attempt: the retry time and attempt limit on the job's
/// row, then `on_failure`; both only while the attempt still owns the job
/// (a lost attempt writes nothing and leaves the job to its new owner).
async fn settle<H, HFut>(
    ctx: &JobContext,
    (job_id, attempt): (&str, u32),
    run: Attempt,
    failure: Failure,
    on_failure: H,
) -> Result<(), BoxDynError>
where
    H: FnOnce(Attempt, Verdict, String) -> HFut,
    HFut: Future<Output = sync::Result<()>>,
{
    if let (Some(hold), Some(lease)) = (failure.hold, run.lease.clone())
        && !failure.lost
    {
        return hand_back_held(ctx, (&lease, hold), run, failure, on_failure).await;
    }
    let policy = ctx.policy;
    let dead = failure.fatal || attempt >= policy.max_attempts;
    let verdict = if dead { Verdict::Dead } else { Verdict::Retry };
    let delay = policy.delay(attempt, failure.retry_after);
    let limits = (policy.max_attempts, (!dead).then_some(delay));
    let owned = !failure.lost
        && queue::persist_attempt(&ctx.sync.pool, job_id, run.lease.as_ref(), limits)
            .await
            .unwrap_or_else(|e| {
                error!(job.id = job_id, error.message = %e, "could not persist the retry time");
                true
            });
    if !owned
        && queue::is_cancelled(&ctx.sync.pool, job_id)
            .await
            .unwrap_or(false)
    {
        info!(
            job.id = job_id,
            attempt, "job cancelled while it ran; the attempt stopped, nothing more recorded"
        );
        return Err(failure.into());
    }
    if !owned {
        warn!(job.id = job_id, attempt, error.message = %failure.message, "attempt lost its job to another; nothing recorded");
        return Err(failure.into());
    }
    if let Err(e) = on_failure(run, verdict, failure.message.clone()).await {
        error!(job.id = job_id, error.message = %e, "could not record the failed attempt");
    }
    if dead {
        warn!(job.id = job_id, attempt, fatal = failure.fatal, error.message = %failure.message, "job is dead");
    } else {
        warn!(job.id = job_id, attempt, retry_in_ms = delay.as_millis() as u64, error.message = %failure.message, "attempt failed; retrying later");
    }
    if failure.fatal {
        return Err(AbortError::new(failure).into());
    }
    Err(failure.into())
}

/// How long a job waits, uncharged, after its attempt found the database
/// unreachable or out of connections.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// The shortest wait of a job handed back for the token's hold.
const MIN_HOLD_WAIT: Duration = Duration::from_millis(250);

/// A failed attempt that met the token's hold: records it (its requests
/// count) as retrying, then hands the job back uncharged, to run when the
/// next probe is due.
async fn hand_back_held<H, HFut>(
    ctx: &JobContext,
    (lease, hold): (&queue::Lease, Duration),
    run: Attempt,
    failure: Failure,
    on_failure: H,
) -> Result<(), BoxDynError>
where
    H: FnOnce(Attempt, Verdict, String) -> HFut,
    HFut: Future<Output = sync::Result<()>>,
{
    let job_id = lease.job_id.as_str();
    let wait = if hold.is_zero() {
        ctx.sync.asana.probe_interval()
    } else {
        hold
    };
    let wait = wait.max(MIN_HOLD_WAIT);
    observe::held(ctx, wait);
    if let Err(e) = on_failure(run, Verdict::Retry, failure.message.clone()).await {
        error!(job.id = job_id, error.message = %e, "could not record the held attempt");
    }
    match queue::hand_back(&ctx.sync.pool, lease, wait, &failure.message).await {
        Ok(true) => {
            debug!(job.id = job_id, retry_in_ms = wait.as_millis() as u64, error.message = %failure.message, "the token's work is held; job handed back, no attempt spent")
        }
        Ok(false) => {
            warn!(job.id = job_id, error.message = %failure.message, "attempt lost its job to another; nothing recorded")
        }
        Err(e) => error!(job.id = job_id, error.message = %e, "could not hand the held job back"),
    }
    Err(failure.into())
}

/// Runs the work in its own task under a timeout: a panic or a timeout is a
/// retryable failure like any other.
async fn attempt_outcome<Fut>(timeout: Duration, work: Fut) -> Result<(), Failure>
where
    Fut: Future<Output = sync::Result<()>> + Send + 'static,
{
    let task = tokio::spawn(tokio::time::timeout(timeout, work));
    match task.await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(Failure::from_sync(&e)),
        Ok(Err(_)) => Err(Failure::retryable(format!(
            "timed out after {}s",
            timeout.as_secs()
        ))),
        Err(join) if join.is_panic() => Err(Failure::retryable(format!(
            "panicked: {}",
            panic_message(join)
        ))),
        Err(join) => Err(Failure::retryable(format!("cancelled: {join}"))),
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    let payload = join.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_honour_retry_after() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            max: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let first = policy.delay(1, None);
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
        let third = policy.delay(3, None);
        assert!(third >= Duration::from_secs(3) && third <= Duration::from_secs(5));
        assert!(policy.delay(30, None) <= Duration::from_millis(12_500));
        assert!(policy.delay(1, Some(Duration::from_secs(60))) >= Duration::from_secs(60));
    }

    #[test]
    fn a_database_out_of_reach_or_of_connections_spends_no_attempt() {
        let starved = sync::Error::Store(sqlx::Error::PoolTimedOut.into());
        let failure = Failure::from_sync(&starved);
        assert_eq!(failure.hold, Some(DATABASE_WAIT), "{failure}");
        assert!(failure.starved && !failure.fatal);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let down = Failure::from_sync(&sync::Error::Store(sqlx::Error::Io(refused).into()));
        assert_eq!((down.hold, down.starved), (Some(DATABASE_WAIT), false));
        let query = sync::Error::Store(sqlx::Error::RowNotFound.into());
        assert_eq!(
            Failure::from_sync(&query).hold,
            None,
            "a query's own error is charged"
        );
    }

    #[tokio::test]
    async fn panics_and_timeouts_are_retryable_failures() {
        let panicked = attempt_outcome(Duration::from_secs(5), async { panic!("boom") }).await;
        let failure = panicked.unwrap_err();
        assert!(
            !failure.fatal && failure.message.contains("boom"),
            "{failure}"
        );
        let slow = attempt_outcome(Duration::from_millis(10), async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        })
        .await;
        let failure = slow.unwrap_err();
        assert!(
            !failure.fatal && failure.message.contains("timed out"),
            "{failure}"
        );
    }
}
