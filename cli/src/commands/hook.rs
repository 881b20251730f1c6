//! `mentor hook <name> …`: the plumbing entry points git hooks call. Quiet, stable, and failing open.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use crate::hooks::{program, runtime};

/// Run a git hook from another hook manager's config (husky, lefthook, pre-commit), not by hand.
///
/// Only an unknown `Milestone:` id fails a commit (exit 1); any error of Mentor itself is a
/// warning on stderr and the commit goes on (exit 0).
///
/// Examples:
///   mentor hook prepare-commit-msg .git/COMMIT_EDITMSG message
///   mentor hook commit-msg .git/COMMIT_EDITMSG
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
#[command(hide = true)]
pub struct HookArgs {
    /// Hook name and the arguments git passed.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Runs the hook named first in `args`; failures of Mentor itself are warnings and exit 0.
pub fn cmd_hook(args: HookArgs) -> ExitCode {
    let mut words = args.args.iter().map(String::as_str);
    let name = words.next().unwrap_or("");
    let file = words.next();
    let outcome = match (name, file) {
        ("prepare-commit-msg", Some(file)) => {
            runtime::prepare_commit_msg(Path::new(file), words.next())
        }
        ("commit-msg", Some(file)) => runtime::commit_msg(Path::new(file)),
        ("prepare-commit-msg" | "commit-msg", None) => {
            Err(anyhow::anyhow!("git passed no commit message file to the {name} hook"))
        }
        _ => Err(anyhow::anyhow!(
            "unknown hook {name:?}; mentor handles prepare-commit-msg and commit-msg"
        )),
    };
    program::report(name, outcome)
}
