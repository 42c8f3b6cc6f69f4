//! The command line as clap sees it: raw flags and subcommands, nothing
//! checked beyond their shape. [`crate::config`] turns them, with the
//! environment, into typed configuration.
//!
//! [`Command`] is the one place a new subcommand is added; the flags of the
//! durable-jobs commands (`enqueue`, `worker`, `queue …`) live in `jobs`.
//! [`SyncScope`] is shared by every command that starts a sync, so `enqueue
//! sync` takes exactly `sync`'s flags.

mod hooks;
mod jobs;

use clap::{Args as ClapArgs, Parser, Subcommand};

pub use hooks::{DeleteArgs, EnsureArgs, ServeArgs, WebhooksArgs, WebhooksCommand};

pub use jobs::{
    EnqueueArgs, EnqueueJob, EnqueueSyncArgs, JsonFlag, QueueArgs, QueueCancelArgs, QueueCommand,
    QueueListArgs, QueuePauseArgs, QueuePurgeArgs, QueueRetryArgs, QueueShowArgs, WorkerArgs,
};

use crate::{sync::Mode, telemetry::LogFormat};

/// The environment a sync reads, shown in `--help`.
const SYNC_ENV_HELP: &str = "\
Environment:
  ASANA_ACCESS_TOKEN         personal access token (required; never printed)
  ASANA_PORTFOLIO_GID        the portfolio to sync (required, digits)
  ASANA_BASE_URL             API root (default https://app.asana.com/api/1.0)
  ASANA_REQUESTS_PER_MINUTE  the token's request budget (default 150)
  AEGIS_USER_GID             whose assignments set assigned_to_aegis (default: the token's user)

Exit codes: 0 done, 1 the sync failed or some projects failed, 2 bad usage or configuration.";

/// Keeps a local PostgreSQL copy of an Asana portfolio.
#[derive(Debug, Parser)]
#[command(name = "aegis", version, about, propagate_version = true)]
pub struct Args {
    /// PostgreSQL URL for aegis's tables and the job queue.
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// The schema of aegis's tables (`public` keeps the seed's documented
    /// queries working verbatim). Two aegis setups in one database need two
    /// schemas and two queue prefixes.
    #[arg(long, env = "AEGIS_SCHEMA", global = true, default_value = "public")]
    pub schema: String,

    /// The prefix of aegis's queue names in apalis's job table
    /// (`PREFIX.sync-portfolio`, `PREFIX.sync-project-tasks`).
    #[arg(
        long,
        env = "AEGIS_QUEUE_PREFIX",
        global = true,
        default_value = "aegis"
    )]
    pub queue_prefix: String,

    /// How log lines on stderr are written (`RUST_LOG` chooses which).
    #[arg(long, value_enum, global = true, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// aegis's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update aegis's tables and the job queue's (idempotent).
    Migrate,
    /// Sync the portfolio's projects and their tasks now, in this process.
    #[command(after_help = SYNC_ENV_HELP)]
    Sync(SyncArgs),
    /// Freshness and task counts per project, and the last syncs.
    Status(StatusArgs),
    /// Queue a sync for the workers (no worker or Asana token needed).
    Enqueue(EnqueueArgs),
    /// Run queued syncs until stopped (SIGTERM/ctrl-c) or, with --drain, done.
    Worker(WorkerArgs),
    /// Inspect and administer the job queue.
    Queue(QueueArgs),
    /// Sync history: recent runs, or one run's per-project figures.
    Runs(RunsArgs),
    /// Live worker processes (heartbeat, jobs in hand) and the token's
    /// request budget (next slot, pause, circuit).
    Workers(JsonFlag),
    /// Serve the web dashboard: queue, runs, freshness, and actions.
    #[command(after_help = DASHBOARD_ENV_HELP)]
    Dashboard(DashboardArgs),
    /// Serve the Asana webhook receiver (and /healthz), and keep one
    /// webhook per active project (`webhooks ensure` at start and every
    /// --ensure-every).
    Serve(ServeArgs),
    /// Asana webhooks: ensure, list, delete.
    Webhooks(WebhooksArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    Completions(CompletionsArgs),
    /// Print aegis's man page (roff) on stdout.
    Man,
}

/// The dashboard's credentials, shown in `aegis dashboard --help`.
const DASHBOARD_ENV_HELP: &str = "\
Environment (credentials are read from it only, never from flags):
  AEGIS_DASHBOARD_TOKEN           admin token: `Authorization: Bearer`, or the login form
  AEGIS_DASHBOARD_READONLY_TOKEN  read-only token: every page, no action
  AEGIS_DASHBOARD_USER            basic auth user (with AEGIS_DASHBOARD_PASSWORD)
  AEGIS_DASHBOARD_PASSWORD        basic auth password

Without credentials, access is open, and only a loopback --listen address is allowed.";

/// `aegis dashboard`.
#[derive(Debug, Clone, ClapArgs)]
pub struct DashboardArgs {
    /// The address to serve on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
}

/// `aegis completions`.
#[derive(Debug, Clone, ClapArgs)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What a sync covers and how; shared by every command that starts one.
#[derive(Debug, Clone, ClapArgs)]
pub struct SyncScope {
    /// Only the portfolio's projects: no task requests at all.
    #[arg(long, conflicts_with = "projects")]
    pub projects_only: bool,

    /// Only this project (gid or exact name); repeat for several.
    #[arg(long = "project", value_name = "GID|NAME")]
    pub projects: Vec<String>,

    /// Crawl every task and reconcile (deleted and moved tasks), instead of
    /// only what changed.
    #[arg(long)]
    pub full: bool,
}

impl SyncScope {
    /// The sync mode these flags ask for.
    pub fn mode(&self) -> Mode {
        if self.full {
            Mode::Full
        } else {
            Mode::Incremental
        }
    }
}

/// `aegis sync`.
#[derive(Debug, Clone, ClapArgs)]
pub struct SyncArgs {
    /// What to sync.
    #[command(flatten)]
    pub scope: SyncScope,

    /// Plain log lines instead of progress bars, even on a terminal.
    #[arg(long)]
    pub no_console: bool,

    /// Print the run's summary as one JSON object on stdout (logs stay on
    /// stderr).
    #[arg(long)]
    pub json: bool,
}

/// `aegis status`.
#[derive(Debug, Clone, ClapArgs)]
#[command(
    after_help = "Exit codes: 0 printed (and, with --max-age, every active project is \
    fresh enough); 1 an active project is older than --max-age, or the database failed; 2 bad \
    usage or configuration."
)]
pub struct StatusArgs {
    /// Exit 1 when any active project's tasks were last synced longer ago
    /// than this (e.g. 10m), or never; the error names them.
    #[arg(long, value_parser = crate::cli::duration::parse_positive, value_name = "DURATION")]
    pub max_age: Option<std::time::Duration>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `aegis runs`.
#[derive(Debug, Clone, ClapArgs)]
pub struct RunsArgs {
    /// One run's id: show its per-project figures.
    #[arg(value_name = "ID")]
    pub id: Option<uuid::Uuid>,

    /// With an id: print each project's progress as it changes until the
    /// run ends, then its summary (exit 0 done, 1 otherwise).
    #[arg(long, requires = "id")]
    pub follow: bool,

    /// How many recent runs to list.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub limit: i64,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn sync_flags_parse() {
        let args = Args::try_parse_from([
            "aegis",
            "sync",
            "--project",
            "Aegis",
            "--project",
            "123",
            "--full",
        ])
        .unwrap();
        let Command::Sync(sync) = args.command else {
            panic!("not sync")
        };
        assert_eq!(sync.scope.projects, ["Aegis", "123"]);
        assert_eq!(sync.scope.mode(), Mode::Full);
        assert!(
            Args::try_parse_from(["aegis", "sync", "--projects-only", "--project", "x"]).is_err()
        );
    }

    #[test]
    fn job_commands_parse() {
        let args =
            Args::try_parse_from(["aegis", "enqueue", "sync", "--project", "Aegis", "--json"])
                .unwrap();
        let Command::Enqueue(EnqueueArgs {
            job: EnqueueJob::Sync(sync),
        }) = args.command
        else {
            panic!("not enqueue sync")
        };
        assert_eq!(sync.scope.projects, ["Aegis"]);
        assert!(sync.json);
        let args = Args::try_parse_from(["aegis", "worker", "--heartbeat", "1s", "--drain"]);
        let Command::Worker(worker) = args.unwrap().command else {
            panic!("not worker")
        };
        assert_eq!(worker.heartbeat, std::time::Duration::from_secs(1));
        assert_eq!(worker.concurrency, 4);
        assert!(worker.drain);
        assert!(Args::try_parse_from(["aegis", "worker", "--heartbeat", "0s"]).is_err());
        assert!(Args::try_parse_from(["aegis", "worker", "--retry-base", "5"]).is_err());
    }

    #[test]
    fn queue_retry_takes_an_id_or_all_dead() {
        let retry = |rest: &[&str]| {
            let mut argv = vec!["aegis", "queue", "retry"];
            argv.extend_from_slice(rest);
            Args::try_parse_from(argv)
        };
        assert!(retry(&["01J"]).is_ok());
        assert!(retry(&["--all-dead", "--kind", "sync-portfolio"]).is_ok());
        assert!(retry(&[]).is_err());
        assert!(retry(&["01J", "--all-dead"]).is_err());
        assert!(retry(&["01J", "--kind", "sync-portfolio"]).is_err());
        let list = Args::try_parse_from(["aegis", "queue", "list", "--state", "dead"]);
        assert!(list.is_ok());
        assert!(Args::try_parse_from(["aegis", "queue", "list", "--state", "zombie"]).is_err());
        assert!(Args::try_parse_from(["aegis", "queue", "purge"]).is_err());
    }
}
