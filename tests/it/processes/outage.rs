//! The database goes away under a draining `aegis worker` (every connection
//! cut, new ones refused: a restart, a partition) and comes back: the drain
//! waits it out instead of exiting, the job whose attempt ended unrecorded
//! during the outage is handed back (its owner is alive, so nobody would
//! rescue it), and the drain ends 0 with the rows of a clean sync.

use std::{net::SocketAddr, time::Duration};

use reqwest::Url;
use sqlx::PgPool;

use super::{DRAIN, enqueue, env, run_status, running_project_jobs, slow_fake, spawn, statuses};
use crate::{
    cli::database_url,
    helpers,
    processes::signals::{clean_sync_rows, task_rows},
    proxy::Proxy,
};

/// Seconds since any worker of this database was last seen.
async fn silence(pool: &PgPool) -> f64 {
    sqlx::query_scalar(
        "select coalesce(extract(epoch from now() - max(last_seen))::float8, 0) from apalis.workers",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_draining_worker_waits_out_a_database_outage(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 120, Duration::from_millis(20)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &["--full"]).await;

    let mut url = Url::parse(&database_url(&pool)).unwrap();
    let target: SocketAddr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .expect("DATABASE_URL names an IP address and a port");
    let mut proxy = Proxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    let mut cut_off = env.clone();
    cut_off.retain(|(k, _)| *k != "DATABASE_URL");
    cut_off.push(("DATABASE_URL", url.to_string()));
    let mut args = DRAIN.to_vec();
    args.extend(["--db-outage-limit", "5m"]);
    let mut worker = spawn(&cut_off, &args);
    running_project_jobs(&pool).await;

    proxy.cut().await;
    // The worker is cut off (its heartbeats stop) for longer than a pool
    // waits for a connection (5 s), and still draining.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if worker.try_wait().unwrap().is_some() {
            let out = worker.wait_with_output().await.unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            panic!("the drain gave up during the outage: {stderr}");
        }
        if silence(&pool).await >= 8.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker kept beating"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    proxy.restore().await;

    let output = tokio::time::timeout(Duration::from_secs(180), worker.wait_with_output())
        .await
        .expect("the drain ends once the database is back")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the database is unreachable"), "{stderr}");
    let children: Vec<(String, String)> =
        sqlx::query_as("select project_name, status from sync_run_projects order by 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(run_status(&env, run).await, "done", "{children:?} {stderr}");
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(
        statuses(&pool).await,
        [("Done".to_owned(), total)],
        "no job left behind"
    );
    assert_eq!(task_rows(&pool).await, clean_sync_rows(&pool, &fake).await);
}
