//! What one crawl of a project saw and found so far, shared by the full
//! crawl ([`project`](super::project)) and the incremental fetch
//! ([`incremental`](super::incremental)), and written by
//! [`project::apply`](super::project::apply).

use chrono::{DateTime, Utc};

use super::Attempt;
use crate::{
    asana::{Gid, Task},
    queue::Lease,
    runs::Tally,
    store::locks::LockMark,
};

/// What a crawl saw and did, and the reconciliation it found.
#[derive(Debug, Default)]
pub struct Crawled {
    /// The attempt's task figures (tombstones and removals are added by
    /// `apply`); shared with whoever records the attempt.
    pub(crate) tally: Tally,
    /// The attempt's lease, checked by every page write.
    pub(crate) lease: Option<Lease>,
    /// The project's run lock `(project, session)`, checked by every page
    /// write.
    pub(crate) run_lock: Option<(String, LockMark)>,
    /// Tasks with subtasks still to list.
    pub(crate) parents: Vec<Gid>,
    /// Highest `modified_at` seen.
    pub(crate) watermark: Option<DateTime<Utc>>,
    /// Tasks Asana no longer has: a fetch of the task, or the listing of
    /// its subtasks, answered 404. Tombstoned with their stored subtrees.
    pub(crate) deleted: Vec<String>,
    /// Tasks no longer in this project.
    pub(crate) removed: Vec<String>,
    /// The events token to store for the next incremental sync.
    pub(crate) token: Option<String>,
    /// Whether this was a full crawl.
    pub(crate) full: bool,
    /// Why it crawled instead of reading events (none: it read events).
    pub(crate) crawl_reason: Option<&'static str>,
    /// Listing pages the crawl read (task and subtask pages).
    pub(crate) pages: i32,
    /// Only named tasks were fetched (a webhook delivery's job): the
    /// project's other tasks are not confirmed, so its sync state (and the
    /// time that confirms its tasks) stays as it was.
    pub(crate) named_only: bool,
}

impl Crawled {
    /// A crawl for `attempt`: its figures go to the attempt's tally, its
    /// writes are fenced by the attempt's lease and run lock.
    pub(crate) fn new(attempt: &Attempt) -> Crawled {
        Crawled {
            tally: attempt.tally.clone(),
            lease: attempt.lease.clone(),
            run_lock: attempt.run_lock(),
            ..Crawled::default()
        }
    }
}

/// Whether the task is a member of the project.
pub(crate) fn in_project(task: &Task, project_gid: &str) -> bool {
    task.memberships.iter().any(|m| {
        m.project
            .as_ref()
            .is_some_and(|p| p.gid.as_str() == project_gid)
    })
}
