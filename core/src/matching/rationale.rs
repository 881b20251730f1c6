//! The words of a proposal: each pair's rationale, why a runner-up lost, why a mentee was left out.
//!
//! A rationale names only the factors that decided the pair, in the program owner's words:
//! "databases 4 vs wanted; shares services/billing; 2 h tz overlap; first pairing". The audit later checks that
//! a rationale names no skill the mentor lacks, so nothing here may invent one.

use chrono::NaiveDate;

use super::fit::Fit;
use super::rules::Block;
use crate::config::Person;
use crate::login::Login;

/// At most this many covered wants are named.
const MAX_SKILLS: usize = 3;

/// Returns the rationale of pairing `mentor` with `mentee` for `fit`; `last_paired` is when they were last
/// paired, if ever.
pub fn rationale(
    mentee: &Person,
    mentor: &Person,
    fit: &Fit,
    last_paired: Option<NaiveDate>,
    team_weight: i32,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (skill, level) in fit.covered.iter().take(MAX_SKILLS) {
        parts.push(format!("{skill} {level} vs wanted"));
    }
    if let Some((area, level)) = fit.expert_areas.first()
        && *level > 0.0
    {
        if *level >= 0.999 {
            parts.push(format!("top contributor to {area}"));
        } else {
            parts.push(format!("works in {area}"));
        }
    }
    if let Some(area) = &fit.shared_area
        && !fit.expert_areas.iter().any(|(a, _)| a == area)
    {
        parts.push(format!("shares {area}"));
    }
    if let Some(hours) = fit.tz_overlap {
        parts.push(format!("{hours} h tz overlap"));
    }
    match (&mentee.team, &mentor.team) {
        (Some(a), Some(b)) if a == b => parts.push("same team".to_string()),
        (Some(_), Some(b)) if team_weight < 0 => parts.push(format!("cross-team ({b})")),
        _ => {}
    }
    if parts.iter().all(|p| p.ends_with("tz overlap") || p.contains("team"))
        && fit.covered.is_empty()
    {
        parts.insert(0, "no wanted skill covered".to_string());
    }
    parts.push(match last_paired {
        None => "first pairing".to_string(),
        Some(day) => format!("paired before (from {day})"),
    });
    parts.join("; ")
}

/// Returns why `runner_up` lost `mentee` to `chosen`: a better fit whose slots went to others, or the parts
/// where it fits worse.
pub fn why_lost(chosen: &Fit, runner_up: &Fit, runner_up_took: &[Login]) -> String {
    if runner_up.milli > chosen.milli {
        let took = if runner_up_took.is_empty() {
            "other mentees".to_string()
        } else {
            runner_up_took.iter().map(Login::as_str).collect::<Vec<_>>().join(", ")
        };
        return format!(
            "fits better ({:.3} vs {:.3}) but its slots went to {took}, which gives the cohort a higher total",
            runner_up.score(),
            chosen.score()
        );
    }
    let mut worse = Vec::new();
    if runner_up.skills < chosen.skills {
        worse.push(format!("skills {:.2} vs {:.2}", runner_up.skills, chosen.skills));
    }
    if runner_up.code < chosen.code {
        worse.push(format!("code {:.2} vs {:.2}", runner_up.code, chosen.code));
    }
    if let (Some(r), Some(c)) = (runner_up.tz_overlap, chosen.tz_overlap)
        && r < c
    {
        worse.push(format!("tz overlap {r} h vs {c} h"));
    }
    if runner_up.same_team != chosen.same_team {
        worse.push(if runner_up.same_team { "same team".into() } else { "other team".into() });
    }
    let detail = if worse.is_empty() { String::new() } else { format!(": {}", worse.join(", ")) };
    if runner_up.score() >= chosen.score() {
        // Equal fit: no difference to name; the cohort-wide assignment (deterministic) picked the other.
        return format!(
            "equal fit ({:.3}); either would do, and the assignment for the whole cohort took the other",
            chosen.score()
        );
    }
    format!("lower fit ({:.3} vs {:.3}){detail}", runner_up.score(), chosen.score())
}

/// Returns why nobody could take a mentee: every mentor's blocking rule, grouped by rule, or the mentors
/// who were allowed but full.
pub fn unmatched_reason(blocks: &[(Login, Block)], allowed_but_full: &[Login]) -> String {
    if !allowed_but_full.is_empty() {
        let names = allowed_but_full.iter().map(Login::as_str).collect::<Vec<_>>().join(", ");
        return format!(
            "capacity: every mentor allowed ({names}) is full with mentees that fit them better"
        );
    }
    if blocks.is_empty() {
        return "capacity: no mentor has room (give people a `capacity`, or tiers a default capacity)"
            .to_string();
    }
    let mut groups: Vec<(&'static str, Vec<String>)> = Vec::new();
    for (mentor, block) in blocks {
        let entry = match block {
            Block::Tier { .. } => {
                format!("{mentor} ({})", block.to_string().trim_start_matches("tier: "))
            }
            _ => mentor.to_string(),
        };
        match groups.iter_mut().find(|(rule, _)| *rule == block.rule()) {
            Some((_, names)) => names.push(entry),
            None => groups.push((block.rule(), vec![entry])),
        }
    }
    groups.sort_by_key(|(rule, _)| *rule);
    let text = groups
        .iter()
        .map(|(rule, names)| format!("{rule}: {}", names.join(", ")))
        .collect::<Vec<_>>();
    format!("every mentor is blocked by a rule — {}", text.join("; "))
}
