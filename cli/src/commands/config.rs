//! `mentor config check`: validates a `mentorship.yml` with the same core validator the app uses.
//!
//! This file only finds and reads the file and renders the outcome (text or JSON); every rule lives in
//! `mentor_core::config::parse`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use mentor_core::{Config, ConfigError};
use serde::Serialize;

use crate::repo;

/// Work with the mentorship config (.github/mentorship.yml).
#[derive(Debug, Parser)]
// Examples go in `after_help`: clap rewraps doc-comment paragraphs, which would run the lines together.
#[command(after_help = "Examples:
  mentor config check                     Validate .github/mentorship.yml of this clone
  mentor config check org/mentorship.yml  Validate another file
  mentor config check --json              Machine-readable result, for CI")]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    Check(CheckArgs),
}

/// Check a mentorship config for errors.
///
/// Reads FILE, or .github/mentorship.yml of the current clone, and reports every problem as
/// `file:line:column: message` on stderr: YAML syntax, unknown keys, wrong types, people, pairs, tracks,
/// milestones, dates, durations, globs and time zones. Exits 0 when the file is valid and 1 when it is not.
///
/// A file that `_extends` another (the org's `.github` repository) is checked on its own: the base cannot be
/// fetched offline, so check that file separately. A file that cannot be read is an error (exit 1) in both
/// text and JSON mode.
#[derive(Debug, Parser)]
#[command(after_help = r#"Examples:
  mentor config check
  mentor config check path/to/mentorship.yml
  mentor config check --json | jq -r '.errors[] | "\(.line):\(.column): \(.message)"'"#)]
pub struct CheckArgs {
    /// The file to check [default: .github/mentorship.yml in the current clone].
    file: Option<PathBuf>,

    /// Print `{"file", "valid", "extends", "errors": [{"line", "column", "message"}]}` on stdout instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `mentor config <subcommand>`.
pub fn cmd_config(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConfigCommand::Check(args) => {
            cmd_config_check(args, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
        }
    }
}

/// The JSON form of a check result.
#[derive(Serialize)]
struct CheckReport<'a> {
    file: &'a str,
    valid: bool,
    /// The `_extends` base, which was not checked.
    extends: Option<&'a str>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    line: u64,
    column: u64,
    message: &'a str,
}

fn cmd_config_check(
    args: CheckArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let (path, label) = match &args.file {
        Some(file) => (file.clone(), file.display().to_string()),
        None => default_config()?,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let hint = if args.file.is_some() {
            "Check the path, or run `mentor config check` in a clone to use its .github/mentorship.yml."
        } else {
            "Create it (see the example in the Mentor repository), or name another file: mentor config check FILE"
        };
        anyhow!("cannot read the mentorship config {label}: {e}\n\n{hint}")
    })?;

    let result = mentor_core::config::parse(&label, &text);
    let errors: &[ConfigError] = match &result {
        Ok(_) => &[],
        Err(errors) => &errors.0,
    };
    let config = result.as_ref().ok();
    let extends = config.and_then(|c| c.extends.as_deref());

    if args.json {
        let report = CheckReport {
            file: &label,
            valid: config.is_some(),
            extends,
            errors: errors
                .iter()
                .map(|e| JsonError { line: e.line, column: e.column, message: &e.message })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &report).context("cannot write the JSON report")?;
        writeln!(out)?;
    } else if let Some(config) = config {
        writeln!(out, "{label}: ok — {}", summary(config))?;
        if let Some(base) = extends {
            writeln!(
                err,
                "note: {label} extends {base:?}, which was not checked (mentor cannot fetch it offline)\n\nCheck the base file too: mentor config check path/to/.github/mentorship.yml"
            )?;
        }
    } else {
        for e in errors {
            writeln!(err, "{e}")?;
        }
        let n = errors.len();
        writeln!(err, "error: {n} {} in {label}", if n == 1 { "problem" } else { "problems" })?;
    }
    Ok(if config.is_some() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Returns the clone's `.github/mentorship.yml` and how to name it in messages (relative to the cwd if inside).
fn default_config() -> anyhow::Result<(PathBuf, String)> {
    let repo = repo::open().map_err(|_| {
        anyhow!(
            "not inside a git repository, and no FILE was given\n\nRun mentor config check from a clone, or name the file: mentor config check path/to/mentorship.yml"
        )
    })?;
    let path = repo::config_path(&repo, None)?;
    let label = relative_to_cwd(&path).unwrap_or_else(|| path.display().to_string());
    Ok((path, label))
}

/// Returns `path` relative to the current directory when it lies below it, the way compilers print paths.
fn relative_to_cwd(path: &Path) -> Option<String> {
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    // The file may not exist yet, so canonicalize its directory only.
    let dir = path.parent()?.canonicalize().ok()?;
    let rel = dir.strip_prefix(&cwd).ok()?.join(path.file_name()?);
    Some(rel.display().to_string())
}

/// Summarises a valid config: "4 people, 2 pairs, 1 track, 3 milestones".
fn summary(config: &Config) -> String {
    let milestones: usize = config.tracks.values().map(|t| t.milestones.len()).sum();
    [
        count(config.people.len(), "person", "people"),
        count(config.pairs.len(), "pair", "pairs"),
        count(config.tracks.len(), "track", "tracks"),
        count(milestones, "milestone", "milestones"),
    ]
    .join(", ")
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
