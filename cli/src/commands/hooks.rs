//! `mentor hooks`.

use std::process::ExitCode;

use clap::Parser;

/// Install, remove or inspect Mentor's git hooks.
#[derive(Debug, Parser)]
pub struct HooksArgs {}

pub fn cmd_hooks(_args: HooksArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`mentor hooks` is not implemented yet")
}
