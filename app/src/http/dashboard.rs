//! The per-org pages for signed-in people, with the role check they share.
//!
//! Roles per org come from the org's config (pairs, `privacy.managers`, `privacy.admins`) and from GitHub, asked
//! with the installation token: an org owner is an admin, a member of a team listed in `privacy.managers` a
//! manager. They are cached for [`ROLE_TTL`]. A person with no role in an org sees it as not found.
//!
//! Pages so far: `/orgs/{org}/load` (managers and admins see every mentor, a mentor their own row, a mentee gets
//! 403) and its CSV. The numbers are the JSON API's: both call [`api::load_report`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use mentor_core::config::Roles;
use mentor_core::load::LoadStatus;
use mentor_core::{Config, Login};
use minijinja::context;
use serde::Deserialize;

use super::AppState;
use super::api::{self, LoadQuery};
use super::auth::Viewer;

/// How long a person's roles in an org are reused before GitHub is asked again.
pub const ROLE_TTL: Duration = Duration::from_secs(5 * 60);

/// Roles per (org, login), with when they were worked out.
#[derive(Default)]
pub struct RoleCache(Mutex<HashMap<(String, String), (Instant, Roles)>>);

/// Returns the per-org page routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/orgs/{org}/load", get(load_page))
        .route("/orgs/{org}/load.csv", get(load_csv))
}

/// Who is looking at an org's pages: their login, roles, and the org's config.
struct Access {
    login: Login,
    roles: Roles,
    org: String,
    config: Arc<Config>,
}

/// Works out `viewer`'s access to `org`, or the page that says why there is none (sign in first, not found).
async fn access(
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
    for row in rows.iter().filter(|r| r.status == "active") {
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
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Query of the load page.
#[derive(Deserialize)]
struct SprintQuery {
    sprint: Option<String>,
}

/// Returns the load report `access` may see for the selected sprint, or the page that says why not.
async fn visible_report(
    state: &AppState,
    access: &Access,
    selector: &str,
) -> Result<(mentor_core::LoadReport, chrono::DateTime<Utc>), Response> {
    let sign_in = state.sign_in.is_some();
    if !(access.roles.admin || access.roles.manager || access.roles.mentor) {
        return Err(state.pages.message(
            StatusCode::FORBIDDEN,
            Some(access.login.as_str()),
            sign_in,
            "Not allowed",
            "Load is for managers, admins and mentors; as a mentee you see your own growth instead.",
            "",
        ));
    }
    let now = state.clock.now();
    let mut report =
        match api::load_report(&state.store, &access.org, &access.config, selector, now).await {
            Ok(report) => report,
            Err(e) => {
                return Err(state.pages.message(
                    StatusCode::BAD_REQUEST,
                    Some(access.login.as_str()),
                    sign_in,
                    "No such sprint",
                    &e.to_string(),
                    "Use current, previous or a date like 2026-11-20.",
                ));
            }
        };
    // A mentor who is not also a manager or admin sees their own row only, as in the API.
    if !(access.roles.admin || access.roles.manager) {
        report.mentors.retain(|m| m.login == access.login);
        report.stale_pairs.retain(|p| p.mentor == access.login);
    }
    Ok((report, now))
}

/// `GET /orgs/{org}/load?sprint=current|previous|YYYY-MM-DD`.
async fn load_page(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(org): Path<String>,
    Query(query): Query<SprintQuery>,
) -> Response {
    let selector = query.sprint.clone().unwrap_or_else(|| "current".into());
    let here = format!("/orgs/{org}/load?sprint={selector}");
    let access = match access(&state, &viewer, &org, &here).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let (report, now) = match visible_report(&state, &access, &selector).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    // Bars share one scale: the largest of minutes and capacities, so the capacity marker is comparable.
    let scale = report
        .mentors
        .iter()
        .flat_map(|m| [Some(m.minutes), m.capacity_minutes])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let width = |v: u32| ((f64::from(v) / scale) * 380.0).round() as u32;
    let mentors: Vec<minijinja::Value> = report
        .mentors
        .iter()
        .map(|m| {
            let status = match m.status {
                LoadStatus::Ok => "ok",
                LoadStatus::High => "high",
                LoadStatus::Over => "over",
            };
            context! {
                login => m.login.as_str(),
                touchpoints => m.touchpoints,
                minutes => m.minutes,
                mentees => m.mentees,
                capacity => m.capacity_minutes,
                status,
                bar => width(m.minutes),
                cap => m.capacity_minutes.map(width),
            }
        })
        .collect();
    let stale: Vec<minijinja::Value> = report
        .stale_pairs
        .iter()
        .map(|p| {
            context! {
                mentor => p.mentor.as_str(),
                mentee => p.mentee.as_str(),
                days => p.last_touchpoint.map(|t| (now - t).num_days()),
            }
        })
        .collect();
    let last_day = report.sprint.end.date_naive() - chrono::Days::new(1);
    let previous = report.sprint.id - chrono::Days::new(1);
    let next = report.sprint.end.date_naive();
    let sprint = context! {
        id => report.sprint.id.to_string(),
        start => report.sprint.start.to_rfc3339(),
        last_day => last_day.to_string(),
    };
    state.pages.render(
        StatusCode::OK,
        "load.html",
        context! {
            viewer => access.login.as_str(),
            sign_in => true,
            org => access.org,
            sprint,
            previous => previous.to_string(),
            next => next.to_string(),
            mentors,
            stale,
        },
    )
}

/// `GET /orgs/{org}/load.csv?sprint=…`: the page's numbers as CSV, with the same access rules.
async fn load_csv(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(org): Path<String>,
    Query(query): Query<LoadQuery>,
) -> Response {
    let selector = query.sprint().unwrap_or("current").to_owned();
    let here = format!("/orgs/{org}/load.csv?sprint={selector}");
    let access = match access(&state, &viewer, &org, &here).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    match visible_report(&state, &access, &selector).await {
        Ok((report, _)) => match api::load_csv(&report) {
            Ok(csv) => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response(),
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "writing CSV failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        },
        Err(page) => page,
    }
}
