//! The App's credentials: installation tokens, exchanged with the App JWT and cached until shortly before they
//! expire; one refresh for concurrent callers, forgotten on a 401.

use super::*;

impl LiveGitHub {
    /// Returns a valid installation token, from the cache or freshly requested.
    pub(super) async fn installation_token(
        &self,
        installation_id: u64,
    ) -> Result<Secret, GitHubError> {
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

    pub(super) async fn forget_token(&self, installation_id: u64) {
        self.tokens.lock().await.remove(&installation_id);
    }

    /// One HTTP exchange through octocrab, as the App (`token` None: octocrab adds the JWT) or with an
    /// installation `token`.
    pub(super) async fn exchange(
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
}
