//! The process's one global: the tracing subscriber, installed once by
//! `main`. `RUST_LOG` chooses what is logged (default: `info` for aegis,
//! `warn` for its dependencies); lines go to stderr, human-readable or as
//! JSON (`--log-format json`), and never tear a progress bar: each line is
//! written with the bars suspended. A human line stays a line: sqlx's
//! slow-statement warning carries the whole SQL (kilobytes, over many
//! lines) in `db.statement`, which is clipped to its start on one line
//! ([`clip_statement`]; the JSON format keeps it whole).

use std::io::{self, IsTerminal, Write};

use indicatif::MultiProgress;
use tracing_subscriber::{
    EnvFilter,
    field::MakeExt,
    fmt::{FormatFields, format::debug_fn},
};

/// The filter used when `RUST_LOG` is unset or unreadable.
pub const DEFAULT_FILTER: &str = "warn,aegis=info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event (colours on a terminal).
    #[default]
    Human,
    /// One JSON object per event, for log collectors.
    Json,
}

/// Installs the subscriber. `progress` holds the bars the command may draw;
/// log lines are printed above them.
///
/// # Errors
/// When a subscriber is already installed.
pub fn init(
    format: LogFormat,
    progress: MultiProgress,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || BarSafeStderr(progress.clone()));
    match format {
        LogFormat::Human => builder
            .with_ansi(io::stderr().is_terminal())
            .fmt_fields(human_fields())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    }
}

/// Fields as the default human format writes them, `db.statement` clipped.
fn human_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    debug_fn(|w, field, value| match field.name() {
        "message" => write!(w, "{value:?}"),
        "db.statement" => write!(w, "db.statement={}", clip_statement(&format!("{value:?}"))),
        name => write!(w, "{name}={value:?}"),
    })
    .delimited(" ")
}

/// Longest start of a statement a human log line shows.
const STATEMENT_SHOWN: usize = 120;

/// `sql` on one line, cut after `STATEMENT_SHOWN` characters with how
/// many there were.
pub fn clip_statement(sql: &str) -> String {
    let line = sql
        .trim_matches('"')
        .replace("\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let total = line.chars().count();
    if total <= STATEMENT_SHOWN {
        return line;
    }
    let start: String = line.chars().take(STATEMENT_SHOWN).collect();
    format!("{start}… ({total} chars)")
}

/// stderr, written with the progress bars hidden for the moment of the write.
struct BarSafeStderr(MultiProgress);

impl Write for BarSafeStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| io::stderr().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.suspend(|| io::stderr().write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_statement_is_one_clipped_line() {
        let sql = format!("\"\\n\\nselect {}\\n  from tasks\\n\"", "a, ".repeat(2000));
        let shown = clip_statement(&sql);
        assert!(!shown.contains('\n') && !shown.contains("\\n"), "{shown}");
        assert!(shown.starts_with("select a, a,"), "{shown}");
        assert!(shown.ends_with(" chars)"), "{shown}");
        assert!(shown.chars().count() < STATEMENT_SHOWN + 20, "{shown}");
        assert_eq!(clip_statement("\"select 1\""), "select 1");
    }
}
