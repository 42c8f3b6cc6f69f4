//! `aegis migrate`: apalis's queue storage and aegis's tables, created or
//! brought up to date, reported in one line.

use anyhow::Context as _;
use sqlx::PgPool;

use super::{connect, out::outln};
use crate::{config::DatabaseConfig, store};

/// Runs every pending migration and says how many there were.
pub(super) async fn run(database: &DatabaseConfig) -> anyhow::Result<()> {
    let pool = connect(database).await?;
    let before = applied(&pool).await?;
    store::migrate(&pool, &database.namespace().schema)
        .await
        .context("migrating the database failed (check that the role may create tables)")?;
    let after = applied(&pool).await?;
    let target = database.redacted();
    match after.saturating_sub(before) {
        0 => outln!("database {target} is up to date (nothing to apply)")?,
        n => outln!(
            "migrated database {target}: queue storage ready, {n} migration{} applied",
            if n == 1 { "" } else { "s" }
        )?,
    }
    Ok(())
}

/// Migrations recorded as applied; 0 on a fresh database.
async fn applied(pool: &PgPool) -> anyhow::Result<i64> {
    store::applied_migrations(pool)
        .await
        .context("reading the applied migrations failed")
}
