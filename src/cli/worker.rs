//! `aegis worker`: runs aegis's job workers in this process until SIGTERM or
//! ctrl-c (in-flight jobs finish, unstarted ones go back), or with `--drain`
//! until no aegis job can run any more.
//!
//! The Asana client is the worker's ([`AsanaSettings::worker_client_config`]:
//! short in-process retries, long waits persisted on the job) and draws from
//! the token's budget shared through the database, so every worker and
//! inline sync of one token together stay under `ASANA_REQUESTS_PER_MINUTE`.
//!
//! [`worker::run_process`] keeps the process's worker rows seen while it
//! lives (apalis's own heartbeat stalls while every slot is busy).
//!
//! Exit: stopped → 0; drained with no dead job → 0; drained with dead jobs
//! → 1 with a one-line summary; stopped with jobs still running when the
//! shutdown timeout passed → 1, naming the jobs handed back.

use anyhow::Context as _;
use tracing::{info, warn};

use aegis_jobs::Mode;

use super::{args::WorkerArgs, duration, out::outln, sync_context};
use crate::{
    asana::{self, AsanaClient},
    config::{AsanaSettings, ConfigError, DatabaseConfig},
    metrics::Metrics,
    queue::HandedBack,
    store,
    web::probes::{self, ProbeState},
    worker::{self, ProcessEnd, RetryPolicy, WorkerConfig, schedule::Schedule},
};

/// Runs the workers and maps how they ended to the exit code.
pub(super) async fn run(database: &DatabaseConfig, args: &WorkerArgs) -> anyhow::Result<()> {
    let settings = AsanaSettings::from_env()?;
    let config = worker_config(args);
    let connections = worker::connections_needed(&config);
    let mut client = settings.worker_client_config();
    client.probe_interval = args.probe_interval;
    client.circuit_after = args.circuit_after;
    client.token_in_flight = usize::from(args.token_in_flight);
    let metrics = Metrics::new();
    client.metrics = Some(metrics.clone());
    let mut ctx = sync_context(database, &settings, client, connections).await?;
    ctx.events_poll_every = Some(args.events_poll_every);
    check_connections(&ctx.pool, connections, config.concurrency).await?;
    let probes = match args.http {
        Some(addr) => Some(serve_probes(addr, &ctx, metrics, &settings).await?),
        None => None,
    };
    check_token(&ctx.asana).await?;
    log_start(&config, args, &settings);
    let end = worker::run_process(ctx, config, args.drain, args.shutdown_timeout).await;
    if let Some(probes) = probes {
        probes.abort();
    }
    let end = end.context("the worker failed")?;
    match end {
        ProcessEnd::Stopped => {
            outln!("stopped")?;
            Ok(())
        }
        ProcessEnd::Drained(report) if report.dead == 0 => {
            outln!("drained: {} done, 0 dead", report.done)?;
            Ok(())
        }
        ProcessEnd::HandedBack(jobs) => Err(anyhow::anyhow!(
            "the shutdown timeout ({}) passed before {} job(s) finished; handed back to the \
             queue, runnable now by another worker: {}",
            duration::format(args.shutdown_timeout),
            jobs.len(),
            HandedBack::line(&jobs)
        )),
        ProcessEnd::StoppedAtOnce(jobs) => Err(anyhow::anyhow!(
            "a second stop signal stopped the worker at once; {} running job(s) handed back to \
             the queue, runnable now by another worker: {}",
            jobs.len(),
            HandedBack::line(&jobs)
        )),
        ProcessEnd::Drained(report) => Err(anyhow::anyhow!(
            "drained: {} done, {} dead (see `aegis queue list --state dead`)",
            report.done,
            report.dead
        )),
    }
}

/// Binds `addr` (a taken or forbidden address is configuration: exit 2)
/// and serves the probes there until the process ends.
async fn serve_probes(
    addr: std::net::SocketAddr,
    ctx: &crate::sync::SyncContext,
    metrics: Metrics,
    settings: &AsanaSettings,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ConfigError(format!("cannot listen on --http {addr}: {e}")))?;
    let local = listener.local_addr().unwrap_or(addr);
    let state = ProbeState {
        pool: ctx.pool.clone(),
        queues: ctx.namespace.queues.clone(),
        metrics,
        budget_key: Some(crate::budget::token_key(&settings.token)),
    };
    let app = probes::router(state);
    info!("serving /metrics, /healthz and /readyz on http://{local}");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            warn!(error.message = %e, "the probes' HTTP server stopped");
        }
    }))
}

/// Refuses to start when the database allows fewer new connections than
/// this worker may open: a worker short of connections does not fail, it
/// stalls.
async fn check_connections(
    pool: &sqlx::PgPool,
    needed: u32,
    concurrency: usize,
) -> anyhow::Result<()> {
    let room = match store::connection_room(pool).await {
        Ok(room) => room,
        Err(error) => {
            let error = store::describe(&error);
            warn!(error.message = %error, "could not count the database's free connections; starting anyway");
            return Ok(());
        }
    };
    // The pool's other connections (beside the one that asked) are this
    // worker's, though counted in use.
    let own = i32::try_from(pool.size().saturating_sub(1)).unwrap_or(i32::MAX);
    let free = room.free.saturating_add(own);
    if i64::from(free) >= i64::from(needed) {
        return Ok(());
    }
    Err(ConfigError(format!(
        "the database allows {free} more connections ({}) but this worker may open {needed} at          concurrency {concurrency} (2 × (concurrency + 1) + 6): raise the limit or lower          --concurrency",
        room.limit
    ))
    .into())
}

/// Asks Asana for the token's user before any job runs: a token Asana
/// rejects (401) is configuration (exit 2, one line); any other failure
/// is left to the jobs (they wait for an outage).
async fn check_token(asana: &AsanaClient) -> anyhow::Result<()> {
    match asana.check_token().await {
        Err(error @ asana::Error::Unauthorized { .. }) => {
            Err(ConfigError(error.to_string()).into())
        }
        Err(error) => {
            warn!(error.message = %error, "could not check the token with Asana; starting anyway");
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

/// The worker configuration the flags ask for (unset parts: the defaults).
fn worker_config(args: &WorkerArgs) -> WorkerConfig {
    let defaults = WorkerConfig::default();
    WorkerConfig {
        concurrency: usize::from(args.concurrency),
        policy: RetryPolicy {
            max_attempts: args.max_attempts,
            base: args.retry_base,
            ..defaults.policy
        },
        heartbeat: args.heartbeat,
        poll_interval: args.poll_interval,
        schedules: schedules(args),
        outage_limit: args.db_outage_limit,
        ..defaults
    }
}

/// The periodic syncs the flags ask for.
fn schedules(args: &WorkerArgs) -> Vec<Schedule> {
    let incremental = args.sync_every.map(|every| Schedule {
        every,
        mode: Mode::Incremental,
    });
    let full = args.full_sync_every.map(|every| Schedule {
        every,
        mode: Mode::Full,
    });
    incremental.into_iter().chain(full).collect()
}

/// One line with the worker's name and settings (the token never).
fn log_start(config: &WorkerConfig, args: &WorkerArgs, settings: &AsanaSettings) {
    let rescue = config
        .heartbeat
        .saturating_mul(config.missed_heartbeats as u32);
    info!(
        "worker {} starting: concurrency {}, max attempts {}, retry base {}, heartbeat {} \
         (jobs rescued after {} of silence), poll {}, shutdown timeout {}, {}; shared budget \
         {} requests/min at {}",
        config.name,
        config.concurrency,
        config.policy.max_attempts,
        duration::format(config.policy.base),
        duration::format(config.heartbeat),
        duration::format(rescue),
        duration::format(config.poll_interval),
        duration::format(args.shutdown_timeout),
        if args.drain {
            "draining"
        } else {
            "until stopped"
        },
        settings.requests_per_minute,
        settings.base_url,
    );
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser as _;

    use super::*;
    use crate::cli::{Args, Command};

    #[test]
    fn flags_become_the_worker_config() {
        let args = Args::try_parse_from([
            "aegis",
            "worker",
            "--concurrency",
            "2",
            "--max-attempts",
            "3",
            "--retry-base",
            "500ms",
            "--heartbeat",
            "1s",
            "--poll-interval",
            "100ms",
        ])
        .unwrap();
        let Command::Worker(args) = args.command else {
            panic!("not worker")
        };
        let config = worker_config(&args);
        assert_eq!(config.concurrency, 2);
        assert_eq!(config.policy.max_attempts, 3);
        assert_eq!(config.policy.base, Duration::from_millis(500));
        assert_eq!(config.heartbeat, Duration::from_secs(1));
        assert_eq!(config.poll_interval, Duration::from_millis(100));
        assert_eq!(
            config.missed_heartbeats,
            WorkerConfig::default().missed_heartbeats
        );
    }
}
