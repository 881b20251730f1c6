//! `mentor completions <shell>`.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use clap_complete::Shell;

/// Print a shell completion script.
///
/// Examples:
///   mentor completions bash > ~/.local/share/bash-completion/completions/mentor
///   mentor completions zsh > "${fpath[1]}/_mentor"
///   mentor completions fish > ~/.config/fish/completions/mentor.fish
#[derive(Debug, Parser)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    shell: Shell,
}

pub fn cmd_completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "mentor", &mut std::io::stdout().lock());
    Ok(ExitCode::SUCCESS)
}
