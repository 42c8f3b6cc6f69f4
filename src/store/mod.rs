//! Postgres: aegis's schema (migrations), and the upserts and reads of
//! projects, tasks and system state (runs are [`crate::runs`]'s).
//!
//! Every function takes an executor (`impl PgExecutor`) or a `&mut
//! PgConnection` when it runs several statements, so the caller chooses the
//! transaction. Writes go a page of rows per statement, never a query per row.

pub mod connections;
pub mod locks;
mod migrations;
pub mod namespace;
pub mod projects;
pub mod state;
pub mod status;
mod task_page;
mod task_row;
pub mod tasks;

pub use connections::{ConnectionRoom, connection_room, why_no_connection};
pub use migrations::{applied_migrations, check_migrated, migrate, migrator, missing_migrations};
pub use namespace::{Namespace, Schema};

use sha2::{Digest, Sha256};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query failed.
    #[error("database error: {}", describe(.0))]
    Database(#[from] sqlx::Error),
    /// aegis's migrations failed.
    #[error("migrating aegis's tables failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// apalis's storage setup failed.
    #[error("setting up the apalis queue tables failed: {0}")]
    QueueSetup(String),
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A database error as one readable phrase: PostgreSQL's own message
/// (`relation "tasks" does not exist`) without sqlx's prefix or the
/// server's source position (`at line 1392`, a line of PostgreSQL's C
/// code); any other error as it displays.
pub fn describe(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(db) => db.message().to_owned(),
        None => error.to_string(),
    }
}

/// Whether `error` says a table or schema aegis needs does not exist
/// (`undefined_table`, `invalid_schema_name`): the database was never
/// migrated, or is behind the migrations of this build.
pub fn is_missing_schema(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "42P01" || c == "3F000")
}

/// Whether `error` says the database could not be reached (refused, reset,
/// timed out, shutting down, no connection to be had from the pool): an
/// outage to wait out, not a problem with the work.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c == "57P01" || c == "57P02" || c == "57P03"),
        _ => false,
    }
}

/// A stable hash of a row's synced content, so an upsert that changes
/// nothing is recognised as unchanged.
/// The bytes hashed are the content's JSON, streamed into the hasher (no
/// copy of it is kept).
pub(crate) fn content_hash<T: serde::Serialize>(content: &T) -> String {
    let mut hasher = HashWriter(Sha256::new());
    // Writing into a hasher cannot fail, and aegis's rows always serialize.
    let _ = serde_json::to_writer(&mut hasher, content);
    let digest = hasher.0.finalize();
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// An `io::Write` that feeds a SHA-256.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
