//! How many database connections aegis's workers need, and the refusal of a
//! pool that is smaller: a starved pool does not fail, it stalls (every job
//! waits on `PoolTimedOut`, runs stay `running`), so [`super::register`]
//! checks before anything starts. Also aegis's restart policy for its own
//! workers, which a host combines with its own
//! ([`WorkerConfig::restart_policy`]).

use apalis::prelude::{WorkerContext, WorkerError};
use sqlx::PgPool;

use super::WorkerConfig;

/// Connections each running job may hold at once: the project's run lock
/// (held for the whole crawl) and the one its writes and the shared budget
/// use.
const PER_JOB: u32 = 2;

/// Connections beside the jobs: the two queues' LISTEN connections, their
/// fetches and acknowledgements (two), the keep-alive and schedules (one)
/// and the poison sweep (one).
const FIXED: u32 = 6;

/// Restarts of one aegis worker after an error (a database outage, a lost
/// connection) before it stays down.
pub const MAX_RESTARTS: usize = 1_000;

/// The connections a pool needs for aegis's workers run with `config`:
/// two per job slot (the project workers' `concurrency` plus the portfolio
/// worker's one) and six beside them.
pub fn connections_needed(config: &WorkerConfig) -> u32 {
    let slots = u32::try_from(config.concurrency.max(1)).unwrap_or(u32::MAX) + 1;
    slots.saturating_mul(PER_JOB).saturating_add(FIXED)
}

/// Why [`super::register`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The pool may open fewer connections than the workers need.
    #[error(
        "the database pool allows {allowed} connections but aegis's workers at concurrency \
         {concurrency} need {needed}: raise the pool's max_connections to {needed} or lower \
         the concurrency"
    )]
    PoolTooSmall {
        /// The pool's `max_connections`.
        allowed: u32,
        /// [`connections_needed`].
        needed: u32,
        /// The project workers' concurrency.
        concurrency: usize,
    },
}

/// Refuses a pool smaller than [`connections_needed`].
pub(super) fn check_pool(pool: &PgPool, config: &WorkerConfig) -> Result<(), RegisterError> {
    let allowed = pool.options().get_max_connections();
    let needed = connections_needed(config);
    if allowed < needed {
        return Err(RegisterError::PoolTooSmall {
            allowed,
            needed,
            concurrency: config.concurrency,
        });
    }
    Ok(())
}

impl WorkerConfig {
    /// aegis's restart policy, for a host to combine with its own in
    /// `Monitor::should_restart` (apalis keeps one policy per Monitor):
    /// `Some(decision)` for the workers [`super::register`] made with this
    /// config (restart up to `MAX_RESTARTS` times: a worker stops on a
    /// lost database and must come back), `None` for any other worker.
    pub fn restart_policy(
        &self,
    ) -> impl Fn(&WorkerContext, &WorkerError) -> Option<bool> + Send + Sync + 'static {
        let prefix = format!("{}-", self.name);
        move |worker, _error| {
            let name = worker.name();
            let ours = name.strip_prefix(&prefix).is_some_and(|rest| {
                rest.starts_with("portfolio-r") || rest.starts_with("projects-r")
            });
            ours.then(|| worker.restarts() < MAX_RESTARTS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_grow_with_concurrency() {
        let config = |concurrency| WorkerConfig {
            concurrency,
            ..WorkerConfig::default()
        };
        assert_eq!(connections_needed(&config(1)), 10);
        assert_eq!(connections_needed(&config(4)), 16);
        assert_eq!(connections_needed(&config(10)), 28);
        assert_eq!(connections_needed(&config(0)), 10);
    }

    #[tokio::test]
    async fn a_small_pool_is_refused_with_the_figure() {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(5)
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let config = WorkerConfig::default();
        let err = check_pool(&pool, &config).unwrap_err();
        assert_eq!(
            err,
            RegisterError::PoolTooSmall {
                allowed: 5,
                needed: 16,
                concurrency: 4
            }
        );
        assert!(err.to_string().contains("max_connections to 16"), "{err}");
    }
}
