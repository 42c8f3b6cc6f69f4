//! SIGTERM past the shutdown timeout: a worker whose jobs cannot finish in
//! time hands them back at once (pending, runnable now, lock cleared, no
//! attempt charged), names them, and exits 1; a second worker finishes
//! them and the rows are a clean sync's.

use std::time::Duration;

use fake_asana::FakeAsana;
use sqlx::PgPool;

use super::{
    DRAIN, PROJECTS, enqueue, env, finish, run_status, running_project_jobs, signal,
    signals::{clean_sync_rows, task_rows},
    slow_fake, spawn, statuses,
};
use crate::{cli::aegis, helpers};

/// Asserts the store's task rows are those of a clean inline sync of `fake`.
pub(super) async fn assert_rows_equal_a_clean_sync(pool: &PgPool, fake: &FakeAsana) {
    let rows = task_rows(pool).await;
    let clean = clean_sync_rows(pool, fake).await;
    let only_here: Vec<_> = rows.iter().filter(|r| !clean.contains(r)).take(5).collect();
    let only_clean: Vec<_> = clean.iter().filter(|r| !rows.contains(r)).take(5).collect();
    assert!(
        only_here.is_empty() && only_clean.is_empty() && rows.len() == clean.len(),
        "{} rows here, {} after a clean sync; only here: {only_here:?}; only after the \
         clean sync: {only_clean:?}",
        rows.len(),
        clean.len()
    );
}

/// `(status, attempts, lock_by, runnable now)` of a job.
type JobRow = (String, i32, Option<String>, bool);

async fn job_row(pool: &PgPool, id: &str) -> JobRow {
    sqlx::query_as(
        "select status, attempts, lock_by, run_at <= now() from apalis.jobs where id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("the job is readable")
}

#[sqlx::test(migrations = false)]
async fn sigterm_past_the_timeout_hands_the_running_jobs_back_at_once(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 200, Duration::from_millis(50)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let worker = spawn(
        &env,
        &[
            "worker",
            "--concurrency",
            "2",
            "--heartbeat",
            "1s",
            "--poll-interval",
            "100ms",
            "--shutdown-timeout",
            "1s",
        ],
    );
    let running = running_project_jobs(&pool).await;
    let mut before = Vec::new();
    for (id, _) in &running {
        before.push((id.clone(), job_row(&pool, id).await.1));
    }
    // Every request from now on takes a minute: no running job can finish
    // within the shutdown timeout.
    fake.set_latency(Duration::from_secs(60));
    signal(&worker, "-TERM");
    let stopped = finish(worker).await;

    // Right after the exit, with no heartbeat or rescue in between.
    assert_eq!(stopped.code, Some(1), "{}", stopped.both());
    let error = crate::cli::error_line(&stopped);
    assert!(error.contains("shutdown timeout (1s) passed"), "{error}");
    for (id, attempts) in &before {
        let row = job_row(&pool, id).await;
        assert_eq!(
            row,
            ("Pending".to_owned(), *attempts, None, true),
            "job {id}"
        );
        let project: String = sqlx::query_scalar(
            "select convert_from(job, 'UTF8')::jsonb ->> 'project' from apalis.jobs where id = $1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            error.contains(&format!("{id} (project {project})")),
            "{error}"
        );
        assert!(
            stopped.stderr.contains("handed them back"),
            "{}",
            stopped.stderr
        );
    }
    let held: i64 = sqlx::query_scalar(
        "select count(*) from apalis.jobs where job_type = $1 and status in ('Running', 'Queued')",
    )
    .bind(PROJECTS)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(held, 0, "no job is left running or fetched");

    fake.set_latency(Duration::ZERO);
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert_eq!(run_status(&env, run).await, "done");
    let total: i64 = statuses(&pool).await.iter().map(|(_, n)| n).sum();
    assert_eq!(statuses(&pool).await, [("Done".to_owned(), total)]);
    assert_rows_equal_a_clean_sync(&pool, &fake).await;
}

#[sqlx::test(migrations = false)]
async fn a_second_sigterm_hands_the_running_jobs_back_at_once(pool: PgPool) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    helpers::migrated(&pool).await;
    let fake = slow_fake(4, 200, Duration::from_millis(50)).await;
    let env = env(&pool, &fake);
    let run = enqueue(&env, &[]).await;
    let args = [
        "worker",
        "--concurrency",
        "2",
        "--poll-interval",
        "100ms",
        "--shutdown-timeout",
        "10m",
    ];
    let mut worker = spawn(&env, &args);
    let running = running_project_jobs(&pool).await;
    // No running job can finish now: the wait would be the whole 10 minutes.
    fake.set_latency(Duration::from_secs(60));
    signal(&worker, "-TERM");
    let mut stderr = BufReader::new(worker.stderr.take().expect("stderr")).lines();
    let mut log = String::new();
    while !log.contains("send it again") {
        let line = tokio::time::timeout(Duration::from_secs(30), stderr.next_line()).await;
        let line = line
            .expect("the worker says it is stopping")
            .expect("stderr reads");
        log.push_str(&line.expect("the worker still runs"));
        log.push('\n');
    }
    assert!(
        log.contains("timeout_s=600"),
        "it says how long it will wait: {log}"
    );
    signal(&worker, "-TERM");
    let rest = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = stderr.next_line().await.expect("stderr reads") {
            log.push_str(&line);
            log.push('\n');
        }
        worker.wait().await.expect("the worker exits")
    });
    let status = rest.await.expect("the worker exits at once");
    assert_eq!(status.code(), Some(1), "{log}");
    let error = log
        .lines()
        .rfind(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(
        error.starts_with("error: a second stop signal stopped the worker at once"),
        "{log}"
    );
    for (id, _) in &running {
        assert!(error.contains(id.as_str()), "{id} named: {error}");
        assert_eq!(job_row(&pool, id).await.0, "Pending", "job {id}");
    }
    fake.set_latency(Duration::ZERO);
    let drain = aegis(&env, &DRAIN).await;
    assert_eq!(drain.code, Some(0), "{}", drain.both());
    assert_eq!(run_status(&env, run).await, "done");
    assert_rows_equal_a_clean_sync(&pool, &fake).await;
}
