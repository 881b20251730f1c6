//! A repository's merged pull requests as GitHub's GraphQL API answers them, decoded into minimal structs (only
//! the fields Mentor reads), and each turned into the webhook events GitHub sent while it happened: the merge,
//! each submitted review, each review comment and each conversation comment. Running those through the same
//! decoding and normalizing as live webhooks is what makes a backfilled pull request count exactly as if Mentor
//! had been installed all along.

use chrono::{DateTime, Utc};
use mentor_core::{Login, ReviewState};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::github::{BoxFuture, ChangedFile, GitHubApi, GitHubError, ReviewInfo};

/// `rateLimit { cost remaining resetAt }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Points the query cost.
    pub cost: u64,
    /// Points left until `reset_at`.
    pub remaining: u64,
    /// When the points come back.
    pub reset_at: DateTime<Utc>,
}

/// `pageInfo`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// More items follow.
    pub has_next_page: bool,
    /// The cursor to ask for them after.
    pub end_cursor: Option<String>,
}

/// A connection: one page of a list.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Connection<T> {
    /// Where the page ends.
    #[serde(default)]
    pub page_info: PageInfo,
    /// The items (GitHub may answer null for one it cannot show).
    #[serde(default = "Vec::new", deserialize_with = "nodes")]
    pub nodes: Vec<T>,
}

impl<T> Default for Connection<T> {
    fn default() -> Self {
        Connection { page_info: PageInfo::default(), nodes: Vec::new() }
    }
}

/// Reads `nodes: [T | null] | null` as the items that are there.
fn nodes<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let list: Option<Vec<Option<T>>> = Option::deserialize(d)?;
    Ok(list.into_iter().flatten().flatten().collect())
}

/// An actor: a user, a bot, or null for a deleted account.
#[derive(Clone, Debug, Deserialize)]
pub struct Actor {
    /// `User`, `Bot`, `Mannequin`, `Organization`, …
    #[serde(rename = "__typename")]
    pub typename: String,
    /// The login (a bot's without `[bot]`).
    pub login: String,
}

/// A label's name.
#[derive(Clone, Debug, Deserialize)]
pub struct Label {
    /// The name.
    pub name: String,
}

/// The landed commit.
#[derive(Clone, Debug, Deserialize)]
pub struct Commit {
    /// Its sha.
    pub oid: String,
    /// Its message (trailers).
    pub message: String,
}

/// A changed file.
#[derive(Clone, Debug, Deserialize)]
pub struct File {
    /// The path.
    pub path: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
}

/// A conversation comment or a review comment.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// The REST id.
    pub full_database_id: Option<String>,
    /// The link.
    pub url: String,
    /// The text.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Who wrote it.
    pub author: Option<Actor>,
}

/// A review.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// The node id (to page its comments).
    pub id: String,
    /// The REST id.
    pub full_database_id: Option<String>,
    /// The link.
    pub url: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// The text.
    pub body: String,
    /// When it was submitted (None while pending).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who reviewed.
    pub author: Option<Actor>,
    /// Its inline comments.
    #[serde(default)]
    pub comments: Connection<Comment>,
}

/// A merged pull request (`PullParts`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pull {
    /// The number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The link.
    pub url: String,
    /// When it was merged.
    pub merged_at: Option<DateTime<Utc>>,
    /// When it last changed (the order pages come in).
    pub updated_at: DateTime<Utc>,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// Files changed.
    pub changed_files: u64,
    /// Who opened it.
    pub author: Option<Actor>,
    /// Its labels.
    #[serde(default)]
    pub labels: Connection<Label>,
    /// The landed commit.
    pub merge_commit: Option<Commit>,
    /// Its changed files.
    #[serde(default)]
    pub files: Connection<File>,
    /// Its reviews.
    #[serde(default)]
    pub reviews: Connection<Review>,
    /// Its conversation comments.
    #[serde(default)]
    pub comments: Connection<Comment>,
}

/// The answer to `MergedPulls`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergedPullsAnswer {
    /// What it cost.
    pub rate_limit: Option<RateLimit>,
    /// The repository (null when the installation cannot see it).
    pub repository: Option<PullsOfRepository>,
}

/// `repository { pullRequests }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullsOfRepository {
    /// One page of merged pull requests.
    pub pull_requests: Connection<Pull>,
}

/// The answer to `PullRest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRestAnswer {
    /// What it cost.
    pub rate_limit: Option<RateLimit>,
    /// The repository.
    pub repository: Option<PullOfRepository>,
}

/// `repository { pullRequest }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullOfRepository {
    /// The pull request's next pages.
    pub pull_request: Option<PullRest>,
}

/// The next pages of a pull request's lists.
#[derive(Debug, Deserialize)]
pub struct PullRest {
    /// Files.
    #[serde(default)]
    pub files: Connection<File>,
    /// Reviews.
    #[serde(default)]
    pub reviews: Connection<Review>,
    /// Conversation comments.
    #[serde(default)]
    pub comments: Connection<Comment>,
}

/// The answer to `ReviewComments`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewCommentsAnswer {
    /// What it cost.
    pub rate_limit: Option<RateLimit>,
    /// The review.
    pub node: Option<ReviewNode>,
}

/// `node { ... on PullRequestReview { comments } }`.
#[derive(Debug, Deserialize)]
pub struct ReviewNode {
    /// The next page of its comments.
    #[serde(default)]
    pub comments: Connection<Comment>,
}

/// A user object as webhooks carry it: a deleted account is `ghost`, a bot's login ends in `[bot]`.
fn user(actor: &Option<Actor>) -> Value {
    match actor {
        None => json!({"login": "ghost", "type": "User"}),
        Some(a) if a.typename == "Bot" => {
            let login = if a.login.ends_with("[bot]") {
                a.login.clone()
            } else {
                format!("{}[bot]", a.login)
            };
            json!({"login": login, "type": "Bot"})
        }
        Some(a) => json!({"login": a.login, "type": a.typename}),
    }
}

fn rest_id(id: &Option<String>) -> Option<u64> {
    id.as_deref().and_then(|s| s.parse().ok())
}

impl Pull {
    /// Returns the webhook events this pull request's history was made of, as `(event, payload)`, oldest kind
    /// first: the merge, then each submitted review, its inline comments, and each conversation comment.
    /// Pending reviews (drafts nobody saw) and items without an id are left out, as GitHub sends no event for them.
    pub fn events(&self, installation_id: u64, repo: &str) -> Vec<(&'static str, Value)> {
        let author = user(&self.author);
        let labels: Vec<Value> =
            self.labels.nodes.iter().map(|l| json!({"name": l.name})).collect();
        let pull_request = json!({
            "number": self.number, "user": author, "title": self.title, "labels": labels,
            "additions": self.additions, "deletions": self.deletions, "changed_files": self.changed_files,
            "html_url": self.url, "state": "closed", "draft": false, "merged": true,
            "merge_commit_sha": self.merge_commit.as_ref().map(|c| c.oid.clone()),
            "updated_at": self.updated_at, "closed_at": self.merged_at, "merged_at": self.merged_at,
        });
        let envelope = |action: &str, mut fields: Value| {
            fields["action"] = json!(action);
            fields["installation"] = json!({"id": installation_id});
            fields["repository"] = json!({"full_name": repo});
            fields
        };
        let comment = |c: &Comment, id: u64| json!({"id": id, "user": user(&c.author), "created_at": c.created_at, "html_url": c.url, "body": c.body});
        let mut events = vec![(
            "pull_request",
            envelope("closed", json!({"pull_request": pull_request.clone()})),
        )];
        for r in &self.reviews.nodes {
            let (Some(id), Some(at)) = (rest_id(&r.full_database_id), r.submitted_at) else {
                continue;
            };
            if r.state == "PENDING" {
                continue;
            }
            let review = json!({"id": id, "user": user(&r.author), "state": r.state.to_ascii_lowercase(),
                                "submitted_at": at, "html_url": r.url, "body": r.body});
            events.push((
                "pull_request_review",
                envelope(
                    "submitted",
                    json!({"review": review, "pull_request": pull_request.clone()}),
                ),
            ));
            for c in &r.comments.nodes {
                let Some(cid) = rest_id(&c.full_database_id) else { continue };
                events.push((
                    "pull_request_review_comment",
                    envelope(
                        "created",
                        json!({"comment": comment(c, cid), "pull_request": pull_request.clone()}),
                    ),
                ));
            }
        }
        let issue = json!({"number": self.number, "user": author, "title": self.title, "labels": labels,
                           "html_url": self.url, "pull_request": {}});
        for c in &self.comments.nodes {
            let Some(id) = rest_id(&c.full_database_id) else { continue };
            events.push((
                "issue_comment",
                envelope("created", json!({"issue": issue.clone(), "comment": comment(c, id)})),
            ));
        }
        events
    }

    /// Returns GitHub as the webhook path sees it for this pull request, answered from what was read: the
    /// changed files, the reviews and the landed commit's message need no more requests.
    pub fn known(&self) -> Known {
        let reviews = self
            .reviews
            .nodes
            .iter()
            .filter_map(|r| {
                let state = match r.state.as_str() {
                    "APPROVED" => ReviewState::Approved,
                    "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
                    "COMMENTED" => ReviewState::Commented,
                    "DISMISSED" => ReviewState::Dismissed,
                    _ => return None,
                };
                // A deleted account cannot be anyone's reviewer any more (as over REST).
                let a = r.author.as_ref()?;
                let reviewer = Login::new(&a.login);
                let is_bot = reviewer.is_bot() || a.typename == "Bot";
                Some(ReviewInfo { reviewer, state, is_bot })
            })
            .collect();
        Known {
            files: self
                .files
                .nodes
                .iter()
                .map(|f| ChangedFile {
                    path: f.path.clone(),
                    additions: f.additions,
                    deletions: f.deletions,
                })
                .collect(),
            reviews,
            message: self.merge_commit.as_ref().map(|c| c.message.clone()),
        }
    }
}

/// What was read of one pull request, answering the few reads enriching an activity makes
/// (`config_source::enrich`), so history is enriched by the same code as webhooks.
pub struct Known {
    files: Vec<ChangedFile>,
    reviews: Vec<ReviewInfo>,
    message: Option<String>,
}

fn not_read(what: &str) -> GitHubError {
    GitHubError::Permanent(format!("{what} is not read while backfilling history"))
}

impl GitHubApi for Known {
    fn file_text<'a>(
        &'a self,
        _installation_id: u64,
        _repo: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(async move { Err(not_read(path)) })
    }

    fn installation_repositories<'a>(
        &'a self,
        _installation_id: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, GitHubError>> {
        Box::pin(async { Err(not_read("the installation's repositories")) })
    }

    fn pull_request_files<'a>(
        &'a self,
        _installation_id: u64,
        _repo: &'a str,
        _number: u64,
    ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>> {
        Box::pin(async { Ok(self.files.clone()) })
    }

    fn pull_request_reviews<'a>(
        &'a self,
        _installation_id: u64,
        _repo: &'a str,
        _number: u64,
    ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>> {
        Box::pin(async { Ok(self.reviews.clone()) })
    }

    fn commit_message<'a>(
        &'a self,
        _installation_id: u64,
        _repo: &'a str,
        _sha: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(async { Ok(self.message.clone()) })
    }
}
