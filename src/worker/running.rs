//! The jobs this process is running right now, in memory: what the
//! ownerless-job sweep ([`super::sweep`]) compares with the rows that name
//! this process's workers. A job whose row says `Running` under one of this
//! process's workers but that no handler here runs (its attempt ended while
//! the database was unreachable, so apalis could not record the end) would
//! otherwise stay `Running` for ever: its owner is alive and keeps beating.
//!
//! apalis records a job's start (`Running`) and end (`Done`, …) in batches
//! flushed after the fact, so a row can say `Running` for a while after its
//! handler ended. A job that ended here less than [`ENDED_GRACE`] ago is
//! therefore still accounted for: the sweep leaves it alone.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long an ended job stays accounted for: longer than apalis takes to
/// flush its end under load.
pub const ENDED_GRACE: Duration = Duration::from_secs(30);

/// The ids of the jobs whose handler runs in this process (with when each
/// ended, for those that ended lately). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunningJobs(Arc<Mutex<HashMap<String, Option<Instant>>>>);

/// Removes its job from the set when dropped (the handler ended, however).
#[derive(Debug)]
pub struct Entered {
    jobs: RunningJobs,
    id: String,
}

impl RunningJobs {
    /// Marks `id` running until the returned guard is dropped.
    pub fn enter(&self, id: &str) -> Entered {
        self.lock().insert(id.to_owned(), None);
        Entered {
            jobs: self.clone(),
            id: id.to_owned(),
        }
    }

    /// The ids this process accounts for: running now, or ended less than
    /// `ENDED_GRACE` (30 s) ago.
    pub fn snapshot(&self) -> Vec<String> {
        self.accounted(ENDED_GRACE)
    }

    /// The ids running now or ended less than `grace` ago (older ends are
    /// forgotten).
    pub fn accounted(&self, grace: Duration) -> Vec<String> {
        let mut jobs = self.lock();
        jobs.retain(|_, ended| ended.is_none_or(|at| at.elapsed() < grace));
        jobs.keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Instant>>> {
        // A panic while holding this lock leaves a map of plain values intact.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.jobs
            .lock()
            .insert(self.id.clone(), Some(Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_accounted_for_while_its_guard_lives_and_a_grace_after() {
        let jobs = RunningJobs::default();
        let a = jobs.enter("a");
        let b = jobs.enter("b");
        drop(a);
        let mut both = jobs.snapshot();
        both.sort();
        assert_eq!(both, ["a", "b"], "a ended a moment ago");
        assert_eq!(jobs.accounted(Duration::ZERO), ["b"]);
        drop(b);
        assert!(jobs.accounted(Duration::ZERO).is_empty());
    }
}
