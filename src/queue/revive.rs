//! Reviving dead jobs: the jobs come back and the runs that wait for them
//! reopen, in one transaction, so no worker can finish a revived job before
//! its run is reopened (which would leave the run open after its last
//! child). The CLI's `aegis queue retry` and a host call the same function.

use aegis_jobs::{Kind, Queues};
use serde::Serialize;
use sqlx::{Acquire, PgConnection};
use uuid::Uuid;

use super::{Error, Result, RetryOutcome, retry, retry_all_dead};
use crate::runs;

/// Which dead jobs to revive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revive<'a> {
    /// This job, which must be dead.
    Job(&'a str),
    /// Every dead job of aegis's queues, or of one kind.
    AllDead {
        /// A kind (queue name, with or without `aegis.`), or all.
        kind: Option<&'a str>,
    },
}

/// What [`revive`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Revived {
    /// The job ids brought back, sorted.
    pub retried: Vec<String>,
    /// Runs reopened for them.
    pub runs_reopened: u64,
}

/// Brings dead jobs back (`Pending`, attempts 0, runnable now) and reopens
/// their runs, atomically (in a transaction of its own, or a savepoint of
/// the caller's).
///
/// # Errors
/// [`Error::NotDead`] or [`Error::NoSuchJob`] for a [`Revive::Job`] that is
/// not a dead aegis job; [`Error::UnknownKind`]; the database's.
pub async fn revive(
    conn: &mut PgConnection,
    queues: &Queues,
    target: Revive<'_>,
) -> Result<Revived> {
    let mut tx = conn.begin().await?;
    let retried = match target {
        Revive::Job(id) => match retry(&mut *tx, queues, id).await? {
            RetryOutcome::Retried => vec![id.trim().to_owned()],
            RetryOutcome::NotDead(state) => {
                return Err(Error::NotDead {
                    id: id.trim().to_owned(),
                    state,
                });
            }
            RetryOutcome::NotFound => return Err(Error::NoSuchJob(id.trim().to_owned())),
        },
        Revive::AllDead { kind } => retry_all_dead(&mut *tx, queues, kind).await?,
    };
    let parents = portfolio_runs(&mut tx, queues, &retried).await?;
    let runs_reopened = runs::reopen(&mut *tx, &retried, &parents).await?;
    tx.commit().await?;
    Ok(Revived {
        retried,
        runs_reopened,
    })
}

/// The runs of the portfolio jobs among `ids`, from their payloads (a
/// payload without a readable run id has no run to reopen or close).
pub(super) async fn portfolio_runs(
    conn: &mut PgConnection,
    queues: &Queues,
    ids: &[String],
) -> Result<Vec<Uuid>> {
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("select job from apalis.jobs where id = any($1) and job_type = $2")
            .bind(ids)
            .bind(queues.name(Kind::SyncPortfolio))
            .fetch_all(conn)
            .await?;
    Ok(payloads.iter().filter_map(|p| run_of(p)).collect())
}

/// The run a job's payload names, if it names one.
pub(super) fn run_of(payload: &[u8]) -> Option<Uuid> {
    #[derive(serde::Deserialize)]
    struct RunOf {
        run: Uuid,
    }
    serde_json::from_slice::<RunOf>(payload).ok().map(|p| p.run)
}
