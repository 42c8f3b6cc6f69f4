//! apalis's own schema: its migrations (history in `apalis._sqlx_migrations`,
//! apalis 1.0's choice) and how many of them are applied.

use sqlx::{PgConnection, PgPool};

/// Creates or updates apalis's queue storage, on the caller's connection.
///
/// # Errors
/// apalis's migration error.
pub async fn migrate(conn: &mut PgConnection) -> Result<(), sqlx::migrate::MigrateError> {
    apalis_postgres::PostgresStorage::<()>::migrations()
        .run(conn)
        .await
}

/// Fails with the database's "does not exist" error unless apalis's job
/// table is there.
///
/// # Errors
/// The database's.
pub async fn check_migrated(db: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("select 1 from apalis.jobs limit 0")
        .execute(db)
        .await?;
    Ok(())
}

/// How many of apalis's migrations are recorded as applied (0 before any).
///
/// # Errors
/// The database's.
pub async fn applied_migrations(db: &PgPool) -> Result<i64, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("select to_regclass('apalis._sqlx_migrations') is not null")
            .fetch_one(db)
            .await?;
    if !exists {
        return Ok(0);
    }
    sqlx::query_scalar("select count(*) from apalis._sqlx_migrations where success")
        .fetch_one(db)
        .await
}
