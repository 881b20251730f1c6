//! `mentor-app`: Mentor's GitHub App server as a library, so tests, `demo` and `replay` reuse the startup code.
//!
//! The server verifies webhooks ([`webhook`]) and queues them durably ([`inbox`]), processes them in the
//! background ([`worker`]) with the pure `mentor-core`, stores the results ([`store`]) and serves them ([`http`]).
//! Dependencies point one way: `http` → `inbox`/`worker`/`outbox` → `store`/`github`/`config_source` → core.
//! GitHub access, payload normalization and config resolution belong to the GitHub side (`github`,
//! `normalize`, `config_source`).

pub mod clock;
pub mod commands;
pub mod config_source;
pub mod demo;
pub mod error;
pub mod failure;
pub mod github;
pub mod guide;
pub mod http;
pub mod inbox;
pub mod normalize;
pub mod nudges;
pub mod outbox;
pub mod payload;
pub mod respond;
pub mod server;
pub mod settings;
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
    let cli = match Cli::try_parse() {
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
    }
}
