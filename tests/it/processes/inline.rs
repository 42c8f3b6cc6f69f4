//! An inline `aegis sync` that does not finish: interrupted by Ctrl-C or
//! SIGTERM, it closes its run `cancelled` (with what it did) and exits 130
//! or 143; killed with SIGKILL, its run is found abandoned and cancelled by
//! the next `aegis runs`, while the run of a live sync is left alone. A
//! second sync afterwards gives the rows of a clean one.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::{env, finish, json, signal, slow_fake, spawn};
use crate::{
    cli::aegis,
    helpers,
    processes::signals::{clean_sync_rows, task_rows},
};

/// Waits until the inline run has finished at least one project; its id.
async fn a_project_done(pool: &PgPool) -> Uuid {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let run: Option<Uuid> = sqlx::query_scalar(
            "select r.id from sync_runs r join sync_run_projects p on p.run_id = r.id \
             where r.origin = 'inline' and p.status = 'done' limit 1",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(run) = run {
            return run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no project finished within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn children(pool: &PgPool, run: Uuid) -> Vec<(String, i64)> {
    sqlx::query_as(
        "select status, count(*) from sync_run_projects where run_id = $1 group by 1 order by 1",
    )
    .bind(run)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn interrupted_by(pool: PgPool, signal_name: &str, code: i32) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(6, 60, Duration::from_millis(20)).await;
    let env = env(&pool, &fake);
    let sync = spawn(&env, &["sync", "--full", "--no-console"]);
    let run = a_project_done(&pool).await;
    signal(&sync, signal_name);
    let ended = finish(sync).await;
    assert_eq!(ended.code, Some(code), "{}", ended.both());
    assert!(
        ended
            .stderr
            .contains("is cancelled; what it synced is kept"),
        "{}",
        ended.both()
    );
    let shown = json(&env, &["runs", &run.to_string()]).await;
    assert_eq!(shown["status"], "cancelled", "{shown}");
    assert!(
        shown["error"]
            .as_str()
            .unwrap_or("")
            .contains("interrupted by SIG"),
        "{shown}"
    );
    let left = children(&pool, run).await;
    assert!(left.iter().any(|(s, _)| s == "done"), "{left:?}");
    assert!(
        left.iter().all(|(s, _)| s == "done" || s == "cancelled"),
        "nothing is left pending or running: {left:?}"
    );
    let again = aegis(&env, &["sync", "--full", "--no-console"]).await;
    assert_eq!(again.code, Some(0), "{}", again.both());
    assert_eq!(task_rows(&pool).await, clean_sync_rows(&pool, &fake).await);
}

#[sqlx::test(migrations = false)]
async fn ctrl_c_closes_the_inline_run_cancelled_and_exits_130(pool: PgPool) {
    interrupted_by(pool, "-INT", 130).await;
}

#[sqlx::test(migrations = false)]
async fn sigterm_closes_the_inline_run_cancelled_and_exits_143(pool: PgPool) {
    interrupted_by(pool, "-TERM", 143).await;
}

#[sqlx::test(migrations = false)]
async fn a_killed_inline_run_is_cancelled_by_the_next_runs_command(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = slow_fake(6, 60, Duration::from_millis(20)).await;
    let env = env(&pool, &fake);
    let mut sync = spawn(&env, &["sync", "--full", "--no-console"]);
    let run = a_project_done(&pool).await;
    // While its process lives, the run is running, however often it is read.
    let alive = json(&env, &["runs", &run.to_string()]).await;
    assert_eq!(alive["status"], "running", "{alive}");
    sync.kill().await.expect("SIGKILL");
    sync.wait().await.expect("reaped");
    // The server notices the closed connection at once; the mark is free.
    let shown: Value = json(&env, &["runs", &run.to_string()]).await;
    assert_eq!(shown["status"], "cancelled", "{shown}");
    assert!(
        shown["error"]
            .as_str()
            .unwrap_or("")
            .contains("ended without closing it"),
        "{shown}"
    );
    let left = children(&pool, run).await;
    assert!(
        left.iter().all(|(s, _)| s == "done" || s == "cancelled"),
        "{left:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_sync_waiting_for_another_on_a_project_says_so(pool: PgPool) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    helpers::migrated(&pool).await;
    let fake = slow_fake(1, 20, Duration::ZERO).await;
    let env = env(&pool, &fake);
    let first = aegis(&env, &["sync", "--no-console"]).await;
    assert_eq!(first.code, Some(0), "{}", first.both());
    let gid: String = sqlx::query_scalar("select asana_gid from projects limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    // Another sync of the project holds its run lock.
    let mut other = pool.acquire().await.unwrap().detach();
    sqlx::query("select pg_advisory_lock(hashtext('aegis.project-run:' || $1))")
        .bind(&gid)
        .execute(&mut other)
        .await
        .unwrap();
    let mut second = spawn(&env, &["sync", "--no-console"]);
    let mut stderr = BufReader::new(second.stderr.take().expect("stderr")).lines();
    let wait = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = stderr.next_line().await.expect("stderr reads") {
            if line.contains("another sync of this project is running") {
                return line;
            }
        }
        panic!("the sync ended without saying it waits");
    });
    let line = wait.await.expect("the sync says it waits");
    assert!(line.contains(&gid), "{line}");
    drop(other);
    let status = tokio::time::timeout(Duration::from_secs(30), second.wait())
        .await
        .expect("the sync goes on once the other ends")
        .expect("it exits");
    assert!(status.success());
}
