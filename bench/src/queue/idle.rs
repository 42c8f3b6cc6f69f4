//! `idle_queries_per_s`: one `aegis worker` process (default flags) with
//! nothing to do, watched through `pg_stat_database` of its database. The
//! worker gets a database of its own and the probes run on the admin
//! database, so nothing else adds to the count.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::{
    env::{Bench, Db, progress},
    fake, proc,
};

/// Committed plus rolled-back transactions of `database` so far.
async fn transactions(admin: &PgPool, database: &str) -> anyhow::Result<i64> {
    sqlx::query("select pg_stat_clear_snapshot()")
        .execute(admin)
        .await?;
    Ok(sqlx::query_scalar(
        "select (xact_commit + xact_rollback)::bigint from pg_stat_database where datname = $1",
    )
    .bind(database)
    .fetch_one(admin)
    .await?)
}

/// Starts an idle worker on a fresh database, lets it settle, and counts
/// its transactions over `window`; returns them per second.
pub async fn queries_per_s(bench: &Bench, window: Duration) -> anyhow::Result<f64> {
    let db = bench.fresh_db("queue_idle").await?;
    let result = watch(bench, &db, window).await;
    bench.drop_db(db).await;
    result
}

async fn watch(bench: &Bench, db: &Db, window: Duration) -> anyhow::Result<f64> {
    // Closing flushes the migrations' statistics now rather than within the
    // window (an idle backend flushes them up to 10 s late); the warm-up
    // covers the worker's own start-up the same way.
    db.pool.close().await;
    let fake = fake::spawn_seed().await?;
    let env = fake::aegis_env(&fake, &db.url, 150);
    let mut worker = env.spawn(bench, &["worker"], &bench.log("queue-idle-worker"))?;
    let result = async {
        tokio::time::sleep(Duration::from_secs(12)).await;
        anyhow::ensure!(
            worker.try_wait()?.is_none(),
            "the idle worker exited; see {}",
            bench.log("queue-idle-worker").display()
        );
        progress(&format!(
            "queue: watching an idle worker for {} s",
            window.as_secs()
        ));
        let before = transactions(&bench.admin, &db.name).await?;
        let started = Instant::now();
        tokio::time::sleep(window).await;
        let after = transactions(&bench.admin, &db.name).await?;
        Ok((after - before) as f64 / started.elapsed().as_secs_f64())
    }
    .await;
    proc::terminate(&mut worker).await?;
    fake.shutdown().await;
    let per_s = result?;
    progress(&format!("queue: idle worker: {per_s:.2} transactions/s"));
    Ok((per_s * 100.0).round() / 100.0)
}
