//! Temporary stand-ins for the GitHub helper's modules (`github`, `normalize`, `config_source`).
//!
//! They follow `notes/APP-INTERFACE.md` exactly so the server compiles and its tests run before the real modules
//! are merged; this file is deleted at that merge and `lib.rs` then declares the real modules.

/// The narrow door to GitHub (interface copy).
pub mod github {
    use mentor_core::{Login, ReviewState};

    /// A boxed future, so the trait stays object safe.
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

    /// A changed file of a pull request.
    pub struct ChangedFile {
        /// Path in the repository.
        pub path: String,
        /// Added lines.
        pub additions: u64,
        /// Deleted lines.
        pub deletions: u64,
    }

    /// A submitted review of a pull request.
    pub struct ReviewInfo {
        /// Who reviewed.
        pub reviewer: Login,
        /// The verdict.
        pub state: ReviewState,
        /// Whether the reviewer is a bot.
        pub is_bot: bool,
    }

    /// A failed GitHub call.
    #[derive(Debug, thiserror::Error)]
    pub enum GitHubError {
        /// Worth retrying later.
        #[error("{0}")]
        Transient(String),
        /// Retrying will not help.
        #[error("{0}")]
        Permanent(String),
    }

    /// Everything Mentor reads from GitHub.
    pub trait GitHubApi: Send + Sync + 'static {
        /// Returns the text of `path` on the default branch of `repo`, or None when it does not exist.
        fn file_text<'a>(
            &'a self,
            installation_id: u64,
            repo: &'a str,
            path: &'a str,
        ) -> BoxFuture<'a, Result<Option<String>, GitHubError>>;
        /// Returns every changed file of PR `number`.
        fn pull_request_files<'a>(
            &'a self,
            installation_id: u64,
            repo: &'a str,
            number: u64,
        ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>>;
        /// Returns every review of PR `number`.
        fn pull_request_reviews<'a>(
            &'a self,
            installation_id: u64,
            repo: &'a str,
            number: u64,
        ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>>;
    }

    /// Settings of the live client.
    pub struct GitHubSettings {
        /// API base URL.
        pub api_url: String,
        /// GitHub App id.
        pub app_id: u64,
        /// The App's private key (PEM).
        pub private_key_pem: String,
    }

    /// The live client (stand-in: unauthenticated reads of the contents API only).
    pub struct LiveGitHub {
        api_url: String,
        http: reqwest::Client,
    }

    impl LiveGitHub {
        /// Creates the client.
        pub fn new(settings: GitHubSettings) -> anyhow::Result<LiveGitHub> {
            Ok(LiveGitHub { api_url: settings.api_url, http: reqwest::Client::new() })
        }
    }

    impl GitHubApi for LiveGitHub {
        fn file_text<'a>(
            &'a self,
            _installation_id: u64,
            repo: &'a str,
            path: &'a str,
        ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
            Box::pin(async move {
                let url = format!("{}/repos/{repo}/contents/{path}", self.api_url);
                let resp = self
                    .http
                    .get(url)
                    .header("accept", "application/vnd.github.raw+json")
                    .header("user-agent", "mentor-app")
                    .send()
                    .await
                    .map_err(|e| GitHubError::Transient(e.to_string()))?;
                match resp.status().as_u16() {
                    404 => Ok(None),
                    200 => resp
                        .text()
                        .await
                        .map(Some)
                        .map_err(|e| GitHubError::Transient(e.to_string())),
                    s if s >= 500 => Err(GitHubError::Transient(format!("github answered {s}"))),
                    s => Err(GitHubError::Permanent(format!("github answered {s}"))),
                }
            })
        }
        fn pull_request_files<'a>(
            &'a self,
            _installation_id: u64,
            _repo: &'a str,
            _number: u64,
        ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>> {
            Box::pin(async move { Ok(Vec::new()) })
        }
        fn pull_request_reviews<'a>(
            &'a self,
            _installation_id: u64,
            _repo: &'a str,
            _number: u64,
        ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>> {
            Box::pin(async move { Ok(Vec::new()) })
        }
    }
}

/// Payload → core activities (interface copy with a minimal decoder).
pub mod normalize {
    use chrono::{DateTime, Utc};
    use mentor_core::{Activity, ActivityKind, Login, PullRequestFacts, ReviewState, Source};
    use serde_json::Value;

    /// Returns true if Mentor uses this event/action at all.
    pub fn is_relevant(event: &str, action: Option<&str>) -> bool {
        match event {
            "pull_request" => {
                matches!(action, Some("opened" | "reopened" | "ready_for_review" | "closed"))
            }
            "pull_request_review" => matches!(action, Some("submitted" | "dismissed")),
            "pull_request_review_comment" | "issue_comment" => matches!(action, Some("created")),
            "push" | "installation" | "installation_repositories" => true,
            _ => false,
        }
    }

    /// What one delivery means for Mentor.
    pub enum Normalized {
        /// Nothing to do.
        Nothing {
            /// Why.
            reason: String,
        },
        /// Activities to derive touchpoints/evidence from.
        Activities {
            /// Installation.
            installation_id: u64,
            /// `owner/name`.
            repo: String,
            /// The activities.
            activities: Vec<Activity>,
        },
        /// The config may have changed.
        ConfigChanged {
            /// Installation.
            installation_id: u64,
            /// `owner/name`.
            repo: String,
        },
        /// Installation changes.
        Installation {
            /// Installation.
            installation_id: u64,
            /// Added repos.
            repos_added: Vec<String>,
            /// Removed repos.
            repos_removed: Vec<String>,
            /// Whether the App was uninstalled.
            deleted: bool,
        },
    }

    /// A payload missing a field Mentor needs.
    #[derive(Debug, thiserror::Error)]
    #[error("payload has no `{0}`")]
    pub struct NormalizeError(pub String);

    fn str_at<'a>(v: &'a Value, path: &str) -> Result<&'a str, NormalizeError> {
        v.pointer(path).and_then(Value::as_str).ok_or_else(|| NormalizeError(path.to_string()))
    }

    fn time_at(v: &Value, path: &str) -> Result<DateTime<Utc>, NormalizeError> {
        str_at(v, path)?.parse().map_err(|_| NormalizeError(path.to_string()))
    }

    /// Decodes only the fields Mentor uses.
    pub fn normalize(event: &str, payload: &Value) -> Result<Normalized, NormalizeError> {
        let installation_id =
            payload.pointer("/installation/id").and_then(Value::as_u64).unwrap_or(0);
        if event == "installation" || event == "installation_repositories" {
            return Ok(Normalized::Installation {
                installation_id,
                repos_added: Vec::new(),
                repos_removed: Vec::new(),
                deleted: payload["action"] == "deleted",
            });
        }
        let repo = str_at(payload, "/repository/full_name")?.to_string();
        if event == "push" {
            return Ok(Normalized::ConfigChanged { installation_id, repo });
        }
        let pr_facts = |pr: &Value| -> Result<PullRequestFacts, NormalizeError> {
            Ok(PullRequestFacts {
                number: pr["number"].as_u64().ok_or_else(|| NormalizeError("number".into()))?,
                author: pr.pointer("/user/login").and_then(Value::as_str).map(Login::new),
                title: pr["title"].as_str().map(str::to_string),
                labels: pr["labels"].as_array().map(|ls| {
                    ls.iter().filter_map(|l| l["name"].as_str().map(str::to_string)).collect()
                }),
                ..PullRequestFacts::default()
            })
        };
        let action = payload["action"].as_str().unwrap_or_default();
        let activity = match event {
            "pull_request_review" => {
                let review = &payload["review"];
                let state = match review["state"].as_str().unwrap_or_default() {
                    "approved" => ReviewState::Approved,
                    "changes_requested" => ReviewState::ChangesRequested,
                    "dismissed" => ReviewState::Dismissed,
                    _ => ReviewState::Commented,
                };
                Activity {
                    kind: ActivityKind::ReviewSubmitted { state, comments: 0 },
                    actor: Login::new(str_at(payload, "/review/user/login")?),
                    at: time_at(payload, "/review/submitted_at")?,
                    source: Source {
                        repo: repo.clone(),
                        id: format!("review/{}", review["id"]),
                        url: review["html_url"].as_str().map(str::to_string),
                    },
                    pr: Some(pr_facts(&payload["pull_request"])?),
                    trailers: Vec::new(),
                }
            }
            "pull_request_review_comment" => Activity {
                kind: ActivityKind::ReviewComment,
                actor: Login::new(str_at(payload, "/comment/user/login")?),
                at: time_at(payload, "/comment/created_at")?,
                source: Source {
                    repo: repo.clone(),
                    id: format!("comment/{}", payload["comment"]["id"]),
                    url: payload["comment"]["html_url"].as_str().map(str::to_string),
                },
                pr: Some(pr_facts(&payload["pull_request"])?),
                trailers: Vec::new(),
            },
            "issue_comment" => {
                if payload.pointer("/issue/pull_request").is_none() {
                    return Ok(Normalized::Nothing {
                        reason: "comment on an issue, not a PR".into(),
                    });
                }
                Activity {
                    kind: ActivityKind::IssueComment,
                    actor: Login::new(str_at(payload, "/comment/user/login")?),
                    at: time_at(payload, "/comment/created_at")?,
                    source: Source {
                        repo: repo.clone(),
                        id: format!("comment/{}", payload["comment"]["id"]),
                        url: payload["comment"]["html_url"].as_str().map(str::to_string),
                    },
                    pr: Some(pr_facts(&payload["issue"])?),
                    trailers: Vec::new(),
                }
            }
            "pull_request" => {
                let pr = &payload["pull_request"];
                let (kind, at) = match action {
                    "closed" if pr["merged"].as_bool() == Some(true) => (
                        ActivityKind::PullRequestMerged,
                        time_at(payload, "/pull_request/merged_at")?,
                    ),
                    "closed" => (
                        ActivityKind::PullRequestClosed,
                        time_at(payload, "/pull_request/closed_at")?,
                    ),
                    _ => (
                        ActivityKind::PullRequestOpened,
                        time_at(payload, "/pull_request/updated_at")?,
                    ),
                };
                Activity {
                    kind,
                    actor: Login::new(str_at(payload, "/pull_request/user/login")?),
                    at,
                    source: Source {
                        repo: repo.clone(),
                        id: format!("pr/{}", pr["number"]),
                        url: pr["html_url"].as_str().map(str::to_string),
                    },
                    pr: Some(pr_facts(pr)?),
                    trailers: Vec::new(),
                }
            }
            _ => return Ok(Normalized::Nothing { reason: format!("{event} is not used") }),
        };
        Ok(Normalized::Activities { installation_id, repo, activities: vec![activity] })
    }
}

/// The config in force for a repo (interface copy: caches the repo's own file, no `_extends`).
pub mod config_source {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::github::{GitHubApi, GitHubError};
    use mentor_core::{Activity, Config};

    /// Why no config could be had.
    #[derive(Debug, thiserror::Error)]
    pub enum ConfigSourceError {
        /// GitHub failed.
        #[error("fetching config: {0}")]
        GitHub(#[from] GitHubError),
    }

    /// Cache of configs by repo.
    pub struct ConfigSource {
        github: Arc<dyn GitHubApi>,
        cache: Mutex<HashMap<String, Option<Arc<Config>>>>,
        problems: Mutex<HashMap<String, String>>,
    }

    impl ConfigSource {
        /// Creates an empty cache.
        pub fn new(github: Arc<dyn GitHubApi>) -> Self {
            ConfigSource { github, cache: Mutex::default(), problems: Mutex::default() }
        }

        /// Returns the config in force for `repo`.
        pub async fn config_for(
            &self,
            installation_id: u64,
            repo: &str,
        ) -> Result<Option<Arc<Config>>, ConfigSourceError> {
            if let Some(hit) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(repo) {
                return Ok(hit.clone());
            }
            let path = ".github/mentorship.yml";
            let text = self.github.file_text(installation_id, repo, path).await?;
            let config = match text {
                None => None,
                Some(text) => match mentor_core::config::parse(&format!("{repo}:{path}"), &text) {
                    Ok(c) => Some(Arc::new(c)),
                    Err(e) => {
                        self.problems
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(repo.into(), e.to_string());
                        None
                    }
                },
            };
            self.cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(repo.into(), config.clone());
            Ok(config)
        }

        /// Forgets cached config of `repo`.
        pub fn invalidate(&self, repo: &str) {
            self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(repo);
        }

        /// Problems found in configs: (repo, message).
        pub fn problems(&self) -> Vec<(String, String)> {
            let map = self.problems.lock().unwrap_or_else(|p| p.into_inner());
            map.iter().map(|(r, m)| (r.clone(), m.clone())).collect()
        }
    }

    /// Fills in what `activity` lacked (stand-in: nothing).
    pub async fn enrich(
        _github: &dyn GitHubApi,
        _config: &Config,
        _installation_id: u64,
        _repo: &str,
        _activity: &mut Activity,
    ) -> Result<(), GitHubError> {
        Ok(())
    }
}
