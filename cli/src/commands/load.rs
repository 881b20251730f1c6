//! `mentor load`.

use std::process::ExitCode;

use clap::Parser;

/// Show mentoring load per mentor for a sprint.
#[derive(Debug, Parser)]
pub struct LoadArgs {}

pub fn cmd_load(_args: LoadArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`mentor load` is not implemented yet")
}
