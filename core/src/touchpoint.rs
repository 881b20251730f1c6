//! Touchpoints: mentoring interactions derived from activities and the configured pairs.
//!
//! A touchpoint exists only between a configured pair in effect on the activity's day (in the sprint
//! calendar's zone): the mentor reviews or comments on the mentee's PR, the two commit together (a
//! `Mentored-by:`, `Co-authored-by:` or `Reviewed-by:` trailer naming the other), or one logs a check-in.
//! Bots never count. Each touchpoint has a key built from its source, so deriving it twice yields the same row.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::{Activity, ActivityKind, ReviewState};
use crate::config::Config;
use crate::identity::Roster;
use crate::login::Login;

/// Trailer keys that name a pairing partner in a commit.
pub const PAIRING_TRAILERS: [&str; 3] = ["Mentored-by", "Co-authored-by", "Reviewed-by"];

/// What kind of mentoring interaction a touchpoint records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchpointKind {
    /// The mentor submitted a review on the mentee's PR.
    Review,
    /// The mentor left an inline review comment on the mentee's PR.
    ReviewComment,
    /// The mentor commented in the mentee's PR conversation.
    Comment,
    /// The two committed together (pairing trailer).
    PairingCommit,
    /// A check-in logged with `/mentor checkin`.
    Checkin,
}

impl TouchpointKind {
    /// Returns the snake_case name used in keys, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TouchpointKind::Review => "review",
            TouchpointKind::ReviewComment => "review_comment",
            TouchpointKind::Comment => "comment",
            TouchpointKind::PairingCommit => "pairing_commit",
            TouchpointKind::Checkin => "checkin",
        }
    }
}

impl fmt::Display for TouchpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One mentoring interaction between a configured pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touchpoint {
    /// Idempotency key: kind, source and pair.
    pub key: String,
    /// What happened.
    pub kind: TouchpointKind,
    /// The pair's mentor.
    pub mentor: Login,
    /// The pair's mentee.
    pub mentee: Login,
    /// Minutes credited (from `touchpoints.minutes`, or the check-in's own duration).
    pub minutes: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Short label of where it happened (`acme/api#42`, `abc1234`).
    pub source: String,
    /// A link, when known.
    pub url: Option<String>,
}

/// Returns the touchpoints `activity` creates under `config` (often none).
pub fn derive(config: &Config, roster: &Roster, activity: &Activity) -> Vec<Touchpoint> {
    if activity.actor.is_bot() {
        return Vec::new();
    }
    let minutes = &config.touchpoints.minutes;
    let pr_author = activity.pr.as_ref().and_then(|pr| pr.author.as_ref());
    let (kind, partners, credited): (TouchpointKind, Vec<Login>, u32) = match &activity.kind {
        ActivityKind::ReviewSubmitted { state, .. } if *state != ReviewState::Dismissed => {
            (TouchpointKind::Review, pr_author.cloned().into_iter().collect(), minutes.review)
        }
        ActivityKind::ReviewComment => (
            TouchpointKind::ReviewComment,
            pr_author.cloned().into_iter().collect(),
            minutes.review_comment,
        ),
        ActivityKind::IssueComment => {
            (TouchpointKind::Comment, pr_author.cloned().into_iter().collect(), minutes.comment)
        }
        ActivityKind::Checkin { minutes: m } => (
            TouchpointKind::Checkin,
            pr_author.cloned().into_iter().collect(),
            if *m == 0 { minutes.checkin } else { *m },
        ),
        ActivityKind::Commit | ActivityKind::PullRequestMerged => {
            let partners = activity
                .trailers
                .iter()
                .filter(|t| PAIRING_TRAILERS.iter().any(|k| k.eq_ignore_ascii_case(&t.key)))
                .filter_map(|t| roster.login_for_ident(&t.value))
                .collect();
            (TouchpointKind::PairingCommit, partners, minutes.pairing_commit)
        }
        _ => return Vec::new(),
    };
    let day = config.sprints.local_date(activity.at);
    let mut out: Vec<Touchpoint> = Vec::new();
    for partner in partners {
        if partner == activity.actor || partner.is_bot() {
            continue;
        }
        // Reviews and comments only count from mentor to mentee; commits and check-ins count either way.
        let pair = config.pair_on(&activity.actor, &partner, day).or_else(|| {
            matches!(kind, TouchpointKind::PairingCommit | TouchpointKind::Checkin)
                .then(|| config.pair_on(&partner, &activity.actor, day))
                .flatten()
        });
        let Some(pair) = pair else { continue };
        if out.iter().any(|t| t.mentor == pair.mentor && t.mentee == pair.mentee) {
            continue;
        }
        out.push(Touchpoint {
            key: format!("{kind}:{}:{}>{}", activity.source, pair.mentor, pair.mentee),
            kind,
            mentor: pair.mentor.clone(),
            mentee: pair.mentee.clone(),
            minutes: credited,
            at: activity.at,
            source: activity.label(),
            url: activity.source.url.clone(),
        });
    }
    out
}
