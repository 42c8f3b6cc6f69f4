//! Handing jobs back to the queue without charging them an attempt: a
//! job's row goes back to `Pending` with its lock cleared and its
//! `attempts` as they were, so any worker may take it at its `run_at`.
//!
//! Two callers: a worker process whose shutdown timeout passed with jobs
//! still running ([`hand_back_unfinished`]: every row its workers hold,
//! runnable at once), and an attempt that found the token's Asana work held
//! (401 or an open circuit; [`hand_back`]: its own row, fenced by its
//! [`Lease`], runnable when the hold is next probed).
//!
//! apalis acknowledges an attempt only on rows its worker still locks
//! (`lock_by`), so the late acknowledgement of a handed-back attempt
//! changes nothing; nor can the attempt itself write any more, as its lease
//! no longer holds.

use std::time::Duration;

use sqlx::PgExecutor;

use aegis_jobs::Queues;

use super::Lease;

/// A job handed back to the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedBack {
    /// The job's id.
    pub id: String,
    /// Its queue.
    pub kind: String,
    /// The project its payload names (project syncs), if it can be read.
    pub project: Option<String>,
}

impl HandedBack {
    /// `id (project gid), …` for one line.
    pub fn line(jobs: &[HandedBack]) -> String {
        let one = |job: &HandedBack| match &job.project {
            Some(project) => format!("{} (project {project})", job.id),
            None => format!("{} ({})", job.id, job.kind),
        };
        jobs.iter().map(one).collect::<Vec<_>>().join(", ")
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    payload: Vec<u8>,
}

impl From<Row> for HandedBack {
    fn from(row: Row) -> Self {
        let payload: Option<serde_json::Value> = serde_json::from_slice(&row.payload).ok();
        let project = payload
            .as_ref()
            .and_then(|p| p.get("project"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        HandedBack {
            id: row.id,
            kind: row.kind,
            project,
        }
    }
}

/// Hands back, runnable now, every aegis job that a worker whose name
/// starts with `prefix` holds (`Queued` or `Running`): what a stopping
/// process leaves unfinished. Returns them, oldest id first.
///
/// # Errors
/// The database's.
pub async fn hand_back_unfinished(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    prefix: &str,
) -> Result<Vec<HandedBack>, sqlx::Error> {
    let held = Held {
        prefix,
        statuses: &["Queued", "Running"],
        except: &[],
        locked_for: Duration::ZERO,
    };
    hand_back_held_by(
        db,
        queues,
        held,
        "its worker stopped before the job finished",
    )
    .await
}

/// Hands back the job of `lease`, runnable `run_in` from now, with `reason`
/// as its last result; only while the lease holds. Returns whether it did.
///
/// # Errors
/// The database's.
pub async fn hand_back(
    db: impl PgExecutor<'_>,
    lease: &Lease,
    run_in: Duration,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        r#"
        update apalis.jobs set status = 'Pending', lock_by = null, lock_at = null,
            done_at = null, run_at = now() + make_interval(secs => $4::bigint / 1000.0),
            last_result = jsonb_build_object('Err', $5::text)
        where id = $1 and status in ('Queued', 'Running') and lock_by = $2 and attempts = $3
        "#,
    )
    .bind(&lease.job_id)
    .bind(&lease.lock_by)
    .bind(lease.attempts)
    .bind(i64::try_from(run_in.as_millis()).unwrap_or(i64::MAX))
    .bind(reason)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands back, runnable now, the jobs of `queues` whose rows say `Running`
/// under a worker named `prefix…` (this live process's) for longer than
/// `grace`, but whose ids are not in `live` (the jobs its handlers run): an
/// attempt that ended while the database was unreachable, so its end was
/// never recorded. Returns them, oldest id first.
///
/// # Errors
/// The database's.
pub async fn hand_back_unowned(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    (prefix, live): (&str, &[String]),
    grace: Duration,
) -> Result<Vec<HandedBack>, sqlx::Error> {
    let held = Held {
        prefix,
        statuses: &["Running"],
        except: live,
        locked_for: grace,
    };
    let reason = "its attempt ended while the database was unreachable";
    hand_back_held_by(db, queues, held, reason).await
}

/// Which rows of this process's workers [`hand_back_held_by`] hands back.
struct Held<'a> {
    /// Worker names start with this.
    prefix: &'a str,
    /// Raw apalis statuses to take.
    statuses: &'a [&'a str],
    /// Job ids to leave alone.
    except: &'a [String],
    /// Only rows locked at least this long ago.
    locked_for: Duration,
}

/// Hands back, runnable now and uncharged, the jobs of `queues` that `held`
/// selects, `handed back: {reason}` as their last result; oldest id first.
async fn hand_back_held_by(
    db: impl PgExecutor<'_>,
    queues: &Queues,
    held: Held<'_>,
    reason: &str,
) -> Result<Vec<HandedBack>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        r#"
        update apalis.jobs j set status = 'Pending', run_at = now(), lock_by = null,
            lock_at = null, done_at = null,
            last_result = jsonb_build_object('Err', 'handed back: ' || $6::text)
        where j.job_type = any($1) and j.status = any($3) and starts_with(j.lock_by, $2)
          and j.id <> all($4)
          and coalesce(j.lock_at, '-infinity') <= now() - make_interval(secs => $5)
        returning j.id, j.job_type as kind, j.job as payload
        "#,
    )
    .bind(queues.all())
    .bind(held.prefix)
    .bind(held.statuses)
    .bind(held.except)
    .bind(held.locked_for.as_secs_f64())
    .bind(reason)
    .fetch_all(db)
    .await?;
    let mut jobs: Vec<HandedBack> = rows.into_iter().map(HandedBack::from).collect();
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(jobs)
}
