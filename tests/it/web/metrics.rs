//! `/metrics` of a real `aegis worker --http` scraped during a queued sync
//! against the fake: the documented series are there, the requests they
//! count are the fake's count, and `aegis_jobs` is what `aegis queue stats`
//! says.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{get, samples, sum};
use crate::{
    helpers,
    processes::{enqueue, env, json, run_status, slow_fake, spawn},
};

/// Reads the worker's stderr until it says where it serves.
async fn served_at(child: &mut tokio::process::Child) -> SocketAddr {
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let find = async {
        while let Some(line) = lines.next_line().await.expect("stderr is readable") {
            if let Some((_, addr)) = line.split_once("on http://") {
                return addr.trim().parse().expect("an address");
            }
        }
        panic!("the worker exited without serving");
    };
    let addr = tokio::time::timeout(Duration::from_secs(60), find)
        .await
        .expect("the worker serves within 60 s");
    // Keep draining its stderr so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    addr
}

/// Every series the text declares (`# TYPE`; counters with `_total`) is in
/// the README's metrics table.
fn assert_documented(text: &str) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README is readable");
    let declared: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| match kind {
            "counter" => format!("{name}_total"),
            _ => name.to_owned(),
        })
        .collect();
    assert!(declared.len() >= 15, "{declared:?}");
    for name in declared {
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} is not in the README"
        );
    }
}

async fn scrape(addr: SocketAddr) -> BTreeMap<String, f64> {
    let (status, text) = get(addr, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    samples(&text)
}

/// Every kind and state of `queue stats --json` equals `aegis_jobs`.
fn assert_jobs_match(stats: &serde_json::Value, scraped: &BTreeMap<String, f64>) {
    let kinds = stats["kinds"].as_array().expect("kinds");
    for row in kinds {
        let queue = format!("kind=\"aegis.{}\"", row["kind"].as_str().expect("a kind"));
        for state in [
            "pending",
            "scheduled",
            "running",
            "retrying",
            "done",
            "dead",
            "cancelled",
        ] {
            let label = format!("state=\"{state}\"");
            let scraped = sum(scraped, "aegis_jobs", &[&queue, &label]);
            assert_eq!(
                scraped,
                row[state].as_f64().expect("a count"),
                "{queue} {state}"
            );
        }
    }
}

#[sqlx::test(migrations = false)]
async fn metrics_during_a_queued_sync_match_the_fake_and_the_queue(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(3, 150, Duration::from_millis(20)).await;
    let env = env(&pool, &fake);
    let args = [
        "worker",
        "--http",
        "127.0.0.1:0",
        "--poll-interval",
        "100ms",
    ];
    let mut worker = spawn(&env, &args);
    let addr = served_at(&mut worker).await;
    assert_eq!(get(addr, "/healthz").await.0, 200);
    assert_eq!(get(addr, "/readyz").await, (200, "ready\n".to_owned()));

    let run = enqueue(&env, &[]).await;
    let mut busy_scrapes = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while run_status(&env, run).await != "done" {
        let during = scrape(addr).await;
        if sum(&during, "aegis_jobs", &["state=\"running\""]) > 0.0 {
            busy_scrapes += 1;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run ends in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(busy_scrapes > 0, "a scrape saw a job running");
    // apalis records a job's end after the handler returns: wait for the
    // queue to settle so the scrape and `queue stats` see the same rows.
    let settled = |stats: &serde_json::Value| {
        let kinds = stats["kinds"].as_array().cloned().unwrap_or_default();
        kinds
            .iter()
            .map(|k| k["done"].as_i64().unwrap_or(0))
            .sum::<i64>()
            == 4
    };
    while !settled(&json(&env, &["queue", "stats"]).await) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the jobs end in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (_, text) = get(addr, "/metrics").await;
    assert_documented(&text);
    let after = scrape(addr).await;
    let asked = sum(&after, "aegis_asana_requests_total", &[]);
    assert_eq!(asked, fake.stats().total_requests as f64, "{after:#?}");
    // Each project's first sync reads one page of tasks at least, and asks
    // for an events token (Asana answers 412 with one).
    let tasks = ["route=\"tasks\"", "status=\"200\""];
    assert!(
        sum(&after, "aegis_asana_requests_total", &tasks) >= 3.0,
        "{after:#?}"
    );
    let events = ["route=\"events\"", "status=\"412\""];
    assert_eq!(sum(&after, "aegis_asana_requests_total", &events), 3.0);
    assert_eq!(
        sum(
            &after,
            "aegis_asana_requests_total",
            &["route=\"users_me\""]
        ),
        1.0
    );
    assert_eq!(sum(&after, "aegis_asana_rate_limited_total", &[]), 0.0);
    let done = ["kind=\"aegis.sync-project-tasks\"", "outcome=\"done\""];
    assert_eq!(sum(&after, "aegis_job_attempts_total", &done), 3.0);
    assert_eq!(sum(&after, "aegis_job_duration_seconds_count", &done), 3.0);
    assert_jobs_match(&json(&env, &["queue", "stats"]).await, &after);
    let ages: Vec<(&String, &f64)> = after
        .iter()
        .filter(|(k, _)| k.starts_with("aegis_project_tasks_age_seconds{project=\""))
        .collect();
    assert_eq!(ages.len(), 3, "one age per project: {ages:?}");
    assert!(
        ages.iter().all(|(_, age)| (0.0..600.0).contains(*age)),
        "{ages:?}"
    );
    let ratio = sum(
        &after,
        "aegis_run_requests_ratio",
        &["mode=\"incremental\""],
    );
    assert!((1.0..3.0).contains(&ratio), "ratio {ratio}");
    assert_eq!(sum(&after, "aegis_budget_paused", &[]), 0.0);
    assert_eq!(sum(&after, "aegis_database_up", &[]), 1.0);
    assert!(
        sum(
            &after,
            "aegis_budget_wait_seconds_total",
            &["reason=\"budget\""]
        ) >= 0.0
    );
}
