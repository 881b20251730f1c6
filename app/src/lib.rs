//! `mentor-app`: Mentor's GitHub App server as a library, so tests, `demo` and `replay` reuse the startup code.
//!
//! The server verifies webhooks ([`webhook`]) and queues them durably ([`inbox`]), processes them in the
//! background ([`worker`]) with the pure `mentor-core`, stores the results ([`store`]) and serves them ([`http`]).
//! Dependencies point one way: `http` → `inbox`/`worker`/`outbox` → `store`/`github`/`config_source` → core.
//! GitHub access, payload normalization and config resolution belong to the GitHub side (`github`,
//! `normalize`, `config_source`).

pub mod backfill;
pub mod backup;
pub mod clock;
pub mod commands;
pub mod config_source;
pub mod demo;
pub mod derive;
pub mod digest;
pub mod error;
pub mod failure;
pub mod github;
pub mod guide;
pub mod heartbeat;
pub mod http;
pub mod inbox;
pub mod memory;
pub mod metrics;
pub mod normalize;
pub mod nudges;
pub mod outbox;
pub mod payload;
pub mod person;
pub mod privacy;
pub mod reports;
pub mod respond;
pub mod scheduler;
pub mod server;
pub mod settings;
pub mod setup;
pub mod store;
pub mod telemetry;
pub mod token;
pub mod webhook;
pub mod worker;

use std::process::ExitCode;

use clap::Parser;

use crate::settings::{Cli, Command};

/// Parses the command line, runs the command and returns the exit code (0 ok, 1 failure, 2 bad command line).
pub fn run() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(e) = load_env_file(&args) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads `serve`'s env file into the environment before the command line is parsed (clap reads the environment
/// while parsing): the file `--env-file` names, else `mentor.env` in the working directory when there is one.
/// Variables already set win, so a deployment can override one setting without editing the file.
fn load_env_file(args: &[std::ffi::OsString]) -> Result<(), String> {
    let words: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    if !words.iter().skip(1).any(|w| w == "serve" || w == "backfill") {
        return Ok(());
    }
    let named = words.iter().enumerate().find_map(|(i, w)| {
        if w == "--env-file" {
            words.get(i + 1).cloned()
        } else {
            w.strip_prefix("--env-file=").map(str::to_owned)
        }
    });
    let (path, required) = match named {
        Some(p) => (std::path::PathBuf::from(p), true),
        None => (std::path::PathBuf::from("mentor.env"), false),
    };
    if !required && !path.exists() {
        return Ok(());
    }
    dotenvy::from_path(&path).map_err(|e| {
        format!(
            "--env-file: cannot read {}: {e}\n\nWrite it with `mentor-app setup`, or point --env-file at it.",
            path.display()
        )
    })
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    match cli.command {
        Command::Serve(args) => commands::cmd_serve(*args, &cli.database_url).await,
        Command::Deliveries(cmd) => {
            commands::cmd_deliveries(cmd, &cli.database_url, &mut out).await
        }
        Command::Token(cmd) => commands::cmd_token(cmd, &cli.database_url, &mut out).await,
        Command::Replay(args) => commands::cmd_replay(args, &mut out).await,
        Command::Demo(args) => demo::cmd_demo(args, &mut out).await,
        Command::Outbox(cmd) => commands::cmd_outbox(cmd, &cli.database_url, &mut out).await,
        Command::Orgs(cmd) => commands::cmd_orgs(cmd, &cli.database_url, &mut out).await,
        Command::Setup(args) => setup::cmd_setup(args, &mut out).await,
        Command::Backfill(args) => {
            backfill::command::cmd_backfill(args, &cli.database_url, &mut out).await
        }
        Command::Person(cmd) => {
            let (mut err, mut input) = (std::io::stderr(), std::io::stdin().lock());
            privacy::cmd_person(cmd, &cli.database_url, &mut out, &mut err, &mut input).await
        }
        Command::AccessLog(args) => {
            privacy::cmd_access_log(args, &cli.database_url, &mut out).await
        }
        Command::Backup(args) => backup::cmd_backup(args, &cli.database_url, &mut out).await,
    }
}
