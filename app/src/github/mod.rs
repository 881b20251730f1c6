//! The one narrow door to GitHub's REST API: the [`GitHubApi`] trait and its live implementation.
//!
//! Everything Mentor reads from GitHub goes through [`GitHubApi`], so the worker and the config source never see
//! HTTP, tokens or pagination. [`LiveGitHub`] authenticates as the App (RS256 JWT → installation tokens), pages
//! through lists, and waits out rate limits; tests point it at a fake GitHub on loopback. Deciding what to fetch
//! is left to the callers (`config_source`).

pub mod graphql;
mod live;

use std::fmt;

use mentor_core::{Login, ReviewState};

pub use live::{LiveGitHub, Patience};

/// A boxed future, so [`GitHubApi`] stays object safe (`Arc<dyn GitHubApi>`).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A changed file of a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    /// Path in the repository (the new path of a rename).
    pub path: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
}

/// A submitted review of a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewInfo {
    /// Who reviewed.
    pub reviewer: Login,
    /// The verdict.
    pub state: ReviewState,
    /// True for App and bot accounts, which never count as reviewers.
    pub is_bot: bool,
}

/// Why a call to GitHub failed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// Worth retrying later (5xx, timeout, connection error, rate limited past our patience).
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help (4xx other than rate limits, bad response).
    #[error("{0}")]
    Permanent(String),
    /// GitHub gave up on the request or did not answer in time (502, 504, a timeout): worth retrying later, and a
    /// smaller request (a GraphQL page of fewer items) may pass at once.
    #[error("{0}")]
    Overloaded(String),
}

/// What a GitHub connection saw of GitHub's answers, for `GET /metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observations {
    /// The primary rate limit's last reading per installation (`x-ratelimit-remaining`; key 0 is the App itself):
    /// (installation id, remaining, limit).
    pub rate_limits: Vec<(u64, u64, u64)>,
    /// Failed answers to writes (POST, PATCH, PUT, DELETE) by their status code, or `timeout` / `connection` when
    /// GitHub gave none: (status, count since start).
    pub write_failures: Vec<(String, u64)>,
}

/// Everything Mentor reads from and writes to GitHub.
///
/// Live: [`LiveGitHub`] (octocrab with App auth, plus Mentor's token cache and bounded patience; `live.rs` says
/// what each part does). Tests: the live implementation pointed at a fake GitHub HTTP server. Demo: an offline
/// implementation over bundled data.
pub trait GitHubApi: Send + Sync + 'static {
    /// Returns the text of `path` on the default branch of `repo` ("owner/name"), or None when it does not exist.
    fn file_text<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>>;

    /// Returns the full names (`owner/name`) of every repository the installation can see (all pages of
    /// `GET /installation/repositories`), so the app finds config files without waiting for each repository's
    /// first webhook.
    fn installation_repositories<'a>(
        &'a self,
        installation_id: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, GitHubError>>;

    /// Sends one GraphQL request (`{"query", "variables", "operationName"}`, as [`graphql::query`] builds it) as the
    /// installation and returns the answer's `data`. Errors GitHub reports inside an HTTP 200 answer are errors here:
    /// rate limiting is transient, anything else permanent; a 502, 504 or no answer in time is
    /// [`GitHubError::Overloaded`] (a smaller query may pass).
    /// Returns what this connection saw of GitHub's answers (rate limits, failed writes); connections that do not
    /// talk to GitHub see nothing.
    fn observations(&self) -> Observations {
        Observations::default()
    }

    fn graphql<'a>(
        &'a self,
        installation_id: u64,
        request: serde_json::Value,
    ) -> BoxFuture<'a, Result<serde_json::Value, GitHubError>> {
        let _ = (installation_id, request);
        Box::pin(async move {
            Err(GitHubError::Permanent("this GitHub connection does not answer GraphQL".into()))
        })
    }

    /// Returns the role (`admin` or `member`) of `user` in `org`, or None when they are not an active member.
    fn org_role<'a>(
        &'a self,
        installation_id: u64,
        org: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        let _ = (installation_id, org, user);
        Box::pin(async { Ok(None) })
    }

    /// Returns true when `user` is an active member of team `team` (slug) of `org`.
    fn team_member<'a>(
        &'a self,
        installation_id: u64,
        org: &'a str,
        team: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<bool, GitHubError>> {
        let _ = (installation_id, org, team, user);
        Box::pin(async { Ok(false) })
    }

    /// Returns every changed file of PR `number` (all pages).
    fn pull_request_files<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>>;

    /// Returns every review of PR `number` (all pages).
    fn pull_request_reviews<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>>;

    /// Returns the comments on issue or PR `number` (all pages) written by App or bot accounts, oldest first:
    /// only those can be Mentor's, so a person quoting a hidden marker cannot pass their comment off as one.
    fn own_comments<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        let _ = (installation_id, number);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Creates a comment on issue or PR `number` and returns it.
    ///
    /// Never retried inside the call on a 5xx or timeout: GitHub may have created it anyway, and only the
    /// caller (the outbox) can look for it before trying again.
    fn create_issue_comment<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        let _ = (installation_id, number, body);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Replaces the body of issue comment `comment_id`.
    fn update_issue_comment<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        comment_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        let _ = (installation_id, comment_id, body);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Returns the reviews of PR `number` (all pages) written by App or bot accounts, oldest first, as id and
    /// body: only those can be Mentor's (see [`GitHubApi::own_comments`]).
    fn own_reviews<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        let _ = (installation_id, number);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Submits a review of PR `number` with event `COMMENT` and text `body`, and returns it; not retried inside
    /// the call (see [`GitHubApi::create_issue_comment`]).
    fn create_review<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        let _ = (installation_id, number, body);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Replaces the body of review `review_id` of PR `number`.
    fn update_review<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        review_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        let _ = (installation_id, number, review_id, body);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Adds reaction `content` (`+1`, `eyes`, …) to a comment; adding one that exists is not an error.
    fn create_reaction<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        target: ReactionTarget,
        content: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        let _ = (installation_id, target, content);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Returns every issue of `repo` (open and closed, all pages) that the App itself opened, oldest first;
    /// `PostedText::id` is the issue number.
    fn own_issues<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        let _ = installation_id;
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Opens an issue and returns it (`PostedText::id` is its number); not retried inside the call (see
    /// [`GitHubApi::create_issue_comment`]).
    fn create_issue<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        let _ = (installation_id, title, body);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Replaces the title and body of issue `number`.
    fn update_issue<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        let _ = (installation_id, number, title, body);
        Box::pin(async move { Err(read_only(repo)) })
    }

    /// Returns when the primary rate limit of `installation_id` resets, if GitHub said it is used up; callers
    /// that reschedule work (the outbox) wait at least until then instead of asking again too early.
    fn rate_limit_reset(&self, installation_id: u64) -> Option<std::time::SystemTime> {
        let _ = installation_id;
        None
    }

    /// Returns the full message of commit `sha` in `repo`, or None when GitHub does not know the commit.
    ///
    /// Implementations that cannot see commits (the offline demo) keep this default and answer None.
    fn commit_message<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        sha: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        let _ = (installation_id, repo, sha);
        Box::pin(async { Ok(None) })
    }

    /// Returns true when `repo` is private (GitHub's `private`, or a `visibility` other than `public`).
    fn repository_is_private<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
    ) -> BoxFuture<'a, Result<bool, GitHubError>> {
        let _ = installation_id;
        Box::pin(async move { Err(read_only(repo)) })
    }
}

/// A comment, review or issue Mentor wrote (or finds while looking for its own): its id (an issue's number) and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedText {
    /// Comment or review id, or issue number.
    pub id: u64,
    /// The Markdown body as GitHub stores it.
    pub body: String,
}

/// The comment a reaction goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "on", content = "id", rename_all = "snake_case")]
pub enum ReactionTarget {
    /// A conversation comment of an issue or PR (`issue_comment` events).
    IssueComment(u64),
    /// A comment on a line of a PR's diff (`pull_request_review_comment` events).
    ReviewComment(u64),
}

/// The error of an implementation that only reads (kept so read-only stand-ins need not write every method).
fn read_only(repo: &str) -> GitHubError {
    GitHubError::Permanent(format!(
        "this GitHub connection cannot write to {repo}\n\nRun the server with a GitHub App (MENTOR_APP_ID)."
    ))
}

/// A secret (private key, token) whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// Returns the secret itself; call sites are easy to audit by this name.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

/// How to reach GitHub as the App.
#[derive(Clone, Debug)]
pub struct GitHubSettings {
    /// REST API root: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    pub api_url: String,
    /// The App's id (the JWT's `iss`).
    pub app_id: u64,
    /// The App's RSA private key in PEM form.
    pub private_key_pem: Secret,
}

impl GitHubSettings {
    /// The REST API root of github.com.
    pub const DEFAULT_API_URL: &'static str = "https://api.github.com";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings = GitHubSettings {
            api_url: GitHubSettings::DEFAULT_API_URL.to_owned(),
            app_id: 7,
            private_key_pem: "-----BEGIN RSA PRIVATE KEY-----abc".into(),
        };
        let shown = format!("{settings:?} {}", settings.private_key_pem);
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains("BEGIN"), "{shown}");
    }
}
