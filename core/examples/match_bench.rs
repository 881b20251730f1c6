//! Times `mentor match`'s core on a synthetic program: 500 mentees × 200 mentors with twelve months of history.
//!
//! `cargo run --release -p mentor-core --example match_bench [mentees] [mentors]` prints the time to turn the
//! history into expertise and the time to propose the assignment (build the problem, solve, word it). The
//! cohort is generated from a fixed seed, so every run measures the same input.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use mentor_core::Login;
use mentor_core::config::parse;
use mentor_core::expertise::{Contribution, ContributionKind, Expertise};
use mentor_core::matching::{Cohort, Problem, describe};

const SKILLS: [&str; 10] = [
    "rust",
    "databases",
    "api-design",
    "frontend",
    "security",
    "observability",
    "kafka",
    "go",
    "ml",
    "infra",
];
const ZONES: [&str; 5] =
    ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "America/Los_Angeles"];
const AREAS: usize = 40;

/// A small deterministic generator (xorshift), so the input is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mentees: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let mentors: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().expect("a fixed instant");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let mut text = String::from("people:\n");
    for m in 0..mentors {
        let skills: Vec<String> = (0..3)
            .map(|k| format!("{}: {}", SKILLS[(m * 3 + k) % SKILLS.len()], 1 + rng.below(5)))
            .collect();
        let tier = ["senior", "principal", "peer"][rng.below(3)];
        text.push_str(&format!(
            "  mentor{m}: {{ tier: {tier}, capacity: {{ mentees: {}, minutes_per_sprint: 240 }}, skills: {{ {} }}, team: team{}, tz: {} }}\n",
            1 + rng.below(4),
            skills.join(", "),
            rng.below(12),
            ZONES[rng.below(ZONES.len())]
        ));
    }
    for e in 0..mentees {
        let wants: Vec<String> = (0..2)
            .map(|k| {
                if k == 0 {
                    SKILLS[rng.below(SKILLS.len())].to_string()
                } else {
                    format!("area{}", rng.below(AREAS))
                }
            })
            .collect();
        let avoid = if rng.below(10) == 0 {
            format!("mentor{}", rng.below(mentors))
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  mentee{e}: {{ wants: [{}], level: {}, team: team{}, tz: {}, avoid: [{avoid}] }}\n",
            wants.join(", "),
            ["junior", "mid", "senior"][rng.below(3)],
            rng.below(12),
            ZONES[rng.below(ZONES.len())]
        ));
    }
    text.push_str("pairs:\n");
    for e in 0..mentees / 2 {
        text.push_str(&format!(
            "  - {{ mentor: mentor{}, mentee: mentee{e}, track: t, since: 2025-06-01, until: 2025-12-01, status: ended }}\n",
            rng.below(mentors)
        ));
    }
    text.push_str(
        "tracks:\n  t:\n    milestones:\n      - { id: m, title: M, stage: discovery }\n",
    );
    text.push_str("matching:\n  tiers: { principal: { mentees_min_level: senior } }\n");
    let config = parse("bench.yml", &text).unwrap_or_else(|e| panic!("{e}"));

    // Twelve months of history: every mentor changes and reviews in a few areas, every mentee in one or two.
    let mut history = Vec::new();
    for (prefix, count, per) in [("mentor", mentors, 300), ("mentee", mentees, 40)] {
        for p in 0..count {
            let login = Login::new(&format!("{prefix}{p}"));
            let home = rng.below(AREAS);
            for _ in 0..per {
                let area = if rng.below(4) == 0 { rng.below(AREAS) } else { home };
                history.push(Contribution {
                    login: login.clone(),
                    area: format!("area{area}"),
                    at: now - Duration::minutes(rng.below(365 * 24 * 60) as i64),
                    kind: if rng.below(3) == 0 {
                        ContributionKind::Reviewed
                    } else {
                        ContributionKind::Changed
                    },
                });
            }
        }
    }

    let start = Instant::now();
    let expertise = Expertise::from_contributions(&history, now);
    let expertise_time = start.elapsed();
    let start = Instant::now();
    let problem = Problem::build(&config, &expertise, &[], &Cohort::All, now).expect("a problem");
    let build_time = start.elapsed();
    let assignment = problem.solve();
    let solve_time = start.elapsed() - build_time;
    let proposal = describe(&config, &problem, &assignment);
    let propose_time = start.elapsed();
    println!(
        "{mentees} mentees x {mentors} mentors ({} slots), {} contributions: expertise {:.1} ms, propose {:.1} ms (rules and fit {:.1}, solve {:.1}) — total {:.1} ms; {} pairs, {} unmatched, total fit {:.1}",
        problem.slots.iter().sum::<u32>(),
        history.len(),
        expertise_time.as_secs_f64() * 1e3,
        propose_time.as_secs_f64() * 1e3,
        build_time.as_secs_f64() * 1e3,
        solve_time.as_secs_f64() * 1e3,
        (expertise_time + propose_time).as_secs_f64() * 1e3,
        proposal.pairs.len(),
        proposal.unmatched.len(),
        proposal.pairs.iter().map(|p| p.score).sum::<f64>()
    );
}
