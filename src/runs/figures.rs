//! A run's figures: requests (from a client handle's stats) and tasks (from
//! the page upserts), and the [`Tally`] that keeps an attempt's task figures
//! readable even when the attempt fails, times out or panics.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::{asana::ClientStats, store::projects::UpsertCounts};

/// Request figures of a run or of one project of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RequestFigures {
    /// Requests sent to Asana.
    pub api_requests: i64,
    /// 429 answers received.
    pub rate_limited: i64,
    /// Milliseconds spent waiting for Retry-After or backoff.
    pub waited_ms: i64,
    /// Milliseconds spent waiting for a slot in the rate budget (pacing).
    pub paced_ms: i64,
    /// Pages read.
    pub pages: i64,
}

impl From<&ClientStats> for RequestFigures {
    fn from(stats: &ClientStats) -> Self {
        RequestFigures {
            api_requests: stats.requests as i64,
            rate_limited: stats.rate_limited as i64,
            waited_ms: stats.waited.as_millis() as i64,
            paced_ms: stats.paced.as_millis() as i64,
            pages: stats.pages as i64,
        }
    }
}

/// Task figures of a run or of one project of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TaskFigures {
    /// Tasks that were new.
    pub tasks_created: i32,
    /// Tasks whose content changed.
    pub tasks_updated: i32,
    /// Tasks confirmed unchanged.
    pub tasks_unchanged: i32,
    /// Tasks moved out of the project.
    pub tasks_removed: i32,
    /// Tasks deleted in Asana (tombstoned).
    pub tasks_deleted: i32,
}

impl TaskFigures {
    /// Adds a page upsert's counts.
    pub fn add_page(&mut self, counts: &UpsertCounts) {
        self.tasks_created += counts.created as i32;
        self.tasks_updated += counts.updated as i32;
        self.tasks_unchanged += counts.unchanged as i32;
    }
}

/// The task figures of one attempt so far, shared between the attempt and
/// whoever records its result: pages are committed as they are written, so
/// an attempt that fails later has still created (or updated) those tasks,
/// and its result must say so.
#[derive(Debug, Clone, Default)]
pub struct Tally(Arc<Mutex<TaskFigures>>);

impl Tally {
    /// A tally at zero.
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Adds to the tally.
    pub fn update(&self, change: impl FnOnce(&mut TaskFigures)) {
        let mut figures = self.0.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut figures);
    }

    /// The figures so far.
    pub fn get(&self) -> TaskFigures {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The requests of the last run of `mode` that ended `done`: what the next
/// one of that mode may be expected to cost.
///
/// # Errors
/// The database's.
pub async fn last_requests(
    db: impl sqlx::PgExecutor<'_>,
    mode: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select api_requests from sync_runs where status = 'done' and mode = $1 \
         order by finished_at desc nulls last limit 1",
    )
    .bind(mode)
    .fetch_optional(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_is_shared_by_its_clones() {
        let tally = Tally::new();
        let attempt = tally.clone();
        attempt.update(|f| {
            f.add_page(&UpsertCounts {
                created: 3,
                updated: 1,
                unchanged: 2,
            })
        });
        attempt.update(|f| f.tasks_deleted += 1);
        let seen = tally.get();
        assert_eq!(
            (seen.tasks_created, seen.tasks_updated, seen.tasks_unchanged),
            (3, 1, 2)
        );
        assert_eq!(seen.tasks_deleted, 1);
    }
}
