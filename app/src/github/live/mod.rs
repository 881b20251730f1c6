//! [`LiveGitHub`]: GitHub's REST API over HTTP, authenticated as the App.
//!
//! octocrab is the GitHub layer: it authenticates as the App (its [`AuthState::App`] signs an RS256 JWT for every
//! App request: `iat` 60 s in the past, `exp` 9 minutes ahead, checked by a test here), performs the installation
//! token exchange (`POST /app/installations/{id}/access_tokens`) and carries every REST call (`build_request` and
//! `execute`, which add GitHub's `X-GitHub-Api-Version`), over a hyper client with rustls that Mentor hands it.
//!
//! octocrab is assembled from its parts (`OctocrabBuilder::new_empty().with_service(…)`) rather than with
//! `Octocrab::builder().app(…).build()`, because that builder's stack does things Mentor must not:
//! - it always appends `User-Agent: octocrab` (`prepare_config` in octocrab's `lib.rs`, appended by its
//!   `ExtraHeadersLayer`), so requests would carry two user agents; Mentor's carry exactly one, `mentor-app/…`;
//! - its retry layer (feature `retry`) waits out rate limits without an upper bound, and its trace layer (feature
//!   `tracing`) logs every 5xx at error level before Mentor decides whether a retry makes it a non-event. Both
//!   features are off and neither layer is in the stack.
//!
//! What Mentor adds on top of octocrab:
//! - its own installation token cache: octocrab's installation client (`Octocrab::installation`) refreshes a
//!   token 30 seconds before it expires and attaches it only to requests for its base host or `api.github.com`.
//!   Mentor refreshes 5 minutes early, makes one token request for concurrent calls on a cold cache, forgets a
//!   token and retries once on a 401, and follows `Link: rel="next"` URLs (absolute, already carrying a GHE
//!   `/api/v3` prefix) with the same explicit `Authorization: token …` header, never to another host;
//! - bounded patience ([`Patience`]): rate limits (`Retry-After`, `x-ratelimit-reset`, secondary limits) are
//!   waited out up to [`Patience::max_wait`], then reported as [`GitHubError::Transient`] so the worker retries
//!   later instead of blocking; 5xx and transport errors are retried with backoff, except for creates, which are
//!   never repeated blindly;
//! - redirects (a renamed repository answers 301) are followed by tower-http's `FollowRedirect`, which drops the
//!   credentials when a redirect leaves the host;
//! - the proxy the environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, read like curl does) is
//!   used through a CONNECT tunnel, as the reqwest client before did for https URLs; only http:// proxies.
//!
//! octocrab needs a Tokio runtime when it is built (it spawns its request buffer's worker), so [`LiveGitHub::new`]
//! must run inside one.
//!
//! Secrets: the private key and tokens live in [`Secret`]s and [`EncodingKey`]s, `Authorization` headers are marked
//! sensitive, and neither appears in errors or logs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::BodyExt as _;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use jsonwebtoken::EncodingKey;
use mentor_core::{Login, ReviewState};
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::{AuthState, Octocrab, OctocrabBuilder};
use serde::Deserialize;
use tower::ServiceExt as _;
use tower::util::BoxCloneSyncService;

mod auth;
mod graphql;
mod issues;
mod members;
mod pulls;
mod repos;
mod transport;

use issues::Posted;
#[cfg(test)]
use transport::rate_limit_wait;
use transport::{describe, github_message, next_link};

use super::{
    BoxFuture, ChangedFile, GitHubApi, GitHubError, GitHubSettings, PostedText, ReactionTarget,
    ReviewInfo, Secret,
};

/// The media type GitHub documents for its REST API.
const ACCEPT_JSON: &str = "application/vnd.github+json";
/// Identifies Mentor to GitHub (GitHub rejects requests without a User-Agent).
const USER_AGENT: &str = concat!("mentor-app/", env!("CARGO_PKG_VERSION"));
/// A cached installation token is replaced this long before GitHub says it expires, so a call never starts with a
/// token that dies mid-flight.
const TOKEN_EARLY_REFRESH: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// The longest a TCP (and TLS) connection to GitHub may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// GitHub's largest page size.
const PER_PAGE: u32 = 100;
/// Pages followed at most for one list, so a server that always links a next page cannot loop forever.
const MAX_PAGES: usize = 100;

/// How long [`LiveGitHub`] waits and how often it retries before giving up with [`GitHubError::Transient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Patience {
    /// The longest single wait for a rate limit (`Retry-After`, `x-ratelimit-reset`); a longer one fails at once.
    pub max_wait: Duration,
    /// Waits for rate limits per call, at most.
    pub rate_limit_retries: u32,
    /// Retries after a 5xx, timeout or connection error, per call.
    pub server_error_retries: u32,
    /// The first pause after a 5xx or transport error; it doubles on each retry.
    pub backoff: Duration,
    /// The deadline of one HTTP exchange.
    pub timeout: Duration,
}

impl Default for Patience {
    fn default() -> Patience {
        Patience {
            max_wait: Duration::from_secs(60),
            rate_limit_retries: 3,
            server_error_retries: 2,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(30),
        }
    }
}

/// GitHub's REST API, authenticated as the App; see the module docs for what it does on its own.
pub struct LiveGitHub {
    /// octocrab authenticated as the App: it signs a fresh JWT for each request (the token exchange).
    app: Octocrab,
    /// octocrab without credentials of its own, over the same connection pool: installation requests carry the
    /// `Authorization: token …` header Mentor sets.
    rest: Octocrab,
    /// `scheme://host[:port][/prefix]` without a trailing slash; every path is appended to it.
    api_url: String,
    /// `scheme://host[:port]` of `api_url`: App requests are sent without it (octocrab signs only requests without
    /// a host) and octocrab's base-URI layer puts it back.
    origin: String,
    app_id: u64,
    /// Installation tokens by installation id. An async mutex held across the token request, so concurrent calls
    /// for a cold installation make one token request, not one each.
    tokens: tokio::sync::Mutex<HashMap<u64, InstallationToken>>,
    /// When the primary rate limit of an installation (or of the App itself, key 0) resets, if it is exhausted.
    exhausted_until: std::sync::Mutex<HashMap<u64, SystemTime>>,
    /// The last rate-limit reading per installation (key 0: the App): (remaining, limit).
    rate_limits: std::sync::Mutex<HashMap<u64, (u64, u64)>>,
    /// Failed answers to writes by status (or `timeout` / `connection`).
    write_failures: std::sync::Mutex<HashMap<String, u64>>,
    patience: Patience,
}

impl std::fmt::Debug for LiveGitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveGitHub")
            .field("api_url", &self.api_url)
            .field("app_id", &self.app_id)
            .field("key", &"[redacted]")
            .field("patience", &self.patience)
            .finish_non_exhaustive()
    }
}

/// The fields of an installation access token reply that Mentor reads: the ones GitHub's schema requires.
#[derive(serde::Deserialize)]
struct TokenReply {
    token: String,
    expires_at: String,
}

struct InstallationToken {
    token: Secret,
    refresh_at: DateTime<Utc>,
}

/// Who a request is made as.
#[derive(Clone, Copy, Debug)]
enum Identity {
    /// The App itself (JWT), for `/app/...` endpoints.
    App,
    /// An installation (installation access token).
    Installation(u64),
}

impl Identity {
    fn quota_key(self) -> u64 {
        match self {
            Identity::App => 0,
            Identity::Installation(id) => id,
        }
    }
}

/// A response with its body read.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl LiveGitHub {
    /// Returns a client for the App described by `settings`, or an error naming what is wrong with them. Must be
    /// called inside a Tokio runtime.
    pub fn new(settings: GitHubSettings) -> anyhow::Result<LiveGitHub> {
        LiveGitHub::with_proxies(settings, &Matcher::from_env())
    }

    /// [`LiveGitHub::new`] with the proxy rules `proxies` instead of the environment's.
    fn with_proxies(settings: GitHubSettings, proxies: &Matcher) -> anyhow::Result<LiveGitHub> {
        use anyhow::Context as _;
        let api_url = settings.api_url.trim_end_matches('/').to_owned();
        let invalid = || {
            format!(
                "invalid GitHub API URL {api_url:?}: expected http(s)://host[/prefix]\n\nUse https://api.github.com, \
                 or https://HOST/api/v3 for GitHub Enterprise Server."
            )
        };
        let parsed: http::Uri = api_url.parse().with_context(invalid)?;
        let (Some(scheme @ ("http" | "https")), Some(authority), None) =
            (parsed.scheme_str(), parsed.authority(), parsed.query())
        else {
            anyhow::bail!(invalid());
        };
        anyhow::ensure!(
            !authority.host().is_empty() && !authority.as_str().contains('@'),
            invalid()
        );
        let origin = format!("{scheme}://{authority}");
        let key = EncodingKey::from_rsa_pem(settings.private_key_pem.expose().as_bytes()).context(
            "the GitHub App private key is not an RSA key in PEM form\n\nDownload a private key from the App's \
             settings page on GitHub and pass the whole .pem file.",
        )?;
        tokio::runtime::Handle::try_current()
            .context("the GitHub client must be created inside a Tokio runtime")?;

        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        // Direct or tunnelled connections, one type for the pool.
        type Route = BoxCloneSyncService<
            http::Uri,
            hyper_util::rt::TokioIo<tokio::net::TcpStream>,
            tower::BoxError,
        >;
        let route: Route = match proxies.intercept(&parsed) {
            None => BoxCloneSyncService::new(tcp.map_err(tower::BoxError::from)),
            Some(proxy) => {
                anyhow::ensure!(
                    proxy.uri().scheme_str() == Some("http"),
                    "the proxy for {api_url} is not an http:// proxy\n\nMentor reaches GitHub through HTTP proxies \
                     only (HTTPS_PROXY=http://host:port); set NO_PROXY to reach GitHub directly."
                );
                let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                BoxCloneSyncService::new(tunnel.map_err(tower::BoxError::from))
            }
        };
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .context("cannot set up TLS for the GitHub client")?
            .https_or_http()
            .enable_http1()
            .wrap_connector(route);
        let pool =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        let base: http::Uri = origin.parse().with_context(invalid)?;
        // No retry, trace or extra-headers layer: see the module docs.
        let client_as = |auth: AuthState| {
            OctocrabBuilder::new_empty()
                .with_service(pool.clone())
                .with_layer(&tower_http::follow_redirect::FollowRedirectLayer::new())
                .with_layer(&BaseUriLayer::new(base.clone()))
                .with_auth(auth)
                .build()
        };
        let app_auth =
            octocrab::auth::AppAuth { app_id: octocrab::models::AppId(settings.app_id), key };
        let Ok(app) = client_as(AuthState::App(app_auth));
        let Ok(rest) = client_as(AuthState::None);
        Ok(LiveGitHub {
            app,
            rest,
            api_url,
            origin,
            app_id: settings.app_id,
            tokens: tokio::sync::Mutex::new(HashMap::new()),
            exhausted_until: std::sync::Mutex::new(HashMap::new()),
            rate_limits: std::sync::Mutex::new(HashMap::new()),
            write_failures: std::sync::Mutex::new(HashMap::new()),
            patience: Patience::default(),
        })
    }

    /// Returns the client with other waits and retry counts (tests shorten them).
    pub fn with_patience(mut self, patience: Patience) -> LiveGitHub {
        self.patience = patience;
        self
    }
}

impl GitHubApi for LiveGitHub {
    fn observations(&self) -> crate::github::Observations {
        self.observed()
    }

    fn own_comments<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        Box::pin(self.comments(installation_id, repo, number))
    }

    fn create_issue_comment<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        Box::pin(async move {
            let path = format!("{}/issues/{number}/comments", repo_path(repo)?);
            let reply = self
                .write(
                    installation_id,
                    Method::POST,
                    &path,
                    serde_json::json!({ "body": body }),
                    false,
                )
                .await?;
            let c: Posted = self.json(&reply, "created comment")?;
            Ok(PostedText { id: c.id, body: c.body.unwrap_or_default() })
        })
    }

    fn update_issue_comment<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        comment_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move {
            let path = format!("{}/issues/comments/{comment_id}", repo_path(repo)?);
            self.write(
                installation_id,
                Method::PATCH,
                &path,
                serde_json::json!({ "body": body }),
                true,
            )
            .await
            .map(drop)
        })
    }

    fn own_reviews<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        Box::pin(self.reviews_by_app(installation_id, repo, number))
    }

    fn create_review<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        Box::pin(async move {
            let path = format!("{}/pulls/{number}/reviews", repo_path(repo)?);
            let reply = self
                .write(
                    installation_id,
                    Method::POST,
                    &path,
                    serde_json::json!({ "body": body, "event": "COMMENT" }),
                    false,
                )
                .await?;
            let r: Posted = self.json(&reply, "created review")?;
            Ok(PostedText { id: r.id, body: r.body.unwrap_or_default() })
        })
    }

    fn update_review<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        review_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move {
            let path = format!("{}/pulls/{number}/reviews/{review_id}", repo_path(repo)?);
            self.write(
                installation_id,
                Method::PUT,
                &path,
                serde_json::json!({ "body": body }),
                true,
            )
            .await
            .map(drop)
        })
    }

    fn create_reaction<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        target: ReactionTarget,
        content: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move {
            let path = match target {
                ReactionTarget::IssueComment(id) => {
                    format!("{}/issues/comments/{id}/reactions", repo_path(repo)?)
                }
                ReactionTarget::ReviewComment(id) => {
                    format!("{}/pulls/comments/{id}/reactions", repo_path(repo)?)
                }
            };
            // GitHub answers 200 for a reaction that exists: a repeat is harmless, so retries are fine.
            self.write(
                installation_id,
                Method::POST,
                &path,
                serde_json::json!({ "content": content }),
                true,
            )
            .await
            .map(drop)
        })
    }

    fn own_issues<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        Box::pin(self.issues_by_app(installation_id, repo))
    }

    fn create_issue<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        Box::pin(async move {
            let path = format!("{}/issues", repo_path(repo)?);
            let reply = self
                .write(
                    installation_id,
                    Method::POST,
                    &path,
                    serde_json::json!({ "title": title, "body": body }),
                    false,
                )
                .await?;
            let i: Posted = self.json(&reply, "created issue")?;
            let number = i.number.ok_or_else(|| {
                GitHubError::Permanent("GitHub sent a created issue without a number".into())
            })?;
            Ok(PostedText { id: number, body: i.body.unwrap_or_default() })
        })
    }

    fn update_issue<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
        title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move {
            let path = format!("{}/issues/{number}", repo_path(repo)?);
            self.write(
                installation_id,
                Method::PATCH,
                &path,
                serde_json::json!({ "title": title, "body": body }),
                true,
            )
            .await
            .map(drop)
        })
    }

    fn rate_limit_reset(&self, installation_id: u64) -> Option<SystemTime> {
        let key = Identity::Installation(installation_id).quota_key();
        let until = self.exhausted_until.lock().ok()?.get(&key).copied()?;
        (until > SystemTime::now()).then_some(until)
    }

    fn repository_is_private<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
    ) -> BoxFuture<'a, Result<bool, GitHubError>> {
        Box::pin(self.is_private(installation_id, repo))
    }

    fn file_text<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(self.contents(installation_id, repo, path))
    }

    fn graphql<'a>(
        &'a self,
        installation_id: u64,
        request: serde_json::Value,
    ) -> BoxFuture<'a, Result<serde_json::Value, GitHubError>> {
        Box::pin(self.graphql(installation_id, request))
    }

    fn org_role<'a>(
        &'a self,
        installation_id: u64,
        org: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(self.org_role(installation_id, org, user))
    }

    fn team_member<'a>(
        &'a self,
        installation_id: u64,
        org: &'a str,
        team: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<bool, GitHubError>> {
        Box::pin(self.in_team(installation_id, org, team, user))
    }

    fn installation_repositories<'a>(
        &'a self,
        installation_id: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, GitHubError>> {
        Box::pin(self.repositories(installation_id))
    }

    fn pull_request_files<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>> {
        Box::pin(self.files(installation_id, repo, number))
    }

    fn commit_message<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        sha: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(self.commit(installation_id, repo, sha))
    }

    fn pull_request_reviews<'a>(
        &'a self,
        installation_id: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>> {
        Box::pin(self.reviews(installation_id, repo, number))
    }
}

/// Returns `/repos/{owner}/{repo}` for `owner/name`, or a permanent error for anything else.
fn repo_path(repo: &str) -> Result<String, GitHubError> {
    match repo.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(format!("/repos/{}/{}", encode_segment(owner), encode_segment(name)))
        }
        _ => Err(GitHubError::Permanent(format!(
            "{repo:?} is not a repository name of the form owner/name"
        ))),
    }
}

/// Percent-encodes one path segment (everything but unreserved characters).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, v.parse().unwrap());
        }
        map
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn octocrabs_app_jwt_meets_githubs_rules() {
        // octocrab signs the App's JWTs (`AuthState::App`); GitHub wants RS256, `iat` 60 s in the past against clock
        // drift, `exp` at most 10 minutes ahead, and the App id as `iss`.
        let key = EncodingKey::from_rsa_pem(&fixture("github-app-test-key.pem")).unwrap();
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let jwt = octocrab::auth::create_jwt(octocrab::models::AppId(4242), &key).unwrap();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let public =
            jsonwebtoken::DecodingKey::from_rsa_pem(&fixture("github-app-test-key.pub.pem"))
                .unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_required_spec_claims(&["exp"]);
        let token = jsonwebtoken::decode::<serde_json::Value>(&jwt, &public, &validation).unwrap();
        assert_eq!(token.header.alg, jsonwebtoken::Algorithm::RS256);
        let claim = |name: &str| token.claims[name].as_u64().unwrap();
        assert!((before - 60..=after - 60).contains(&claim("iat")), "{}", token.claims);
        assert!(claim("exp") > after && claim("exp") <= before + 600, "{}", token.claims);
        assert_eq!(claim("iss"), 4242);
    }

    /// Starts an HTTP CONNECT proxy on loopback; returns its URL and the number of tunnels it opened.
    async fn connect_proxy() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let tunnels = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&tunnels);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let count = Arc::clone(&count);
                tokio::spawn(async move {
                    let (mut head, mut byte) = (Vec::new(), [0u8; 1]);
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let Some(target) =
                        head.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next())
                    else {
                        return;
                    };
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    count.fetch_add(1, Ordering::SeqCst);
                    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        (url, tunnels)
    }

    #[tokio::test]
    async fn the_environments_proxy_is_used_unless_no_proxy_names_the_host() {
        use std::sync::atomic::Ordering;
        use wiremock::matchers::{method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let github = MockServer::start().await;
        let expires = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        Mock::given(method("POST"))
            .and(path("/app/installations/7/access_tokens"))
            .respond_with(ResponseTemplate::new(201).set_body_json(
                serde_json::json!({"token": "ghs_x", "expires_at": expires, "permissions": {}}),
            ))
            .mount(&github)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/api"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"private": true})),
            )
            .mount(&github)
            .await;
        let settings = || GitHubSettings {
            api_url: github.uri(),
            app_id: 4242,
            private_key_pem: Secret::new(
                String::from_utf8(fixture("github-app-test-key.pem")).unwrap(),
            ),
        };
        let (proxy, tunnels) = connect_proxy().await;

        let proxied = Matcher::builder().all(proxy.clone()).build();
        let client = LiveGitHub::with_proxies(settings(), &proxied).unwrap();
        assert!(client.is_private(7, "acme/api").await.unwrap());
        assert!(tunnels.load(Ordering::SeqCst) >= 1);

        tunnels.store(0, Ordering::SeqCst);
        let bypassed = Matcher::builder().all(proxy).no("127.0.0.1").build();
        let client = LiveGitHub::with_proxies(settings(), &bypassed).unwrap();
        assert!(client.is_private(7, "acme/api").await.unwrap());
        assert_eq!(tunnels.load(Ordering::SeqCst), 0);

        let tls_proxy = Matcher::builder().all("https://proxy.example:3128").build();
        let err = LiveGitHub::with_proxies(settings(), &tls_proxy).unwrap_err();
        assert!(err.to_string().contains("not an http:// proxy"), "{err}");
    }

    #[tokio::test]
    async fn api_urls_are_checked() {
        let settings = |api_url: &str| GitHubSettings {
            api_url: api_url.to_owned(),
            app_id: 4242,
            private_key_pem: Secret::new(
                String::from_utf8(fixture("github-app-test-key.pem")).unwrap(),
            ),
        };
        let direct = Matcher::builder().build();
        for bad in [
            "api.github.com",
            "ftp://ghe.example",
            "https://ghe.example/api?x=1",
            "https://u:p@ghe.example",
            "https://",
        ] {
            let err = LiveGitHub::with_proxies(settings(bad), &direct).unwrap_err();
            assert!(format!("{err:#}").contains("invalid GitHub API URL"), "{bad}: {err:#}");
        }
        let ghe = LiveGitHub::with_proxies(settings("https://ghe.example:8443/api/v3/"), &direct)
            .unwrap();
        assert_eq!(ghe.api_url, "https://ghe.example:8443/api/v3");
        assert_eq!(ghe.origin, "https://ghe.example:8443");
        let err = LiveGitHub::with_proxies(
            GitHubSettings {
                private_key_pem: Secret::new("not a key"),
                ..settings("https://api.github.com")
            },
            &direct,
        )
        .unwrap_err();
        assert!(err.to_string().contains("not an RSA key"), "{err}");
    }

    #[test]
    fn a_client_outside_a_runtime_is_an_error_not_a_panic() {
        let err = LiveGitHub::new(GitHubSettings {
            api_url: "https://api.github.com".to_owned(),
            app_id: 4242,
            private_key_pem: Secret::new(
                String::from_utf8(fixture("github-app-test-key.pem")).unwrap(),
            ),
        })
        .unwrap_err();
        assert!(err.to_string().contains("Tokio runtime"), "{err}");
    }

    #[test]
    fn next_link_is_found_among_others() {
        let h = headers(&[(
            "link",
            "<https://ghe.example/api/v3/repositories/1/pulls/2/files?per_page=100&page=2>; rel=\"next\", \
             <https://ghe.example/api/v3/repositories/1/pulls/2/files?per_page=100&page=3>; rel=\"last\"",
        )]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://ghe.example/api/v3/repositories/1/pulls/2/files?per_page=100&page=2")
        );
        assert_eq!(next_link(&headers(&[("link", "<https://x/y?page=1>; rel=\"prev\"")])), None);
    }

    #[test]
    fn rate_limit_waits_follow_githubs_rules() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let forbidden = StatusCode::FORBIDDEN;
        assert_eq!(
            rate_limit_wait(forbidden, &headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(
                forbidden,
                &headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1002")]),
                now
            ),
            Some(Duration::from_millis(2_250))
        );
        assert_eq!(
            rate_limit_wait(forbidden, &headers(&[("x-ratelimit-remaining", "10")]), now),
            None
        );
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), now),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn repo_names_are_checked_and_encoded() {
        assert_eq!(repo_path("acme/api").unwrap(), "/repos/acme/api");
        assert_eq!(repo_path("acme/.github").unwrap(), "/repos/acme/.github");
        assert!(repo_path("acme").is_err());
        assert!(repo_path("acme/api/x").is_err());
        assert_eq!(encode_segment("a b#c"), "a%20b%23c");
    }
}
