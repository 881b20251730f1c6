//! `mentor pair start | stop | status`: the pairing session the commit hooks credit.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Local, Utc};
use clap::{Parser, Subcommand};
use mentor_core::{Duration, Login};
use serde::Serialize;

use crate::error::UsageError;
use crate::pairing::{self, Session};

/// Start, stop or show a pairing session.
///
/// While a session runs, Mentor's prepare-commit-msg hook adds `Mentored-by: Name <email>` for the
/// mentor to every commit made in this clone (all its worktrees), and `Co-authored-by:` too when
/// `pairing.co_authored_by` is set. Install the hooks first with `mentor hooks install`.
///
/// Examples:
///   mentor pair start bob               Pair with bob for `pairing.session` (default 2h)
///   mentor pair start bob --for 90m     Pair with bob for 90 minutes
///   mentor pair status                  Who is credited, and until when
///   mentor pair stop                    End the session now
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct PairArgs {
    #[command(subcommand)]
    command: PairCommand,
}

#[derive(Debug, Subcommand)]
enum PairCommand {
    Start(StartArgs),
    Stop(StopArgs),
    Status(StatusArgs),
}

/// Start crediting a mentor in your commits.
///
/// <LOGIN> must be a person in the mentorship config. Their trailer identity is their `name` (else
/// the login) and first email (else login@users.noreply.github.com). Starting again replaces the
/// current session.
///
/// Examples:
///   mentor pair start bob
///   mentor pair start @bob --for 45m
///   mentor pair start bob --config ../org-dotgithub/.github/mentorship.yml
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct StartArgs {
    /// GitHub login of the mentor (a person in the config).
    login: String,
    /// How long the session lasts, like 45m, 2h or 1d (default: `pairing.session` from the config, else 2h).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    length: Option<Duration>,
    /// The mentorship config to read (default: .github/mentorship.yml in the work tree).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The org's config file, for a config that `_extends` it (the CLI cannot fetch it offline).
    #[arg(long, value_name = "FILE", env = "MENTOR_ORG_CONFIG")]
    org_config: Option<PathBuf>,
}

/// End the pairing session.
///
/// Examples:
///   mentor pair stop
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct StopArgs {}

/// Show the pairing session: who is credited and until when, or that none runs.
///
/// Examples:
///   mentor pair status
///   mentor pair status --json
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let length: Duration =
        text.parse().map_err(|e: mentor_core::duration::DurationError| e.to_string())?;
    if length.seconds() <= 0 {
        return Err(format!("a pairing session must last longer than {text}"));
    }
    Ok(length)
}

/// Runs `mentor pair …`.
pub fn cmd_pair(args: PairArgs) -> anyhow::Result<ExitCode> {
    let repo = crate::repo::open()?;
    let common_dir = std::path::absolute(repo.commondir()).context("cannot resolve the git dir")?;
    let mut out = std::io::stdout().lock();
    let now = Utc::now();
    match args.command {
        PairCommand::Start(args) => cmd_start(&mut out, &repo, &common_dir, now, args),
        PairCommand::Stop(StopArgs {}) => cmd_stop(&mut out, &common_dir),
        PairCommand::Status(args) => cmd_status(&mut out, &common_dir, now, args),
    }
}

fn cmd_start(
    out: &mut impl Write,
    repo: &git2::Repository,
    common_dir: &std::path::Path,
    now: DateTime<Utc>,
    args: StartArgs,
) -> anyhow::Result<ExitCode> {
    let path = crate::repo::config_path(repo, args.config.as_deref())?;
    let config = crate::repo::load_config(&path, args.org_config.as_deref())?;
    let login = Login::new(&args.login);
    let Some(person) = config.person(&login) else {
        let known: Vec<&str> = config.people.keys().map(Login::as_str).collect();
        return Err(UsageError(format!(
            "{login} is not a person in {}\n\nPair with one of: {}. Add them under `people:` first if they are new.",
            path.display(),
            if known.is_empty() { "(nobody is configured)".to_string() } else { known.join(", ") }
        ))
        .into());
    };
    let length = args.length.unwrap_or(config.pairing.session);
    let session = Session::start(&config, person, now, length);
    pairing::save(common_dir, &session)?;
    writeln!(
        out,
        "Pairing with {} until {} ({length}).",
        session.login,
        local_time(session.expires_at)
    )?;
    for trailer in session.trailers() {
        writeln!(out, "Commits get `{}: {}`.", trailer.key, trailer.value)?;
    }
    if !hooks_in_place(repo) {
        eprintln!(
            "hint: Mentor's hooks are not installed in this clone, so commits get no trailers yet. Run `mentor hooks install`."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns false only when neither Mentor's prepare-commit-msg hook nor another hook manager is in place.
fn hooks_in_place(repo: &git2::Repository) -> bool {
    let Ok(loc) = crate::hooks::locate(repo) else { return true };
    let state = crate::hooks::hook_state(&loc.dir, "prepare-commit-msg");
    !matches!(state, Ok(crate::hooks::HookState::NotInstalled))
        || crate::hooks::managers::detect(
            repo.workdir(),
            loc.hooks_path_setting.as_deref(),
            &loc.dir,
        )
        .is_some()
}

fn cmd_stop(out: &mut impl Write, common_dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    // A corrupt file must still be removable, so only use its content for the message.
    let who = pairing::load(common_dir).ok().flatten().map(|s| s.login);
    if pairing::clear(common_dir)? {
        match who {
            Some(login) => writeln!(out, "Stopped pairing with {login}.")?,
            None => writeln!(out, "Removed the pairing session.")?,
        }
    } else {
        writeln!(out, "No pairing session to stop.")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON shape of `mentor pair status --json`.
#[derive(Serialize)]
struct StatusReport<'a> {
    /// `active`, `expired` or `none`.
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a Session>,
}

fn cmd_status(
    out: &mut impl Write,
    common_dir: &std::path::Path,
    now: DateTime<Utc>,
    args: StatusArgs,
) -> anyhow::Result<ExitCode> {
    let session = pairing::load(common_dir)?;
    let state = match &session {
        None => "none",
        Some(s) if s.is_active(now) => "active",
        Some(_) => "expired",
    };
    if args.json {
        serde_json::to_writer_pretty(
            &mut *out,
            &StatusReport { state, session: session.as_ref() },
        )?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    match &session {
        None => writeln!(out, "No pairing session.")?,
        Some(s) if s.is_active(now) => {
            let left = (s.expires_at - now).num_minutes().max(1);
            writeln!(
                out,
                "Pairing with {} ({}) until {} ({}h{:02}m left).",
                s.login,
                s.ident(),
                local_time(s.expires_at),
                left / 60,
                left % 60
            )?;
            for trailer in s.trailers() {
                writeln!(out, "Commits get `{}: {}`.", trailer.key, trailer.value)?;
            }
        }
        Some(s) => writeln!(
            out,
            "The pairing session with {} expired at {}; commits get no trailers.",
            s.login,
            local_time(s.expires_at)
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Formats `at` in the local time zone, with its offset so it is never ambiguous.
fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%Y-%m-%d %H:%M %:z").to_string()
}
