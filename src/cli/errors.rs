//! How a command's error reaches the user: mapped from the library's typed
//! errors to bad usage or configuration where the user must fix something
//! ([`ConfigError`], exit 2), rendered as one line ([`message`]).
//!
//! The mapping is by type, never by message: a missing table or schema
//! ([`store::is_missing_schema`], [`queue::Error::NotMigrated`]) is an
//! unmigrated database; the queue's unknown kind, unknown job and job that
//! is not dead are bad usage ([`queue_error`]).

use crate::{
    config::{ConfigError, DatabaseConfig},
    queue, store,
};

/// A command stopped by a signal after it cleaned up (exit 128 + the
/// signal's number, as shells report it: 130 for SIGINT, 143 for SIGTERM).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {signal}: {what}")]
pub struct Interrupted {
    /// `SIGINT` or `SIGTERM`.
    pub signal: &'static str,
    /// The signal's number.
    pub number: u8,
    /// What was left, e.g. the cancelled run.
    pub what: String,
}

/// The exit code for an error of [`run`](super::run): 2 when the user must
/// fix how aegis is invoked or configured, 128 + n after signal n
/// ([`Interrupted`]), 1 when the work itself failed.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(stop) = error.chain().find_map(|c| c.downcast_ref::<Interrupted>()) {
        return 128 + stop.number;
    }
    if error.chain().any(|cause| cause.is::<ConfigError>()) {
        2
    } else {
        1
    }
}

/// A queue error as the CLI reports it: an unknown kind, an id that names
/// no job, or a job that is not dead (for `retry`) is bad usage.
pub(crate) fn queue_error(error: queue::Error) -> anyhow::Error {
    match error {
        queue::Error::UnknownKind(_)
        | queue::Error::NoSuchJob(_)
        | queue::Error::NoSuchRun(_)
        | queue::Error::NotDead { .. }
        | queue::Error::Finished { .. }
        | queue::Error::NotWaiting { .. } => ConfigError(error.to_string()).into(),
        other => other.into(),
    }
}

/// `error` as a [`ConfigError`] telling to run `aegis migrate` when its
/// chain says a table or schema is missing; otherwise `error` unchanged.
pub(super) fn not_migrated(error: anyhow::Error, database: &DatabaseConfig) -> anyhow::Error {
    let missing = error.chain().find_map(|cause| {
        if let Some(sqlx) = cause.downcast_ref::<sqlx::Error>() {
            store::is_missing_schema(sqlx).then(|| format!(" ({})", store::describe(sqlx)))
        } else {
            matches!(
                cause.downcast_ref::<queue::Error>(),
                Some(queue::Error::NotMigrated)
            )
            .then(String::new)
        }
    });
    match missing {
        Some(detail) => ConfigError(format!(
            "the database at {} is not migrated{detail}: run `aegis migrate`",
            database.redacted()
        ))
        .into(),
        None => error,
    }
}

/// `error` and its causes as one line, each cause once: a cause whose text
/// an outer one already shows is left out (errors that display their source
/// and also return it), and database errors read as PostgreSQL's message
/// without the server's source position ([`store::describe`]).
pub fn message(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = if let Some(sqlx) = cause.downcast_ref::<sqlx::Error>() {
            store::describe(sqlx)
        } else if let Some(db) = cause.downcast_ref::<Box<dyn sqlx::error::DatabaseError>>() {
            // The source of `sqlx::Error::Database`: PostgreSQL's error,
            // whose display adds the server's source position.
            db.message().to_owned()
        } else {
            cause.to_string()
        };
        let text = one_line(&text);
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// `text` on one line: newlines and runs of spaces become single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct Shows(#[source] std::io::Error);

    #[test]
    fn a_cause_already_shown_is_left_out() {
        let io = std::io::Error::other("disk on fire");
        let error = anyhow::Error::from(Shows(io)).context("saving failed");
        assert_eq!(message(&error), "saving failed: outer: disk on fire");
    }

    #[test]
    fn unknown_jobs_and_live_jobs_are_bad_usage() {
        let unknown = queue_error(queue::Error::NoSuchJob("x".into()));
        assert_eq!(exit_code(&unknown), 2);
        let live = queue_error(queue::Error::NotDead {
            id: "x".into(),
            state: queue::JobState::Pending,
        });
        assert_eq!(exit_code(&live), 2);
        assert_eq!(exit_code(&queue_error(queue::Error::NotMigrated)), 1);
    }

    #[test]
    fn the_queue_not_migrated_becomes_one_config_line() {
        let database = DatabaseConfig::new(Some("postgres://u:pw@h/db".into())).unwrap();
        let error = anyhow::Error::from(queue::Error::NotMigrated).context("listing");
        let mapped = not_migrated(error, &database);
        assert_eq!(exit_code(&mapped), 2);
        assert_eq!(
            message(&mapped),
            "the database at postgres://u:***@h/db is not migrated: run `aegis migrate`"
        );
    }
}
