//! `mentor match`: propose mentors for a whole cohort, from the config and the clone's history.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use mentor_core::Login;
use mentor_core::expertise::Expertise;
use mentor_core::identity::Roster;
use mentor_core::load::Credit;
use mentor_core::matching::{self, Cohort, Proposal, write};
use mentor_core::touchpoint;

use crate::error::UsageError;
use crate::local::{self, HistoryArgs};

/// Propose one mentor per mentee for the whole cohort, with the reasons.
///
/// Maximises total fit — the mentee's `wants` covered by the mentor's skill matrix and
/// by the code areas they changed and reviewed in the last 12 months (CODEOWNERS
/// sections, else top-level directories), time-zone overlap, cross-team exposure
/// (`matching.weights`) — and never breaks a rule: each mentor's remaining capacity
/// (mentees and minutes, tier defaults), `matching.tiers`, `avoid` and rotation
/// (`matching.rotation.no_repeat`). The cohort is everyone with `wants` and no pair in
/// force; pairs in force go on and use their mentor's capacity.
///
/// Examples:
///   mentor match                          Proposed `pairs:` YAML with a rationale per pair
///   mentor match --unpaired --explain     Everyone without a pair; show each runner-up
///   mentor match --mentees ana,ben --json
///   mentor match --write                  Add the pairs to the config file (comments and layout kept)
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct MatchArgs {
    /// Match exactly these mentees (comma-separated logins; a pair in force is replaced).
    #[arg(long, value_name = "LOGINS", value_delimiter = ',', conflicts_with = "unpaired")]
    mentees: Vec<String>,
    /// Match everyone without a pair in force who may not mentor, even without `wants`.
    #[arg(long)]
    unpaired: bool,
    /// Also show, per mentee, the runner-up mentor and why it lost.
    #[arg(long)]
    explain: bool,
    /// Add the proposed pairs to the config file's `pairs:` (checked by re-parsing before writing).
    #[arg(long)]
    write: bool,
    #[command(flatten)]
    history: HistoryArgs,
}

pub fn cmd_match(args: MatchArgs) -> anyhow::Result<ExitCode> {
    let repo = crate::repo::open()?;
    let path = crate::repo::config_path(&repo, args.history.config.as_deref())?;
    let (config, credits) = if repo.head().is_ok() || args.history.rev != "HEAD" {
        // The mentors' touchpoints measure how much of their minutes is already spent.
        let local = local::read(&args.history)?;
        let roster = Roster::new(&local.config);
        let credits: Vec<Credit> = local
            .scan
            .activities
            .iter()
            .flat_map(|a| touchpoint::derive(&local.config, &roster, a))
            .map(|t| Credit::of(&t))
            .collect();
        (local.config, credits)
    } else {
        // A clone without commits: no history to read.
        (crate::repo::load_config(&path, args.history.org_config.as_deref())?, Vec::new())
    };
    let now = local::now()?;
    let options = local::trailer_options(&repo);
    let contributions =
        crate::expertise::contributions(&repo, &config, &args.history.rev, now, &options)?;
    let expertise = Expertise::from_contributions(&contributions, now);
    let cohort = if !args.mentees.is_empty() {
        Cohort::Mentees(args.mentees.iter().map(|m| Login::new(m.trim())).collect())
    } else if args.unpaired {
        Cohort::Unpaired
    } else {
        Cohort::All
    };
    let proposal = matching::propose(&config, &expertise, &credits, &cohort, now)
        .map_err(|e| UsageError(format!("{e}\n\nPass configured logins with --mentees.")))?;

    if args.write && !proposal.pairs.is_empty() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let edited = write::add_pairs(&text, &proposal.pairs)
            .with_context(|| format!("cannot add the pairs to {}", path.display()))?;
        crate::repo::parse_config(&path, &edited, args.history.org_config.as_deref())
            .with_context(|| {
                format!("the pairs would make {} invalid, so it was not changed", path.display())
            })?;
        std::fs::write(&path, edited)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    if args.history.json {
        print_json(&proposal, args.explain)?;
    } else {
        print_yaml(&proposal, args.explain)?;
    }
    if args.write {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "Added {} pairs to {}.", proposal.pairs.len(), path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(proposal: &Proposal, explain: bool) -> anyhow::Result<()> {
    let mut value = serde_json::json!({ "pairs": proposal.pairs, "unmatched": proposal.unmatched });
    if explain {
        let runner_ups: Vec<_> =
            proposal.pairs.iter().filter_map(|p| p.runner_up.as_ref()).collect();
        value["runner_ups"] = serde_json::to_value(runner_ups)?;
    }
    local::print_json(&value)
}

fn print_yaml(proposal: &Proposal, explain: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let total: f64 = proposal.pairs.iter().map(|p| p.score).sum();
    writeln!(
        out,
        "# mentor match: {} pairs proposed, {} unmatched (total fit {total:.3})",
        proposal.pairs.len(),
        proposal.unmatched.len()
    )?;
    writeln!(out, "pairs:")?;
    for pair in &proposal.pairs {
        write!(out, "{}", matching::pairs_yaml(std::slice::from_ref(pair), "  "))?;
        if explain {
            writeln!(out, "    # score {:.3}", pair.score)?;
            match &pair.runner_up {
                Some(r) => writeln!(
                    out,
                    "    # runner-up: {} (score {:.3}): {}",
                    r.mentor, r.score, r.why
                )?,
                None => writeln!(out, "    # runner-up: none (no other mentor is allowed)")?,
            }
        }
    }
    if !proposal.unmatched.is_empty() {
        writeln!(out, "# unmatched:")?;
        for u in &proposal.unmatched {
            writeln!(out, "#   {}: {}", u.mentee, u.reason)?;
        }
    }
    Ok(())
}
