//! Sign in with GitHub: the App's user-authorization web flow with PKCE, server-side sessions, and logout.
//!
//! `GET /login?next=…` keeps a random single-use `state` (10 minutes) and a PKCE verifier server-side (by the
//! state's SHA-256) and redirects to `{MENTOR_GITHUB_URL}/login/oauth/authorize`. The callback takes the state (a
//! reused or tampered one is refused), exchanges the code at `{MENTOR_GITHUB_URL}/login/oauth/access_token` (GitHub
//! answers some errors with 200 and an `error` field: those are errors too), reads `GET {api}/user` and starts a
//! session; the user's token is dropped right there, since only the identity is needed. The session cookie is
//! `HttpOnly`, `SameSite=Lax` (GitHub's redirect back is a cross-site navigation, which `Strict` would strip) and
//! `Secure` on an https public URL; a session ends after 8 hours idle or 7 days. `POST /logout` is refused unless
//! the request comes from this site (`Origin`, or `Sec-Fetch-Site: same-origin`), as the Rust package registry's
//! server does.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl};
use serde::Deserialize;

use super::AppState;
use crate::settings::Secret;
use crate::token::token_hash;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mentor_session";
/// A sign-in must come back within this long.
const STATE_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::hours(8);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// What signing in needs; present only when the App's client id is configured.
pub struct SignIn {
    /// The App's client id.
    pub client_id: String,
    /// The App's client secret.
    pub client_secret: Secret,
    /// This server's external base URL, without a trailing slash.
    pub public_url: String,
    /// GitHub's web base URL, without a trailing slash.
    pub github_url: String,
    /// GitHub's API base URL, without a trailing slash.
    pub api_url: String,
    /// A client that follows no redirects (a code exchange is never sent anywhere else).
    pub http: reqwest::Client,
}

impl SignIn {
    fn redirect_uri(&self) -> String {
        format!("{}/auth/github/callback", self.public_url)
    }

    fn secure_cookie(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Returns the origin (`scheme://host[:port]`) of the public URL, which a same-site form posts with.
    fn origin(&self) -> &str {
        let after_scheme = self.public_url.find("://").map_or(0, |i| i + 3);
        match self.public_url[after_scheme..].find('/') {
            Some(i) => &self.public_url[..after_scheme + i],
            None => &self.public_url,
        }
    }
}

/// The person signed in, if any (an extractor: reads and checks the session cookie).
pub struct Viewer(Option<String>);

impl Viewer {
    /// Returns the signed-in login.
    pub fn login(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Viewer, Response> {
        let Some(id) = session_cookie(&parts.headers) else { return Ok(Viewer(None)) };
        let now = state.clock.now();
        match state.store.session_login(&token_hash(&id), now, IDLE_TIMEOUT, ABSOLUTE_TIMEOUT).await
        {
            Ok(login) => Ok(Viewer(login)),
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "reading a session failed");
                Err((StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response())
            }
        }
    }
}

/// Returns the value of the session cookie in `headers`, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// Returns the sign-in routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login))
        .route("/auth/github/callback", get(callback))
        .route("/logout", post(logout))
        .route("/demo/login", get(demo_login))
}

/// Query of `GET /demo/login`.
#[derive(Deserialize)]
struct DemoQuery {
    #[serde(rename = "as")]
    login: Option<String>,
    /// Where to go once signed in (a path of this site; `/me` by default).
    next: Option<String>,
}

/// `GET /demo/login?as=<login>[&next=/path]`: in `mentor-app demo` only, starts a session as `login` without GitHub, so a
/// newcomer can see each role's pages; anywhere else it is not found.
async fn demo_login(
    State(state): State<Arc<AppState>>,
    Query(query): Query<DemoQuery>,
) -> Response {
    if !state.demo {
        return state.pages.message(
            StatusCode::NOT_FOUND,
            None,
            state.sign_in.is_some(),
            "Not found",
            "Signing in without GitHub exists only in `mentor-app demo`.",
            "",
        );
    }
    let Some(login) = query.login.filter(|l| !l.trim().is_empty()) else {
        return state.pages.message(
            StatusCode::BAD_REQUEST,
            None,
            true,
            "Whom to sign in as?",
            "Add ?as=<login>, for example /demo/login?as=bob.",
            "",
        );
    };
    let id = hex::encode(rand::random::<[u8; 32]>());
    let login = login.trim().trim_start_matches('@').to_ascii_lowercase();
    if let Err(e) = state.store.create_session(&token_hash(&id), &login, state.clock.now()).await {
        tracing::error!(error = format!("{e:#}"), "starting a demo session failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    let cookie = cookie::Cookie::build((SESSION_COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .build();
    let next = match query.next.as_deref() {
        Some(next) => local_path(Some(next)),
        None => "/me".to_owned(),
    };
    with_cookie(Redirect::to(&next).into_response(), &cookie)
}

/// Returns true when a demo request comes from the demo's own pages: `Sec-Fetch-Site: same-origin`, or an `Origin`
/// naming the `Host` the request was sent to.
fn demo_same_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (header("origin"), header("host"), header("sec-fetch-site")) {
        (Some(origin), Some(host), _) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }
        (None, _, Some(site)) => site == "same-origin",
        _ => false,
    }
}

/// Query of `GET /login`.
#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Returns `next` if it is a path of this site (never another host: `//evil`, `https://…`), else `/`.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

fn off(state: &AppState) -> Response {
    state.pages.message(
        StatusCode::NOT_FOUND,
        None,
        false,
        "Sign-in is off",
        "This server has no GitHub client id, so nobody can sign in to the dashboard.",
        "Set MENTOR_GITHUB_CLIENT_ID, MENTOR_GITHUB_CLIENT_SECRET and MENTOR_PUBLIC_URL, then restart mentor-app serve.",
    )
}

/// `GET /login?next=…`: starts a sign-in and redirects to GitHub.
async fn login(State(state): State<Arc<AppState>>, Query(query): Query<LoginQuery>) -> Response {
    let Some(sign_in) = &state.sign_in else { return off(&state) };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let urls = AuthUrl::new(format!("{}/login/oauth/authorize", sign_in.github_url))
        .and_then(|auth| RedirectUrl::new(sign_in.redirect_uri()).map(|r| (auth, r)));
    let (auth, redirect) = match urls {
        Ok(urls) => urls,
        Err(e) => {
            tracing::error!(error = %e, "MENTOR_GITHUB_URL or MENTOR_PUBLIC_URL is not a URL");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let client = oauth2::basic::BasicClient::new(ClientId::new(sign_in.client_id.clone()))
        .set_auth_uri(auth)
        .set_redirect_uri(redirect);
    let (url, csrf) =
        client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge).url();
    let next = local_path(query.next.as_deref());
    let expires = state.clock.now() + STATE_TTL;
    if let Err(e) = state
        .store
        .put_oauth_state(&token_hash(csrf.secret()), verifier.secret(), &next, expires)
        .await
    {
        tracing::error!(error = format!("{e:#}"), "storing a sign-in state failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    Redirect::to(url.as_str()).into_response()
}

/// Query of the callback GitHub redirects to.
#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GitHub's answer to the code exchange: a token, or (even with status 200) an error.
#[derive(Deserialize)]
struct TokenReply {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct GitHubUser {
    login: String,
}

/// `GET /auth/github/callback`: checks the state, exchanges the code, reads who signed in, starts a session.
async fn callback(
    State(state): State<Arc<AppState>>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(sign_in) = &state.sign_in else { return off(&state) };
    let refuse = |status: StatusCode, heading: &str, message: String| {
        state.pages.message(
            status,
            None,
            true,
            heading,
            &message,
            "Sign in again from the start page.",
        )
    };
    if let Some(error) = &query.error {
        let why = query.error_description.as_deref().unwrap_or(error);
        return refuse(
            StatusCode::BAD_REQUEST,
            "GitHub did not sign you in",
            format!("GitHub said: {why}."),
        );
    }
    let (Some(code), Some(sent_state)) = (&query.code, &query.state) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Incomplete sign-in",
            "The link back from GitHub has no code or no state.".into(),
        );
    };
    let now = state.clock.now();
    let (verifier, next) = match state.store.take_oauth_state(&token_hash(sent_state), now).await {
        Ok(Some(taken)) => taken,
        Ok(None) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "This sign-in link is not valid",
                "It was used already, it expired (after 10 minutes), or it was not issued by this server.".into(),
            );
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "reading a sign-in state failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    let exchanged = sign_in
        .http
        .post(format!("{}/login/oauth/access_token", sign_in.github_url))
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("client_id", sign_in.client_id.as_str()),
            ("client_secret", sign_in.client_secret.expose()),
            ("code", code.as_str()),
            ("redirect_uri", sign_in.redirect_uri().as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await;
    let reply: TokenReply = match exchanged {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(reply) => reply,
            Err(e) => {
                return refuse(
                    StatusCode::BAD_GATEWAY,
                    "GitHub's answer was not understood",
                    format!("The token exchange answered something that is not a token: {e}."),
                );
            }
        },
        Ok(r) => {
            return refuse(
                StatusCode::BAD_GATEWAY,
                "GitHub could not sign you in",
                format!("The token exchange answered {}.", r.status()),
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "the token exchange with GitHub failed");
            return refuse(
                StatusCode::BAD_GATEWAY,
                "GitHub could not be reached",
                "The token exchange with GitHub failed; try again in a moment.".into(),
            );
        }
    };
    let token = match (reply.access_token, reply.error) {
        (Some(token), None) => token,
        (_, error) => {
            let error = error.unwrap_or_else(|| "no access token".into());
            let detail = reply.error_description.map(|d| format!(": {d}")).unwrap_or_default();
            return refuse(
                StatusCode::BAD_REQUEST,
                "GitHub refused the sign-in",
                format!("GitHub answered `{error}`{detail}."),
            );
        }
    };
    let user = sign_in
        .http
        .get(format!("{}/user", sign_in.api_url))
        .header(header::ACCEPT, "application/vnd.github+json")
        .header(header::USER_AGENT, concat!("mentor-app/", env!("CARGO_PKG_VERSION")))
        .header("X-GitHub-Api-Version", "2022-11-28")
        .bearer_auth(&token)
        .send()
        .await;
    // The user's token was only needed for their identity: it is dropped here, never stored.
    drop(token);
    let login = match user {
        Ok(r) if r.status().is_success() => match r.json::<GitHubUser>().await {
            Ok(u) => u.login.to_ascii_lowercase(),
            Err(e) => {
                return refuse(
                    StatusCode::BAD_GATEWAY,
                    "GitHub's answer was not understood",
                    format!("GET /user answered something without a login: {e}."),
                );
            }
        },
        Ok(r) => {
            return refuse(
                StatusCode::BAD_GATEWAY,
                "GitHub could not say who you are",
                format!("GET /user answered {}.", r.status()),
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "GET /user failed");
            return refuse(
                StatusCode::BAD_GATEWAY,
                "GitHub could not be reached",
                "Reading who you are from GitHub failed; try again in a moment.".into(),
            );
        }
    };
    let id = hex::encode(rand::random::<[u8; 32]>());
    if let Err(e) = state.store.create_session(&token_hash(&id), &login, now).await {
        tracing::error!(error = format!("{e:#}"), "starting a session failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    tracing::info!(%login, "signed in");
    let cookie = cookie::Cookie::build((SESSION_COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(sign_in.secure_cookie())
        .max_age(cookie::time::Duration::seconds(ABSOLUTE_TIMEOUT.num_seconds()))
        .build();
    with_cookie(Redirect::to(&next).into_response(), &cookie)
}

fn with_cookie(mut response: Response, cookie: &cookie::Cookie<'_>) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Returns true when a state-changing request comes from this site: its `Origin` is the public URL's, or the
/// browser says `Sec-Fetch-Site: same-origin`. Anything else (another site, or no way to tell) is refused.
fn same_site(sign_in: &SignIn, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (header("origin"), header("sec-fetch-site")) {
        (Some(origin), _) => origin.eq_ignore_ascii_case(sign_in.origin()),
        (None, Some(site)) => site == "same-origin",
        (None, None) => false,
    }
}

/// Returns whether a state-changing request comes from this site ([`same_site`], or in the demo the browser's
/// word), or `None` when the dashboard is off.
pub(crate) fn from_this_site(state: &AppState, headers: &HeaderMap) -> Option<bool> {
    match &state.sign_in {
        Some(sign_in) => Some(same_site(sign_in, headers)),
        None if state.demo => Some(demo_same_site(headers)),
        None => None,
    }
}

/// Returns this site's external base URL: the public URL, or in the demo the `Host` the browser used.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.sign_in {
        Some(sign_in) => sign_in.public_url.trim_end_matches('/').to_owned(),
        None => {
            let host =
                headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    }
}

/// `POST /logout`: ends the session (from this site only) and goes back to `/`.
async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    viewer: Viewer,
) -> Response {
    let same = match &state.sign_in {
        Some(sign_in) => same_site(sign_in, &headers),
        // The demo has no public URL: the browser's own word (or an Origin naming the Host) tells.
        None if state.demo => demo_same_site(&headers),
        None => return off(&state),
    };
    if !same {
        return state.pages.message(
            StatusCode::FORBIDDEN,
            viewer.login(),
            true,
            "Request refused",
            "This request did not come from a page of this site, so it was not carried out.",
            "Use the Log out button on any page.",
        );
    }
    if let Some(id) = session_cookie(&headers)
        && let Err(e) = state.store.delete_session(&token_hash(&id)).await
    {
        tracing::error!(error = format!("{e:#}"), "ending a session failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    let gone = cookie::Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(state.sign_in.as_ref().is_some_and(|s| s.secure_cookie()))
        .max_age(cookie::time::Duration::ZERO)
        .build();
    with_cookie(Redirect::to("/").into_response(), &gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_path_or_the_start_page() {
        assert_eq!(
            local_path(Some("/orgs/acme/load?sprint=previous")),
            "/orgs/acme/load?sprint=previous"
        );
        for bad in ["//evil.example", "https://evil.example/", "evil", "/\\evil.example", ""] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
