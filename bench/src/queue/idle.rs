//! `idle_queries_per_s`: one `aegis worker` process (default flags) with
//! nothing to do, watched through `pg_stat_database` of its database. The
//! probes run on the admin database, so they add nothing to the count; the
//! bench's own pool on the worker's database stays idle meanwhile.

use std::time::Duration;

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

/// Starts an idle worker on `db`, lets it settle, and counts its
/// transactions over `window`; returns them per second.
pub async fn queries_per_s(bench: &Bench, db: &Db, window: Duration) -> anyhow::Result<f64> {
    let fake = fake::spawn_seed().await?;
    let env = fake::aegis_env(&fake, &db.url, 150);
    let mut worker = env.spawn(bench, &["worker"], &bench.log("queue-idle-worker"))?;
    let result = async {
        tokio::time::sleep(Duration::from_secs(5)).await;
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
        tokio::time::sleep(window).await;
        let after = transactions(&bench.admin, &db.name).await?;
        Ok((after - before) as f64 / window.as_secs_f64())
    }
    .await;
    proc::terminate(&mut worker).await?;
    fake.shutdown().await;
    let per_s = result?;
    progress(&format!("queue: idle worker: {per_s:.2} transactions/s"));
    Ok((per_s * 100.0).round() / 100.0)
}
