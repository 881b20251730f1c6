//! `mentor config`.

use std::process::ExitCode;

use clap::Parser;

/// Validate the mentorship config.
#[derive(Debug, Parser)]
pub struct ConfigArgs {}

pub fn cmd_config(_args: ConfigArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`mentor config` is not implemented yet")
}
