//! Scenario 7, `confirm`: what a truthful `tasks.last_synced_at` costs. A
//! portfolio whose synced project has 5,000 tasks or more (subtasks included) is synced in full
//! (`aegis sync --full`), then synced again unchanged (`aegis sync`, every
//! project read from its events: no event, nothing fetched). Measured:
//!
//! - aegis's design (the value derived in the `tasks` view from the project
//!   that wrote each row): the WAL the whole unchanged incremental sync
//!   writes, and its wall time;
//! - the alternative it avoids: one statement rewriting `last_synced_at` on
//!   every live task of the largest project (what the replaced tool did),
//!   its time, its WAL and the share of HOT updates;
//! - the read side: a full scan of the view against the rows alone.

use std::time::Instant;

use serde_json::json;
use sqlx::{PgPool, Row};

use crate::{
    env::{Bench, progress},
    fake,
    proc::AegisEnv,
    report::{Goal, Scenario},
};

/// Runs the scenario into `s`.
pub async fn run(bench: &Bench, quick: bool, s: &mut Scenario) -> anyhow::Result<()> {
    let target = if quick { 1_000 } else { 5_000 };
    let (per_project, _) = fake::size_for(2, (250, 250), |m| m.tasks >= target);
    progress(&format!(
        "confirm: 2 projects × {per_project} top-level tasks"
    ));
    let fake = fake::spawn(2, per_project, None, std::time::Duration::ZERO).await?;
    let db = bench.fresh_db("confirm").await?;
    let env = fake::aegis_env(&fake, &db.url, 1_000_000);
    let log = bench.log("confirm");
    env.run(bench, &["sync", "--full", "--no-console"], &log)
        .await?;
    let result = measure(bench, &env, &db.pool, s).await;
    bench.drop_db(db).await;
    result
}

async fn measure(
    bench: &Bench,
    env: &AegisEnv,
    pool: &PgPool,
    s: &mut Scenario,
) -> anyhow::Result<()> {
    let (project, tasks) = largest_project(pool).await?;
    s.put("project_tasks", tasks);
    let started = Instant::now();
    let lsn = wal_lsn(pool).await?;
    env.run(bench, &["sync", "--no-console"], &bench.log("confirm"))
        .await?;
    let sync_wal = wal_since(pool, &lsn).await?;
    s.put("incremental_sync_ms", started.elapsed().as_secs_f64() * 1e3);
    s.put_goal(
        "incremental_sync_wal_kb",
        sync_wal / 1024.0,
        Some(Goal::AtMost(256.0)),
    );
    let rewrite = rewrite_all(pool, project).await?;
    s.put("rewrite_ms", rewrite.ms);
    s.put("rewrite_wal_kb", rewrite.wal / 1024.0);
    s.put("rewrite_hot_share", rewrite.hot_share);
    s.put_goal(
        "wal_rewrite_vs_derived",
        rewrite.wal / sync_wal.max(1.0),
        Some(Goal::AtLeast(2.0)),
    );
    let (view_ms, rows_ms) = scans(pool).await?;
    s.put("scan_view_ms", view_ms);
    s.put("scan_rows_ms", rows_ms);
    s.detail(
        "how",
        json!(
            "incremental_sync_wal_kb is the WAL of the whole unchanged `aegis sync` (both \
               projects: runs, events tokens, the projects' sync times); rewrite_* is one \
               `update task_rows set last_synced_at = now()` over the largest project's live \
               tasks, the cost at every sync had each row been rewritten; scan_* read every \
               task's last_synced_at through the view and from the rows"
        ),
    );
    Ok(())
}

async fn largest_project(pool: &PgPool) -> anyhow::Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "select synced_by, count(*) from task_rows where deleted_at is null \
         and synced_by is not null group by synced_by order by 2 desc limit 1",
    )
    .fetch_one(pool)
    .await?)
}

async fn wal_lsn(pool: &PgPool) -> anyhow::Result<String> {
    Ok(
        sqlx::query_scalar("select pg_current_wal_insert_lsn()::text")
            .fetch_one(pool)
            .await?,
    )
}

async fn wal_since(pool: &PgPool, lsn: &str) -> anyhow::Result<f64> {
    Ok(sqlx::query_scalar(
        "select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::float8",
    )
    .bind(lsn)
    .fetch_one(pool)
    .await?)
}

struct Rewrite {
    ms: f64,
    wal: f64,
    hot_share: f64,
}

/// Rewrites every live task's `last_synced_at` of `project`, on one
/// connection (its statistics flushed, to read the HOT share).
async fn rewrite_all(pool: &PgPool, project: i64) -> anyhow::Result<Rewrite> {
    let mut conn = pool.acquire().await?;
    let counts = "select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables \
                  where relname = 'task_rows'";
    sqlx::query("select pg_stat_force_next_flush()")
        .execute(&mut *conn)
        .await?;
    let before = sqlx::query(counts).fetch_one(&mut *conn).await?;
    let lsn = wal_lsn(pool).await?;
    let started = Instant::now();
    sqlx::query(
        "update task_rows set last_synced_at = now() where synced_by = $1 and deleted_at is null",
    )
    .bind(project)
    .execute(&mut *conn)
    .await?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let wal = wal_since(pool, &lsn).await?;
    sqlx::query("select pg_stat_force_next_flush()")
        .execute(&mut *conn)
        .await?;
    let after = sqlx::query(counts).fetch_one(&mut *conn).await?;
    let delta = |i: usize| after.get::<i64, _>(i) - before.get::<i64, _>(i);
    let hot_share = delta(1) as f64 / delta(0).max(1) as f64;
    Ok(Rewrite { ms, wal, hot_share })
}

/// Milliseconds to read every task's `last_synced_at` through the view and
/// from the rows.
async fn scans(pool: &PgPool) -> anyhow::Result<(f64, f64)> {
    let mut timed = Vec::new();
    for sql in [
        "select count(*), max(last_synced_at) from tasks",
        "select count(*), max(last_synced_at) from task_rows",
    ] {
        sqlx::query(sql).execute(pool).await?;
        let started = Instant::now();
        sqlx::query(sql).execute(pool).await?;
        timed.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok((timed[0], timed[1]))
}
