//! `mentor pair`.

use std::process::ExitCode;

use clap::Parser;

/// Start, stop or show a pairing session.
#[derive(Debug, Parser)]
pub struct PairArgs {}

pub fn cmd_pair(_args: PairArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`mentor pair` is not implemented yet")
}
