//! TEMP
use clap::Parser;
use std::process::ExitCode;
/// Run a git hook (called by the installed hook shims, not by people).
#[derive(Debug, Parser)]
#[command(hide = true)]
pub struct HookArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}
pub fn cmd_hook(_args: HookArgs) -> ExitCode {
    ExitCode::SUCCESS
}
