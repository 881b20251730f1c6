//! How failures reach the user: the error chain on stderr, hints after a blank line, exit codes by kind.

use std::io::Write;
use std::process::ExitCode;

/// A failure caused by how the command was called (exit code 2), as opposed to one that happened while running.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Prints `err` with its causes to stderr and returns the exit code for its kind.
///
/// A closed stdout (`mentor log | head`) is not an error and exits 0 quietly.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {err:#}");
    if err.downcast_ref::<UsageError>().is_some() { ExitCode::from(2) } else { ExitCode::from(1) }
}
