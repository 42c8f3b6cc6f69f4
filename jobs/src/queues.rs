//! Queue names: the defaults, and [`Queues`], the names of one aegis setup.

use serde::{Deserialize, Serialize};

/// The default queue names: stable strings, never derived from Rust type
/// paths. [`Queues`] chooses others.
pub mod queue {
    /// Where [`SyncPortfolio`](crate::SyncPortfolio) jobs wait by default.
    pub const SYNC_PORTFOLIO: &str = "aegis.sync-portfolio";
    /// Where [`SyncProjectTasks`](crate::SyncProjectTasks) jobs wait by default.
    pub const SYNC_PROJECT_TASKS: &str = "aegis.sync-project-tasks";
    /// Every default aegis queue.
    pub const ALL: [&str; 2] = [SYNC_PORTFOLIO, SYNC_PROJECT_TASKS];
}

/// The two kinds of aegis job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// [`SyncPortfolio`](crate::SyncPortfolio).
    SyncPortfolio,
    /// [`SyncProjectTasks`](crate::SyncProjectTasks).
    SyncProjectTasks,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::SyncPortfolio, Kind::SyncProjectTasks];

    /// The kind's name, the last part of its queue name (`sync-portfolio`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SyncPortfolio => "sync-portfolio",
            Kind::SyncProjectTasks => "sync-project-tasks",
        }
    }
}

/// The queue names of one aegis setup, in apalis's `apalis.jobs` table
/// (`job_type`). Two aegis setups share a database (and its `apalis`
/// schema) when their queue names differ: [`Queues::prefixed`] gives each
/// its own. The default is [`queue::SYNC_PORTFOLIO`] and
/// [`queue::SYNC_PROJECT_TASKS`] (prefix `aegis`).
///
/// The `apalis` schema itself is not configurable: apalis-postgres 1.0
/// names it in its compiled queries, so every worker reads `apalis.jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Queues {
    prefix: String,
}

impl Default for Queues {
    fn default() -> Self {
        Queues::prefixed("aegis")
    }
}

impl Queues {
    /// Queues named `{prefix}.sync-portfolio` and `{prefix}.sync-project-tasks`.
    pub fn prefixed(prefix: impl Into<String>) -> Self {
        Queues {
            prefix: prefix.into(),
        }
    }

    /// The prefix of both queue names.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The queue where jobs of `kind` wait.
    pub fn name(&self, kind: Kind) -> String {
        format!("{}.{}", self.prefix, kind.as_str())
    }

    /// Both queue names, portfolio first.
    pub fn all(&self) -> Vec<String> {
        Kind::ALL.iter().map(|k| self.name(*k)).collect()
    }

    /// The kind a name designates: a full queue name of these queues, or a
    /// kind's name alone (`sync-portfolio`).
    pub fn kind_of(&self, name: &str) -> Option<Kind> {
        let name = name.trim();
        Kind::ALL
            .into_iter()
            .find(|k| name == k.as_str() || name == self.name(*k))
    }
}
