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
            patience: Patience::default(),
        })
    }

    /// Returns the client with other waits and retry counts (tests shorten them).
    pub fn with_patience(mut self, patience: Patience) -> LiveGitHub {
        self.patience = patience;
        self
    }

    /// Returns a valid installation token, from the cache or freshly requested.
    async fn installation_token(&self, installation_id: u64) -> Result<Secret, GitHubError> {
        let mut tokens = self.tokens.lock().await;
        if let Some(cached) = tokens.get(&installation_id)
            && Utc::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        // The exchange itself is octocrab's: the App client signs the JWT. Mentor keeps the token and its expiry
        // (octocrab's own installation client keeps the expiry to itself and refreshes too late, see the module docs).
        let url = self.url(&format!("/app/installations/{installation_id}/access_tokens"));
        // Boxed: `send` calls back here for installation identities (never for the App's own requests).
        let reply = Box::pin(self.send(Identity::App, Method::POST, &url, ACCEPT_JSON)).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(GitHubError::Permanent(format!(
                "GitHub App {} has no installation {installation_id}\n\nThe App was probably uninstalled.",
                self.app_id
            )));
        }
        // Mentor's own two fields, not octocrab's model: that one also requires `permissions`, which GitHub's
        // schema (`installation-token`) does not promise, so a reply without it would fail every delivery.
        let parsed: TokenReply = self.json(&reply, "installation access token")?;
        let token = Secret::new(parsed.token);
        let expires_at = DateTime::parse_from_rfc3339(&parsed.expires_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                GitHubError::Permanent(
                    "GitHub sent an installation access token without a valid expires_at".into(),
                )
            })?;
        tracing::debug!(installation_id, %expires_at, "new installation token");
        tokens.insert(
            installation_id,
            InstallationToken {
                token: token.clone(),
                refresh_at: expires_at - TOKEN_EARLY_REFRESH,
            },
        );
        Ok(token)
    }

    async fn forget_token(&self, installation_id: u64) {
        self.tokens.lock().await.remove(&installation_id);
    }

    /// Returns the absolute URL of API `path` (which starts with `/`), keeping any prefix of `api_url`.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }

    /// Sends one request with retries: waits out rate limits, retries 5xx and transport errors with backoff, and
    /// refreshes the installation token once on a 401. Returns any other response, 404 included, to the caller.
    async fn send(
        &self,
        who: Identity,
        method: Method,
        url: &str,
        accept: &str,
    ) -> Result<Reply, GitHubError> {
        self.send_with(who, method, url, accept, None, true).await
    }

    /// [`LiveGitHub::send`] with a JSON `body`; with `retry_failures` false a 5xx, timeout or connection error is
    /// returned at once (a create that may have happened must not be repeated blindly). Rate limits are still
    /// waited out: GitHub did nothing for a rate-limited request.
    async fn send_with(
        &self,
        who: Identity,
        method: Method,
        url: &str,
        accept: &str,
        body: Option<&serde_json::Value>,
        retry_failures: bool,
    ) -> Result<Reply, GitHubError> {
        let what = format!("{method} {}", self.display_path(url));
        let (mut rate_limited, mut failures, mut refreshed) = (0u32, 0u32, false);
        loop {
            self.wait_for_quota(who, &what).await?;
            // The App's JWT is octocrab's to sign, per request; an installation's token is Mentor's.
            let token = match who {
                Identity::App => None,
                Identity::Installation(id) => Some(self.installation_token(id).await?),
            };
            let outcome = tokio::time::timeout(
                self.patience.timeout,
                self.exchange(method.clone(), url, token.as_ref(), accept, body),
            )
            .await;
            let failure = match outcome {
                Err(_) => format!("{what}: no answer within {:?}", self.patience.timeout),
                Ok(Err(e)) => format!("{what}: {e}"),
                Ok(Ok(reply)) => {
                    self.note_quota(who, &reply.headers);
                    let status = reply.status;
                    if status.is_success()
                        || status == StatusCode::NOT_FOUND
                        || status == StatusCode::NOT_MODIFIED
                    {
                        return Ok(reply);
                    }
                    if status == StatusCode::UNAUTHORIZED
                        && let Identity::Installation(id) = who
                        && !refreshed
                    {
                        // The token was revoked or expired early: get a new one and try once more.
                        tracing::info!(
                            installation_id = id,
                            "{what}: 401, refreshing the installation token"
                        );
                        self.forget_token(id).await;
                        refreshed = true;
                        continue;
                    }
                    if (status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS)
                        && let Some(wait) =
                            rate_limit_wait(status, &reply.headers, SystemTime::now())
                    {
                        if wait > self.patience.max_wait
                            || rate_limited >= self.patience.rate_limit_retries
                        {
                            return Err(GitHubError::Transient(format!(
                                "{what}: rate limited by GitHub for another {}s",
                                wait.as_secs()
                            )));
                        }
                        rate_limited += 1;
                        tracing::warn!("{what}: rate limited ({status}), waiting {wait:?}");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if !status.is_server_error() {
                        return Err(GitHubError::Permanent(format!(
                            "{what}: {status}{}",
                            github_message(&reply.body)
                                .map(|m| format!(": {m}"))
                                .unwrap_or_default()
                        )));
                    }
                    format!("{what}: {status}")
                }
            };
            if !retry_failures || failures >= self.patience.server_error_retries {
                return Err(GitHubError::Transient(failure));
            }
            let pause = self.patience.backoff * 2u32.saturating_pow(failures);
            failures += 1;
            tracing::warn!("{failure}; retrying in {pause:?}");
            tokio::time::sleep(pause).await;
        }
    }

    /// One HTTP exchange through octocrab, as the App (`token` None: octocrab adds the JWT) or with an
    /// installation `token`.
    async fn exchange(
        &self,
        method: Method,
        url: &str,
        token: Option<&Secret>,
        accept: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, String> {
        let request = http::Request::builder()
            .method(method)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT, accept);
        let (crab, request) = match token {
            // octocrab signs only requests without a host (or for api.github.com); its base-URI layer then puts
            // the origin back. `url` is always under `api_url` here, so this keeps any `/api/v3` prefix.
            None => {
                let relative = url
                    .strip_prefix(self.origin.as_str())
                    .filter(|p| p.starts_with('/'))
                    .ok_or_else(|| format!("{url} is not a URL of the configured GitHub API"))?;
                (&self.app, request.uri(relative))
            }
            Some(token) => {
                // Tokens are ASCII; the message must not quote the value.
                let mut auth = HeaderValue::from_str(&format!("token {}", token.expose()))
                    .map_err(|_| "the installation token is not a valid header value".to_owned())?;
                auth.set_sensitive(true);
                (&self.rest, request.uri(url).header(header::AUTHORIZATION, auth))
            }
        };
        let request = crab.build_request(request, body).map_err(|e| describe(&e))?;
        let response = crab.execute(request).await.map_err(|e| describe(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        // Read as text like before: a stray invalid byte becomes U+FFFD instead of failing the call.
        let bytes = response.into_body().collect().await.map_err(|e| describe(&e))?.to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Reply { status, headers, body })
    }

    /// Sleeps until the primary rate limit of `who` resets, if a previous answer said it is exhausted.
    async fn wait_for_quota(&self, who: Identity, what: &str) -> Result<(), GitHubError> {
        let until =
            self.exhausted_until.lock().map(|m| m.get(&who.quota_key()).copied()).unwrap_or(None);
        let Some(until) = until else { return Ok(()) };
        let Ok(wait) = until.duration_since(SystemTime::now()) else { return Ok(()) };
        if wait > self.patience.max_wait {
            return Err(GitHubError::Transient(format!(
                "{what}: GitHub rate limit exhausted for another {}s",
                wait.as_secs()
            )));
        }
        tracing::info!("{what}: rate limit exhausted, waiting {wait:?} for it to reset");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Remembers when the primary rate limit resets if this answer used it up.
    fn note_quota(&self, who: Identity, headers: &HeaderMap) {
        let Ok(mut map) = self.exhausted_until.lock() else { return };
        match (
            header_u64(headers, "x-ratelimit-remaining"),
            header_u64(headers, "x-ratelimit-reset"),
        ) {
            (Some(0), Some(reset)) => {
                map.insert(who.quota_key(), UNIX_EPOCH + Duration::from_secs(reset));
            }
            (Some(_), _) => {
                map.remove(&who.quota_key());
            }
            _ => {}
        }
    }

    /// Returns the API path of `url` for messages (never a token: tokens travel in headers only).
    fn display_path<'u>(&self, url: &'u str) -> &'u str {
        url.strip_prefix(self.api_url.as_str()).unwrap_or(url)
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<T, GitHubError> {
        serde_json::from_str(&reply.body)
            .map_err(|e| GitHubError::Permanent(format!("GitHub sent an unexpected {what}: {e}")))
    }

    /// GETs every page of a list, following `Link: rel="next"`.
    async fn get_all<T: serde::de::DeserializeOwned>(
        &self,
        installation_id: u64,
        path: &str,
        what: &str,
    ) -> Result<Vec<T>, GitHubError> {
        self.get_all_with(installation_id, path, "", what).await
    }

    /// [`LiveGitHub::get_all`] with more query parameters (`&state=all`).
    async fn get_all_with<T: serde::de::DeserializeOwned>(
        &self,
        installation_id: u64,
        path: &str,
        query: &str,
        what: &str,
    ) -> Result<Vec<T>, GitHubError> {
        let mut url = self.url(&format!("{path}?per_page={PER_PAGE}{query}"));
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let reply = self
                .send(Identity::Installation(installation_id), Method::GET, &url, ACCEPT_JSON)
                .await?;
            if reply.status == StatusCode::NOT_FOUND {
                return Err(GitHubError::Permanent(format!("GET {path}: 404 Not Found")));
            }
            let page: Vec<T> = self.json(&reply, what)?;
            items.extend(page);
            match next_link(&reply.headers) {
                None => return Ok(items),
                Some(next) => {
                    // Credentials go only to the API we were configured with, never to a host a header names.
                    if !next.starts_with(&format!("{}/", self.api_url)) {
                        return Err(GitHubError::Permanent(format!(
                            "GET {path}: the next page link points outside {}: {next}",
                            self.api_url
                        )));
                    }
                    url = next;
                }
            }
        }
        Err(GitHubError::Permanent(format!("GET {path}: more than {MAX_PAGES} pages")))
    }

    async fn commit(
        &self,
        installation_id: u64,
        repo: &str,
        sha: &str,
    ) -> Result<Option<String>, GitHubError> {
        let api_path = format!("{}/commits/{}", repo_path(repo)?, encode_segment(sha));
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(&api_path),
                ACCEPT_JSON,
            )
            .await?;
        // 404: no such commit; 422: not a commit id GitHub accepts. Neither is worth a retry.
        if reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::UNPROCESSABLE_ENTITY
        {
            return Ok(None);
        }
        #[derive(Deserialize)]
        struct Inner {
            message: String,
        }
        #[derive(Deserialize)]
        struct Commit {
            commit: Inner,
        }
        let body: serde_json::Value = self.json(&reply, "commit answer")?;
        let commit: Commit = serde_json::from_value(body).map_err(|e| {
            GitHubError::Permanent(format!("GitHub sent an unexpected commit answer: {e}"))
        })?;
        Ok(Some(commit.commit.message))
    }

    async fn contents(
        &self,
        installation_id: u64,
        repo: &str,
        path: &str,
    ) -> Result<Option<String>, GitHubError> {
        let repo_path = repo_path(repo)?;
        let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
        let api_path = format!("{repo_path}/contents/{}", encoded.join("/"));
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(&api_path),
                ACCEPT_JSON,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        #[derive(Deserialize)]
        struct Contents {
            #[serde(rename = "type")]
            kind: String,
            encoding: Option<String>,
            content: Option<String>,
        }
        let what = format!("{repo}:{path}");
        let body: serde_json::Value = self.json(&reply, "contents answer")?;
        if body.is_array() {
            return Err(GitHubError::Permanent(format!("{what} is a directory, not a file")));
        }
        let contents: Contents = serde_json::from_value(body).map_err(|e| {
            GitHubError::Permanent(format!("GitHub sent an unexpected contents answer: {e}"))
        })?;
        if contents.kind != "file" {
            return Err(GitHubError::Permanent(format!(
                "{what} is a {}, not a file",
                contents.kind
            )));
        }
        match (contents.encoding.as_deref(), contents.content) {
            (Some("base64"), Some(content)) => {
                // GitHub wraps the base64 text at 60 columns.
                let compact: String =
                    content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(compact).map_err(|e| {
                        GitHubError::Permanent(format!("{what}: invalid base64 content: {e}"))
                    })?;
                String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| GitHubError::Permanent(format!("{what} is not UTF-8 text")))
            }
            (encoding, _) => Err(GitHubError::Permanent(format!(
                "{what}: GitHub sent no inline content (encoding {})\n\nFiles over 1 MB are not read inline; \
                 keep the file smaller.",
                encoding.unwrap_or("none")
            ))),
        }
    }

    async fn repositories(&self, installation_id: u64) -> Result<Vec<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Page {
            repositories: Vec<Repository>,
        }
        #[derive(Deserialize)]
        struct Repository {
            full_name: String,
        }
        let path = "/installation/repositories";
        let mut url = self.url(&format!("{path}?per_page={PER_PAGE}"));
        let mut names = Vec::new();
        for _ in 0..MAX_PAGES {
            let reply = self
                .send(Identity::Installation(installation_id), Method::GET, &url, ACCEPT_JSON)
                .await?;
            let page: Page = self.json(&reply, "list of installation repositories")?;
            names.extend(page.repositories.into_iter().map(|r| r.full_name));
            match next_link(&reply.headers) {
                None => return Ok(names),
                // Credentials go only to the API we were configured with, never to a host a header names.
                Some(next) if next.starts_with(&format!("{}/", self.api_url)) => url = next,
                Some(next) => {
                    return Err(GitHubError::Permanent(format!(
                        "GET {path}: the next page link points outside {}: {next}",
                        self.api_url
                    )));
                }
            }
        }
        Err(GitHubError::Permanent(format!("GET {path}: more than {MAX_PAGES} pages")))
    }

    async fn files(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<ChangedFile>, GitHubError> {
        #[derive(Deserialize)]
        struct File {
            filename: String,
            additions: u64,
            deletions: u64,
        }
        let path = format!("{}/pulls/{number}/files", repo_path(repo)?);
        let files: Vec<File> = self.get_all(installation_id, &path, "list of PR files").await?;
        Ok(files
            .into_iter()
            .map(|f| ChangedFile {
                path: f.filename,
                additions: f.additions,
                deletions: f.deletions,
            })
            .collect())
    }

    async fn reviews(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<ReviewInfo>, GitHubError> {
        #[derive(Deserialize)]
        struct User {
            login: String,
            #[serde(rename = "type")]
            kind: Option<String>,
        }
        #[derive(Deserialize)]
        struct Review {
            user: Option<User>,
            state: String,
        }
        let path = format!("{}/pulls/{number}/reviews", repo_path(repo)?);
        let reviews: Vec<Review> =
            self.get_all(installation_id, &path, "list of PR reviews").await?;
        Ok(reviews
            .into_iter()
            .filter_map(|r| {
                let state = match r.state.to_ascii_uppercase().as_str() {
                    "APPROVED" => ReviewState::Approved,
                    "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
                    "COMMENTED" => ReviewState::Commented,
                    "DISMISSED" => ReviewState::Dismissed,
                    // PENDING reviews are drafts nobody else can see yet.
                    _ => return None,
                };
                // A deleted account has no user; it cannot be anyone's reviewer any more.
                let user = r.user?;
                let reviewer = Login::new(&user.login);
                let is_bot = reviewer.is_bot() || user.kind.as_deref() == Some("Bot");
                Some(ReviewInfo { reviewer, state, is_bot })
            })
            .collect())
    }
}

/// The fields of a comment or issue Mentor reads back.
#[derive(Deserialize)]
struct Posted {
    id: u64,
    #[serde(default)]
    number: Option<u64>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
    #[serde(default)]
    performed_via_github_app: Option<serde_json::Value>,
    #[serde(default)]
    user: Option<PostedUser>,
}

#[derive(Deserialize)]
struct PostedUser {
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

impl LiveGitHub {
    /// Sends a write as an installation and returns the reply, turning any non-2xx answer into an error.
    async fn write(
        &self,
        installation_id: u64,
        method: Method,
        path: &str,
        body: serde_json::Value,
        retry_failures: bool,
    ) -> Result<Reply, GitHubError> {
        let what = format!("{method} {path}");
        let reply = self
            .send_with(
                Identity::Installation(installation_id),
                method,
                &self.url(path),
                ACCEPT_JSON,
                Some(&body),
                retry_failures,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(GitHubError::Permanent(format!(
                "{what}: {}{}",
                reply.status,
                github_message(&reply.body).map(|m| format!(": {m}")).unwrap_or_default()
            )));
        }
        Ok(reply)
    }

    async fn comments(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PostedText>, GitHubError> {
        let path = format!("{}/issues/{number}/comments", repo_path(repo)?);
        let items: Vec<Posted> =
            self.get_all(installation_id, &path, "list of issue comments").await?;
        Ok(items
            .into_iter()
            .filter(|c| {
                c.performed_via_github_app.is_some()
                    || c.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
            })
            .map(|c| PostedText { id: c.id, body: c.body.unwrap_or_default() })
            .collect())
    }

    async fn reviews_by_app(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PostedText>, GitHubError> {
        let path = format!("{}/pulls/{number}/reviews", repo_path(repo)?);
        let items: Vec<Posted> = self.get_all(installation_id, &path, "list of PR reviews").await?;
        Ok(items
            .into_iter()
            .filter(|r| {
                r.performed_via_github_app.is_some()
                    || r.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
            })
            .map(|r| PostedText { id: r.id, body: r.body.unwrap_or_default() })
            .collect())
    }

    async fn issues_by_app(
        &self,
        installation_id: u64,
        repo: &str,
    ) -> Result<Vec<PostedText>, GitHubError> {
        let path = format!("{}/issues", repo_path(repo)?);
        let items: Vec<Posted> = self
            .get_all_with(installation_id, &path, "&state=all&direction=asc", "list of issues")
            .await?;
        Ok(items
            .into_iter()
            // The issues list includes pull requests; only issues a bot (the App) opened can be Mentor's.
            .filter(|i| i.pull_request.is_none())
            .filter(|i| {
                i.performed_via_github_app.is_some()
                    || i.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
            })
            .filter_map(|i| Some(PostedText { id: i.number?, body: i.body.unwrap_or_default() }))
            .collect())
    }

    async fn is_private(&self, installation_id: u64, repo: &str) -> Result<bool, GitHubError> {
        #[derive(Deserialize)]
        struct Repository {
            #[serde(default)]
            private: Option<bool>,
            #[serde(default)]
            visibility: Option<String>,
        }
        let path = repo_path(repo)?;
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(&path),
                ACCEPT_JSON,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(GitHubError::Permanent(format!(
                "GET {path}: 404 Not Found\n\nInstall the App on {repo} or fix the repository name."
            )));
        }
        let r: Repository = self.json(&reply, "repository")?;
        // Unknown visibility counts as public: Mentor never writes private things where it cannot tell.
        Ok(match (r.visibility.as_deref(), r.private) {
            (Some(v), _) => v != "public",
            (None, Some(p)) => p,
            (None, None) => false,
        })
    }
}

impl GitHubApi for LiveGitHub {
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

/// Describes an octocrab error with its causes ("Service Error: client error (Connect): tcp connect error: …"),
/// skipping causes its text already quotes. octocrab's errors carry neither request headers nor bodies.
fn describe(error: &octocrab::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Returns how long to wait before retrying a 403/429, or None when it is not a rate limit (a real 403).
///
/// GitHub's rules: `Retry-After` (secondary limits) wins; else `x-ratelimit-remaining: 0` means wait until
/// `x-ratelimit-reset` (epoch seconds); else a 429, or a 403 whose message mentions a secondary rate limit, means
/// wait at least a minute.
fn rate_limit_wait(status: StatusCode, headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(seconds) = header_u64(headers, "retry-after") {
        return Some(Duration::from_secs(seconds));
    }
    if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
        let reset = UNIX_EPOCH + Duration::from_secs(header_u64(headers, "x-ratelimit-reset")?);
        // The reset is in whole seconds; a small margin keeps us from arriving a hair early.
        return Some(reset.duration_since(now).unwrap_or_default() + Duration::from_millis(250));
    }
    (status == StatusCode::TOO_MANY_REQUESTS).then_some(Duration::from_secs(60))
}

/// Returns the `message` of a GitHub error body, if it has one.
fn github_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let message = value.get("message")?.as_str()?;
    Some(message.chars().take(200).collect())
}

/// Returns the `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(header::LINK) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            if pieces.any(|p| p.trim().replace(' ', "") == "rel=\"next\"") {
                return Some(target.trim_start_matches('<').trim_end_matches('>').to_owned());
            }
        }
    }
    None
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
