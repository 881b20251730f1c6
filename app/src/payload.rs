//! Webhook payloads as Mentor reads them: minimal typed structs with only the fields Mentor uses.
//!
//! One [`Payload`] covers every event Mentor handles; each object is optional here and [`crate::normalize`]
//! says which ones an event needs. Unknown fields are skipped without being built (GitHub's payloads are mostly
//! URLs and nested repository objects Mentor never reads), unknown actions are plain strings, so a new field or
//! action never breaks a delivery. The compiler knows every field read: adding one means adding it here.
//!
//! A field of the wrong type, or a required field missing, is a [`NormalizeError`] naming the event and the
//! field's path (`review.user.login`), from `serde_path_to_error`.

use chrono::{DateTime, Utc};
use mentor_core::Login;
use serde::Deserialize;

use crate::normalize::NormalizeError;

/// The fields of a webhook payload Mentor reads, for every event it handles.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Payload {
    /// The action (`opened`, `submitted`, …); absent for `push`.
    #[serde(default)]
    pub action: Option<String>,
    /// The App installation the delivery came through (absent for plain repository webhooks).
    #[serde(default)]
    pub installation: Option<Installation>,
    /// The repository the event happened in.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// `pull_request*` events.
    #[serde(default)]
    pub pull_request: Option<PullRequest>,
    /// `pull_request_review`.
    #[serde(default)]
    pub review: Option<Review>,
    /// `pull_request_review_comment` and `issue_comment`.
    #[serde(default)]
    pub comment: Option<Comment>,
    /// `issue_comment`: the issue or pull request commented on.
    #[serde(default)]
    pub issue: Option<Issue>,
    /// `push`: the ref pushed to.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// `push`: the commits pushed.
    #[serde(default)]
    pub commits: Option<Vec<PushCommit>>,
    /// `push`: the head commit (also in `commits`, except in some truncated payloads).
    #[serde(default)]
    pub head_commit: Option<PushCommit>,
    /// `installation`: the repositories of the installation.
    #[serde(default)]
    pub repositories: Option<Vec<RepositoryRef>>,
    /// `installation_repositories` `added`.
    #[serde(default)]
    pub repositories_added: Option<Vec<RepositoryRef>>,
    /// `installation_repositories` `removed`.
    #[serde(default)]
    pub repositories_removed: Option<Vec<RepositoryRef>>,
}

/// A GitHub account (`user`, `sender`, `installation.account`).
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    /// Login; deleted accounts come as the `ghost` user, never as null.
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl User {
    /// Returns the login as a [`Login`].
    pub fn login(&self) -> Login {
        Login::new(&self.login)
    }

    /// Returns true for App and bot accounts (`[bot]` logins or `type: Bot`), which never count.
    pub fn is_bot(&self) -> bool {
        self.login().is_bot() || self.kind.as_deref() == Some("Bot")
    }
}

/// `installation`.
#[derive(Clone, Debug, Deserialize)]
pub struct Installation {
    /// The installation id.
    pub id: u64,
    /// The account it belongs to (sent with `installation` events).
    #[serde(default)]
    pub account: Option<User>,
}

/// `repository`.
#[derive(Clone, Debug, Deserialize)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// The default branch (`push` compares the ref with it).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// GitHub says `true` for private and internal repositories alike; absent means public.
    #[serde(default)]
    pub private: Option<bool>,
}

/// An entry of an installation's repository lists.
#[derive(Clone, Debug, Deserialize)]
pub struct RepositoryRef {
    /// `owner/name`.
    pub full_name: String,
}

/// A label.
#[derive(Clone, Debug, Deserialize)]
pub struct Label {
    /// Its name.
    pub name: String,
}

/// `pull_request`.
#[derive(Clone, Debug, Deserialize)]
pub struct PullRequest {
    /// Number.
    pub number: u64,
    /// Author.
    pub user: User,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Labels, when sent.
    #[serde(default)]
    pub labels: Option<Vec<Label>>,
    /// Lines added (full PR objects only).
    #[serde(default)]
    pub additions: Option<u64>,
    /// Lines deleted (full PR objects only).
    #[serde(default)]
    pub deletions: Option<u64>,
    /// Files changed (full PR objects only).
    #[serde(default)]
    pub changed_files: Option<u64>,
    /// Web link.
    #[serde(default)]
    pub html_url: Option<String>,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: Option<String>,
    /// Draft flag.
    #[serde(default)]
    pub draft: Option<bool>,
    /// Whether it was merged (closed events).
    #[serde(default)]
    pub merged: Option<bool>,
    /// The landed commit once merged (before that, a test merge's).
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    /// When it was opened.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
}

/// `review`.
#[derive(Clone, Debug, Deserialize)]
pub struct Review {
    /// Review id.
    pub id: u64,
    /// Reviewer.
    pub user: User,
    /// `approved`, `changes_requested`, `commented`, `dismissed`, `pending` (any case).
    pub state: String,
    /// When it was submitted (absent while pending).
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    /// Web link.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Its text (Conventional Comments labels are counted, never stored).
    #[serde(default)]
    pub body: Option<String>,
}

/// `comment` (a PR conversation comment or an inline review comment).
#[derive(Clone, Debug, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Author.
    pub user: User,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Web link.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Its text (`/mentor` commands, Conventional Comments labels).
    #[serde(default)]
    pub body: Option<String>,
    /// The author's relation to the repository: `OWNER`, `MEMBER`, `COLLABORATOR` are maintainers.
    #[serde(default)]
    pub author_association: Option<String>,
}

impl Comment {
    /// Returns true when the author maintains the repository (may run any `/mentor template`).
    pub fn by_maintainer(&self) -> bool {
        matches!(self.author_association.as_deref(), Some("OWNER" | "MEMBER" | "COLLABORATOR"))
    }
}

/// `issue` of an `issue_comment`; for a pull request, the pull request itself (same number, author, title and
/// labels) with a `pull_request` key.
#[derive(Clone, Debug, Deserialize)]
pub struct Issue {
    /// Number.
    pub number: u64,
    /// Author.
    pub user: User,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Labels, when sent.
    #[serde(default)]
    pub labels: Option<Vec<Label>>,
    /// Web link.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Text (a growth journal's carries its marker, naming the pair).
    #[serde(default)]
    pub body: Option<String>,
    /// Present (non-null) when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde::de::IgnoredAny>,
}

impl Issue {
    /// Returns true when the issue is a pull request.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }
}

/// A commit of a `push`: the paths it touched.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PushCommit {
    /// Paths added.
    #[serde(default)]
    pub added: Vec<String>,
    /// Paths modified.
    #[serde(default)]
    pub modified: Vec<String>,
    /// Paths removed.
    #[serde(default)]
    pub removed: Vec<String>,
}

impl Payload {
    /// Decodes the payload of `event` from its JSON text, or names the field (with its path) that is missing or
    /// has the wrong type.
    pub fn decode(event: &str, text: &str) -> Result<Payload, NormalizeError> {
        // The plain decode is the fast path; tracking the path of every value costs on every delivery, so it is
        // done again only to name the field of a failure.
        if let Ok(payload) = serde_json::from_str(text) {
            return Ok(payload);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let payload = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| field_error(event, e.path().to_string(), e.into_inner()))?;
        de.end().map_err(|e| NormalizeError::Malformed {
            event: event.to_owned(),
            message: e.to_string(),
        })?;
        Ok(payload)
    }

    /// Returns the repository's full name, or the error naming it.
    pub fn repo(&self, event: &str) -> Result<&Repository, NormalizeError> {
        self.repository.as_ref().ok_or_else(|| missing(event, "repository"))
    }

    /// Returns true when the repository is public (absent `private` means public).
    pub fn is_public(&self) -> bool {
        !self.repository.as_ref().and_then(|r| r.private).unwrap_or(false)
    }
}

/// Returns the error for a required field `field` that is absent or null.
pub fn missing(event: &str, field: &str) -> NormalizeError {
    NormalizeError::MissingField { event: event.to_owned(), field: field.to_owned() }
}

/// Turns a serde error at `path` into a [`NormalizeError`] naming the field.
fn field_error(event: &str, path: String, error: serde_json::Error) -> NormalizeError {
    let message = error.to_string();
    // "missing field `login` at line 1 column 80": the path is the object's, the name is in the message.
    if let Some(name) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
        let field =
            if path == "." || path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
        return NormalizeError::MissingField { event: event.to_owned(), field };
    }
    if error.is_syntax() || error.is_eof() {
        return NormalizeError::Malformed { event: event.to_owned(), message };
    }
    let detail = message.split(" at line ").next().unwrap_or(&message).to_owned();
    NormalizeError::InvalidField { event: event.to_owned(), field: path, message: detail }
}
