//! The hard rules of matching: who is in the cohort, who may mentor, how many more mentees each mentor can
//! take, and which pairings are never allowed (`avoid`, rotation, tier rules).
//!
//! Fit is [`super::fit`]'s job; these rules only say yes or no, and why not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Config, Level, PairStatus, Person, Tier};
use crate::load::Credit;
use crate::login::Login;

/// Who is matched. Pairs in force whose mentee is not in the cohort go on and use their mentor's capacity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cohort {
    /// Everyone who wants mentoring (has `wants`) and has no pair in force.
    All,
    /// Everyone with no pair in force, as mentee or mentor, who wants mentoring or may not mentor
    /// ([`may_mentor`]): the default cohort plus those who listed no `wants`.
    Unpaired,
    /// Exactly these people (a pair in force of theirs is replaced, so it frees its mentor's capacity).
    Mentees(Vec<Login>),
}

/// Why a mentor may not take a mentee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// One of them lists the other under `avoid`.
    Avoid,
    /// The mentor was the mentee's mentor in one of their last `no_repeat` pairs.
    Rotation,
    /// The mentor's tier takes only mentees at `min` or above; the mentee is at `has`.
    Tier {
        /// The mentor's tier.
        tier: Tier,
        /// `matching.tiers.<tier>.mentees_min_level`.
        min: Level,
        /// The mentee's level, if set.
        has: Option<Level>,
    },
    /// The mentor has no mentee or minutes left.
    Capacity,
}

impl Block {
    /// Returns the rule's name, as in `unmatched` reasons.
    pub fn rule(&self) -> &'static str {
        match self {
            Block::Avoid => "avoid",
            Block::Rotation => "rotation",
            Block::Tier { .. } => "tier",
            Block::Capacity => "capacity",
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Block::Avoid => f.write_str("avoid: one of them asked not to be paired with the other"),
            Block::Rotation => f.write_str("rotation: mentored them in a recent pair"),
            Block::Tier { tier, min, has } => {
                let tier = format!("{tier:?}").to_lowercase();
                let has = has.map_or_else(|| "no level".to_string(), |l| l.to_string());
                write!(f, "tier: {tier} mentors take {min} and above, the mentee is {has}")
            }
            Block::Capacity => f.write_str("capacity: no mentee or minutes left"),
        }
    }
}

/// Returns the cohort's logins, sorted, or the first unknown login of an explicit list.
pub fn cohort(config: &Config, which: &Cohort, today: NaiveDate) -> Result<Vec<Login>, Login> {
    let in_force = |login: &Login| config.pairs_in_force(login, today).next().is_some();
    let mut out: BTreeSet<Login> = BTreeSet::new();
    match which {
        Cohort::Mentees(list) => {
            for login in list {
                if !config.people.contains_key(login) {
                    return Err(login.clone());
                }
                out.insert(login.clone());
            }
        }
        Cohort::All => {
            for person in config.people.values() {
                if !person.wants.is_empty() && !in_force(&person.login) {
                    out.insert(person.login.clone());
                }
            }
        }
        Cohort::Unpaired => {
            for person in config.people.values() {
                let mentoring =
                    config.pairs.iter().any(|p| p.mentor == person.login && p.in_force(today));
                let wants = !person.wants.is_empty();
                if !in_force(&person.login)
                    && !mentoring
                    && (wants || !may_mentor(config, person, today))
                {
                    out.insert(person.login.clone());
                }
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Returns true if `person` may mentor at all: a senior or principal, or anyone whose capacity (own or tier)
/// allows at least one mentee, or who mentors now.
pub fn may_mentor(config: &Config, person: &Person, today: NaiveDate) -> bool {
    let capacity = config.effective_capacity(&person.login);
    match capacity.mentees {
        Some(0) => false,
        Some(_) => true,
        None => {
            person.tier != Tier::Peer
                || config.pairs.iter().any(|p| p.mentor == person.login && p.in_force(today))
        }
    }
}

/// Returns how many more mentees `mentor` can take: their capacity (own, else tier) less the pairs in force
/// today whose mentee is not being matched again, in mentees and in minutes — each kept pair costs
/// `matching.minutes_per_mentee`, or the minutes the mentor was measured at (`measured`), whichever is more.
/// Unlimited is the cohort's size.
pub fn slots(
    config: &Config,
    mentor: &Login,
    cohort: &BTreeSet<&Login>,
    today: NaiveDate,
    measured: u32,
) -> u32 {
    let capacity = config.effective_capacity(mentor);
    let kept = config
        .pairs
        .iter()
        .filter(|p| &p.mentor == mentor && p.in_force(today) && !cohort.contains(&p.mentee))
        .map(|p| &p.mentee)
        .collect::<BTreeSet<_>>()
        .len() as u32;
    let limit = cohort.len() as u32;
    let by_mentees = capacity.mentees.map_or(limit, |cap| cap.saturating_sub(kept));
    let per = config.matching.minutes_per_mentee;
    let by_minutes = match capacity.minutes_per_sprint {
        Some(minutes) if per > 0 => {
            minutes.saturating_sub(kept.saturating_mul(per).max(measured)) / per
        }
        _ => limit,
    };
    by_mentees.min(by_minutes).min(limit)
}

/// Returns the minutes each mentor is measured at for capacity: the most they were credited in the current or
/// the previous sprint for mentees outside `cohort` (whose pairs go on).
pub fn measured_minutes(
    config: &Config,
    credits: &[Credit],
    cohort: &BTreeSet<&Login>,
    now: DateTime<Utc>,
) -> BTreeMap<Login, u32> {
    let current = config.sprints.sprint_at(now);
    let sprints = config.sprints.recent(&current, 2);
    let mut out: BTreeMap<Login, u32> = BTreeMap::new();
    for sprint in sprints {
        let (start, end) = (sprint.start.with_timezone(&Utc), sprint.end.with_timezone(&Utc));
        let mut minutes: BTreeMap<&Login, u32> = BTreeMap::new();
        for c in
            credits.iter().filter(|c| c.at >= start && c.at < end && !cohort.contains(&c.mentee))
        {
            let slot = minutes.entry(&c.mentor).or_default();
            *slot = slot.saturating_add(c.minutes);
        }
        for (mentor, m) in minutes {
            let slot = out.entry(mentor.clone()).or_default();
            *slot = (*slot).max(m);
        }
    }
    out
}

/// Returns the rule that forbids `mentor` for `mentee`, if one does (capacity aside); `recent` is the mentee's
/// [`recent_mentors`].
pub fn blocked(
    config: &Config,
    mentee: &Person,
    mentor: &Person,
    recent: &[Login],
) -> Option<Block> {
    if mentee.avoid.contains(&mentor.login) || mentor.avoid.contains(&mentee.login) {
        return Some(Block::Avoid);
    }
    if recent.contains(&mentor.login) {
        return Some(Block::Rotation);
    }
    if let Some(min) = config.matching.tiers.of(mentor.tier).mentees_min_level
        && mentee.level.is_none_or(|l| l < min)
    {
        return Some(Block::Tier { tier: mentor.tier, min, has: mentee.level });
    }
    None
}

/// Returns the mentors of `mentee`'s last `matching.rotation.no_repeat` pairs (latest start first).
pub fn recent_mentors(config: &Config, mentee: &Login) -> Vec<Login> {
    let mut pairs: Vec<_> = config.pairs_of_mentee(mentee).collect();
    pairs.sort_by_key(|p| std::cmp::Reverse(p.since));
    let mut out: Vec<Login> = Vec::new();
    for pair in pairs {
        if out.len() >= config.matching.rotation.no_repeat as usize {
            break;
        }
        if !out.contains(&pair.mentor) {
            out.push(pair.mentor.clone());
        }
    }
    out
}

/// Returns when `mentor` and `mentee` were last paired, if ever.
pub fn last_paired(config: &Config, mentor: &Login, mentee: &Login) -> Option<NaiveDate> {
    config
        .pairs
        .iter()
        .filter(|p| &p.mentor == mentor && &p.mentee == mentee)
        .map(|p| p.since)
        .max()
}

/// Returns the track a new pair of `mentee` follows: their latest pair's, else `matching.track`, else the first
/// track (empty when there is none).
pub fn track_for(config: &Config, mentee: &Login) -> String {
    config
        .pairs_of_mentee(mentee)
        .filter(|p| p.status != PairStatus::Ended || config.track(&p.track).is_some())
        .max_by_key(|p| p.since)
        .map(|p| p.track.clone())
        .or_else(|| config.matching.track.clone())
        .or_else(|| config.tracks.keys().next().cloned())
        .unwrap_or_default()
}
