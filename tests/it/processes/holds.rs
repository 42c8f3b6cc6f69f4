//! The token's shared hold with real worker processes: Asana rejecting the
//! token (401) or failing for longer than every retry would survive (the
//! circuit). Every worker of the token waits, one probe per interval goes
//! to `/users/me`, no job dies or spends an attempt, work resumes by
//! itself once Asana answers, and the rows are a clean sync's. A worker
//! started with a rejected token exits 2 with one line.

use std::time::Duration;

use fake_asana::{
    FakeAsana,
    faults::{FaultKind, FaultRule},
};
use sqlx::PgPool;

use super::{
    DRAIN, PROJECTS, enqueue, env, finish, run_status, running_project_jobs, shutdown, slow_fake,
    spawn, statuses,
};
use crate::{cli::aegis, helpers};

/// Drains with short probes, and few attempts: a charged wait would soon
/// kill a job.
fn worker_args() -> Vec<&'static str> {
    let mut args = DRAIN.to_vec();
    args.extend([
        "--max-attempts",
        "2",
        "--probe-interval",
        "300ms",
        "--circuit-after",
        "3",
    ]);
    args
}

/// Waits (at most 60 s) until the token's budget row is held for `reason`.
async fn until_held(pool: &PgPool, reason: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let hold: Option<String> = sqlx::query_scalar("select max(hold) from rate_budgets")
            .fetch_one(pool)
            .await
            .expect("the budget is readable");
        if hold.as_deref() == Some(reason) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {reason} hold within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (at most 60 s) for `n` probes (`GET /users/me`) since the stats
/// were reset.
async fn until_probes(fake: &FakeAsana, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while probes(fake) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} probes within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn probes(fake: &FakeAsana) -> u64 {
    let stats = fake.stats();
    stats.by_route.get("GET /users/me").copied().unwrap_or(0)
}

/// Dead project jobs, and project jobs that spent more than one attempt.
async fn dead_and_charged(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as(
        "select count(*) filter (where status = 'Killed' or \
                (status = 'Failed' and attempts >= max_attempts)), \
                count(*) filter (where attempts > 1) \
         from apalis.jobs where job_type = $1",
    )
    .bind(PROJECTS)
    .fetch_one(pool)
    .await
    .expect("jobs are readable")
}

/// Two draining workers on `fake`; `fault` starts once a project job runs
/// and the hold is `reason`; after `probes` probes `heal` ends it. Checks
/// the pause cost only probes (plus stragglers), nothing died or was
/// charged, and the rows are a clean sync's; returns the log.
async fn hold_and_heal(
    pool: &PgPool,
    fake: &FakeAsana,
    (fault, reason, probes_wanted): (&dyn Fn(), &str, u64),
    heal: &dyn Fn(),
) -> String {
    let env = env(pool, fake);
    let run = enqueue(&env, &[]).await;
    let args = worker_args();
    let workers = [spawn(&env, &args), spawn(&env, &args)];
    running_project_jobs(pool).await;
    fake.reset_stats();
    fault();
    until_held(pool, reason).await;
    let to_hold = fake.stats().total_requests;
    fake.reset_stats();
    until_probes(fake, probes_wanted).await;
    let during = fake.stats().total_requests;
    assert_eq!(dead_and_charged(pool).await, (0, 0), "during the hold");
    let healed = tokio::time::Instant::now();
    heal();
    let mut log = String::new();
    for worker in workers {
        let run = finish(worker).await;
        assert_eq!(run.code, Some(0), "{}", run.both());
        log.push_str(&run.stderr);
    }
    eprintln!(
        "{reason}: {to_hold} requests until the hold, {during} during it ({} probes), \
         drained {:?} after the heal",
        probes(fake).min(during),
        healed.elapsed()
    );
    assert!(
        during <= probes_wanted + 12,
        "{during} requests for {probes_wanted} probes"
    );
    assert_eq!(dead_and_charged(pool).await, (0, 0), "after the hold");
    assert_eq!(run_status(&env, run).await, "done");
    let total: i64 = statuses(pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(pool).await, [("Done".to_owned(), total)]);
    fake.set_latency(Duration::ZERO);
    shutdown::assert_rows_equal_a_clean_sync(pool, fake).await;
    assert!(!log.contains(&fake.token), "the token leaked");
    log
}

#[sqlx::test(migrations = false)]
async fn a_revoked_token_pauses_every_worker_and_work_resumes_when_it_works(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 200, Duration::from_millis(20)).await;
    let user = fake.snapshot().actor().expect("the token's user");
    let revoke = || fake.revoke_token(&fake.token);
    let restore = || fake.add_token(&fake.token, &user);
    let log = hold_and_heal(&pool, &fake, (&revoke, "unauthorized", 10), &restore).await;
    let lines = log
        .matches("Asana rejected the token (401): every worker")
        .count();
    assert_eq!(lines, 1, "one clear line for the fleet: {log}");
    assert!(log.contains("work resumes"), "{log}");
}

#[sqlx::test(migrations = false)]
async fn an_outage_opens_the_shared_circuit_and_kills_nothing(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 200, Duration::from_millis(20)).await;
    // 503s without Retry-After, on every route (the probes' too).
    let outage = || {
        fake.add_fault(FaultRule {
            route: "/**".into(),
            query_contains: None,
            fault: FaultKind::UnavailableHtml { retry_after: None },
            times: None,
            probability: None,
        })
    };
    let heal = || fake.clear_faults();
    // 10 probes: a 5-minute outage at the default 30 s probe interval.
    let log = hold_and_heal(&pool, &fake, (&outage, "outage", 10), &heal).await;
    assert_eq!(log.matches("the circuit is open").count(), 1, "{log}");
}

#[sqlx::test(migrations = false)]
async fn a_worker_with_a_rejected_token_exits_2_with_one_line(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(1, 10, Duration::ZERO).await;
    fake.revoke_token(&fake.token);
    let env = env(&pool, &fake);
    let run = aegis(&env, &DRAIN).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    let error = crate::cli::error_line(&run);
    assert!(
        error.starts_with("error: Asana rejected the token (401)"),
        "{error}"
    );
    assert!(!run.both().contains(&fake.token), "the token leaked");
    assert_eq!(fake.stats().total_requests, 1, "one request: the check");
}
