//! The flags of the durable-jobs commands: `enqueue`, `worker` and
//! `queue …`. Durations take a unit (`500ms`, `2s`, `5m`; see
//! [`duration`](crate::cli::duration)).

use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};

use super::SyncScope;
use crate::{cli::duration, queue::JobState};

/// The environment `enqueue` reads, shown in `--help`.
const ENQUEUE_ENV_HELP: &str = "\
Environment:
  DATABASE_URL               the database holding the queue (required)
  ASANA_PORTFOLIO_GID        the portfolio to sync (required, digits)
No Asana token is needed: the workers call Asana, not `enqueue`.

Exit codes: 0 queued, 1 the database refused, 2 bad usage or configuration.";

/// The environment a worker reads, shown in `--help`.
const WORKER_ENV_HELP: &str = "\
Environment: DATABASE_URL, ASANA_ACCESS_TOKEN, ASANA_PORTFOLIO_GID (required);
ASANA_BASE_URL, ASANA_REQUESTS_PER_MINUTE (shared by every worker and inline sync of the
token, through the database), AEGIS_USER_GID (optional).

A worker's Asana client retries a request in memory at most 3 times, with at most 2 s
between tries: longer waits (a 429's Retry-After, an outage) end the attempt and are
persisted as the job's next run time, so a waiting job holds no worker slot.

Exit codes: 0 stopped by SIGTERM/ctrl-c, or drained with no dead job; 1 drained with dead
jobs (`aegis queue list --state dead`), or the workers failed; 2 bad usage or configuration.";

/// `aegis enqueue …`.
#[derive(Debug, Clone, ClapArgs)]
pub struct EnqueueArgs {
    /// What to enqueue.
    #[command(subcommand)]
    pub job: EnqueueJob,
}

/// What `aegis enqueue` can queue.
#[derive(Debug, Clone, Subcommand)]
pub enum EnqueueJob {
    /// Queue a sync of the portfolio (run by `aegis worker`); prints the run id.
    #[command(after_help = ENQUEUE_ENV_HELP)]
    Sync(EnqueueSyncArgs),
}

/// `aegis enqueue sync`.
#[derive(Debug, Clone, ClapArgs)]
pub struct EnqueueSyncArgs {
    /// What to sync.
    #[command(flatten)]
    pub scope: SyncScope,

    /// Print `{"run": "<id>"}` instead of the bare id (with --wait: the
    /// run's summary object).
    #[arg(long)]
    pub json: bool,

    /// Wait for the run to end and print its summary: exit 0 when it is
    /// done, 1 when it ends partial, failed or cancelled.
    #[arg(long)]
    pub wait: bool,

    /// With --wait: give up after DURATION (exit 1; the run goes on).
    #[arg(long, requires = "wait", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// `aegis worker`.
#[derive(Debug, Clone, ClapArgs)]
#[command(after_help = WORKER_ENV_HELP)]
pub struct WorkerArgs {
    /// With Asana webhooks (`aegis serve`): how often a scheduled
    /// incremental sync still polls the events of a project whose webhook
    /// is healthy (the safety net); projects without one, or with one
    /// failing, are polled every time.
    #[arg(long, default_value = "15m", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub events_poll_every: Duration,

    /// Project jobs this process runs at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Attempts before a job is dead (fatal errors kill it at once).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,

    /// First retry delay; doubles per attempt (±25 % jitter), at most 10m,
    /// never shorter than Asana's Retry-After.
    #[arg(long, default_value = "2s", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub retry_base: Duration,

    /// Exit once no aegis job can run any more (0 if none is dead, else 1).
    #[arg(long)]
    pub drain: bool,

    /// How often this process tells the queue it is alive; a worker silent
    /// for 4 heartbeats has its jobs rescued by the others.
    #[arg(long, default_value = "5s", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub heartbeat: Duration,

    /// How often an idle worker looks for retries and rescued jobs (new jobs
    /// wake it at once).
    #[arg(long, default_value = "1s", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub poll_interval: Duration,

    /// Also sync the whole portfolio incrementally every DURATION (e.g. 1m).
    /// However many workers are started with it, each tick enqueues one sync.
    #[arg(long, value_parser = duration::parse_positive, value_name = "DURATION")]
    pub sync_every: Option<Duration>,

    /// Also run a full sync (crawl and reconcile deletions) every DURATION
    /// (e.g. 6h); one per tick across all workers.
    #[arg(long, value_parser = duration::parse_positive, value_name = "DURATION")]
    pub full_sync_every: Option<Duration>,

    /// With --drain: how long an unreachable database is waited out (jobs
    /// resume when it is back) before the worker gives up with exit 1.
    #[arg(long, default_value = "10m", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub db_outage_limit: Duration,

    /// How long in-flight jobs may take to finish after SIGTERM/ctrl-c;
    /// jobs still running then are handed back to the queue (exit 1).
    #[arg(long, default_value = "30s", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub shutdown_timeout: Duration,

    /// While Asana rejects the token (401) or keeps failing (the circuit is
    /// open), how often one worker of the token probes it (GET /users/me),
    /// at first: probes back off to an eighth of the hold's age (at most ten
    /// intervals). The first success resumes every worker's work.
    #[arg(long, default_value = "30s", value_parser = duration::parse_positive, value_name = "DURATION")]
    pub probe_interval: Duration,

    /// 5xx or connection failures in a row, over every worker of the token,
    /// that open the circuit: work waits, spending no job attempt.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub circuit_after: u32,

    /// Requests in flight at once over every worker of the token (Asana
    /// allows 50 concurrent reads per token); each worker holds a share,
    /// at most 10. Lower it when other tools use the same token.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=10000))]
    pub token_in_flight: u16,

    /// Serve Prometheus `/metrics`, `/healthz` and `/readyz` on this
    /// address (e.g. 127.0.0.1:9464; off by default). The metrics carry no
    /// secret, but bind to a private address: they name projects.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
}

/// `aegis queue …`.
#[derive(Debug, Clone, ClapArgs)]
pub struct QueueArgs {
    /// What to inspect or change.
    #[command(subcommand)]
    pub command: QueueCommand,
}

/// The `queue` subcommands. Kinds: `sync-portfolio`, `sync-project-tasks`.
#[derive(Debug, Clone, Subcommand)]
pub enum QueueCommand {
    /// Jobs per kind and state, and how long the oldest pending one waits.
    Stats(JsonFlag),
    /// Jobs, newest first.
    List(QueueListArgs),
    /// One job: payload, attempts, state, next run, worker, last error.
    Show(QueueShowArgs),
    /// Bring dead jobs back (attempts reset) and reopen their runs.
    Retry(QueueRetryArgs),
    /// Delete finished jobs older than an age, and stale worker rows.
    Purge(QueuePurgeArgs),
    /// Cancel a job, or every job of a run: a waiting job never runs, a
    /// running one stops at its next page; their runs end `cancelled`.
    Cancel(QueueCancelArgs),
    /// Make a scheduled or retrying job runnable at once.
    RunNow(QueueShowArgs),
    /// Stop every worker process from starting jobs (of one kind).
    Pause(QueuePauseArgs),
    /// Let workers start jobs (of one kind) again.
    Resume(QueuePauseArgs),
}

/// `aegis queue cancel`.
#[derive(Debug, Clone, ClapArgs)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["id", "run"]))]
pub struct QueueCancelArgs {
    /// The job to cancel.
    #[arg(value_name = "ID")]
    pub id: Option<String>,

    /// Cancel the run's portfolio job and the jobs of its unfinished projects.
    #[arg(long, value_name = "RUN")]
    pub run: Option<uuid::Uuid>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `aegis queue pause` and `resume`.
#[derive(Debug, Clone, ClapArgs)]
pub struct QueuePauseArgs {
    /// Only this kind: sync-portfolio or sync-project-tasks (default both).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Just `--json`.
#[derive(Debug, Clone, ClapArgs)]
pub struct JsonFlag {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `aegis queue list`.
#[derive(Debug, Clone, ClapArgs)]
pub struct QueueListArgs {
    /// Only jobs in this state: pending, scheduled, running, retrying, done,
    /// dead, cancelled.
    #[arg(long, value_name = "STATE")]
    pub state: Option<JobState>,

    /// Only jobs of this kind: sync-portfolio or sync-project-tasks.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,

    /// How many jobs to show.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub limit: i64,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `aegis queue show`.
#[derive(Debug, Clone, ClapArgs)]
pub struct QueueShowArgs {
    /// The job's id (from `aegis queue list`).
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `aegis queue retry`.
#[derive(Debug, Clone, ClapArgs)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["id", "all_dead"]))]
pub struct QueueRetryArgs {
    /// The dead job to bring back.
    #[arg(value_name = "ID")]
    pub id: Option<String>,

    /// Bring back every dead job (of `--kind`, if given).
    #[arg(long)]
    pub all_dead: bool,

    /// With --all-dead: only jobs of this kind.
    #[arg(long, value_name = "KIND", conflicts_with = "id")]
    pub kind: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `aegis queue purge`.
#[derive(Debug, Clone, ClapArgs)]
pub struct QueuePurgeArgs {
    /// Delete done jobs that finished longer ago than this (e.g. 7d), and
    /// worker rows not seen for as long (never one seen in the last 10
    /// minutes: its worker may be alive). Dead and pending jobs stay.
    #[arg(long, required = true, value_parser = duration::parse, value_name = "DURATION")]
    pub done_older_than: Duration,

    /// Delete without asking (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}
