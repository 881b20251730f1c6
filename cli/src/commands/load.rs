//! `mentor load`: mentoring load per mentor for a sprint, from pairing trailers in local history.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use mentor_core::identity::Roster;
use mentor_core::load::{self, LoadReport, LoadStatus};
use mentor_core::touchpoint;

use crate::error::UsageError;
use crate::local::{self, HistoryArgs};

/// Show mentoring load per mentor for a sprint, against capacity.
///
/// Locally, touchpoints come from pairing commits (`Mentored-by:`, `Co-authored-by:` and `Reviewed-by:` trailers
/// between paired people); reviews and comments are counted by the Mentor app on GitHub.
///
/// Examples:
///   mentor load                          The current sprint
///   mentor load --sprint previous
///   mentor load --sprint 2026-11-20      The sprint containing that date
///   mentor load --json
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct LoadArgs {
    /// Which sprint: `current`, `previous`, or any date inside it (YYYY-MM-DD).
    #[arg(long, default_value = "current", value_name = "SPRINT")]
    sprint: String,
    #[command(flatten)]
    history: HistoryArgs,
}

pub fn cmd_load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let local = local::read(&args.history)?;
    let sprint = local
        .config
        .sprints
        .select(&args.sprint, local.now)
        .map_err(|e| UsageError(e.to_string()))?;
    let roster = Roster::new(&local.config);
    let touchpoints: Vec<_> = local
        .scan
        .activities
        .iter()
        .flat_map(|a| touchpoint::derive(&local.config, &roster, a))
        .collect();
    let report = load::report(&local.config, &sprint, &touchpoints, local.now);
    if args.history.json {
        local::print_json(&report)?;
    } else {
        print_report(&report, &local.config)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &LoadReport, config: &mentor_core::Config) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let last = report.sprint.end.date_naive() - chrono::Days::new(1);
    writeln!(out, "Sprint {} ({} to {})", report.sprint.id, report.sprint.id, last)?;
    writeln!(out)?;
    let width = report.mentors.iter().map(|m| m.login.as_str().len()).max().unwrap_or(6).max(6);
    writeln!(
        out,
        "{:<width$}  {:>11}  {:>7}  {:>8}  {:>7}  STATUS",
        "MENTOR", "TOUCHPOINTS", "MINUTES", "CAPACITY", "MENTEES"
    )?;
    for m in &report.mentors {
        let capacity = m.capacity_minutes.map_or_else(|| "-".to_string(), |c| c.to_string());
        let status = match m.status {
            LoadStatus::Ok => "ok",
            LoadStatus::High => "high",
            LoadStatus::Over => "OVER",
        };
        writeln!(
            out,
            "{:<width$}  {:>11}  {:>7}  {:>8}  {:>7}  {status}",
            m.login.as_str(),
            m.touchpoints,
            m.minutes,
            capacity,
            m.mentees
        )?;
    }
    if report.mentors.is_empty() {
        writeln!(out, "(no mentors with pairs or touchpoints in this sprint)")?;
    }
    if !report.stale_pairs.is_empty() {
        writeln!(out, "\nStale pairs (no touchpoint for {}):", config.touchpoints.stale_after)?;
        for s in &report.stale_pairs {
            let last = s
                .last_touchpoint
                .map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d").to_string());
            writeln!(out, "  {} -> {}  last touchpoint {last}", s.mentor, s.mentee)?;
        }
    }
    Ok(())
}
