//! The jobs this process is running right now, in memory: what the
//! ownerless-job sweep ([`super::sweep`]) compares with the rows that name
//! this process's workers. A job whose row says `Running` under one of this
//! process's workers but that no handler here runs (its attempt ended while
//! the database was unreachable, so apalis could not record the end) would
//! otherwise stay `Running` for ever: its owner is alive and keeps beating.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

/// The ids of the jobs whose handler runs in this process. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunningJobs(Arc<Mutex<HashSet<String>>>);

/// Removes its job from the set when dropped (the handler ended, however).
#[derive(Debug)]
pub struct Entered {
    jobs: RunningJobs,
    id: String,
}

impl RunningJobs {
    /// Marks `id` running until the returned guard is dropped.
    pub fn enter(&self, id: &str) -> Entered {
        self.lock().insert(id.to_owned());
        Entered {
            jobs: self.clone(),
            id: id.to_owned(),
        }
    }

    /// The ids running now.
    pub fn snapshot(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding this lock leaves a set of strings intact.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.jobs.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_running_while_its_guard_lives() {
        let jobs = RunningJobs::default();
        let a = jobs.enter("a");
        let b = jobs.enter("b");
        drop(a);
        assert_eq!(jobs.snapshot(), ["b"]);
        drop(b);
        assert!(jobs.snapshot().is_empty());
    }
}
