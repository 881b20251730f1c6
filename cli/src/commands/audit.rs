//! `mentor audit`: check the program's rationale, rotation, load, equity, growth and velocity offline.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Parser;
use mentor_core::audit::{self, AuditInput, AuditReport, Groups, growth};
use mentor_core::evidence::Vantage;
use mentor_core::expertise::Expertise;
use mentor_core::identity::Roster;
use mentor_core::load::Credit;
use mentor_core::touchpoint;

use crate::error::UsageError;
use crate::local::{self, HistoryArgs};

/// Audit the program: rationale, rotation, load by tier, equity, growth and velocity.
///
/// Findings come with a severity; the exit code is 1 when one is an `error` (a rationale
/// naming a skill the mentor lacks, a principal above the tier's cap), so CI can run it.
/// Equity groups smaller than `privacy.min_group_size` are shown as "fewer than N" and
/// never reveal a person. Self-declared groups are read from a private file
/// (`--groups FILE`: `{ dimension: { login: group } }`), never from the repo config.
///
/// Examples:
///   mentor audit
///   mentor audit --since 2026-01-01 --groups ~/private/groups.yml
///   mentor audit --json | jq '.findings[] | select(.severity == "error")'
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct AuditArgs {
    /// Audit from this day (YYYY-MM-DD; default: twelve months ago).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// The private file of self-declared groups, for equity.
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Weeks compared before and during each pair, for growth.
    #[arg(long, value_name = "N", default_value_t = 8)]
    weeks: u32,
    #[command(flatten)]
    history: HistoryArgs,
}

pub fn cmd_audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                UsageError(format!("invalid --since `{s}`: expected YYYY-MM-DD, like 2026-01-01"))
            })
        })
        .transpose()?;
    let groups = match &args.groups {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the groups file {}", path.display()))?;
            Some(Groups::parse(&path.display().to_string(), &text)?)
        }
        None => None,
    };
    let repo = crate::repo::open()?;
    // A clone without commits has no history to read: the audit then runs on the config alone.
    let local = if repo.head().is_ok() || args.history.rev != "HEAD" {
        Some(local::read(&args.history)?)
    } else {
        None
    };
    let (config, activities, now) = match &local {
        Some(local) => (local.config.clone(), local.scan.activities.as_slice(), local.now),
        None => {
            let path = crate::repo::config_path(&repo, args.history.config.as_deref())?;
            let config = crate::repo::load_config(&path, args.history.org_config.as_deref())?;
            (config, &[][..], local::now()?)
        }
    };
    let config = &config;
    let roster = Roster::new(config);
    let credits: Vec<Credit> = activities
        .iter()
        .flat_map(|a| touchpoint::derive(config, &roster, a))
        .map(|t| Credit::of(&t))
        .collect();
    let evidence = growth::collect_evidence(config, activities, args.weeks);
    let options = local::trailer_options(&repo);
    let contributions =
        crate::expertise::contributions(&repo, config, &args.history.rev, now, &options)?;
    let expertise = Expertise::from_contributions(&contributions, now);
    let areas: BTreeSet<String> = expertise.all_areas().into_iter().map(str::to_string).collect();
    let report = audit::audit(&AuditInput {
        config,
        credits: &credits,
        evidence: &evidence,
        vantage: Vantage::Local,
        groups: groups.as_ref(),
        areas: &areas,
        since,
        growth_weeks: args.weeks,
        now,
    });
    if args.history.json {
        local::print_json(&report)?;
    } else {
        print_report(&report, config.privacy.min_group_size)?;
    }
    Ok(if report.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn print_report(report: &AuditReport, min_group: u32) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "Findings")?;
    if report.findings.is_empty() {
        writeln!(out, "  (none)")?;
    }
    let width = report.findings.iter().map(|f| f.subject.len()).max().unwrap_or(7).max(7);
    if !report.findings.is_empty() {
        writeln!(out, "  {:<8} {:<9} {:<width$}  MESSAGE", "SEVERITY", "KIND", "SUBJECT")?;
    }
    for f in &report.findings {
        writeln!(
            out,
            "  {:<8} {:<9} {:<width$}  {}",
            f.severity.to_string(),
            f.kind.to_string(),
            f.subject,
            f.message
        )?;
    }

    writeln!(out, "\nEquity (groups under {min_group} people are suppressed)")?;
    writeln!(
        out,
        "  {:<10} {:<14} {:>12} {:>12} {:>15}",
        "DIMENSION", "GROUP", "ELIGIBLE", "MENTORED", "MILESTONES MET"
    )?;
    let fewer = format!("fewer than {min_group}");
    let count = |n: Option<u32>| n.map_or_else(|| fewer.clone(), |n| n.to_string());
    for row in &report.equity {
        if row.suppressed {
            writeln!(
                out,
                "  {:<10} {:<14} {:>12} {:>12} {:>15}",
                row.dimension, row.group, fewer, "-", "-"
            )?;
        } else {
            writeln!(
                out,
                "  {:<10} {:<14} {:>12} {:>12} {:>15}",
                row.dimension,
                row.group,
                count(row.eligible),
                count(row.mentored),
                count(row.milestones_met)
            )?;
        }
    }

    writeln!(out, "\nGrowth (evidence before vs during each pair)")?;
    if report.growth.is_empty() {
        writeln!(out, "  (no pair began in the window)")?;
    } else {
        writeln!(
            out,
            "  {:<14} {:<12} {:<10} {:>6} {:>7} {:>7}",
            "MENTEE", "TRACK", "STAGE", "DAYS", "BEFORE", "DURING"
        )?;
    }
    for row in &report.growth {
        let who = row.mentee.as_ref().map_or_else(|| "(all)".to_string(), |m| m.to_string());
        let (before, during) = if row.suppressed {
            (fewer.clone(), "-".to_string())
        } else {
            (count(row.before), count(row.during))
        };
        writeln!(
            out,
            "  {:<14} {:<12} {:<10} {:>6} {:>7} {:>7}",
            who,
            row.track,
            row.stage.as_str(),
            row.days,
            before,
            during
        )?;
    }

    writeln!(out, "\nVelocity (mentoring minutes per sprint and team)")?;
    if report.velocity.is_empty() {
        writeln!(out, "  (no mentoring with a team in the window)")?;
    } else {
        writeln!(
            out,
            "  {:<10} {:<10} {:>7} {:>8} {:>6} {:>6} {:>8}",
            "SPRINT", "TEAM", "MINUTES", "CAPACITY", "SHARE", "POINTS", "ADJUSTED"
        )?;
    }
    for row in &report.velocity {
        let share = row.share.map_or_else(|| "-".to_string(), |s| format!("{:.0}%", s * 100.0));
        let points = row.points.map_or_else(|| "-".to_string(), |p| p.to_string());
        let adjusted = row.adjusted.map_or_else(|| "-".to_string(), |a| format!("{a:.1}"));
        writeln!(
            out,
            "  {:<10} {:<10} {:>7} {:>8} {:>6} {:>6} {:>8}",
            row.sprint.to_string(),
            row.team,
            row.minutes,
            row.capacity_minutes,
            share,
            points,
            adjusted
        )?;
    }
    Ok(())
}
