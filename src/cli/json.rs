//! The objects `--json` prints that are the CLI's own: a list is always
//! wrapped in an object (`{"jobs": [...]}`), so a script can rely on an
//! object at the top and fields can be added later, and job kinds are
//! their short names (`sync-portfolio`), whatever the queue prefix. Every
//! field is documented in `docs/json.md` (a test checks the two agree).

use aegis_jobs::Queues;
use serde::Serialize;

use crate::{
    queue::{JobSummary, QueueStats},
    runs::Run,
};

/// A queue name as its short kind name (`sync-portfolio`); a name of no
/// aegis queue stays as it is.
pub(super) fn kind_name(queues: &Queues, queue: &str) -> String {
    queues
        .kind_of(queue)
        .map_or_else(|| queue.to_owned(), |k| k.as_str().to_owned())
}

/// `aegis queue list --json`.
#[derive(Debug, Serialize)]
pub(super) struct JobList {
    /// The jobs, newest first.
    pub jobs: Vec<JobSummary>,
}

impl JobList {
    /// The jobs, their kinds named short.
    pub fn new(queues: &Queues, mut jobs: Vec<JobSummary>) -> Self {
        for job in &mut jobs {
            job.kind = kind_name(queues, &job.kind);
        }
        JobList { jobs }
    }
}

/// One kind's line of `aegis queue stats --json`.
#[derive(Debug, Serialize)]
pub(super) struct KindStats {
    /// Counts by state.
    #[serde(flatten)]
    pub stats: QueueStats,
    /// Whether `aegis queue pause` holds this kind.
    pub paused: bool,
}

/// `aegis queue stats --json`.
#[derive(Debug, Serialize)]
pub(super) struct StatsReport {
    /// One entry per kind, portfolio first.
    pub kinds: Vec<KindStats>,
}

/// `aegis runs --json`.
#[derive(Debug, Serialize)]
pub(super) struct RunList {
    /// The runs, newest first.
    pub runs: Vec<Run>,
}
