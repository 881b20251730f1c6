//! `mentor log`.

use std::process::ExitCode;

use clap::Parser;

/// List mentoring activity found in local history.
#[derive(Debug, Parser)]
pub struct LogArgs {}

pub fn cmd_log(_args: LogArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`mentor log` is not implemented yet")
}
