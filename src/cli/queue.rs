//! `aegis queue stats | list | show`: read-only views of aegis's job
//! queues (tables, or JSON with `--json`); `retry` and `purge` are in
//! [`queue_admin`](super::queue_admin). Every queue command needs only
//! `DATABASE_URL`.

use aegis_jobs::Queues;
use anyhow::Context as _;
use sqlx::PgPool;

use super::{
    args::{QueueArgs, QueueCommand, QueueListArgs, QueueShowArgs},
    connect, duration,
    json::{JobList, KindStats, StatsReport, kind_name},
    one_line,
    out::outln,
    output, queue_admin, queue_control, queue_error,
};
use crate::{
    config::{ConfigError, DatabaseConfig},
    queue::{self, JobDetail, JobState, JobSummary},
    store,
};

/// Runs a `queue` subcommand.
pub(super) async fn run(database: &DatabaseConfig, args: &QueueArgs) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let queues = &database.namespace().queues;
    match &args.command {
        QueueCommand::Stats(flag) => stats(&pool, queues, flag.json).await,
        QueueCommand::List(list_args) => list(&pool, queues, list_args).await,
        QueueCommand::Show(show_args) => show(&pool, queues, show_args).await,
        QueueCommand::Retry(retry_args) => queue_admin::retry(&pool, queues, retry_args).await,
        QueueCommand::Purge(purge_args) => queue_admin::purge(&pool, queues, purge_args).await,
        QueueCommand::Cancel(cancel) => queue_control::cancel(&pool, queues, cancel).await,
        QueueCommand::RunNow(job) => queue_control::run_now(&pool, queues, job).await,
        QueueCommand::Pause(pause) => queue_control::pause(&pool, queues, pause).await,
        QueueCommand::Resume(resume) => queue_control::resume(&pool, queues, resume).await,
    }
}

async fn stats(pool: &PgPool, queues: &Queues, json: bool) -> anyhow::Result<()> {
    let stats = queue::stats(pool, queues).await.map_err(queue_error)?;
    let paused = queue::paused(pool, queues).await.map_err(queue_error)?;
    let kinds = stats
        .into_iter()
        .map(|mut stats| {
            let paused = paused.iter().any(|p| p.kind == stats.kind);
            stats.kind = kind_name(queues, &stats.kind);
            KindStats { stats, paused }
        })
        .collect();
    let report = StatsReport { kinds };
    if json {
        return output::print_json(&report);
    }
    outln!("{}", stats_table(&report.kinds))?;
    for k in report.kinds.iter().filter(|k| k.paused) {
        outln!(
            "{} is paused: workers start none of its jobs (`aegis queue resume --kind {}`)",
            k.stats.kind,
            k.stats.kind
        )?;
    }
    Ok(())
}

fn stats_table(kinds: &[KindStats]) -> comfy_table::Table {
    let mut header = vec!["kind"];
    header.extend(JobState::ALL.map(JobState::as_str));
    header.push("oldest pending");
    header.push("paused");
    let mut table = output::table(&header, 1);
    for KindStats { stats: s, paused } in kinds {
        let age = s.oldest_pending_age_secs.map_or_else(
            || "-".to_owned(),
            |secs| duration::format(std::time::Duration::from_secs(secs.max(0) as u64)),
        );
        table.add_row(vec![
            s.kind.clone(),
            s.pending.to_string(),
            s.scheduled.to_string(),
            s.running.to_string(),
            s.retrying.to_string(),
            s.done.to_string(),
            s.dead.to_string(),
            s.cancelled.to_string(),
            age,
            if *paused { "yes" } else { "no" }.to_owned(),
        ]);
    }
    table
}

async fn list(pool: &PgPool, queues: &Queues, args: &QueueListArgs) -> anyhow::Result<()> {
    let jobs = queue::list(pool, queues, args.state, args.kind.as_deref(), args.limit)
        .await
        .map_err(queue_error)?;
    let jobs = JobList::new(queues, jobs).jobs;
    if args.json {
        return output::print_json(&JobList { jobs });
    }
    if jobs.is_empty() {
        outln!("no jobs{}", filter_note(args))?;
        return Ok(());
    }
    outln!("{}", list_table(&jobs))?;
    Ok(())
}

fn filter_note(args: &QueueListArgs) -> String {
    match (args.state, args.kind.as_deref()) {
        (None, None) => String::new(),
        (state, kind) => {
            let state = state.map(|s| format!(" {s}")).unwrap_or_default();
            let kind = kind.map(|k| format!(" of kind {k}")).unwrap_or_default();
            format!(" ({}{})", state.trim_start(), kind)
        }
    }
}

fn list_table(jobs: &[JobSummary]) -> comfy_table::Table {
    let header = [
        "id",
        "kind",
        "state",
        "attempts",
        "run at",
        "target",
        "run",
        "worker",
        "last error",
    ];
    let mut table = output::table(&header, 9);
    for j in jobs {
        let target = j
            .payload
            .project
            .as_deref()
            .map(|p| format!("project {p}"))
            .or_else(|| {
                j.payload
                    .portfolio
                    .as_deref()
                    .map(|p| format!("portfolio {p}"))
            })
            .unwrap_or_default();
        table.add_row(vec![
            j.id.clone(),
            j.kind.clone(),
            j.state.to_string(),
            format!("{}/{}", j.attempts, j.max_attempts),
            output::when(Some(j.run_at)),
            target,
            j.payload.run.map(|r| r.to_string()).unwrap_or_default(),
            j.lock_by.clone().unwrap_or_default(),
            j.last_error.as_deref().map(clip).unwrap_or_default(),
        ]);
    }
    table
}

/// One line of at most 80 characters.
fn clip(text: &str) -> String {
    let line = one_line(text);
    match line.char_indices().nth(79) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

async fn show(pool: &PgPool, queues: &Queues, args: &QueueShowArgs) -> anyhow::Result<()> {
    let Some(mut job) = queue::show(pool, queues, &args.id)
        .await
        .map_err(queue_error)?
    else {
        // Bad usage, as `aegis runs ID` of an unknown run: the id names nothing.
        return Err(ConfigError(format!(
            "no aegis job {} (`aegis queue list` shows the ids)",
            args.id.trim()
        ))
        .into());
    };
    job.kind = kind_name(queues, &job.kind);
    if args.json {
        return output::print_json(&job);
    }
    let project = match &job.summary.project {
        Some(gid) => project_name(pool, gid).await?,
        None => None,
    };
    print_detail(&job, project.as_deref())?;
    Ok(())
}

async fn project_name(pool: &PgPool, gid: &str) -> anyhow::Result<Option<String>> {
    let project = store::projects::by_gid(pool, gid)
        .await
        .context("reading the job's project failed")?;
    Ok(project.map(|p| p.name))
}

fn print_detail(job: &JobDetail, project: Option<&str>) -> std::io::Result<()> {
    let next = match job.state {
        JobState::Pending | JobState::Scheduled | JobState::Retrying => "next run",
        _ => "run at",
    };
    let mut lines = vec![
        ("kind", job.kind.clone()),
        (
            "state",
            format!("{} (apalis status {})", job.state, job.status),
        ),
        ("attempts", format!("{}/{}", job.attempts, job.max_attempts)),
        (next, output::when(Some(job.run_at))),
    ];
    if let Some(worker) = &job.lock_by {
        lines.push((
            "worker",
            format!("{worker} (since {})", output::when(job.lock_at)),
        ));
    }
    if job.done_at.is_some() {
        lines.push(("finished", output::when(job.done_at)));
    }
    if let Some(run) = job.summary.run {
        lines.push(("run", format!("{run} (`aegis runs {run}`)")));
    }
    if let Some(gid) = &job.summary.project {
        lines.push(("project", format!("{} ({gid})", project.unwrap_or("?"))));
    }
    if let Some(gid) = &job.summary.portfolio {
        lines.push(("portfolio", gid.clone()));
    }
    lines.push(("payload", job.payload.to_string()));
    if let Some(error) = &job.last_error {
        lines.push(("last error", one_line(error)));
    }
    outln!("job {}", job.id)?;
    for (label, value) in lines {
        outln!("  {:<11} {value}", format!("{label}:"))?;
    }
    Ok(())
}
