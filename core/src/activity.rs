//! Activities: one normalized thing that happened, whether seen in a webhook or in local git history.
//!
//! Facts the observer could not know (labels and reviewers when reading a clone offline) are `None`, never
//! guessed, so evidence rules can say "undecided: needs GitHub data" instead of silently not matching.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::login::Login;
use crate::trailer::Trailer;

/// One normalized event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// What happened.
    pub kind: ActivityKind,
    /// Who did it (the reviewer, the commenter, the commit author, the PR author for PR events).
    pub actor: Login,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Where it happened; also the idempotency key of anything derived from it.
    pub source: Source,
    /// The pull request it concerns, if any.
    pub pr: Option<PullRequestFacts>,
    /// Trailers of the commit message (commits and squash-merged PRs), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<Trailer>,
}

/// What kind of thing happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActivityKind {
    /// A PR was opened, reopened or marked ready for review.
    PullRequestOpened,
    /// A PR was merged.
    PullRequestMerged,
    /// A PR was closed without merging.
    PullRequestClosed,
    /// A review was submitted on a PR.
    ReviewSubmitted {
        /// The review's verdict.
        state: ReviewState,
        /// Inline comments that came with it.
        comments: u32,
    },
    /// One inline review comment.
    ReviewComment,
    /// A conversation comment on a PR.
    IssueComment,
    /// A commit (local history).
    Commit,
    /// A check-in logged with `/mentor checkin`, crediting `minutes` to the pair of `actor` and the PR author.
    Checkin {
        /// Minutes to credit.
        minutes: u32,
    },
}

/// The verdict of a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Approved.
    Approved,
    /// Changes requested.
    ChangesRequested,
    /// Commented without a verdict.
    Commented,
    /// Dismissed later.
    Dismissed,
}

/// Where an activity happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    /// `owner/name` on GitHub, or the clone's name for local history.
    pub repo: String,
    /// A stable id of the thing itself within `repo`: `pr/42`, `review/123`, `comment/456`, `commit/<sha>`.
    pub id: String,
    /// A link a person can open, when known.
    pub url: Option<String>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repo, self.id)
    }
}

/// What is known about the pull request an activity concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestFacts {
    /// PR number.
    pub number: u64,
    /// The PR's author.
    pub author: Option<Login>,
    /// Title, when known.
    pub title: Option<String>,
    /// Labels; `None` when unknown (offline).
    pub labels: Option<Vec<String>>,
    /// Distinct reviewers who approved or commented; `None` when unknown (offline).
    pub reviewers: Option<Vec<Login>>,
    /// Changed paths; `None` when not computed.
    pub changed_paths: Option<Vec<String>>,
    /// Additions plus deletions; `None` when not computed.
    pub changed_lines: Option<u64>,
    /// Commit the PR landed as (merge or squash commit), when known.
    pub merge_commit: Option<String>,
}

impl Activity {
    /// Returns a short human label of the source: `acme/api#42` for PRs, `abc1234` for commits.
    pub fn label(&self) -> String {
        match (&self.pr, self.source.id.strip_prefix("commit/")) {
            (Some(pr), _) => format!("{}#{}", self.source.repo, pr.number),
            (None, Some(sha)) => sha.chars().take(7).collect(),
            (None, None) => self.source.to_string(),
        }
    }
}
