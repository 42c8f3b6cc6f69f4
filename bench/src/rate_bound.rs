//! Scenario 3, `rate_bound`: the fake enforcing a per-token budget with
//! latency on every request, a portfolio big enough that the budget bounds
//! the sync to at least 30 s, and three worker processes started with the
//! same `ASANA_REQUESTS_PER_MINUTE`, sharing it through Postgres
//! (`aegis worker` wires `budget::share`). The figure: how close the wall
//! time gets to requests ÷ budget, with no 429 from the fake. The portfolio
//! needs at least three minutes of the budget, so the busiest minute is a
//! full window; both figures fail either way: too slow, or faster than the
//! budget allows (wall below 0.95 of the bound, a minute above the budget).

use std::time::Duration;

use fake_asana::{
    faults::{FaultKind, FaultRule},
    gate::Stats,
};
use serde_json::json;

use crate::{
    drain::{self, Drained, Workers},
    env::{Bench, progress},
    fake,
    report::{Goal, Scenario},
};

/// Sizes of the scenario.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// The fake's and the workers' budget.
    pub budget_per_min: u32,
    /// Latency the fake adds to every request.
    pub latency: Duration,
    /// Projects generated.
    pub projects: usize,
    /// The least number of requests the portfolio must need.
    pub min_requests: u64,
    /// Worker processes.
    pub workers: Workers,
    /// How long the fake holds each request in its in-flight slot (Asana's
    /// cap of 50 concurrent reads counts it); zero for none.
    pub held: Duration,
}

/// Runs the scenario into `s`.
pub async fn run(bench: &Bench, sizes: Sizes, s: &mut Scenario) -> anyhow::Result<()> {
    let (tasks_per_project, min) = fake::size_for(sizes.projects, (50, 50), |m| {
        m.total() >= sizes.min_requests
    });
    let budget = sizes.budget_per_min;
    progress(&format!(
        "{}: {} × {tasks_per_project} tasks (≥ {} requests) at {budget}/min, {} ms latency, {} ms held",
        s.name,
        sizes.projects,
        min.total(),
        sizes.latency.as_millis(),
        sizes.held.as_millis()
    ));
    let fake = fake::spawn(
        sizes.projects,
        tasks_per_project,
        Some(budget),
        sizes.latency,
    )
    .await?;
    if !sizes.held.is_zero() {
        fake.add_fault(FaultRule {
            route: "/**".into(),
            query_contains: None,
            fault: FaultKind::Latency {
                ms: u64::try_from(sizes.held.as_millis()).unwrap_or(u64::MAX),
            },
            times: None,
            probability: None,
        });
    }
    let db = bench.fresh_db(&s.name.clone()).await?;
    let env = fake::aegis_env(&fake, &db.url, budget);
    let result = drain::sync(bench, &env, &s.name.clone(), true, sizes.workers).await;
    let stats = fake.stats();
    let shared: i64 = sqlx::query_scalar("select count(*) from rate_budgets")
        .fetch_one(&db.pool)
        .await
        .unwrap_or(0);
    fake.shutdown().await;
    bench.drop_db(db).await;
    let drained = result?;
    record(s, sizes, &stats, &drained);
    s.detail("min_requests", min.total());
    s.detail("latency_ms", sizes.latency.as_millis() as u64);
    s.detail("held_in_slot_ms", sizes.held.as_millis() as u64);
    s.detail("concurrency", u64::from(sizes.workers.concurrency));
    s.detail(
        "world",
        json!({"projects": sizes.projects, "tasks_per_project": tasks_per_project}),
    );
    s.detail("requests_by_route", json!(stats.by_route));
    s.detail("shared_budget_rows", shared);
    if shared == 0 {
        s.note("no rate_budgets row: the workers did not share the budget through Postgres");
    }
    for failure in &drained.failed {
        s.note(failure.clone());
    }
    Ok(())
}

/// The headline figures.
fn record(s: &mut Scenario, sizes: Sizes, stats: &Stats, drained: &Drained) {
    let budget = sizes.budget_per_min;
    let requests = stats.total_requests;
    let bound = requests as f64 * 60.0 / f64::from(budget);
    let wall = drained.wall.as_secs_f64();
    let busiest = stats
        .max_requests_in_60s
        .values()
        .copied()
        .max()
        .unwrap_or(0);
    s.put("budget_per_min", budget)
        .put("workers", sizes.workers.processes as u64)
        .put("requests", requests)
        .put("bound_s", round2(bound))
        .put("wall_s", round2(wall))
        .put_goal(
            "wall_vs_bound",
            round2(wall / bound),
            Some(Goal::Between(0.95, 1.10)),
        )
        .put_goal("fake_429s", stats.served_429, Some(Goal::AtMost(0.0)))
        .put("max_requests_in_60s", busiest)
        .put_goal(
            "busiest_minute_vs_budget",
            round2(busiest as f64 / f64::from(budget)),
            Some(Goal::Between(0.90, 1.0)),
        );
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
