//! The per-org pages for signed-in people, with the role check they share.
//!
//! Roles per org come from the org's config (pairs, `privacy.managers`, `privacy.admins`) and from GitHub, asked
//! with the installation token: an org owner is an admin, a member of a team listed in `privacy.managers` a
//! manager. They are cached for [`ROLE_TTL`]. A person with no role in an org sees it as not found.
//!
//! Pages: [`load`] (`/orgs/{org}/load` and its CSV), [`mentee`] (`/orgs/{org}/mentees/{login}`, growth) and
//! [`mentor`] (`/orgs/{org}/mentors/{login}`). Who may see what is decided by core rules
//! ([`Config::may_see_growth`], [`Config::may_see_load_of`]); the numbers are the JSON API's.

mod calendar;
mod load;
mod mentee;
mod mentor;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use mentor_core::config::Roles;
use mentor_core::{Config, Login};

use super::AppState;
use super::auth::Viewer;
use crate::store::InstallationStatus;

/// How long a person's roles in an org are reused before GitHub is asked again.
pub const ROLE_TTL: Duration = Duration::from_secs(5 * 60);

/// Roles per (org, login), with when they were worked out.
#[derive(Default)]
pub struct RoleCache(Mutex<HashMap<(String, String), (Instant, Roles)>>);

/// Returns the per-org page routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/orgs/{org}/load", get(load::page))
        .route("/orgs/{org}/load.csv", get(load::csv))
        .route("/orgs/{org}/mentees/{login}", get(mentee::page))
        .route("/orgs/{org}/mentors/{login}", get(mentor::page))
        .route("/orgs/{org}/calendar", axum::routing::post(calendar::create))
}

/// Who is looking at an org's pages: their login, roles, and the org's config.
pub(super) struct Access {
    login: Login,
    roles: Roles,
    org: String,
    config: Arc<Config>,
}

/// Works out `viewer`'s access to `org`, or the page that says why there is none (sign in first, not found).
pub(super) async fn access(
    state: &AppState,
    viewer: &Viewer,
    org: &str,
    here: &str,
) -> Result<Access, Response> {
    let sign_in = state.sign_in.is_some();
    let Some(login) = viewer.login() else {
        if state.demo {
            return Err(state.pages.message(
                StatusCode::UNAUTHORIZED,
                None,
                false,
                "Pick whom to be",
                "This is the demo: sign in as anyone of its program without GitHub.",
                "Open /demo/login?as=mona (a manager), /demo/login?as=bob (a mentor) or /demo/login?as=alice (a mentee).",
            ));
        }
        if !sign_in {
            return Err(state.pages.message(
                StatusCode::NOT_FOUND,
                None,
                false,
                "The dashboard is off",
                "This server has no GitHub client id, so its pages cannot be signed in to.",
                "Set MENTOR_GITHUB_CLIENT_ID, MENTOR_GITHUB_CLIENT_SECRET and MENTOR_PUBLIC_URL.",
            ));
        }
        return Err(Redirect::to(&format!("/login?next={}", encode(here))).into_response());
    };
    let not_found = || {
        state.pages.message(
            StatusCode::NOT_FOUND,
            Some(login),
            sign_in,
            "Not found",
            &format!("There is no org {org} here that you have a role in."),
            "Your orgs are listed on your page (/me).",
        )
    };
    let org = org.to_ascii_lowercase();
    let row = match state.store.org(&org).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(not_found()),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "reading the org failed");
            return Err((StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response());
        }
    };
    let config = match state.configs.org_config(row.installation_id, &row.org).await {
        Ok(Some(c)) => Arc::clone(&c.config),
        Ok(None) => return Err(not_found()),
        Err(e) => {
            return Err(state.pages.message(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(login),
                sign_in,
                "The org's config cannot be used",
                &e.to_string(),
                "The operator sees the problem with `mentor-app orgs list`.",
            ));
        }
    };
    let login = Login::new(login);
    let roles = roles_in(state, &row, &config, &login).await;
    if roles.is_none() {
        return Err(not_found());
    }
    Ok(Access { login, roles, org, config })
}

impl Access {
    /// Returns the 403 page saying `why`.
    fn forbidden(&self, state: &AppState, why: &str, hint: &str) -> Response {
        state.pages.message(
            StatusCode::FORBIDDEN,
            Some(self.login.as_str()),
            state.sign_in.is_some(),
            "Not allowed",
            why,
            hint,
        )
    }

    /// Returns the 404 page for a person who is not part of the org's program.
    fn no_such_person(&self, state: &AppState, what: &str, login: &str) -> Response {
        state.pages.message(
            StatusCode::NOT_FOUND,
            Some(self.login.as_str()),
            state.sign_in.is_some(),
            "Not found",
            &format!("@{login} is not {what} in {}.", self.org),
            "People and pairs come from the org's mentorship config.",
        )
    }
}

/// Returns the roles `login` has in the org of `row` under `config`, from the cache when fresh.
pub async fn roles_in(
    state: &AppState,
    row: &crate::store::OrgRow,
    config: &Config,
    login: &Login,
) -> Roles {
    let key = (row.org.clone(), login.as_str().to_owned());
    let cached = state.roles.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key).copied();
    if let Some((at, roles)) = cached
        && at.elapsed() < ROLE_TTL
    {
        return roles;
    }
    let github = state.github.as_ref();
    let owner = matches!(
        github.org_role(row.installation_id, &row.org, login.as_str()).await,
        Ok(Some(role)) if role == "admin"
    );
    let mut in_team = false;
    for (team_org, team) in config.manager_teams() {
        if team_org == row.org
            && matches!(
                github.team_member(row.installation_id, &row.org, &team, login.as_str()).await,
                Ok(true)
            )
        {
            in_team = true;
            break;
        }
    }
    let roles = config.roles_of(login, owner, in_team);
    state.roles.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (Instant::now(), roles));
    roles
}

/// Returns every org where `login` has a role, with the roles, by name.
pub async fn orgs_of(state: &AppState, login: &Login) -> Vec<(String, Roles)> {
    let Ok(rows) = state.store.orgs().await else { return Vec::new() };
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.status == InstallationStatus::Active) {
        let Ok(Some(config)) = state.configs.org_config(row.installation_id, &row.org).await else {
            continue;
        };
        let roles = roles_in(state, row, &config.config, login).await;
        if !roles.is_none() {
            out.push((row.org.clone(), roles));
        }
    }
    out
}

/// Percent-encodes a path for a query value.
pub(super) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
