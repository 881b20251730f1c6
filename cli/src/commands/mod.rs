//! The command line: one file per subcommand, each with its `XArgs` struct (whose doc comment is the help)
//! and its `cmd_x` function, dispatched from here.

mod audit;
mod completions;
mod config;
mod evidence;
mod hook;
mod hooks;
mod load;
mod log;
mod matching;
mod pair;
mod template;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Mentor: mentorship where the work happens — pairing trailers, milestone evidence and mentoring load,
/// read from your git history with the same rules as the Mentor GitHub App.
#[derive(Debug, Parser)]
#[command(name = "mentor", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Examples:
  mentor config check                 Validate .github/mentorship.yml
  mentor hooks install                Add Mentor's commit hooks to this clone
  mentor pair start bob --for 90m     Credit bob in commits for the next 90 minutes
  mentor evidence                     Your milestones and the commits that prove them
  mentor load --sprint previous       Mentoring load per mentor for the last sprint
  mentor match --explain              Propose mentors for the cohort, with reasons and runner-ups
  mentor audit                        Check rationale, rotation, load, equity, growth and velocity
  mentor template render review-guide --pr-json pr.json
                                      Preview the review guide the app would post on a PR")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Config(config::ConfigArgs),
    Hooks(hooks::HooksArgs),
    Pair(pair::PairArgs),
    Hook(hook::HookArgs),
    Log(log::LogArgs),
    Evidence(evidence::EvidenceArgs),
    Load(load::LoadArgs),
    Match(matching::MatchArgs),
    Audit(audit::AuditArgs),
    Template(template::TemplateArgs),
    Completions(completions::CompletionsArgs),
}

/// Runs `mentor hook <args…>` without going through the command-line parser.
pub fn run_hook(args: Vec<String>) -> ExitCode {
    hook::cmd_hook(hook::HookArgs { args })
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config(args) => config::cmd_config(args),
        Command::Hooks(args) => hooks::cmd_hooks(args),
        Command::Pair(args) => pair::cmd_pair(args),
        Command::Hook(args) => Ok(hook::cmd_hook(args)),
        Command::Log(args) => log::cmd_log(args),
        Command::Evidence(args) => evidence::cmd_evidence(args),
        Command::Load(args) => load::cmd_load(args),
        Command::Match(args) => matching::cmd_match(args),
        Command::Audit(args) => audit::cmd_audit(args),
        Command::Template(args) => template::cmd_template(args),
        Command::Completions(args) => completions::cmd_completions(args),
    }
}
