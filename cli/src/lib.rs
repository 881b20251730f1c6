//! The `mentor` command-line companion.
//!
//! A thin adapter around `mentor-core`: it reads git state with git2 and files from the clone, and renders
//! core results as tables or JSON. Domain rules live in the core crate, never here.

pub mod cache;
pub mod commands;
pub mod error;
pub mod expertise;
pub mod history;
pub mod hooks;
pub mod local;
pub mod pairing;
pub mod progress;
pub mod repo;

use std::process::ExitCode;

use clap::Parser;

/// Runs the CLI with the process arguments and returns its exit code (0 ok, 1 failure, 2 usage).
pub fn run() -> ExitCode {
    // Git runs `mentor hook …` on every commit, so it skips building clap's whole command tree (a measurable
    // share of the hook's start-up); `mentor hook --help` still goes through clap.
    let mut argv = std::env::args_os();
    if argv.nth(1).is_some_and(|a| a == "hook") {
        let args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
        if !args.iter().any(|a| a == "--help" || a == "-h") {
            return commands::run_hook(args);
        }
    }
    let cli = match commands::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout with exit 0 and usage errors to stderr with exit 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
