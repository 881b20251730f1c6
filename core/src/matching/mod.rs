//! `mentor match`: one assignment of mentors to a whole cohort that maximises total fit under hard rules.
//!
//! [`Problem::build`] applies the rules ([`rules`]: cohort, mentor capacity, `avoid`, rotation, tier rules) and
//! scores every allowed pairing ([`fit`]); [`Problem::solve`] finds the optimum with the Kuhn–Munkres
//! (Hungarian) algorithm from the `pathfinding` crate, each mentor expanded into as many columns as they have
//! slots. The objective is lexicographic: first as many mentees matched as the rules allow, then the highest
//! total fit. Rows and columns are in login order, so the same input always gives the same proposal.
//! [`rationale`] words the result. Reading history and writing the config file are the callers' job.

pub mod fit;
pub mod rationale;
pub mod rules;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::Serialize;

use crate::config::{Config, Person};
use crate::expertise::Expertise;
use crate::load::Credit;
use crate::login::Login;
pub use fit::Fit;
pub use rules::{Block, Cohort};

/// Added to every allowed pairing's score, so the solver matches as many mentees as possible before it
/// maximises fit. Larger than any fit can be (4 weights of at most 100, each part at most 1, in thousandths).
pub const MATCH_BONUS: i64 = 1_000_000;

/// Why a proposal could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MatchError {
    /// `--mentees` named someone who is not under `people`.
    #[error("unknown mentee `{0}`: expected a login listed under `people`")]
    UnknownMentee(Login),
}

/// One proposed pair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProposedPair {
    /// The mentor.
    pub mentor: Login,
    /// The mentee.
    pub mentee: Login,
    /// The track the pair follows.
    pub track: String,
    /// The pair's fit (weighted total).
    pub score: f64,
    /// The deciding factors, in words.
    pub rationale: String,
    /// The day the pair would start (today).
    #[serde(skip)]
    pub since: NaiveDate,
    /// The best other mentor allowed for this mentee and why they lost, if any.
    #[serde(skip)]
    pub runner_up: Option<RunnerUp>,
}

/// The mentor a mentee would have had next.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunnerUp {
    /// The mentee.
    pub mentee: Login,
    /// The runner-up mentor.
    pub mentor: Login,
    /// Their fit.
    pub score: f64,
    /// Why they lost.
    pub why: String,
}

/// A mentee no mentor could take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmatched {
    /// The mentee.
    pub mentee: Login,
    /// The rule that blocked them, in words (starts with the rule: `avoid`, `rotation`, `tier`, `capacity`).
    pub reason: String,
}

/// The proposal for a cohort.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Proposal {
    /// Proposed pairs, by mentee.
    pub pairs: Vec<ProposedPair>,
    /// Mentees left without a mentor, by login.
    pub unmatched: Vec<Unmatched>,
}

/// The matching problem: the cohort, the candidate mentors and their slots, and every pairing's verdict.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The mentees, in login order (rows).
    pub mentees: Vec<Login>,
    /// The candidate mentors, in login order.
    pub mentors: Vec<Login>,
    /// How many more mentees each mentor can take (by index into `mentors`).
    pub slots: Vec<u32>,
    /// `edges[mentee][mentor]`: the fit if the rules allow the pairing, else the rule that forbids it
    /// (capacity aside: a mentor with no slots is simply never chosen).
    pub edges: Vec<Vec<Result<Fit, Block>>>,
    /// The day the pairs would start.
    pub today: NaiveDate,
}

/// The solver's answer: the mentor index of each mentee, or `None`.
pub type Assignment = Vec<Option<usize>>;

impl Problem {
    /// Applies the rules of `config` to `cohort` and scores every allowed pairing with `expertise`; `credits`
    /// (touchpoints) measure how many of their minutes mentors already spend.
    pub fn build(
        config: &Config,
        expertise: &Expertise,
        credits: &[Credit],
        cohort: &Cohort,
        now: DateTime<Utc>,
    ) -> Result<Problem, MatchError> {
        let today = config.sprints.local_date(now);
        let mentees = rules::cohort(config, cohort, today).map_err(MatchError::UnknownMentee)?;
        let in_cohort: BTreeSet<&Login> = mentees.iter().collect();
        let mentors: Vec<Login> = config
            .people
            .values()
            .filter(|p| !in_cohort.contains(&p.login) && rules::may_mentor(config, p, today))
            .map(|p| p.login.clone())
            .collect();
        let measured = rules::measured_minutes(config, credits, &in_cohort, now);
        let slots = mentors
            .iter()
            .map(|m| {
                let used = measured.get(m).copied().unwrap_or(0);
                rules::slots(config, m, &in_cohort, today, used)
            })
            .collect();
        let weights = config.matching.weights;
        let all_areas: Vec<&str> = expertise.all_areas().into_iter().collect();
        let mentor_profiles: Vec<(&Person, fit::CodeProfile)> = mentors
            .iter()
            .map(|m| {
                let person = &config.people[m];
                (person, fit::CodeProfile::of(expertise, &all_areas, person, now))
            })
            .collect();
        let edges = mentees
            .iter()
            .map(|mentee| {
                let mentee = &config.people[mentee];
                let mentee_code = fit::CodeProfile::of(expertise, &all_areas, mentee, now);
                let recent = rules::recent_mentors(config, &mentee.login);
                mentor_profiles
                    .iter()
                    .map(|(mentor, mentor_code)| {
                        match rules::blocked(config, mentee, mentor, &recent) {
                            Some(block) => Err(block),
                            None => {
                                Ok(fit::fit((mentee, &mentee_code), (mentor, mentor_code), weights))
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Problem { mentees, mentors, slots, edges, today })
    }

    /// Returns the optimal assignment: most mentees matched, then highest total fit.
    pub fn solve(&self) -> Assignment {
        let mut columns: Vec<usize> = Vec::new();
        for (m, &n) in self.slots.iter().enumerate() {
            columns.extend(std::iter::repeat_n(m, n as usize));
        }
        let rows = self.mentees.len();
        if rows == 0 || columns.is_empty() {
            return vec![None; rows];
        }
        // Kuhn–Munkres needs at least as many columns as rows; the padding columns (weight 0) mean "no mentor".
        let width = columns.len().max(rows);
        let mut weights = Vec::with_capacity(rows * width);
        for edges in &self.edges {
            for c in 0..width {
                let w = match columns.get(c).map(|&m| &edges[m]) {
                    Some(Ok(fit)) => MATCH_BONUS + fit.milli,
                    _ => 0,
                };
                weights.push(w);
            }
        }
        let Ok(matrix) = Matrix::from_vec(rows, width, weights) else { return vec![None; rows] };
        let (_, chosen) = kuhn_munkres(&matrix);
        chosen
            .into_iter()
            .enumerate()
            .map(|(row, c)| match columns.get(c) {
                Some(&m) if self.edges[row][m].is_ok() => Some(m),
                _ => None,
            })
            .collect()
    }

    /// Returns the objective value of `assignment`: (mentees matched, total fit in thousandths).
    pub fn value(&self, assignment: &Assignment) -> (usize, i64) {
        let mut count = 0;
        let mut total = 0;
        for (row, m) in assignment.iter().enumerate() {
            if let Some(m) = m
                && let Ok(fit) = &self.edges[row][*m]
            {
                count += 1;
                total += fit.milli;
            }
        }
        (count, total)
    }
}

/// Proposes pairs for `cohort`: the optimal assignment with each pair's rationale and runner-up, and the
/// mentees nobody could take with the rule that blocked them.
pub fn propose(
    config: &Config,
    expertise: &Expertise,
    credits: &[Credit],
    cohort: &Cohort,
    now: DateTime<Utc>,
) -> Result<Proposal, MatchError> {
    let problem = Problem::build(config, expertise, credits, cohort, now)?;
    let assignment = problem.solve();
    Ok(describe(config, &problem, &assignment))
}

/// Words `assignment` of `problem`.
pub fn describe(config: &Config, problem: &Problem, assignment: &Assignment) -> Proposal {
    let mut took: BTreeMap<usize, Vec<Login>> = BTreeMap::new();
    for (row, m) in assignment.iter().enumerate() {
        if let Some(m) = m {
            took.entry(*m).or_default().push(problem.mentees[row].clone());
        }
    }
    let mut pairs = Vec::new();
    let mut unmatched = Vec::new();
    for (row, mentee_login) in problem.mentees.iter().enumerate() {
        let mentee = &config.people[mentee_login];
        let edges = &problem.edges[row];
        match assignment[row] {
            Some(m) => {
                let Ok(fit) = &edges[m] else { continue };
                let mentor = &config.people[&problem.mentors[m]];
                let last = rules::last_paired(config, &mentor.login, mentee_login);
                let runner_up = edges
                    .iter()
                    .enumerate()
                    .filter(|(i, e)| *i != m && e.is_ok() && problem.slots[*i] > 0)
                    .filter_map(|(i, e)| e.as_ref().ok().map(|f| (i, f)))
                    .max_by(|a, b| a.1.milli.cmp(&b.1.milli).then_with(|| b.0.cmp(&a.0)))
                    .map(|(i, other)| RunnerUp {
                        mentee: mentee_login.clone(),
                        mentor: problem.mentors[i].clone(),
                        score: other.score(),
                        why: rationale::why_lost(
                            fit,
                            other,
                            took.get(&i).map(Vec::as_slice).unwrap_or(&[]),
                        ),
                    });
                pairs.push(ProposedPair {
                    mentor: mentor.login.clone(),
                    mentee: mentee_login.clone(),
                    track: rules::track_for(config, mentee_login),
                    score: fit.score(),
                    rationale: rationale::rationale(
                        mentee,
                        mentor,
                        fit,
                        last,
                        config.matching.weights.team,
                    ),
                    since: problem.today,
                    runner_up,
                });
            }
            None => {
                let mut blocks = Vec::new();
                let mut full = Vec::new();
                for (i, edge) in edges.iter().enumerate() {
                    match edge {
                        Err(block) => blocks.push((problem.mentors[i].clone(), block.clone())),
                        Ok(_) if problem.slots[i] == 0 => {
                            blocks.push((problem.mentors[i].clone(), Block::Capacity))
                        }
                        Ok(_) => full.push(problem.mentors[i].clone()),
                    }
                }
                unmatched.push(Unmatched {
                    mentee: mentee_login.clone(),
                    reason: rationale::unmatched_reason(&blocks, &full),
                });
            }
        }
    }
    Proposal { pairs, unmatched }
}

/// Returns `proposal`'s pairs as the `pairs:` entries of a config file, one flow mapping a line, each
/// indented by `indent`.
pub fn pairs_yaml(pairs: &[ProposedPair], indent: &str) -> String {
    let mut out = String::new();
    for p in pairs {
        // No track (a program without tracks) is no `track:` key rather than an empty one.
        let track =
            if p.track.is_empty() { String::new() } else { format!("track: {}, ", p.track) };
        out.push_str(&format!(
            "{indent}- {{ mentor: {}, mentee: {}, {track}since: {}, rationale: {} }}\n",
            p.mentor,
            p.mentee,
            p.since,
            yaml_string(&p.rationale)
        ));
    }
    out
}

/// Quotes `text` as a YAML double-quoted string.
fn yaml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
