//! A fleet larger than Asana's in-flight cap allows per process: eight
//! workers at concurrency 10 on one token against the fake's cap of 50
//! concurrent reads, every request held in its slot for a while. Their
//! shares of the token's cap add up to at most 50, so none of them is
//! refused with a 429, no job is handed back as ownerless, and the rows are
//! a clean sync's.

use std::time::Duration;

use fake_asana::{
    Config, FakeAsana,
    faults::{FaultKind, FaultRule},
    generate::Preset,
};
use sqlx::PgPool;

use super::{DRAIN, PROJECTS, enqueue, env, finish_within, run_status, shutdown, spawn, statuses};
use crate::helpers;

#[sqlx::test(migrations = false)]
async fn eight_workers_at_concurrency_ten_share_the_cap_of_fifty_and_get_no_429(pool: PgPool) {
    helpers::migrated(&pool).await;
    let config = Config {
        preset: Preset::Custom {
            projects: 120,
            tasks_per_project: 4,
        },
        max_inflight_gets: 50,
        ..Config::default()
    };
    let fake = FakeAsana::spawn(config).await.expect("the fake starts");
    // Every request holds its in-flight slot at the fake for 150 ms.
    fake.add_fault(FaultRule {
        route: "/**".into(),
        query_contains: None,
        fault: FaultKind::Latency { ms: 150 },
        times: None,
        probability: None,
    });
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let mut args = DRAIN.to_vec();
    args.extend(["--concurrency", "10"]);
    let workers: Vec<_> = (0..8).map(|_| spawn(&env, &args)).collect();
    for worker in workers {
        // Eight processes on two busy cores: a generous limit.
        let done = finish_within(worker, Duration::from_secs(180)).await;
        assert_eq!(done.code, Some(0), "{}", done.both());
        // apalis records a job's end late; a job that just ended is not
        // ownerless, so a healthy fleet hands nothing back.
        assert!(
            !done.stderr.contains("back in the queue"),
            "{}",
            done.stderr
        );
    }
    let stats = fake.stats();
    assert_eq!(stats.served_429, 0, "{stats:?}");
    assert_eq!(run_status(&env, run).await, "done");
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), 121)]);
    let running: i64 = sqlx::query_scalar(
        "select count(*) from apalis.jobs where job_type = $1 and status = 'Running'",
    )
    .bind(PROJECTS)
    .fetch_one(&pool)
    .await
    .expect("jobs are readable");
    assert_eq!(running, 0);
    fake.clear_faults();
    shutdown::assert_rows_equal_a_clean_sync(&pool, &fake).await;
}
