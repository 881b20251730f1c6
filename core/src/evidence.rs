//! Milestone evidence: which of a mentee's activities prove which milestones, and why.
//!
//! Two pure steps, so the app can store matches as they arrive and the CLI can scan a whole history with the
//! same code: [`collect`] turns one activity into evidence rows (each with a human reason), and [`report`]
//! folds a pair's rows into per-milestone status against the rule counts and due dates. A rule that needs data
//! the caller does not have (labels or reviewers offline) produces an `undecided` row saying so, never a silent
//! no-match.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::{Activity, ActivityKind, ReviewState};
use crate::config::{
    CommitTrailerRule, Config, MergedPrRule, Milestone, Pair, ReviewGivenRule, Stage,
};
use crate::login::Login;

/// How an evidence row came to be and whether it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceStatus {
    /// A rule matched on its own.
    Auto,
    /// The mentee claimed it (`/mentor evidence`); waits for the mentor.
    Claimed,
    /// The mentor confirmed it (`/mentor confirm`).
    Confirmed,
    /// The mentor rejected it (`/mentor reject`); never counts.
    Rejected,
    /// A rule might match but needs data the caller does not have.
    Undecided,
}

/// Which rule produced an evidence row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// `merged_pr`.
    MergedPr,
    /// `review_given`.
    ReviewGiven,
    /// `commit_trailer`.
    CommitTrailer,
    /// A claim made by hand, not by a rule.
    Claim,
}

/// One link between a mentee's activity and a milestone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Idempotency key: track, milestone and source.
    pub key: String,
    /// The mentee it belongs to.
    pub mentee: Login,
    /// The track id.
    pub track: String,
    /// The milestone id.
    pub milestone: String,
    /// The rule that produced it.
    pub rule: RuleKind,
    /// Short label of the activity (`acme/api#42`, `abc1234`).
    pub source: String,
    /// A link, when known.
    pub url: Option<String>,
    /// When the activity happened.
    pub at: DateTime<Utc>,
    /// Why it matched, for people.
    pub reason: String,
    /// Whether it counts.
    pub status: EvidenceStatus,
}

/// Where the caller's activities come from, which decides what an absence of data means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vantage {
    /// Local git history: reviews, labels and reviewers are invisible.
    Local,
    /// GitHub webhooks and API: everything the rules need is observable.
    GitHub,
}

/// Milestone status in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStatus {
    /// Enough counting evidence.
    Met,
    /// Not met yet, not due.
    Open,
    /// Not met and past its due date.
    Overdue,
    /// Might be met, but needs data the caller does not have (or a pending claim).
    Undecided,
}

impl MilestoneStatus {
    /// Returns the status as written in JSON and pages: `met`, `open`, `overdue` or `undecided`.
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneStatus::Met => "met",
            MilestoneStatus::Open => "open",
            MilestoneStatus::Overdue => "overdue",
            MilestoneStatus::Undecided => "undecided",
        }
    }
}

/// A mentee's milestones with their evidence (the `--json` shape of `mentor evidence` and the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceReport {
    /// The mentee's login.
    pub mentee: Login,
    /// The track id.
    pub track: String,
    /// Milestones in track order.
    pub milestones: Vec<MilestoneReport>,
}

/// One milestone in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MilestoneReport {
    /// Milestone id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Stage.
    pub stage: Stage,
    /// Due date (pair start + `due`), if set.
    pub due: Option<NaiveDate>,
    /// Status.
    pub status: MilestoneStatus,
    /// Evidence rows, oldest first.
    pub evidence: Vec<EvidenceEntry>,
}

/// One evidence row in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceEntry {
    /// Short label of the activity.
    pub source: String,
    /// A link to the activity (the pull request or commit on GitHub), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Why it matched.
    pub reason: String,
    /// Whether it counts.
    pub status: EvidenceStatus,
}

/// Which facts of a merged PR by one mentee the config's `merged_pr` rules look at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrFactNeeds {
    /// Changed paths (a rule has `paths`).
    pub paths: bool,
    /// Added plus deleted lines (a rule has `min_changed_lines` or `max_changed_lines`).
    pub lines: bool,
    /// Distinct reviewers (a rule has `min_reviewers`).
    pub reviewers: bool,
}

/// Returns what the `merged_pr` rules of `mentee`'s tracks need to know about their merged PRs, so callers
/// fetch or compute only that (the CLI's diffs, the app's GitHub calls).
pub fn pr_fact_needs(config: &Config, mentee: &Login) -> PrFactNeeds {
    let mut needs = PrFactNeeds::default();
    let rules = config
        .pairs_of_mentee(mentee)
        .filter_map(|pair| config.track(&pair.track))
        .flat_map(|track| &track.milestones)
        .filter_map(|milestone| milestone.evidence.merged_pr.as_ref());
    for rule in rules {
        needs.paths |= !rule.paths.is_empty();
        needs.lines |= rule.min_changed_lines.is_some() || rule.max_changed_lines.is_some();
        needs.reviewers |= rule.min_reviewers.is_some();
    }
    needs
}

/// Returns the distinct reviewers of a PR by `author` that `min_reviewers` counts: people (not bots) other than
/// the author whose review approved, commented or requested changes, in login order.
pub fn counted_reviewers(
    reviews: impl IntoIterator<Item = (Login, ReviewState)>,
    author: &Login,
) -> Vec<Login> {
    let counted: std::collections::BTreeSet<Login> = reviews
        .into_iter()
        .filter(|(who, state)| {
            !who.is_bot()
                && who != author
                && matches!(
                    state,
                    ReviewState::Approved | ReviewState::Commented | ReviewState::ChangesRequested
                )
        })
        .map(|(who, _)| who)
        .collect();
    counted.into_iter().collect()
}

/// Returns the evidence `activity` gives for `pair`'s milestones (empty when it is not the mentee's or matches nothing).
pub fn collect(config: &Config, pair: &Pair, activity: &Activity) -> Vec<Evidence> {
    let Some(track) = config.track(&pair.track) else { return Vec::new() };
    if activity.actor != pair.mentee || !pair.covers(config.sprints.local_date(activity.at)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for milestone in &track.milestones {
        let rules = &milestone.evidence;
        let outcomes = [
            rules.merged_pr.as_ref().map(|r| (RuleKind::MergedPr, merged_pr(r, activity))),
            rules
                .review_given
                .as_ref()
                .map(|r| (RuleKind::ReviewGiven, review_given(r, pair, activity))),
            rules
                .commit_trailer
                .as_ref()
                .map(|r| (RuleKind::CommitTrailer, commit_trailer(r, activity))),
        ];
        for (rule, outcome) in outcomes.into_iter().flatten() {
            let (status, reason) = match outcome {
                Outcome::Match(reason) => (EvidenceStatus::Auto, reason),
                Outcome::Undecided(reason) => (EvidenceStatus::Undecided, reason),
                Outcome::NoMatch => continue,
            };
            out.push(Evidence {
                key: evidence_key(&pair.track, &milestone.id, &activity.source.to_string()),
                mentee: pair.mentee.clone(),
                track: pair.track.clone(),
                milestone: milestone.id.clone(),
                rule,
                source: activity.label(),
                url: activity.source.url.clone(),
                at: activity.at,
                reason,
                status,
            });
            // One row per milestone and activity: the first rule that speaks wins.
            break;
        }
    }
    out
}

/// Returns the idempotency key of evidence for `milestone` of `track` from `source`.
pub fn evidence_key(track: &str, milestone: &str, source: &str) -> String {
    format!("{track}/{milestone}:{source}")
}

/// Folds `evidence` (rows of this pair, any order, later rows with the same key replacing earlier ones) into the
/// pair's milestone report as of `now`.
pub fn report(
    config: &Config,
    pair: &Pair,
    evidence: &[Evidence],
    vantage: Vantage,
    now: DateTime<Utc>,
) -> EvidenceReport {
    let today = config.sprints.local_date(now);
    let milestones = config
        .track(&pair.track)
        .map(|track| {
            track
                .milestones
                .iter()
                .map(|m| milestone_report(m, pair, evidence, vantage, today, now))
                .collect()
        })
        .unwrap_or_default();
    EvidenceReport { mentee: pair.mentee.clone(), track: pair.track.clone(), milestones }
}

fn milestone_report(
    milestone: &Milestone,
    pair: &Pair,
    evidence: &[Evidence],
    vantage: Vantage,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> MilestoneReport {
    // Later rows with the same key win (a confirmation replaces the automatic match). Indexed by key: a mentee
    // with hundreds of merged PRs made this a quadratic scan.
    let mut rows: Vec<&Evidence> = Vec::new();
    let mut by_key: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in evidence
        .iter()
        .filter(|e| e.mentee == pair.mentee && e.track == pair.track && e.milestone == milestone.id)
    {
        match by_key.get(e.key.as_str()) {
            Some(&i) => rows[i] = e,
            None => {
                by_key.insert(&e.key, rows.len());
                rows.push(e);
            }
        }
    }
    rows.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.source.cmp(&b.source)));

    let counting = |rule: RuleKind, statuses: &[EvidenceStatus]| {
        rows.iter().filter(|e| e.rule == rule && statuses.contains(&e.status)).count() as u32
    };
    let sure = [EvidenceStatus::Auto, EvidenceStatus::Confirmed];
    let maybe = [
        EvidenceStatus::Auto,
        EvidenceStatus::Confirmed,
        EvidenceStatus::Undecided,
        EvidenceStatus::Claimed,
    ];
    let rules = &milestone.evidence;
    let rule_counts = [
        rules.merged_pr.as_ref().map(|r| (RuleKind::MergedPr, r.count)),
        rules.review_given.as_ref().map(|r| (RuleKind::ReviewGiven, r.count)),
        rules.commit_trailer.as_ref().map(|_| (RuleKind::CommitTrailer, 1)),
    ];
    let confirmed_claim = rows.iter().any(|e| e.status == EvidenceStatus::Confirmed);
    let met = confirmed_claim
        || rule_counts.iter().flatten().any(|(rule, count)| counting(*rule, &sure) >= *count);
    let pending_claim = rows.iter().any(|e| e.status == EvidenceStatus::Claimed);
    // Offline, reviews given are invisible: such a rule can never be ruled out locally.
    let invisible = vantage == Vantage::Local && rules.review_given.is_some();
    let undecided = pending_claim
        || invisible
        || rule_counts.iter().flatten().any(|(rule, count)| counting(*rule, &maybe) >= *count);
    let due =
        milestone.due.and_then(|d| d.whole_days()).map(|d| pair.since + chrono::TimeDelta::days(d));
    let status = if met {
        MilestoneStatus::Met
    } else if undecided {
        MilestoneStatus::Undecided
    } else if due.is_some_and(|d| d < today) {
        MilestoneStatus::Overdue
    } else {
        MilestoneStatus::Open
    };
    let mut entries: Vec<EvidenceEntry> = rows
        .iter()
        .map(|e| EvidenceEntry {
            source: e.source.clone(),
            url: e.url.clone(),
            at: e.at,
            reason: e.reason.clone(),
            status: e.status,
        })
        .collect();
    if invisible && !met {
        entries.push(EvidenceEntry {
            source: "github".to_string(),
            url: None,
            at: now,
            reason: "undecided: needs GitHub data (reviews given are not in git history)"
                .to_string(),
            status: EvidenceStatus::Undecided,
        });
    }
    MilestoneReport {
        id: milestone.id.clone(),
        title: milestone.title.clone(),
        stage: milestone.stage,
        due,
        status,
        evidence: entries,
    }
}

enum Outcome {
    Match(String),
    Undecided(String),
    NoMatch,
}

fn merged_pr(rule: &MergedPrRule, activity: &Activity) -> Outcome {
    if activity.kind != ActivityKind::PullRequestMerged {
        return Outcome::NoMatch;
    }
    let Some(pr) = &activity.pr else { return Outcome::NoMatch };
    let mut reasons = vec![format!("merged PR #{}", pr.number)];
    let mut missing: Vec<&str> = Vec::new();

    if !rule.paths.is_empty() {
        match &pr.changed_paths {
            None => missing.push("changed paths"),
            Some(paths) => match paths.iter().find(|p| rule.paths.matches(p)) {
                Some(hit) => reasons
                    .push(format!("changes {hit} (matches {})", rule.paths.patterns().join(", "))),
                None => return Outcome::NoMatch,
            },
        }
    }
    if !rule.labels.is_empty() {
        match &pr.labels {
            None => missing.push("labels"),
            Some(labels) => {
                if !rule
                    .labels
                    .iter()
                    .all(|want| labels.iter().any(|l| l.eq_ignore_ascii_case(want)))
                {
                    return Outcome::NoMatch;
                }
                reasons.push(format!("labelled {}", rule.labels.join(", ")));
            }
        }
    }
    if let Some(min) = rule.min_reviewers {
        match &pr.reviewers {
            None => missing.push("reviewers"),
            Some(r) if (r.len() as u32) < min => return Outcome::NoMatch,
            Some(r) => reasons.push(format!("{} reviewers", r.len())),
        }
    }
    if rule.min_changed_lines.is_some() || rule.max_changed_lines.is_some() {
        match pr.changed_lines {
            None => missing.push("line counts"),
            Some(n) => {
                if rule.min_changed_lines.is_some_and(|min| n < min)
                    || rule.max_changed_lines.is_some_and(|max| n > max)
                {
                    return Outcome::NoMatch;
                }
                reasons.push(format!("{n} changed lines"));
            }
        }
    }
    if missing.is_empty() {
        Outcome::Match(reasons.join("; "))
    } else {
        reasons.push(format!("undecided: needs GitHub data ({})", missing.join(", ")));
        Outcome::Undecided(reasons.join("; "))
    }
}

fn review_given(rule: &ReviewGivenRule, pair: &Pair, activity: &Activity) -> Outcome {
    let ActivityKind::ReviewSubmitted { state, comments } = &activity.kind else {
        return Outcome::NoMatch;
    };
    let pr = activity.pr.as_ref();
    let own_pr = pr.and_then(|p| p.author.as_ref()) == Some(&pair.mentee);
    if *state == ReviewState::Dismissed || own_pr || *comments < rule.min_comments {
        return Outcome::NoMatch;
    }
    let on = pr.map(|p| format!(" on PR #{}", p.number)).unwrap_or_default();
    Outcome::Match(format!(
        "review{on} with {comments} comment{}",
        if *comments == 1 { "" } else { "s" }
    ))
}

fn commit_trailer(rule: &CommitTrailerRule, activity: &Activity) -> Outcome {
    if !matches!(activity.kind, ActivityKind::Commit | ActivityKind::PullRequestMerged) {
        return Outcome::NoMatch;
    }
    match activity
        .trailers
        .iter()
        .find(|t| t.key.eq_ignore_ascii_case(&rule.key) && t.value.trim() == rule.value)
    {
        Some(t) => Outcome::Match(format!("trailer {}: {}", t.key, t.value.trim())),
        None => Outcome::NoMatch,
    }
}
