//! `mentor audit`: is the program explained, rotated, sustainable and fair, and does it work?
//!
//! One pure function, [`audit`], turns the config, touchpoint credits and evidence into findings (rationale,
//! rotation, load by tier) and four aggregate views: equity ([`equity`], with groups smaller than
//! `privacy.min_group_size` suppressed), growth before/after ([`growth`]) and the velocity adjustment
//! ([`velocity`]). [`AuditReport::aggregate_only`] is what a manager may see. Reading history or the store,
//! and the private groups file, is the callers' job; they hand the groups over parsed ([`Groups::parse`]).

pub mod equity;
pub mod findings;
pub mod growth;
pub mod velocity;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::evidence::{Evidence, Vantage};
use crate::load::Credit;
use crate::login::Login;
pub use equity::{EquityRow, Groups, GroupsError};
pub use growth::GrowthRow;
pub use velocity::VelocityRow;

/// What an audit reads.
#[derive(Clone, Debug)]
pub struct AuditInput<'a> {
    /// The program.
    pub config: &'a Config,
    /// Every touchpoint's credit (mentor, mentee, minutes, time).
    pub credits: &'a [Credit],
    /// Evidence rows, including those from before each pair began (see [`growth::widened_pairs`]).
    pub evidence: &'a [Evidence],
    /// Where the evidence comes from (decides what "met" means for rules that need GitHub data).
    pub vantage: Vantage,
    /// Self-declared groups from the private groups file, if given.
    pub groups: Option<&'a Groups>,
    /// Code areas known from history: words in a rationale that name one are not taken for skills.
    pub areas: &'a BTreeSet<String>,
    /// Start of the audited window (default: twelve months before `now`).
    pub since: Option<NaiveDate>,
    /// Weeks compared before and during each pair.
    pub growth_weeks: u32,
    /// The current instant.
    pub now: DateTime<Utc>,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A pair's rationale is missing or names a skill the mentor lacks.
    Rationale,
    /// A pair runs too long, or a mentee only ever had one mentor.
    Rotation,
    /// A mentor over capacity for sprints in a row, or a principal above the tier's cap.
    Load,
    /// A group's participation lags the program's.
    Equity,
    /// A mentee shows no evidence during a pair.
    Growth,
    /// A team's mentoring exceeds its mentors' capacity.
    Velocity,
}

/// How bad a finding is; `error` fails `mentor audit` (exit 1) for CI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth acting on.
    Warning,
    /// Breaks a program rule.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FindingKind::Rationale => "rationale",
            FindingKind::Rotation => "rotation",
            FindingKind::Load => "load",
            FindingKind::Equity => "equity",
            FindingKind::Growth => "growth",
            FindingKind::Velocity => "velocity",
        })
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// How bad it is.
    pub severity: Severity,
    /// Who or what: a pair (`mentor -> mentee`), a person, a group (`team:web`) or a team and sprint.
    pub subject: String,
    /// What is wrong, in words.
    pub message: String,
    /// Whether the finding is about a person (hidden from managers).
    #[serde(skip)]
    pub personal: bool,
}

/// The audit (the `--json` shape of `mentor audit` and `GET /api/v1/orgs/{org}/audit`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditReport {
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Participation and milestones by team, level and declared group.
    pub equity: Vec<EquityRow>,
    /// Evidence before and during pairs, per mentee and in aggregate.
    pub growth: Vec<GrowthRow>,
    /// Mentoring time per sprint and team, and the adjusted velocity.
    pub velocity: Vec<VelocityRow>,
}

impl AuditReport {
    /// Returns true when a finding is at `error` severity.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Returns the parts a manager may see: no finding about a person, no per-mentee growth.
    pub fn aggregate_only(mut self) -> AuditReport {
        self.findings.retain(|f| !f.personal);
        self.growth.retain(|g| g.mentee.is_none());
        self
    }
}

/// Audits the program.
pub fn audit(input: &AuditInput<'_>) -> AuditReport {
    let config = input.config;
    let today = config.sprints.local_date(input.now);
    let since = input.since.unwrap_or_else(|| today - chrono::Days::new(365));
    let mut findings = Vec::new();
    findings.extend(findings::rationale(config, input.areas, since, today));
    findings.extend(findings::rotation(config, today));
    findings.extend(findings::load(config, input.credits, since, input.now));
    let equity = equity::equity(input, since, today);
    findings.extend(equity::findings(&equity));
    let growth = growth::growth(input, since, today);
    findings.extend(growth::findings(&growth, input.growth_weeks));
    let velocity = velocity::velocity(config, input.credits, since, input.now);
    findings.extend(velocity::findings(&velocity));
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)).then(a.subject.cmp(&b.subject))
    });
    AuditReport { findings, equity, growth, velocity }
}

/// Returns the people mentoring someone at some day of `since..=today`, by login.
pub(crate) fn mentors_in(config: &Config, since: NaiveDate, today: NaiveDate) -> BTreeSet<Login> {
    config
        .pairs
        .iter()
        .filter(|p| p.since <= today && p.until.is_none_or(|u| u >= since))
        .map(|p| p.mentor.clone())
        .collect()
}

/// Returns the pairs of each mentee that overlap `since..=today`.
pub(crate) fn mentee_pairs_in(
    config: &Config,
    since: NaiveDate,
    today: NaiveDate,
) -> BTreeMap<Login, Vec<&crate::config::Pair>> {
    let mut out: BTreeMap<Login, Vec<&crate::config::Pair>> = BTreeMap::new();
    for p in config.pairs.iter().filter(|p| p.since <= today && p.until.is_none_or(|u| u >= since))
    {
        out.entry(p.mentee.clone()).or_default().push(p);
    }
    out
}
