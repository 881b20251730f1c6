//! Sending requests: one `User-Agent`, the token, bounded patience for rate limits and 5xx, pagination by
//! `Link: rel="next"` (never to another host), and the rules for reading GitHub's rate-limit headers.

use super::*;

impl LiveGitHub {
    /// Returns the absolute URL of API `path` (which starts with `/`), keeping any prefix of `api_url`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }

    /// Sends one request with retries: waits out rate limits, retries 5xx and transport errors with backoff, and
    /// refreshes the installation token once on a 401. Returns any other response, 404 included, to the caller.
    pub(super) async fn send(
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
    pub(super) async fn send_with(
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
            // GitHub gave up on the request or took too long: a smaller one may pass (see `Overloaded`).
            let mut overloaded = false;
            let failure = match outcome {
                Err(_) => {
                    overloaded = true;
                    self.note_write_failure(&method, url, "timeout");
                    format!("{what}: no answer within {:?}", self.patience.timeout)
                }
                Ok(Err(e)) => {
                    self.note_write_failure(&method, url, "connection");
                    format!("{what}: {e}")
                }
                Ok(Ok(reply)) => {
                    self.note_quota(who, &reply.headers);
                    let status = reply.status;
                    if !status.is_success() && status != StatusCode::NOT_MODIFIED {
                        self.note_write_failure(&method, url, status.as_str());
                    }
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
                    overloaded =
                        matches!(status, StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT);
                    format!("{what}: {status}")
                }
            };
            if !retry_failures && overloaded {
                return Err(GitHubError::Overloaded(failure));
            }
            if !retry_failures || failures >= self.patience.server_error_retries {
                return Err(GitHubError::Transient(failure));
            }
            let pause = self.patience.backoff * 2u32.saturating_pow(failures);
            failures += 1;
            tracing::warn!("{failure}; retrying in {pause:?}");
            tokio::time::sleep(pause).await;
        }
    }

    /// Sleeps until the primary rate limit of `who` resets, if a previous answer said it is exhausted.
    pub(super) async fn wait_for_quota(
        &self,
        who: Identity,
        what: &str,
    ) -> Result<(), GitHubError> {
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

    /// Counts a failed answer to a write: what the outbox's failures are made of. Reads are not counted (`GET`s,
    /// and GraphQL queries, which are POSTs), nor token exchanges.
    fn note_write_failure(&self, method: &Method, url: &str, status: &str) {
        if *method == Method::GET || url.ends_with("/graphql") || url.ends_with("/access_tokens") {
            return;
        }
        if let Ok(mut map) = self.write_failures.lock() {
            *map.entry(status.to_owned()).or_default() += 1;
        }
    }

    /// Returns the rate-limit readings and write failures seen so far.
    pub(super) fn observed(&self) -> crate::github::Observations {
        let mut rate_limits: Vec<(u64, u64, u64)> = self
            .rate_limits
            .lock()
            .map(|m| m.iter().map(|(id, (remaining, limit))| (*id, *remaining, *limit)).collect())
            .unwrap_or_default();
        rate_limits.sort_unstable();
        let mut write_failures: Vec<(String, u64)> = self
            .write_failures
            .lock()
            .map(|m| m.iter().map(|(s, n)| (s.clone(), *n)).collect())
            .unwrap_or_default();
        write_failures.sort();
        crate::github::Observations { rate_limits, write_failures }
    }

    /// Remembers when the primary rate limit resets if this answer used it up, and the reading itself.
    pub(super) fn note_quota(&self, who: Identity, headers: &HeaderMap) {
        if let (Some(remaining), Some(limit)) =
            (header_u64(headers, "x-ratelimit-remaining"), header_u64(headers, "x-ratelimit-limit"))
            && let Ok(mut map) = self.rate_limits.lock()
        {
            map.insert(who.quota_key(), (remaining, limit));
        }
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
    pub(super) fn display_path<'u>(&self, url: &'u str) -> &'u str {
        url.strip_prefix(self.api_url.as_str()).unwrap_or(url)
    }

    pub(super) fn json<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<T, GitHubError> {
        serde_json::from_str(&reply.body)
            .map_err(|e| GitHubError::Permanent(format!("GitHub sent an unexpected {what}: {e}")))
    }

    /// GETs every page of a list, following `Link: rel="next"`.
    pub(super) async fn get_all<T: serde::de::DeserializeOwned>(
        &self,
        installation_id: u64,
        path: &str,
        what: &str,
    ) -> Result<Vec<T>, GitHubError> {
        self.get_all_with(installation_id, path, "", what).await
    }

    /// [`LiveGitHub::get_all`] with more query parameters (`&state=all`).
    pub(super) async fn get_all_with<T: serde::de::DeserializeOwned>(
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
}

/// Describes an octocrab error with its causes ("Service Error: client error (Connect): tcp connect error: …"),
/// skipping causes its text already quotes. octocrab's errors carry neither request headers nor bodies.
pub(super) fn describe(error: &octocrab::Error) -> String {
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

pub(super) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Returns how long to wait before retrying a 403/429, or None when it is not a rate limit (a real 403).
///
/// GitHub's rules: `Retry-After` (secondary limits) wins; else `x-ratelimit-remaining: 0` means wait until
/// `x-ratelimit-reset` (epoch seconds); else a 429, or a 403 whose message mentions a secondary rate limit, means
/// wait at least a minute.
pub(super) fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
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
pub(super) fn github_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let message = value.get("message")?.as_str()?;
    Some(message.chars().take(200).collect())
}

/// Returns the `rel="next"` URL of a `Link` header.
pub(super) fn next_link(headers: &HeaderMap) -> Option<String> {
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
