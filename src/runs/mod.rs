//! The only owner of `sync_runs`, `sync_run_projects` and `run_task_fetches`: one lifecycle for
//! inline and queued runs, typed statuses, and figures that are true in SQL.
//!
//! # Lifecycle
//!
//! | step | inline (`aegis sync`) | queued (`SyncPortfolio` + children) |
//! |---|---|---|
//! | [`open`] | `running` | `queued`, in the enqueuer's transaction |
//! | [`start`] | — | `queued` → `running` when a worker takes the portfolio job |
//! | [`record_portfolio`] | the portfolio step's requests and project counts | the same, per attempt |
//! | [`add_pending`] / [`add_child`] | the selected projects, `pending` | one child per project, naming the job that syncs it |
//! | [`child_started`] | `running`, attempts + 1 | the same, for every run waiting for the job |
//! | [`child_finished`] | `done` / `failed` | `done` / `retrying` / `failed`, per attempt |
//! | [`close_finished`] | `done` or `partial` once every child is finished | the same, by the last child (no collector) |
//! | [`close`] | `failed` (portfolio step), or `done` with no children | the same |
//! | [`cancel`] | `cancelled` (and its unfinished children): interrupted, or its process died ([`close_abandoned`]) | `aegis queue cancel`: the cancelled jobs' children `cancelled`, a run left with none open `cancelled` ([`cancel_jobs`]) |
//! | [`reopen`] | — | revived dead jobs: children `pending`, run `running` (`queued` for a portfolio job) |
//!
//! # Figures
//!
//! A run's row holds everything it did: its portfolio step's requests plus,
//! rolled up by a trigger from every change of a child's row, the requests,
//! 429s, waits, pages and task figures of every attempt of every child.
//! Requests add up over attempts. Task figures do too, except "unchanged":
//! a task created or updated by an attempt that later failed was written
//! (pages are committed as they come), so it counts as created (or updated)
//! once, and the retry that finds it unchanged does not count it again.
//! Reading a run ([`get`], [`recent`]) is therefore one row, and plain SQL
//! sees the same figures as `aegis runs`.
//!
//! # Observing
//!
//! [`wait`] returns a run once it has ended; [`FinishedRuns`] yields the
//! ids of runs as they end (a trigger notifies [`FINISHED_CHANNEL`]).

mod cancel;
mod children;
mod fetches;
mod figures;
mod floor;
mod read;
mod record;
mod status;
mod wait;

pub use cancel::{ABANDONED, cancel, cancel_jobs, close_abandoned, open_child_jobs};
pub use children::{
    Children, ClosedRun, add_child, add_pending, child_finished, child_started, close_finished,
    has_child, lock_runs,
};
pub use fetches::{fetched_elsewhere, record_fetched};
pub use figures::{RequestFigures, Tally, TaskFigures, last_requests};
pub use floor::{RunFloor, floors, last_floors};
pub use read::{LastAttempt, Progress, ProjectResult, Run, get, last_attempts, projects, recent};
pub use record::{NewRun, close, open, record_portfolio, reopen, start};
pub use status::{ChildStatus, Origin, Outcome, RunStatus};
pub use wait::{FINISHED_CHANNEL, FinishedRuns, WAIT_RECHECK, WaitError, wait};
