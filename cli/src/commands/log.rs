//! `mentor log`: mentoring activity found in local history, with what each item counts as.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use mentor_core::identity::Roster;
use mentor_core::{Evidence, Touchpoint, evidence, touchpoint};
use serde::Serialize;

use crate::local::{self, HistoryArgs};

/// List mentoring activity in local history: pairing commits and merged pull requests, with the touchpoints and
/// milestone evidence each one yields.
///
/// Examples:
///   mentor log
///   mentor log --rev origin/main
///   mentor log --json | jq '.[] | select(.touchpoints | length > 0)'
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct LogArgs {
    #[command(flatten)]
    history: HistoryArgs,
}

/// One line of `mentor log --json`.
#[derive(Serialize)]
struct Entry<'a> {
    at: chrono::DateTime<chrono::Utc>,
    source: String,
    actor: &'a str,
    kind: &'static str,
    touchpoints: Vec<Touchpoint>,
    evidence: Vec<Evidence>,
}

pub fn cmd_log(args: LogArgs) -> anyhow::Result<ExitCode> {
    let local = local::read(&args.history)?;
    let roster = Roster::new(&local.config);
    let entries: Vec<Entry<'_>> = local
        .scan
        .activities
        .iter()
        .map(|a| Entry {
            at: a.at,
            source: a.label(),
            actor: a.actor.as_str(),
            kind: match a.kind {
                mentor_core::ActivityKind::PullRequestMerged => "merged_pr",
                _ => "commit",
            },
            touchpoints: touchpoint::derive(&local.config, &roster, a),
            evidence: local
                .config
                .pairs_of_mentee(&a.actor)
                .flat_map(|p| evidence::collect(&local.config, p, a))
                .collect(),
        })
        .collect();
    if args.history.json {
        local::print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    for e in entries.iter().rev() {
        let mut notes: Vec<String> = e
            .touchpoints
            .iter()
            .map(|t| format!("{} {}->{} {}m", t.kind, t.mentor, t.mentee, t.minutes))
            .collect();
        notes.extend(
            e.evidence
                .iter()
                .map(|ev| format!("evidence {} ({:?})", ev.milestone, ev.status).to_lowercase()),
        );
        let notes =
            if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join("; ")) };
        writeln!(
            out,
            "{}  {:<9}  {:<12}  {}{notes}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.kind,
            e.actor,
            e.source
        )?;
    }
    if entries.is_empty() {
        writeln!(out, "No mentoring activity found in this history.")?;
    }
    Ok(ExitCode::SUCCESS)
}
