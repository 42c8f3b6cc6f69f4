//! Scenarios 1 and 5: `full_sync_small` and `full_sync` (a generated
//! portfolio synced from scratch by `aegis enqueue sync --full` and worker
//! processes draining the queue, against the fake without rate limit or
//! latency), then `resync_unchanged` (a second, default incremental sync of
//! the same unchanged portfolio).

use std::time::Duration;

use fake_asana::{FakeAsana, gate::Stats};
use serde_json::json;

use crate::{
    drain::{self, Drained, Workers},
    env::{Bench, Db, progress},
    fake::{self, MinRequests},
    report::{Goal, Scenario},
};

/// Sizes of the scenarios.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Projects generated (the last one archived, plus one nested project).
    pub projects: usize,
    /// Top-level tasks per project for `full_sync`.
    pub tasks_per_project: usize,
    /// Tasks (subtasks included) `full_sync_small` has at the least.
    pub small_tasks: u64,
    /// The workers that drain.
    pub workers: Workers,
}

/// Budget given to the workers: far above anything the fake limits.
const UNLIMITED_RPM: u32 = 1_000_000;

/// A synced world kept for the resync.
struct Synced {
    fake: FakeAsana,
    db: Db,
    min: MinRequests,
}

/// Runs `full_sync_small`, `full_sync` and `resync_unchanged`; `upsert_rate`
/// is the ingest scenario's page upsert rows/s, when it ran.
pub async fn run(bench: &Bench, sizes: Sizes, upsert_rate: Option<f64>) -> Vec<Scenario> {
    let mut small = Scenario::new("full_sync_small");
    match full(
        bench,
        &mut small,
        sizes.projects,
        fake::size_for(sizes.projects, (10, 1), |m| m.tasks >= sizes.small_tasks).0,
        sizes,
        upsert_rate,
    )
    .await
    {
        Ok(synced) => release(bench, synced).await,
        Err(e) => small.fail(&e),
    }
    let mut large = Scenario::new("full_sync");
    let mut resync = Scenario::new("resync_unchanged");
    match full(
        bench,
        &mut large,
        sizes.projects,
        sizes.tasks_per_project,
        sizes,
        upsert_rate,
    )
    .await
    {
        Ok(synced) => {
            if let Err(e) = resync_unchanged(bench, &synced, &mut resync).await {
                resync.fail(&e);
            }
            release(bench, synced).await;
        }
        Err(e) => {
            large.fail(&e);
            resync.fail(&anyhow::anyhow!("full_sync did not complete"));
        }
    }
    if let (Some(l), Some(s)) = (large.get("peak_rss_mb"), small.get("peak_rss_mb")) {
        large.put_goal("rss_growth", round2(l / s), Some(Goal::AtMost(1.3)));
    }
    vec![small, large, resync]
}

async fn release(bench: &Bench, synced: Synced) {
    synced.fake.shutdown().await;
    bench.drop_db(synced.db).await;
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

async fn full(
    bench: &Bench,
    s: &mut Scenario,
    projects: usize,
    tasks_per_project: usize,
    sizes: Sizes,
    upsert_rate: Option<f64>,
) -> anyhow::Result<Synced> {
    progress(&format!(
        "{}: generating {projects} × {tasks_per_project} tasks",
        s.name
    ));
    let fake = fake::spawn(projects, tasks_per_project, None, Duration::ZERO).await?;
    let min = MinRequests::of(&fake.snapshot());
    let db = bench.fresh_db(&s.name).await?;
    let env = fake::aegis_env(&fake, &db.url, UNLIMITED_RPM);
    fake.reset_stats();
    let drained = drain::sync(bench, &env, &s.name, true, sizes.workers).await?;
    let stats = fake.stats();
    let tasks: i64 = sqlx::query_scalar("select count(*) from tasks where deleted_at is null")
        .fetch_one(&db.pool)
        .await?;
    record(s, &stats, &min, &drained, tasks, upsert_rate);
    s.detail("min_requests_breakdown", min.to_json());
    s.detail("requests_by_route", json!(stats.by_route));
    s.detail("workers", json!({"processes": sizes.workers.processes, "concurrency": sizes.workers.concurrency, "peak_rss_mb": drained.rss_mb}));
    s.detail("run_status", run_status(&db).await?);
    s.detail(
        "world",
        json!({"projects": projects, "tasks_per_project": tasks_per_project}),
    );
    for failure in &drained.failed {
        s.note(failure.clone());
    }
    Ok(Synced { fake, db, min })
}

/// The figures of a full sync.
fn record(
    s: &mut Scenario,
    stats: &Stats,
    min: &MinRequests,
    drained: &Drained,
    tasks: i64,
    upsert_rate: Option<f64>,
) {
    let wall = drained.wall.as_secs_f64();
    let rate = tasks as f64 / wall;
    s.put("tasks", tasks)
        .put("requests", stats.total_requests)
        .put("min_requests", min.total())
        .put_goal(
            "requests_ratio",
            round2(stats.total_requests as f64 / min.total() as f64),
            Some(Goal::AtMost(1.05)),
        )
        .put("wall_s", round2(wall))
        .put("tasks_per_s", rate.round())
        .put_goal(
            "peak_rss_mb",
            round2(drained.peak_rss_mb),
            Some(Goal::AtMost(100.0)),
        );
    if let Some(upsert) = upsert_rate {
        s.put("tasks_per_s_vs_upsert", round2(rate / upsert));
    }
}

/// The last run's status and request count as aegis recorded them (the
/// run's row holds everything it did, its projects included).
async fn run_status(db: &Db) -> anyhow::Result<serde_json::Value> {
    let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
        "select status, api_requests, error from sync_runs order by started_at desc limit 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map_or(json!(null), |(status, requests, error)| {
        json!({"status": status, "api_requests": requests, "error": error})
    }))
}

async fn resync_unchanged(bench: &Bench, synced: &Synced, s: &mut Scenario) -> anyhow::Result<()> {
    let env = fake::aegis_env(&synced.fake, &synced.db.url, UNLIMITED_RPM);
    synced.fake.reset_stats();
    let workers = Workers {
        processes: 1,
        concurrency: 4,
        timeout: Duration::from_secs(240),
        extra: &[],
    };
    let drained = drain::sync(bench, &env, &s.name, false, workers).await?;
    let stats = synced.fake.stats();
    let projects = synced.min.projects;
    // The floor, counted honestly: `GET /events` takes a task, a project
    // or a goal, not a portfolio (the spec's `resource` parameter), so
    // nothing cheaper than listing a portfolio tells whether its items
    // changed; every portfolio reached (a nested one too) is listed. And
    // each worker process checks its token once as it starts (`GET
    // /users/me`): a cost of starting a worker, not of the run.
    let starts = workers.processes as u64;
    let floor = projects + synced.min.portfolio_pages + starts;
    s.put("projects", projects)
        .put("portfolio_pages", synced.min.portfolio_pages)
        .put("worker_starts", starts)
        .put_goal(
            "requests",
            stats.total_requests,
            Some(Goal::AtMost(floor as f64)),
        )
        .put("wall_s", round2(drained.wall.as_secs_f64()));
    s.detail("requests_by_route", json!(stats.by_route));
    s.detail("run_status", run_status(&synced.db).await?);
    s.note(format!(
        "the floor is one /events per project plus every portfolio item page ({} here: the \
         generated portfolio nests one): Asana has no events for a portfolio's items, so a \
         nested portfolio is listed too; plus one token check (/users/me) per worker process \
         started ({starts} here), which the run itself does not spend",
        synced.min.portfolio_pages
    ));
    for failure in &drained.failed {
        s.note(failure.clone());
    }
    Ok(())
}
