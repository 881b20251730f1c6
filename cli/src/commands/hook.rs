//! `mentor hook <name> …`: the plumbing entry points git hooks call. Quiet, stable, and failing open.

use std::process::ExitCode;

use clap::Parser;

/// Run a git hook (called by the installed hook shims, not by people).
#[derive(Debug, Parser)]
#[command(hide = true)]
pub struct HookArgs {
    /// Hook name and the arguments git passed.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn cmd_hook(_args: HookArgs) -> ExitCode {
    ExitCode::SUCCESS
}
