//! Property tests of `mentor match`: on random small cohorts, no capacity, tier, `avoid` or rotation rule is
//! ever broken, and the total fit equals a brute-force optimum.

use chrono::{DateTime, Days, NaiveDate, Utc};
use mentor_core::Login;
use mentor_core::config::{Config, Level, PairStatus, parse};
use mentor_core::expertise::{Contribution, ContributionKind, Expertise};
use mentor_core::load::Credit;
use mentor_core::matching::{Cohort, Problem, propose};
use proptest::prelude::*;

const SKILLS: [&str; 3] = ["rust", "databases", "api"];
const TIERS: [&str; 3] = ["peer", "senior", "principal"];
const LEVELS: [&str; 4] = ["junior", "mid", "senior", "staff"];
const ZONES: [&str; 4] = ["UTC", "UTC+3", "UTC-5", "UTC+9"];

fn now() -> DateTime<Utc> {
    "2026-12-01T12:00:00Z".parse().unwrap()
}

#[derive(Clone, Debug)]
struct MentorSpec {
    tier: usize,
    mentees: Option<u32>,
    minutes: Option<u32>,
    skills: Vec<(usize, u8)>,
    team: usize,
    tz: usize,
    areas: Vec<(usize, u8)>,
}

#[derive(Clone, Debug)]
struct MenteeSpec {
    wants: Vec<usize>,
    level: Option<usize>,
    team: usize,
    tz: usize,
    avoid: Vec<usize>,
    past: Vec<usize>,
    areas: Vec<(usize, u8)>,
}

#[derive(Clone, Debug)]
struct Cohorts {
    mentors: Vec<MentorSpec>,
    mentees: Vec<MenteeSpec>,
    /// Mentors (by index) holding a pair in force with someone outside the cohort, and the minutes credited
    /// for it this sprint.
    kept: Vec<(usize, u32)>,
    no_repeat: u32,
    principal_min: Option<usize>,
}

fn mentor_spec() -> impl Strategy<Value = MentorSpec> {
    (
        0..3usize,
        proptest::option::of(0..4u32),
        proptest::option::of(prop_oneof![Just(60u32), Just(120), Just(200)]),
        proptest::collection::vec((0..3usize, 1..=5u8), 0..3),
        0..2usize,
        0..4usize,
        proptest::collection::vec((0..3usize, 1..6u8), 0..3),
    )
        .prop_map(|(tier, mentees, minutes, skills, team, tz, areas)| MentorSpec {
            tier,
            mentees,
            minutes,
            skills,
            team,
            tz,
            areas,
        })
}

fn mentee_spec(mentors: usize) -> impl Strategy<Value = MenteeSpec> {
    (
        proptest::collection::vec(0..4usize, 0..3),
        proptest::option::of(0..4usize),
        0..2usize,
        0..4usize,
        proptest::collection::vec(0..mentors, 0..2),
        proptest::collection::vec(0..mentors, 0..3),
        proptest::collection::vec((0..3usize, 1..4u8), 0..2),
    )
        .prop_map(|(wants, level, team, tz, avoid, past, areas)| MenteeSpec {
            wants,
            level,
            team,
            tz,
            avoid,
            past,
            areas,
        })
}

fn cohorts() -> impl Strategy<Value = Cohorts> {
    (1..5usize).prop_flat_map(|n_mentors| {
        (
            proptest::collection::vec(mentor_spec(), n_mentors),
            proptest::collection::vec(mentee_spec(n_mentors), 1..6),
            proptest::collection::vec((0..n_mentors, 0..200u32), 0..3),
            0..3u32,
            proptest::option::of(0..4usize),
        )
            .prop_map(|(mentors, mentees, kept, no_repeat, principal_min)| Cohorts {
                mentors,
                mentees,
                kept,
                no_repeat,
                principal_min,
            })
    })
}

/// Writes the cohort as a config file, so the test goes through the same parser as users.
fn config_text(c: &Cohorts) -> String {
    let mut text = String::from("people:\n");
    for (i, m) in c.mentors.iter().enumerate() {
        let skills: Vec<String> = {
            let mut seen = Vec::new();
            m.skills
                .iter()
                .filter(|(s, _)| {
                    let new = !seen.contains(s);
                    seen.push(*s);
                    new
                })
                .map(|(s, l)| format!("{}: {l}", SKILLS[*s]))
                .collect()
        };
        let mut capacity = Vec::new();
        if let Some(n) = m.mentees {
            capacity.push(format!("mentees: {n}"));
        }
        if let Some(n) = m.minutes {
            capacity.push(format!("minutes_per_sprint: {n}"));
        }
        text.push_str(&format!(
            "  r{i}: {{ tier: {}, capacity: {{ {} }}, skills: {{ {} }}, team: t{}, tz: \"{}\" }}\n",
            TIERS[m.tier],
            capacity.join(", "),
            skills.join(", "),
            m.team,
            ZONES[m.tz]
        ));
    }
    for (i, e) in c.mentees.iter().enumerate() {
        let mut wants: Vec<&str> = Vec::new();
        for w in &e.wants {
            let name = if *w < 3 { SKILLS[*w] } else { "area1" };
            if !wants.contains(&name) {
                wants.push(name);
            }
        }
        let mut avoid: Vec<String> = e.avoid.iter().map(|a| format!("r{a}")).collect();
        avoid.dedup();
        avoid.sort();
        avoid.dedup();
        let level = e.level.map(|l| format!(", level: {}", LEVELS[l])).unwrap_or_default();
        text.push_str(&format!(
            "  e{i}: {{ wants: [{}], team: t{}, tz: \"{}\", avoid: [{}]{level} }}\n",
            wants.join(", "),
            e.team,
            ZONES[e.tz],
            avoid.join(", ")
        ));
    }
    for k in 0..c.kept.len() {
        text.push_str(&format!("  other{k}: {{}}\n"));
    }
    text.push_str("pairs:\n");
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let mut n = 0u64;
    for (i, e) in c.mentees.iter().enumerate() {
        for mentor in &e.past {
            let since = start + Days::new(40 * n);
            let until = since + Days::new(30);
            n += 1;
            text.push_str(&format!(
                "  - {{ mentor: r{mentor}, mentee: e{i}, track: t, since: {since}, until: {until}, status: ended }}\n"
            ));
        }
    }
    for (k, (mentor, _)) in c.kept.iter().enumerate() {
        text.push_str(&format!(
            "  - {{ mentor: r{mentor}, mentee: other{k}, track: t, since: 2026-06-01 }}\n"
        ));
    }
    text.push_str(
        "tracks:\n  t:\n    milestones:\n      - { id: m, title: M, stage: discovery }\n",
    );
    text.push_str(&format!("matching:\n  rotation: {{ no_repeat: {} }}\n", c.no_repeat));
    if let Some(l) = c.principal_min {
        text.push_str(&format!(
            "  tiers: {{ principal: {{ mentees_min_level: {} }} }}\n",
            LEVELS[l]
        ));
    }
    text
}

/// The touchpoint minutes of the kept pairs, an hour ago (this sprint).
fn credits(c: &Cohorts) -> Vec<Credit> {
    c.kept
        .iter()
        .enumerate()
        .map(|(k, (mentor, minutes))| Credit {
            mentor: Login::new(&format!("r{mentor}")),
            mentee: Login::new(&format!("other{k}")),
            minutes: *minutes,
            at: now() - chrono::Duration::hours(1),
        })
        .collect()
}

fn expertise(c: &Cohorts) -> Expertise {
    let mut contributions = Vec::new();
    let areas = ["area1", "area2", "area3"];
    let mut add = |login: String, list: &[(usize, u8)]| {
        for (area, count) in list {
            for k in 0..*count {
                contributions.push(Contribution {
                    login: Login::new(&login),
                    area: areas[*area].to_string(),
                    at: now() - chrono::Duration::days(10 + 20 * i64::from(k)),
                    kind: ContributionKind::Changed,
                });
            }
        }
    };
    for (i, m) in c.mentors.iter().enumerate() {
        add(format!("r{i}"), &m.areas);
    }
    for (i, e) in c.mentees.iter().enumerate() {
        add(format!("e{i}"), &e.areas);
    }
    Expertise::from_contributions(&contributions, now())
}

/// The best (matched, total fit) over every assignment that respects the slots, by exhaustive search.
fn brute_force(problem: &Problem) -> (usize, i64) {
    fn go(problem: &Problem, row: usize, left: &mut Vec<u32>) -> (usize, i64) {
        if row == problem.mentees.len() {
            return (0, 0);
        }
        let mut best = go(problem, row + 1, left);
        for m in 0..problem.mentors.len() {
            if left[m] == 0 {
                continue;
            }
            if let Ok(fit) = &problem.edges[row][m] {
                left[m] -= 1;
                let (n, total) = go(problem, row + 1, left);
                left[m] += 1;
                best = best.max((n + 1, total + fit.milli));
            }
        }
        best
    }
    go(problem, 0, &mut problem.slots.clone())
}

/// Checks every rule from the config itself, independently of the matcher's own rule code.
fn check_rules(
    config: &Config,
    credits: &[Credit],
    pairs: &[(Login, Login)],
) -> Result<(), String> {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    for (mentor, mentee) in pairs {
        let r = &config.people[mentor];
        let e = &config.people[mentee];
        if r.avoid.contains(mentee) || e.avoid.contains(mentor) {
            return Err(format!("avoid broken: {mentor} -> {mentee}"));
        }
        let mut past: Vec<_> = config.pairs.iter().filter(|p| &p.mentee == mentee).collect();
        past.sort_by_key(|p| std::cmp::Reverse(p.since));
        let mut recent: Vec<&Login> = Vec::new();
        for p in past {
            if recent.len() < config.matching.rotation.no_repeat as usize
                && !recent.contains(&&p.mentor)
            {
                recent.push(&p.mentor);
            }
        }
        if recent.contains(&mentor) {
            return Err(format!("rotation broken: {mentor} -> {mentee}"));
        }
        if let Some(min) = config.matching.tiers.of(r.tier).mentees_min_level
            && e.level.is_none_or(|l: Level| l < min)
        {
            return Err(format!("tier broken: {mentor} -> {mentee}"));
        }
    }
    for mentor in config.people.keys() {
        let new = pairs.iter().filter(|(m, _)| m == mentor).count() as u32;
        if new == 0 {
            continue;
        }
        let kept = config
            .pairs
            .iter()
            .filter(|p| &p.mentor == mentor && p.status != PairStatus::Ended && p.covers(today))
            .count() as u32;
        let capacity = config.effective_capacity(mentor);
        if capacity.mentees.is_some_and(|cap| kept + new > cap) {
            return Err(format!("mentee capacity broken for {mentor}"));
        }
        let measured: u32 = credits.iter().filter(|c| &c.mentor == mentor).map(|c| c.minutes).sum();
        if capacity.minutes_per_sprint.is_some_and(|cap| (kept * 60).max(measured) + new * 60 > cap)
        {
            return Err(format!("minute capacity broken for {mentor}"));
        }
        let person = &config.people[mentor];
        if capacity.mentees.is_none() && person.tier == mentor_core::config::Tier::Peer && kept == 0
        {
            return Err(format!("{mentor} is a peer without capacity but was given mentees"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn rules_hold_and_the_total_fit_is_optimal(c in cohorts()) {
        let text = config_text(&c);
        let config = parse("m.yml", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let expertise = expertise(&c);
        let cohort = Cohort::Mentees((0..c.mentees.len()).map(|i| Login::new(&format!("e{i}"))).collect());
        let credits = credits(&c);
        let problem = Problem::build(&config, &expertise, &credits, &cohort, now()).unwrap();
        let assignment = problem.solve();
        prop_assert_eq!(problem.value(&assignment), brute_force(&problem), "config:\n{}", text);

        let proposal = propose(&config, &expertise, &credits, &cohort, now()).unwrap();
        let pairs: Vec<(Login, Login)> =
            proposal.pairs.iter().map(|p| (p.mentor.clone(), p.mentee.clone())).collect();
        if let Err(broken) = check_rules(&config, &credits, &pairs) {
            return Err(TestCaseError::fail(format!("{broken}\nconfig:\n{text}")));
        }
        prop_assert_eq!(proposal.pairs.len() + proposal.unmatched.len(), c.mentees.len());
        for p in &proposal.pairs {
            prop_assert!(!p.rationale.is_empty());
        }
        // The same input gives the same proposal.
        prop_assert_eq!(&proposal, &propose(&config, &expertise, &credits, &cohort, now()).unwrap());
    }
}

#[test]
fn the_expert_wins_and_blocked_mentees_name_their_rule() {
    let config = parse(
        "m.yml",
        "\
people:
  dana: { tier: senior, capacity: { mentees: 1 }, skills: { databases: 4 }, team: core, tz: UTC }
  pat: { tier: principal, capacity: { mentees: 2 }, skills: { databases: 5 }, tz: UTC }
  sam: { tier: senior, capacity: { mentees: 2 }, skills: { rust: 3 }, team: web, tz: UTC+2 }
  ana: { wants: [databases], level: junior, team: web, tz: UTC }
  ben: { wants: [rust], level: junior, team: web, avoid: [sam], tz: UTC }
pairs:
  - { mentor: dana, mentee: ben, track: t, since: 2026-01-01, until: 2026-03-01, status: ended }
tracks:
  t:
    milestones:
      - { id: m, title: M, stage: discovery }
matching:
  tiers: { principal: { mentees_min_level: senior } }
",
    )
    .unwrap();
    let contributions: Vec<Contribution> = (0..5)
        .map(|k| Contribution {
            login: Login::new("dana"),
            area: "db".into(),
            at: now() - chrono::Duration::days(5 * k),
            kind: ContributionKind::Changed,
        })
        .collect();
    let expertise = Expertise::from_contributions(&contributions, now());
    let proposal = propose(&config, &expertise, &[], &Cohort::All, now()).unwrap();
    assert_eq!(proposal.pairs.len(), 1, "{proposal:?}");
    let pair = &proposal.pairs[0];
    assert_eq!((pair.mentor.as_str(), pair.mentee.as_str()), ("dana", "ana"));
    assert_eq!(
        pair.rationale,
        "databases 4 vs wanted; 8 h tz overlap; cross-team (core); first pairing"
    );
    // pat (principal) may not take a junior; sam may, but fits worse.
    let runner = pair.runner_up.as_ref().unwrap();
    assert_eq!(runner.mentor.as_str(), "sam");
    assert!(
        runner.why.starts_with("lower fit (-0.250 vs 3.400): skills 0.00 vs 0.80"),
        "{}",
        runner.why
    );
    assert_eq!(proposal.unmatched.len(), 1);
    let ben = &proposal.unmatched[0];
    assert_eq!(ben.mentee.as_str(), "ben");
    assert!(ben.reason.contains("avoid: sam"), "{}", ben.reason);
    assert!(ben.reason.contains("rotation: dana"), "{}", ben.reason);
    assert!(
        ben.reason.contains("tier: pat (principal mentors take senior and above"),
        "{}",
        ben.reason
    );
}

#[test]
fn a_better_mentor_whose_slot_went_to_another_mentee_is_explained() {
    let config = parse(
        "m.yml",
        "\
people:
  ace: { tier: senior, capacity: { mentees: 1 }, skills: { rust: 5, go: 5 } }
  bea: { tier: senior, capacity: { mentees: 1 }, skills: { go: 4 } }
  xia: { wants: [rust] }
  yan: { wants: [go] }
",
    )
    .unwrap();
    let proposal = propose(&config, &Expertise::default(), &[], &Cohort::All, now()).unwrap();
    let by_mentee = |m: &str| proposal.pairs.iter().find(|p| p.mentee.as_str() == m).unwrap();
    // ace is the best fit for both, but only xia has nobody else who knows rust.
    assert_eq!(by_mentee("xia").mentor.as_str(), "ace");
    assert_eq!(by_mentee("yan").mentor.as_str(), "bea");
    let runner = by_mentee("yan").runner_up.as_ref().unwrap();
    assert_eq!(runner.mentor.as_str(), "ace");
    assert!(
        runner.why.starts_with("fits better (3.500 vs 2.900) but its slots went to xia"),
        "{}",
        runner.why
    );
}

#[test]
fn pairs_in_force_go_on_and_use_capacity_unless_their_mentee_is_matched_again() {
    let config = parse(
        "m.yml",
        "\
people:
  ace: { tier: senior, capacity: { mentees: 1 }, skills: { rust: 5 } }
  kai: { wants: [rust] }
  lin: { wants: [rust] }
  moe: {}
pairs:
  - { mentor: ace, mentee: kai, track: t, since: 2026-10-01 }
tracks:
  t:
    milestones:
      - { id: m, title: M, stage: discovery }
matching: { rotation: { no_repeat: 0 } }
",
    )
    .unwrap();
    let none = Expertise::default();
    // kai's pair goes on: ace is full, so lin is left with the capacity rule.
    let all = propose(&config, &none, &[], &Cohort::All, now()).unwrap();
    assert!(all.pairs.is_empty(), "{all:?}");
    assert_eq!(all.unmatched.len(), 1);
    assert_eq!(all.unmatched[0].mentee.as_str(), "lin");
    assert!(all.unmatched[0].reason.contains("capacity: ace"), "{}", all.unmatched[0].reason);
    // --unpaired also takes moe, who listed no wants.
    let unpaired = propose(&config, &none, &[], &Cohort::Unpaired, now()).unwrap();
    let names: Vec<&str> = unpaired.unmatched.iter().map(|u| u.mentee.as_str()).collect();
    assert_eq!(names, ["lin", "moe"]);
    // Matching kai again frees ace's slot, and the better-fitting one of the two gets it.
    let both = Cohort::Mentees(vec![Login::new("kai"), Login::new("lin")]);
    let again = propose(&config, &none, &[], &both, now()).unwrap();
    assert_eq!(again.pairs.len(), 1, "{again:?}");
    assert_eq!(again.pairs[0].mentor.as_str(), "ace");
}
