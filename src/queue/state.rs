//! [`JobState`]: the state aegis derives from an apalis job row, by name.

use std::{fmt, str::FromStr};

use serde::Serialize;

/// A job's state as aegis reports it (the rules are in [`crate::queue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Runnable now, or claimed by a worker but not started.
    Pending,
    /// Waiting for its `run_at`.
    Scheduled,
    /// A worker runs it.
    Running,
    /// Failed with attempts left; runs again after its backoff.
    Retrying,
    /// Finished successfully.
    Done,
    /// Killed by a fatal error or out of attempts; only `retry` revives it.
    Dead,
    /// Cancelled by an operator (`aegis queue cancel`); never runs again.
    Cancelled,
}

impl JobState {
    /// Every state, in the order tables show them.
    pub const ALL: [JobState; 7] = [
        JobState::Pending,
        JobState::Scheduled,
        JobState::Running,
        JobState::Retrying,
        JobState::Done,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The state's name (`pending`, `scheduled`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Scheduled => "scheduled",
            JobState::Running => "running",
            JobState::Retrying => "retrying",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of [`JobState`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown job state {0:?}: expected one of pending, scheduled, running, retrying, done, dead, cancelled"
)]
pub struct ParseJobStateError(pub String);

impl FromStr for JobState {
    type Err = ParseJobStateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseJobStateError(s.to_owned()))
    }
}

impl TryFrom<String> for JobState {
    type Error = ParseJobStateError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_and_display_round_trip() {
        for state in JobState::ALL {
            assert_eq!(state.to_string().parse::<JobState>(), Ok(state));
        }
        assert_eq!(" Dead ".parse::<JobState>(), Ok(JobState::Dead));
        let err = "failed".parse::<JobState>().unwrap_err();
        assert!(err.to_string().contains("pending, scheduled"), "{err}");
    }
}
