//! `mentor evidence`: a mentee's milestones and the local commits that prove them.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use mentor_core::evidence::{self, EvidenceReport, EvidenceStatus, MilestoneStatus, Vantage};
use mentor_core::identity::Roster;
use mentor_core::{Config, Login};

use crate::error::UsageError;
use crate::local::{self, HistoryArgs};

/// Show a mentee's milestones and the evidence for them in local history.
///
/// Reads history from HEAD (or --rev) with the same rules as the Mentor app. Labels, reviewers and reviews given
/// are only on GitHub, so rules that need them show as "undecided" here rather than as not met.
///
/// Examples:
///   mentor evidence                      Your own milestones (matched by `git config user.email`)
///   mentor evidence --mentee carol       Someone else's
///   mentor evidence --json | jq '.milestones[] | select(.status == "met") | .id'
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct EvidenceArgs {
    /// The mentee's login (default: the configured person whose email is `git config user.email`).
    #[arg(long, value_name = "LOGIN")]
    mentee: Option<String>,
    #[command(flatten)]
    history: HistoryArgs,
}

pub fn cmd_evidence(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    let local = local::read(&args.history)?;
    let mentee = match &args.mentee {
        Some(login) => Login::new(login),
        None => default_mentee(&local.repo, &local.config)?,
    };
    if local.config.person(&mentee).is_none() {
        return Err(UsageError(format!(
            "{mentee} is not in the config's people\n\nPass a configured login with --mentee."
        ))
        .into());
    }
    let today = local.config.sprints.local_date(local.now);
    let Some(pair) = local.config.current_pair_of(&mentee, today) else {
        bail!(
            "{mentee} is not the mentee of any pair\n\nAdd a pair with `mentee: {mentee}` to the config, or pass another --mentee."
        );
    };

    let rows: Vec<_> = local
        .scan
        .activities
        .iter()
        .flat_map(|a| evidence::collect(&local.config, pair, a))
        .collect();
    let report = evidence::report(&local.config, pair, &rows, Vantage::Local, local.now);
    if args.history.json {
        local::print_json(&report)?;
    } else {
        print_report(&report, &pair.mentor, pair.since)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns the configured person whose email is the clone's `user.email`.
fn default_mentee(repo: &git2::Repository, config: &Config) -> anyhow::Result<Login> {
    let email = repo.config().and_then(|c| c.get_string("user.email")).context(
        "no --mentee given and `git config user.email` is not set\n\nPass --mentee LOGIN.",
    )?;
    Roster::new(config).login_for_email(&email).ok_or_else(|| {
        UsageError(format!(
            "no configured person has the email {email}\n\nAdd it to their `emails` in the config, or pass --mentee LOGIN."
        ))
        .into()
    })
}

fn print_report(
    report: &EvidenceReport,
    mentor: &Login,
    since: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} on track {} (mentor {mentor}, since {since})", report.mentee, report.track)?;
    let width = report.milestones.iter().map(|m| m.id.len()).max().unwrap_or(0);
    for m in &report.milestones {
        let status = match m.status {
            MilestoneStatus::Met => "met",
            MilestoneStatus::Open => "open",
            MilestoneStatus::Overdue => "OVERDUE",
            MilestoneStatus::Undecided => "undecided",
        };
        let due = m.due.map(|d| format!("  due {d}")).unwrap_or_default();
        writeln!(
            out,
            "\n  {:<9}  {:<width$}  {} [{}]{due}",
            status,
            m.id,
            m.title,
            serde_plain(&m.stage)
        )?;
        if m.evidence.is_empty() {
            writeln!(out, "             no evidence yet")?;
        }
        for e in &m.evidence {
            let mark = match e.status {
                EvidenceStatus::Auto | EvidenceStatus::Confirmed => "+",
                EvidenceStatus::Rejected => "x",
                EvidenceStatus::Claimed | EvidenceStatus::Undecided => "?",
            };
            let when = if e.source == "github" {
                String::new()
            } else {
                format!("{}  ", e.at.format("%Y-%m-%d"))
            };
            writeln!(out, "             {mark} {when}{}  {}", e.source, e.reason)?;
        }
    }
    Ok(())
}

fn serde_plain(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
