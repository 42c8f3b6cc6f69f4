//! `aegis completions SHELL` and `aegis man`: the shell completion script
//! ([`clap_complete`]) and the man page ([`clap_mangen`], roff), both made
//! from the clap definitions and written to stdout. Neither needs a
//! database or any configuration.

use std::io::Write as _;

use clap::CommandFactory as _;
use clap_complete::Shell;

use super::Args;

/// Writes the completion script for `shell`.
///
/// # Errors
/// Writing stdout (a closed pipe ends quietly, see [`super::out`]).
pub(super) fn completions(shell: Shell) -> anyhow::Result<()> {
    let mut command = Args::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "aegis", &mut script);
    write(&script)
}

/// Writes the man page `aegis(1)`: synopsis, global options, every
/// subcommand with its summary, version.
///
/// # Errors
/// Writing stdout.
pub(super) fn man() -> anyhow::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Args::command()).render(&mut page)?;
    write(&page)
}

fn write(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}
