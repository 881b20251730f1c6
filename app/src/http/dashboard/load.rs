//! `/orgs/{org}/load`: mentoring load per mentor in a sprint, stale pairs and each mentor's trend over the last
//! sprints; and its CSV. Managers and admins see every mentor, a mentor their own row, a mentee gets 403. The
//! numbers are the JSON API's: both call [`api::load_report`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use mentor_core::trend::{self, SprintLoad, SprintTotal, TREND_SPRINTS};
use mentor_core::{Login, Sprint};
use minijinja::context;
use serde::Deserialize;

use super::{Access, AppState, access};
use crate::http::api::{self, LoadQuery};
use crate::http::auth::Viewer;

/// Query of the load page.
#[derive(Deserialize)]
pub(super) struct SprintQuery {
    sprint: Option<String>,
}

/// Returns the load report `access` may see for the selected sprint, or the page that says why not.
async fn visible_report(
    state: &AppState,
    access: &Access,
    selector: &str,
) -> Result<(mentor_core::LoadReport, chrono::DateTime<Utc>), Response> {
    if !(access.roles.admin || access.roles.manager || access.roles.mentor) {
        return Err(access.forbidden(
            state,
            "Load is for managers, admins and mentors; as a mentee you see your own growth instead.",
            &format!("Your growth page is /orgs/{}/mentees/{}.", access.org, access.login),
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
                    state.sign_in.is_some(),
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

/// Returns the `TREND_SPRINTS` sprints ending with `last` and each one's totals per mentor, oldest first.
pub(super) async fn recent_totals(
    state: &AppState,
    org: &str,
    config: &mentor_core::Config,
    last: &Sprint,
) -> anyhow::Result<(Vec<Sprint>, Vec<BTreeMap<Login, SprintTotal>>)> {
    let sprints = config.sprints.recent(last, TREND_SPRINTS);
    let mut totals = Vec::with_capacity(sprints.len());
    for sprint in &sprints {
        totals.push(
            state
                .store
                .totals_between(
                    org,
                    sprint.start.with_timezone(&Utc),
                    sprint.end.with_timezone(&Utc),
                )
                .await?,
        );
    }
    Ok((sprints, totals))
}

/// Returns the context of a small bar chart of `rows`' minutes (the trend), scaled to the largest.
pub(super) fn trend_bars(rows: &[SprintLoad]) -> Vec<minijinja::Value> {
    let top = rows
        .iter()
        .flat_map(|r| [Some(r.minutes), r.capacity_minutes])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let height = ((f64::from(r.minutes) / top) * 28.0).round() as u32;
            context! {
                sprint => r.sprint.to_string(),
                minutes => r.minutes,
                touchpoints => r.touchpoints,
                status => r.status.as_str(),
                x => i * 14,
                y => 30 - height,
                height,
            }
        })
        .collect()
}

/// `GET /orgs/{org}/load?sprint=current|previous|YYYY-MM-DD`.
pub(super) async fn page(
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
    let selected =
        Sprint { id: report.sprint.id, start: report.sprint.start, end: report.sprint.end };
    let (sprints, totals) =
        match recent_totals(&state, &access.org, &access.config, &selected).await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "reading the trend failed");
                return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
            }
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
    let logins: Vec<Login> = report.mentors.iter().map(|m| m.login.clone()).collect();
    let histories = trend::of_mentors(&access.config, &logins, &sprints, &totals);
    let mentors: Vec<minijinja::Value> = report
        .mentors
        .iter()
        .zip(&histories)
        .map(|(m, history)| {
            context! {
                login => m.login.as_str(),
                touchpoints => m.touchpoints,
                minutes => m.minutes,
                mentees => m.mentees,
                capacity => m.capacity_minutes,
                status => m.status.as_str(),
                bar => width(m.minutes),
                cap => m.capacity_minutes.map(width),
                trend => trend_bars(history),
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
    let trend_sprints: Vec<String> = sprints.iter().map(|s| s.id.to_string()).collect();
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
            trend_sprints,
            sees_everyone => access.roles.admin || access.roles.manager,
        },
    )
}

/// `GET /orgs/{org}/load.csv?sprint=…`: the page's numbers as CSV, with the same access rules.
pub(super) async fn csv(
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
