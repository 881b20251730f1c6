//! `mentor evidence`.

use std::process::ExitCode;

use clap::Parser;

/// Show a mentee's milestones and their evidence.
#[derive(Debug, Parser)]
pub struct EvidenceArgs {}

pub fn cmd_evidence(_args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`mentor evidence` is not implemented yet")
}
