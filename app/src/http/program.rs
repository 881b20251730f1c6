//! The program owner's API: `GET /api/v1/orgs/{org}/audit` and `GET /api/v1/orgs/{org}/match`.
//!
//! Both read only the org's own config and stored rows, and hand them to the core ([`mentor_core::audit`],
//! [`mentor_core::matching`]). Online, code expertise comes from stored activity: a touchpoint credits the
//! mentor with a review, and a mentee's evidence with a change, in the repository of its pull request (the app
//! stores no changed paths, so areas are repositories). Evidence exists only from a pair's start, so growth
//! "before" counts are those the store holds. Self-declared groups are never sent to the app; equity here is
//! by `team` and `level`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use mentor_core::audit::{self, AuditInput};
use mentor_core::evidence::Vantage;
use mentor_core::expertise::Expertise;
use mentor_core::load::Credit;
use mentor_core::matching::{self, Cohort};
use mentor_core::{Config, Login};
use serde::Deserialize;

use super::AppState;
use super::api::{grant_for, org_config};
use crate::error::ApiError;
use crate::token::Role;

/// Returns the program owner's routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/orgs/{org}/audit", get(org_audit))
        .route("/api/v1/orgs/{org}/match", get(org_match))
}

/// Query of `GET /api/v1/orgs/{org}/audit`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Start of the window, `YYYY-MM-DD` (default: twelve months ago).
    since: Option<String>,
    /// Weeks compared before and during each pair (default 8).
    weeks: Option<u32>,
}

/// Handles `GET /api/v1/orgs/{org}/audit`: everything for admins; for managers only the aggregate parts
/// (equity, velocity, aggregate growth and the findings about groups and teams); 403 for everyone else.
pub async fn org_audit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, Some(&org)).await?;
    let admin = match grant.role {
        Role::Admin => true,
        Role::Manager => false,
        _ => return Err(ApiError::Forbidden("only admins and managers can read the audit".into())),
    };
    let since = query
        .since
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::BadRequest(format!("invalid since `{s}`: expected YYYY-MM-DD"))
            })
        })
        .transpose()?;
    let config = org_config(&state, &grant.org).await?;
    let now = state.clock.now();
    let touchpoints = state.store.touchpoints_of(&grant.org).await?;
    let credits: Vec<Credit> = touchpoints.iter().map(Credit::of).collect();
    let evidence = state.store.evidence_of_org(&grant.org).await?;
    let expertise = Expertise::from_activity(&touchpoints, &evidence, now);
    let areas: BTreeSet<String> = expertise.all_areas().into_iter().map(str::to_string).collect();
    let report = audit::audit(&AuditInput {
        config: &config,
        credits: &credits,
        evidence: &evidence,
        vantage: Vantage::GitHub,
        groups: None,
        areas: &areas,
        since,
        growth_weeks: query.weeks.unwrap_or(8),
        now,
    });
    let report = if admin { report } else { report.aggregate_only() };
    Ok(Json(report).into_response())
}

/// Query of `GET /api/v1/orgs/{org}/match`.
#[derive(Debug, Deserialize)]
pub struct MatchQuery {
    /// Comma-separated logins to match (default: the whole cohort).
    mentees: Option<String>,
    /// Everyone without a pair in force who may not mentor, even without `wants`.
    #[serde(default)]
    unpaired: bool,
    /// Also give each pair's runner-up (`runner_ups`, as `mentor match --explain --json`).
    #[serde(default)]
    explain: bool,
}

/// Handles `GET /api/v1/orgs/{org}/match` (admins): the proposal `mentor match --json` gives (with
/// `?explain=true`, also `runner_ups`), from stored activity: `{"pairs":[{"mentor","mentee","track","score","rationale"}],"unmatched":[{"mentee","reason"}]}`.
pub async fn org_match(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(query): Query<MatchQuery>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, Some(&org)).await?;
    if !matches!(grant.role, Role::Admin) {
        return Err(ApiError::Forbidden("only admins can propose pairs".into()));
    }
    let config: Arc<Config> = org_config(&state, &grant.org).await?;
    let now = state.clock.now();
    let cohort = match (query.mentees.as_deref().map(str::trim), query.unpaired) {
        (Some(list), _) if !list.is_empty() => Cohort::Mentees(
            list.split(',').map(str::trim).filter(|l| !l.is_empty()).map(Login::new).collect(),
        ),
        (_, true) => Cohort::Unpaired,
        _ => Cohort::All,
    };
    let touchpoints = state.store.touchpoints_of(&grant.org).await?;
    let evidence = state.store.evidence_of_org(&grant.org).await?;
    let expertise = Expertise::from_activity(&touchpoints, &evidence, now);
    // The current and previous sprints' touchpoints measure how much of each mentor's minutes is spent.
    let previous =
        config.sprints.sprint_on(config.sprints.sprint_at(now).id - chrono::Days::new(1));
    let credits = state
        .store
        .credits_between(&grant.org, previous.start.to_utc(), now + chrono::Duration::days(1))
        .await?;
    let proposal = matching::propose(&config, &expertise, &credits, &cohort, now)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut body = serde_json::json!({ "pairs": proposal.pairs, "unmatched": proposal.unmatched });
    if query.explain {
        let runner_ups: Vec<_> =
            proposal.pairs.iter().filter_map(|p| p.runner_up.as_ref()).collect();
        body["runner_ups"] = serde_json::json!(runner_ups);
    }
    Ok(Json(body).into_response())
}
