//! Where one aegis setup lives in a database: the schema of its tables and
//! the names of its queues ([`Namespace`]).
//!
//! aegis's SQL names its tables unqualified (static SQL, checked in one
//! place): they resolve through the `search_path`, which aegis sets on its
//! own connections only ([`Namespace::connect_options`]) and, for the few
//! writes it makes on a host's connection (enqueueing a run inside the
//! host's transaction), only for the length of a savepoint
//! ([`Namespace::enter`]). apalis's tables are always named in
//! full. Two setups with different schemas and queue prefixes share one
//! database without seeing each other.

use std::fmt;

use aegis_jobs::Queues;
use sqlx::{PgConnection, postgres::PgConnectOptions};

/// The schema the `aegis` CLI uses by default: `public`, so the seed's
/// documented queries (`select … from projects`) work verbatim.
pub const CLI_SCHEMA: &str = "public";

/// The schema an embedding host gets by default: one of aegis's own, apart
/// from the host's tables.
pub const EMBEDDED_SCHEMA: &str = "aegis";

/// A schema name aegis accepts: a lowercase SQL identifier that needs no
/// quoting (`[a-z_][a-z0-9_]*`, at most 63 bytes), not `apalis`
/// (apalis's own) nor a `pg_` one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema(String);

/// A schema name aegis cannot use, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "schema name {name:?} {reason} (use lowercase letters, digits and _, e.g. aegis or aegis_billing)"
)]
pub struct BadSchema {
    name: String,
    reason: &'static str,
}

impl Schema {
    /// Checks `name`.
    ///
    /// # Errors
    /// [`BadSchema`] naming what is wrong.
    pub fn new(name: &str) -> Result<Self, BadSchema> {
        let bad = |reason| BadSchema {
            name: name.to_owned(),
            reason,
        };
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(bad("is not a plain lowercase identifier"));
        }
        if name.len() > 63 {
            return Err(bad("is longer than PostgreSQL's 63 bytes"));
        }
        if name == "apalis" || name.starts_with("pg_") || name == "information_schema" {
            return Err(bad("is reserved for apalis or PostgreSQL"));
        }
        Ok(Schema(name.to_owned()))
    }

    /// `public`: the `aegis` CLI's default ([`CLI_SCHEMA`]) and what a
    /// connection without aegis's `search_path` resolves to.
    pub fn public() -> Self {
        Schema(CLI_SCHEMA.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One aegis setup's place in a database: its schema and its queues.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace {
    /// Where aegis's tables (and its migration history) are.
    pub schema: Schema,
    /// Where its jobs wait in apalis's job table.
    pub queues: Queues,
}

impl Namespace {
    /// The `aegis` CLI's default: schema [`CLI_SCHEMA`], the default queues.
    pub fn cli_default() -> Self {
        Namespace {
            schema: Schema::public(),
            queues: Queues::default(),
        }
    }

    /// An embedding host's default: schema [`EMBEDDED_SCHEMA`], the default
    /// queues.
    pub fn embedded_default() -> Self {
        Namespace {
            schema: Schema(EMBEDDED_SCHEMA.to_owned()),
            queues: Queues::default(),
        }
    }

    /// `options` for aegis's own connections: their `search_path` is the
    /// schema alone (`pg_catalog` is always searched first), so no
    /// unqualified name of aegis's can resolve to a host's table; and JIT
    /// compilation is off: aegis's statements are short, and a page of
    /// 1,000 tasks spent 150 ms compiling a 200 ms statement.
    pub fn connect_options(&self, options: PgConnectOptions) -> PgConnectOptions {
        options.options([("search_path", self.schema.as_str()), ("jit", "off")])
    }

    /// Points the search path of a connection that is not aegis's own (a
    /// host's, in a transaction or savepoint the caller opened on it) at the
    /// schema until [`leave`](Self::leave) or the end of that transaction;
    /// returns the path to restore.
    ///
    /// # Errors
    /// The database's.
    pub async fn enter(&self, tx: &mut PgConnection) -> Result<String, sqlx::Error> {
        let (previous, _): (String, String) = sqlx::query_as(
            "select current_setting('search_path'), set_config('search_path', $1, true)",
        )
        .bind(self.schema.as_str())
        .fetch_one(&mut *tx)
        .await?;
        Ok(previous)
    }

    /// Restores the search path [`enter`](Self::enter) returned.
    ///
    /// # Errors
    /// The database's.
    pub async fn leave(&self, tx: &mut PgConnection, previous: &str) -> Result<(), sqlx::Error> {
        sqlx::query("select set_config('search_path', $1, true)")
            .bind(previous)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["aegis", "public", "aegis_billing", "_x1"] {
            assert_eq!(Schema::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "", "Aegis", "1x", "a-b", "a;drop", "apalis", "pg_temp", "a\"b",
        ] {
            let err = Schema::new(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
        assert!(Schema::new(&"a".repeat(64)).is_err());
    }

    #[test]
    fn defaults_keep_the_cli_in_public_and_hosts_apart() {
        assert_eq!(Namespace::cli_default().schema.as_str(), "public");
        assert_eq!(Namespace::embedded_default().schema.as_str(), "aegis");
        assert_eq!(Namespace::cli_default().queues, Queues::default());
    }
}
