//! Test set-up shared by the integration tests.

use sqlx::PgPool;

/// Runs aegis's real migrations (apalis's storage included) on a test pool.
pub async fn migrated(pool: &PgPool) {
    aegis::store::migrate(pool).await.expect("migrations apply");
}
