//! The typed states of runs and of their children, as stored (text columns
//! with CHECK constraints that list exactly these values).

use std::fmt;

use serde::Serialize;

/// Where a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `aegis sync` (or [`crate::sync::run_inline`]) in one process.
    Inline,
    /// A `SyncPortfolio` job and its children, run by workers.
    Queued,
}

/// A run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Enqueued; no worker has started its portfolio job yet.
    Queued,
    /// Under way: the portfolio step, or children still open.
    Running,
    /// Every step and every child succeeded.
    Done,
    /// Some children failed; the others were synced.
    Partial,
    /// The run failed before or during its portfolio step.
    Failed,
    /// An inline run interrupted (Ctrl-C, SIGTERM), or whose process died
    /// without closing it.
    Cancelled,
}

/// A child's state: one project's tasks in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum ChildStatus {
    /// Not started.
    Pending,
    /// An attempt is under way.
    Running,
    /// An attempt failed; the job runs again later.
    Retrying,
    /// Synced.
    Done,
    /// Failed for good (fatal, or out of attempts).
    Failed,
    /// Its run was cancelled before it finished.
    Cancelled,
}

/// How one attempt at a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Synced.
    Done,
    /// Failed; it will be retried.
    Retrying,
    /// Failed for good (fatal, or out of attempts).
    Dead,
}

impl Outcome {
    /// The child's state after such an attempt.
    pub fn status(self) -> ChildStatus {
        match self {
            Outcome::Done => ChildStatus::Done,
            Outcome::Retrying => ChildStatus::Retrying,
            Outcome::Dead => ChildStatus::Failed,
        }
    }
}

impl RunStatus {
    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the run is over.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunStatus::Done | RunStatus::Partial | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl ChildStatus {
    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ChildStatus::Pending => "pending",
            ChildStatus::Running => "running",
            ChildStatus::Retrying => "retrying",
            ChildStatus::Done => "done",
            ChildStatus::Failed => "failed",
            ChildStatus::Cancelled => "cancelled",
        }
    }
}

impl Origin {
    /// The origin's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Inline => "inline",
            Origin::Queued => "queued",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(Origin, RunStatus, ChildStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_what_serde_writes() {
        for s in [RunStatus::Queued, RunStatus::Partial] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in [ChildStatus::Retrying, ChildStatus::Failed] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Outcome::Dead.status(), ChildStatus::Failed);
    }
}
