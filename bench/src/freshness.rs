//! Scenario 8, `freshness`: staying fresh on 100 projects. The same
//! synced portfolio is kept fresh two ways, each measured over a steady
//! window with nothing changing: a worker polling every project's events
//! every minute (`--sync-every 1m`), and `aegis serve` with one webhook per
//! project plus a worker whose events poll is the 15-minute safety net
//! (`--events-poll-every 15m`). Then, with webhooks and the fake's delivery
//! delay at 0, tasks are renamed one at a time and the time until the new
//! name is in the database is the change-to-row latency.

use std::time::{Duration, Instant};

use fake_asana::{FakeAsana, TaskPatch};
use sqlx::PgPool;

use crate::{
    env::{Bench, progress},
    fake,
    proc::{self, AegisEnv},
    report::{Goal, Scenario},
};

/// Projects generated.
const PROJECTS: usize = 100;

/// Runs the scenario into `s`.
pub async fn run(bench: &Bench, quick: bool, s: &mut Scenario) -> anyhow::Result<()> {
    let window = Duration::from_secs(if quick { 70 } else { 180 });
    let fake = fake::spawn(PROJECTS, 3, None, Duration::ZERO).await?;
    let db = bench.fresh_db("freshness").await?;
    let env = fake::aegis_env(&fake, &db.url, 1_000_000);
    progress("freshness: seeding 100 projects with a full sync");
    env.run(
        bench,
        &["sync", "--full", "--no-console"],
        &bench.log("freshness_seed"),
    )
    .await?;
    let result = measure(bench, &env, &fake, &db.pool, window, quick, s).await;
    bench.drop_db(db).await;
    result
}

async fn measure(
    bench: &Bench,
    env: &AegisEnv,
    fake: &FakeAsana,
    pool: &PgPool,
    window: Duration,
    quick: bool,
    s: &mut Scenario,
) -> anyhow::Result<()> {
    let projects: i64 =
        sqlx::query_scalar("select count(*) from projects where crawl_pages is not null")
            .fetch_one(pool)
            .await?;
    s.put("projects", projects);
    progress(&format!(
        "freshness: polling every minute for {} s",
        window.as_secs()
    ));
    let args = ["worker", "--sync-every", "1m", "--poll-interval", "200ms"];
    let mut worker = env.spawn(bench, &args, &bench.log("freshness_poll"))?;
    let polled = steady_rate(fake, window).await;
    proc::terminate(&mut worker).await?;
    s.put("polling_requests_per_min", round1(polled));

    let port = free_port()?;
    let (listen, public) = (
        format!("127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}"),
    );
    let serve_args = ["serve", "--listen", &listen, "--public-url", &public];
    let mut serve = env.spawn(bench, &serve_args, &bench.log("freshness_serve"))?;
    established(pool, projects).await?;
    progress(&format!(
        "freshness: webhooks + 15-minute safety net for {} s",
        window.as_secs()
    ));
    let args = [
        "worker",
        "--sync-every",
        "1m",
        "--events-poll-every",
        "15m",
        "--poll-interval",
        "200ms",
    ];
    let mut worker = env.spawn(bench, &args, &bench.log("freshness_hooks"))?;
    let hooked = steady_rate(fake, window).await;
    s.put_goal(
        "webhook_requests_per_min",
        round1(hooked),
        Some(Goal::AtMost(10.0)),
    );
    let mut latencies = change_latencies(fake, pool, if quick { 5 } else { 20 }).await?;
    proc::terminate(&mut worker).await?;
    proc::terminate(&mut serve).await?;
    latencies.sort_by(f64::total_cmp);
    s.put("change_to_row_p50_s", round2(percentile(&latencies, 0.50)));
    s.put_goal(
        "change_to_row_p95_s",
        round2(percentile(&latencies, 0.95)),
        Some(Goal::AtMost(2.0)),
    );
    s.detail("latencies_s", serde_json::json!(latencies));
    s.detail("window_s", window.as_secs());
    Ok(())
}

/// Requests per minute the fake received over `window`, from a minute on
/// (the first tick's start-up is not steady state).
async fn steady_rate(fake: &FakeAsana, window: Duration) -> f64 {
    tokio::time::sleep(Duration::from_secs(65)).await;
    fake.reset_stats();
    tokio::time::sleep(window).await;
    fake.stats().total_requests as f64 * 60.0 / window.as_secs_f64()
}

/// Waits (at most 3 minutes) until every synced project has an active webhook.
async fn established(pool: &PgPool, projects: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let active: i64 =
            sqlx::query_scalar("select count(*) from webhooks where state = 'active'")
                .fetch_one(pool)
                .await?;
        if active >= projects {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{active} of {projects} webhooks active after 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Renames `n` tasks one at a time; seconds from each change in the fake
/// to its row in the database.
async fn change_latencies(fake: &FakeAsana, pool: &PgPool, n: usize) -> anyhow::Result<Vec<f64>> {
    let world = fake.snapshot();
    let portfolio = &world.portfolios[&world.main_portfolio];
    let mut out = Vec::new();
    for (i, project) in portfolio.items.iter().take(n).enumerate() {
        let Some(task) = world
            .projects
            .get(project)
            .and_then(|p| p.task_order.first())
        else {
            continue;
        };
        let name = format!("fresh {i} {task}");
        let started = Instant::now();
        let patch = TaskPatch {
            name: Some(name.clone()),
            ..TaskPatch::default()
        };
        fake.modify_task(task, patch)?;
        loop {
            let seen: bool = sqlx::query_scalar(
                "select exists(select 1 from tasks where asana_gid = $1 and name = $2)",
            )
            .bind(task.to_string())
            .bind(&name)
            .fetch_one(pool)
            .await?;
            if seen {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "task {task} not in the database after 60 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        out.push(started.elapsed().as_secs_f64());
    }
    Ok(out)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
