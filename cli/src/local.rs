//! What `log`, `evidence` and `load` share: the flags that pick history and config, and the scan they run.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use mentor_core::Config;
use mentor_core::history::{HistoryPlan, github_repo_of_url};
use mentor_core::trailer::TrailerOptions;

use crate::history::{self, HistoryScan};
use crate::progress::Progress;

/// Flags shared by the history commands.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Read history from this revision instead of HEAD.
    #[arg(long, default_value = "HEAD", value_name = "REV")]
    pub rev: String,
    /// Use this config file instead of the clone's .github/mentorship.yml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The org's config file, for a config that `_extends` it (the CLI cannot fetch it offline).
    #[arg(long, value_name = "FILE", env = "MENTOR_ORG_CONFIG")]
    pub org_config: Option<PathBuf>,
    /// Print JSON for scripts instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Ignore and do not update the history cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Never show progress.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The clone, its config and what its history says.
pub struct LocalHistory {
    /// The repository.
    pub repo: git2::Repository,
    /// The validated config.
    pub config: Config,
    /// The scan result.
    pub scan: HistoryScan,
    /// The current instant (`MENTOR_NOW` overrides the clock, for reproducible output).
    pub now: DateTime<Utc>,
}

/// Opens the clone, loads the config and scans history as `args` say.
pub fn read(args: &HistoryArgs) -> anyhow::Result<LocalHistory> {
    let repo = crate::repo::open()?;
    let path = crate::repo::config_path(&repo, args.config.as_deref())?;
    let config = crate::repo::load_config(&path, args.org_config.as_deref())?;
    let (name, url_base) = repo_identity(&repo);
    let options = trailer_options(&repo);
    let plan = HistoryPlan::new(&config, &name, url_base.as_deref(), options);
    let mut progress = Progress::stderr(args.quiet);
    let scan = history::scan(&repo, &plan, &config.hash, &args.rev, !args.no_cache, &mut progress)?;
    if scan.shallow {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "warning: this is a shallow clone, so history is cut: older evidence and touchpoints are missing\n\nRun `git fetch --unshallow` for complete answers."
        );
    }
    Ok(LocalHistory { repo, config, scan, now: now()? })
}

/// Returns the current instant, or `MENTOR_NOW` (RFC 3339) when set.
pub fn now() -> anyhow::Result<DateTime<Utc>> {
    match std::env::var("MENTOR_NOW") {
        Ok(text) => {
            DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).with_context(|| {
                format!("MENTOR_NOW={text:?} is not an RFC 3339 time like 2026-11-23T09:00:00Z")
            })
        }
        Err(_) => Ok(Utc::now()),
    }
}

/// Returns the repository's name for sources (`owner/name` for a GitHub origin, else the directory name) and,
/// for GitHub, the web URL links are built from.
pub fn repo_identity(repo: &git2::Repository) -> (String, Option<String>) {
    let origin = repo.find_remote("origin").ok().and_then(|r| r.url().ok().map(str::to_string));
    if let Some(full) = origin.as_deref().and_then(github_repo_of_url) {
        let url = format!("https://github.com/{full}");
        return (full, Some(url));
    }
    let dir = repo.workdir().unwrap_or_else(|| repo.path());
    let name =
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "local".into());
    (name, None)
}

/// Returns how the repository marks comment lines (`core.commentString`, else `core.commentChar`, else `#`).
pub fn trailer_options(repo: &git2::Repository) -> TrailerOptions {
    let config = repo.config().ok();
    let get = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok());
    match get("core.commentString").or_else(|| get("core.commentChar")) {
        Some(s) if !s.is_empty() && s != "auto" => TrailerOptions::with_comment(&s),
        _ => TrailerOptions::default(),
    }
}

/// Writes `value` as pretty JSON and a newline to stdout.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("cannot write JSON")?;
    writeln!(out).context("cannot write JSON")?;
    Ok(())
}
