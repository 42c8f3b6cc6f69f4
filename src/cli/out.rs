//! Every line a command prints on stdout goes through here, as an
//! `io::Result` the command returns with `?`, never a panic.
//!
//! A reader that goes away early (`aegis runs | head -1`, `aegis queue list
//! | true`) makes the next write fail with [`io::ErrorKind::BrokenPipe`]
//! (Rust ignores `SIGPIPE`, and the crate forbids the `unsafe` needed to
//! restore it). `println!` would panic (exit 101); `outln!` hands the error
//! back instead, and `main` ends quietly with exit 0 when it finds a broken
//! pipe anywhere in an error's chain ([`is_broken_pipe`]), as ripgrep does.

use std::{
    fmt,
    io::{self, Write as _},
};

/// Writes `args` and a newline to stdout.
///
/// # Errors
/// The write's, [`io::ErrorKind::BrokenPipe`] when the reader is gone.
pub(crate) fn line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// `println!` that returns the write's `io::Result` instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Whether `error`'s chain holds a broken pipe: stdout's reader went away,
/// and the command should stop without a word.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_found_under_context() {
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        let error = anyhow::Error::from(pipe).context("printing the runs");
        assert!(is_broken_pipe(&error));
        let other = anyhow::Error::from(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!is_broken_pipe(&other));
    }
}
