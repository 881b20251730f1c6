//! `mentor config check`: validates a `mentorship.yml` with the same core validator the app uses.
//!
//! This file only finds and reads the file and renders the outcome (text or JSON); every rule lives in
//! `mentor_core::config::parse`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use mentor_core::{Config, ConfigError, ConfigErrors};
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
/// A file that `_extends` another (the org's `.github` repository) is checked together with the org's file
/// given with --org-config (or MENTOR_ORG_CONFIG); without it, it is checked on its own with a note. Several
/// FILEs are checked each, then merged the way the app merges an org's repositories (people by login, pairs by
/// mentor, mentee and track, tracks and milestones by id): the same key defined differently in two files is
/// reported with both places. A file that cannot be read is an error (exit 1) in both text and JSON mode.
#[derive(Debug, Parser)]
#[command(after_help = r#"Examples:
  mentor config check
  mentor config check path/to/mentorship.yml
  mentor config check --org-config ../dotgithub/.github/mentorship.yml
  mentor config check ../dotgithub/.github/mentorship.yml ../api/.github/mentorship.yml
  mentor config check --json | jq -r '.errors[] | "\(.line):\(.column): \(.message)"'"#)]
pub struct CheckArgs {
    /// The files to check [default: .github/mentorship.yml in the current clone]; several are also merged.
    file: Vec<PathBuf>,

    /// The org's config file, which a checked file's `_extends` resolves to (the CLI cannot fetch it).
    #[arg(long, value_name = "FILE", env = "MENTOR_ORG_CONFIG")]
    org_config: Option<PathBuf>,

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
    file: &'a str,
    line: u64,
    column: u64,
    message: &'a str,
}

fn cmd_config_check(
    args: CheckArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let files: Vec<(PathBuf, String)> = if args.file.is_empty() {
        vec![default_config()?]
    } else {
        args.file.iter().map(|f| (f.clone(), f.display().to_string())).collect()
    };
    let explicit = !args.file.is_empty();
    let mut reports = Vec::new();
    let mut configs = Vec::new();
    for (path, label) in &files {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let hint = if explicit {
                "Check the path, or run `mentor config check` in a clone to use its .github/mentorship.yml."
            } else {
                "Create it (see the example in the Mentor repository), or name another file: mentor config check FILE"
            };
            anyhow!("cannot read the mentorship config {label}: {e}\n\n{hint}")
        })?;
        let (result, org) = check_one(label, &text, args.org_config.as_deref())?;
        reports.push((label.clone(), result, org));
    }
    let mut valid = true;
    let mut json_files = Vec::new();
    for (label, result, org) in &reports {
        let errors: &[ConfigError] = match result {
            Ok(_) => &[],
            Err(errors) => &errors.0,
        };
        let config = result.as_ref().ok();
        // The base is reported as unchecked only when no org file was given to resolve it.
        let unchecked = config.and_then(|c| c.extends.as_deref()).filter(|_| org.is_none());
        valid &= config.is_some();
        if args.json {
            json_files.push(CheckReport {
                file: label,
                valid: config.is_some(),
                extends: unchecked,
                errors: errors.iter().map(json_error).collect(),
            });
        } else if let Some(config) = config {
            let with = org.as_ref().map(|o| format!(" (with {o})")).unwrap_or_default();
            writeln!(out, "{label}: ok{with} — {}", summary(config))?;
            if let Some(base) = unchecked {
                writeln!(
                    err,
                    "note: {label} extends {base:?}, which was not checked (mentor cannot fetch it offline)\n\nPass the org's file with --org-config FILE to check them together."
                )?;
            }
        } else {
            for e in errors {
                writeln!(err, "{e}")?;
            }
            let n = errors.len();
            writeln!(err, "error: {n} {} in {label}", if n == 1 { "problem" } else { "problems" })?;
        }
        if let Ok(config) = result {
            configs.push(config.clone());
        }
    }
    // Several files: merged as the app merges an org's repositories.
    let merge = (files.len() > 1 && valid).then(|| mentor_core::config::merge_org(configs));
    let merge_errors: Vec<ConfigError> = match &merge {
        Some(Err(errors)) => errors.0.clone(),
        _ => Vec::new(),
    };
    if args.json {
        if files.len() == 1 {
            let report = json_files.pop().context("no report")?;
            serde_json::to_writer_pretty(&mut *out, &report)
                .context("cannot write the JSON report")?;
        } else {
            let doc = serde_json::json!({
                "files": json_files,
                "merge": {
                    "valid": matches!(merge, Some(Ok(_))),
                    "errors": merge_errors.iter().map(json_error).collect::<Vec<_>>(),
                },
            });
            serde_json::to_writer_pretty(&mut *out, &doc)
                .context("cannot write the JSON report")?;
        }
        writeln!(out)?;
    } else if let Some(merged) = &merge {
        match merged {
            Ok(config) => writeln!(out, "merged: ok — {}", summary(config))?,
            Err(errors) => {
                for e in &errors.0 {
                    writeln!(err, "{e}")?;
                }
                let n = errors.0.len();
                writeln!(
                    err,
                    "error: {n} {} between the files: they cannot be merged into one program",
                    if n == 1 { "conflict" } else { "conflicts" }
                )?;
            }
        }
    }
    let ok = valid && !matches!(merge, Some(Err(_)));
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn json_error(e: &ConfigError) -> JsonError<'_> {
    JsonError { file: &e.file, line: e.line, column: e.column, message: &e.message }
}

/// Checks one file: with its `_extends` resolved from `org_config` when both are there, else on its own.
/// Returns the result and the org file used, if any.
fn check_one(
    label: &str,
    text: &str,
    org_config: Option<&Path>,
) -> anyhow::Result<(Result<Config, ConfigErrors>, Option<String>)> {
    use mentor_core::config::extends::{Layer, extends_of, parse_layers};

    let (Some(_), Some(org)) = (extends_of(text), org_config) else {
        return Ok((mentor_core::config::parse(label, text), None));
    };
    let org_label = org.display().to_string();
    let org_text = std::fs::read_to_string(org)
        .map_err(|e| anyhow!("cannot read the org config {org_label} (--org-config): {e}"))?;
    let layers = [
        Layer { label: label.to_owned(), repo: "local/clone".into(), text: text.to_owned() },
        Layer { label: org_label.clone(), repo: "local/org".into(), text: org_text },
    ];
    Ok((parse_layers(&layers, mentor_core::config::parse), Some(org_label)))
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
