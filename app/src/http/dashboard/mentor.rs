//! `/orgs/{org}/mentors/{login}`: a mentor's load over the last sprints and their mentees with the last
//! touchpoint. Visible to the mentor, managers and admins; names, counts and days only, never feedback.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mentor_core::Login;
use mentor_core::config::PairStatus;
use minijinja::context;

use super::load::{recent_totals, trend_bars};
use super::{AppState, access};
use crate::http::auth::Viewer;

/// `GET /orgs/{org}/mentors/{login}`.
pub(super) async fn page(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((org, login)): Path<(String, String)>,
) -> Response {
    let here = format!("/orgs/{org}/mentors/{login}");
    let access = match access(&state, &viewer, &org, &here).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let mentor = Login::new(login.trim_start_matches('@'));
    let config = Arc::clone(&access.config);
    if !config.may_see_load_of(&access.login, access.roles, &mentor) {
        return access.forbidden(
            &state,
            "A mentor's load and mentees are for the mentor, managers and admins only.",
            "Your own pages are listed on /me.",
        );
    }
    let pairs: Vec<_> = config.pairs.iter().filter(|p| p.mentor == mentor).collect();
    if pairs.is_empty() {
        return access.no_such_person(&state, "a mentor", mentor.as_str());
    }
    let now = state.clock.now();
    let current = config.sprints.sprint_at(now);
    let keys: Vec<(Login, Login)> =
        pairs.iter().map(|p| (p.mentor.clone(), p.mentee.clone())).collect();
    let read = async {
        let totals = recent_totals(&state, &access.org, &config, &current).await?;
        let last = state.store.last_touchpoints(&access.org, &keys, now).await?;
        anyhow::Ok((totals, last))
    };
    let ((sprints, totals), last) = match read.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "reading a mentor's load failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    let history = mentor_core::trend::of_mentor(&config, &mentor, &sprints, &totals);
    let rows: Vec<minijinja::Value> = history
        .iter()
        .rev()
        .map(|r| {
            context! {
                sprint => r.sprint.to_string(),
                touchpoints => r.touchpoints,
                minutes => r.minutes,
                capacity => r.capacity_minutes,
                status => r.status.as_str(),
            }
        })
        .collect();
    let mentees: Vec<minijinja::Value> = pairs
        .iter()
        .map(|p| {
            let at = last.get(&(p.mentor.clone(), p.mentee.clone())).copied();
            let status = match p.status {
                PairStatus::Active if p.until.is_some_and(|u| u < current.id) => "ended",
                PairStatus::Active => "active",
                PairStatus::Paused => "paused",
                PairStatus::Ended => "ended",
            };
            context! {
                login => p.mentee.as_str(),
                track => p.track,
                since => p.since.to_string(),
                status,
                last => at.map(|t| t.date_naive().to_string()),
                days => at.map(|t| (now - t).num_days()),
                link => config.may_see_growth(&access.login, access.roles, &p.mentee),
            }
        })
        .collect();
    state.pages.render(
        StatusCode::OK,
        "mentor.html",
        context! {
            viewer => access.login.as_str(),
            sign_in => true,
            org => access.org,
            mentor => mentor.as_str(),
            rows,
            trend => trend_bars(&history),
            mentees,
        },
    )
}
