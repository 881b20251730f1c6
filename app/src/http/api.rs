//! The read API (`/api/v1/…`), authorised by bearer tokens (see `token`).
//!
//! Every token belongs to one org and reads only that org's data: the routes under `/api/v1/orgs/{org}/…` answer
//! 403 to a token of another org, and the unscoped routes mean the token's own org. The config is the org's
//! merged config from the [`ConfigSource`](crate::config_source). Every read of a mentee's evidence or feedback is
//! recorded in the access log (one insert); a refused one (401, 403, 404) is not a read and is not recorded.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use mentor_core::evidence::Vantage;
use mentor_core::load::LoadReport;
use mentor_core::{Config, Login};
use serde::Deserialize;

use super::AppState;
use crate::error::ApiError;
use crate::store::Store;
use crate::token::{Role, token_hash};

/// Returns the read API's routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/load", get(load))
        .route("/api/v1/mentees/{login}/evidence", get(evidence))
        .route("/api/v1/mentees/{login}/feedback", get(feedback))
        .route("/api/v1/orgs/{org}/load", get(org_load))
        .route("/api/v1/orgs/{org}/backfill", get(org_backfill))
        .route("/api/v1/orgs/{org}/mentees/{login}/evidence", get(org_evidence))
        .route("/api/v1/orgs/{org}/mentees/{login}/feedback", get(org_feedback))
}

/// Who is asking: a token's org and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The org the token belongs to (lowercase).
    pub org: String,
    /// What it may read there.
    pub role: Role,
}

async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<Grant, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized("missing bearer token"))?;
    let (org, role) = store
        .token_grant(&token_hash(token))
        .await?
        .ok_or(ApiError::Unauthorized("invalid token"))?;
    if org.is_empty() {
        return Err(ApiError::Forbidden(
            "this token was made before tokens belonged to an org; create a new one with \
             `mentor-app token create --org <org> --role …`"
                .into(),
        ));
    }
    let role = Role::parse(&role)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored role is invalid: {e}")))?;
    if matches!(role, Role::Calendar(_)) {
        return Err(ApiError::Forbidden(
            "a calendar token reads only its check-in feed (/orgs/{org}/calendar/{token}.ics), not the API".into(),
        ));
    }
    Ok(Grant { org, role })
}

/// Returns the grant of the request's token for `org` (None: the token's own org), or 403 for another org's.
pub(crate) async fn grant_for(
    state: &AppState,
    headers: &HeaderMap,
    org: Option<&str>,
) -> Result<Grant, ApiError> {
    let grant = authenticate(&state.store, headers).await?;
    if let Some(org) = org
        && !org.eq_ignore_ascii_case(&grant.org)
    {
        return Err(ApiError::Forbidden(format!(
            "this token belongs to org {}, not {org}",
            grant.org
        )));
    }
    Ok(grant)
}

/// Returns the merged config of `org`, or 404 when the org is unknown or has no config.
pub(crate) async fn org_config(state: &AppState, org: &str) -> Result<Arc<Config>, ApiError> {
    let row = state
        .store
        .org(org)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no org {org} has installed the App")))?;
    let config = state.configs.org_config(row.installation_id, &row.org).await.map_err(|e| {
        ApiError::NotFound(format!("the mentorship config of {org} cannot be used: {e}"))
    })?;
    config
        .map(|c| Arc::clone(&c.config))
        .ok_or_else(|| ApiError::NotFound(format!("no mentorship config found in {org}")))
}

/// Query of `GET /api/v1/orgs/{org}/load`.
#[derive(Debug, Deserialize)]
pub struct LoadQuery {
    /// `current`, `previous` or a date inside the sprint.
    sprint: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

impl LoadQuery {
    /// Returns the sprint selector, if given.
    pub fn sprint(&self) -> Option<&str> {
        self.sprint.as_deref()
    }
}

/// Handles `GET /api/v1/load`: the load of the token's own org.
pub async fn load(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<LoadQuery>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, None).await?;
    load_of(&state, grant, query).await
}

/// Handles `GET /api/v1/orgs/{org}/load`.
pub async fn org_load(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(query): Query<LoadQuery>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, Some(&org)).await?;
    load_of(&state, grant, query).await
}

/// `GET /api/v1/orgs/{org}/backfill`: the org's history backfill (admins), as `mentor-app backfill status --json`
/// shows one org: `{"org","repos","repos_done","prs_read","requests","points","status","repositories":[…]}`; 404 when
/// none was asked for.
pub async fn org_backfill(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, Some(&org)).await?;
    if !matches!(grant.role, Role::Admin) {
        return Err(ApiError::Forbidden("only admins can read the backfill's progress".into()));
    }
    let rows = state.store.backfills(Some(&grant.org)).await.map_err(ApiError::Internal)?;
    match crate::backfill::OrgProgress::of(rows).into_iter().next() {
        Some(progress) => Ok(Json(progress).into_response()),
        None => Err(ApiError::NotFound(format!(
            "no backfill for {}: it starts when the App is installed, or with `mentor-app backfill --org {}`",
            grant.org, grant.org
        ))),
    }
}

/// Returns the load report of `org` for the sprint `selector` names, as of `now` (see [`crate::reports`]).
pub async fn load_report(
    store: &Store,
    org: &str,
    config: &Config,
    selector: &str,
    now: chrono::DateTime<Utc>,
) -> Result<LoadReport, ApiError> {
    crate::reports::load_report(store, org, config, selector, now).await.map_err(|e| match e {
        crate::reports::ReportError::Sprint(e) => {
            ApiError::BadRequest(format!("invalid sprint: {e}"))
        }
        crate::reports::ReportError::Store(e) => ApiError::Internal(e),
    })
}

async fn load_of(state: &AppState, grant: Grant, query: LoadQuery) -> Result<Response, ApiError> {
    if matches!(grant.role, Role::Mentee(_)) {
        return Err(ApiError::Forbidden("mentees cannot read load".into()));
    }
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!("unknown format `{other}`; use json or csv")));
        }
    };
    let config = org_config(state, &grant.org).await?;
    let now = state.clock.now();
    let selector = query.sprint.as_deref().unwrap_or("current");
    let mut report = load_report(&state.store, &grant.org, &config, selector, now).await?;
    if let Role::Mentor(me) = &grant.role {
        report.mentors.retain(|m| &m.login == me);
        report.stale_pairs.retain(|p| &p.mentor == me);
    }
    if csv {
        let body = load_csv(&report).map_err(ApiError::Internal)?;
        Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
    } else {
        Ok(Json(report).into_response())
    }
}

/// Returns the load report as CSV (RFC 4180 quoting): one row per mentor.
pub fn load_csv(report: &LoadReport) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "sprint",
        "mentor",
        "touchpoints",
        "minutes",
        "mentees",
        "capacity_minutes",
        "status",
    ])?;
    for m in &report.mentors {
        out.write_record([
            report.sprint.id.to_string(),
            m.login.as_str().to_owned(),
            m.touchpoints.to_string(),
            m.minutes.to_string(),
            m.mentees.to_string(),
            m.capacity_minutes.map(|c| c.to_string()).unwrap_or_default(),
            m.status.as_str().to_owned(),
        ])?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

/// Path of the mentee routes scoped to an org.
#[derive(Debug, Deserialize)]
pub struct OrgMentee {
    org: String,
    login: String,
}

/// Handles `GET /api/v1/mentees/{login}/evidence` (the token's own org).
pub async fn evidence(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, None).await?;
    evidence_of(&state, grant, &login, "/api/v1/mentees/{login}/evidence").await
}

/// Handles `GET /api/v1/orgs/{org}/mentees/{login}/evidence`.
pub async fn org_evidence(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(path): Path<OrgMentee>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, Some(&path.org)).await?;
    evidence_of(&state, grant, &path.login, "/api/v1/orgs/{org}/mentees/{login}/evidence").await
}

/// Records that `grant` read `what` of `mentee` through `route` (the access log; a refused read is not one).
async fn log_read(
    state: &AppState,
    grant: &Grant,
    mentee: &Login,
    what: &str,
    route: &str,
) -> Result<(), ApiError> {
    let reader = grant.role.to_string();
    let now = Utc::now();
    state
        .store
        .record_access(&grant.org, "token", &reader, mentee.as_str(), &[what], route, now)
        .await
        .map_err(ApiError::Internal)
}

async fn evidence_of(
    state: &AppState,
    grant: Grant,
    login: &str,
    route: &str,
) -> Result<Response, ApiError> {
    let mentee = Login::new(login);
    let config = org_config(state, &grant.org).await?;
    if !grant.role.may_read_mentee(&config, &mentee) {
        return Err(ApiError::Forbidden("this token may not read that mentee's evidence".into()));
    }
    // The same pair the CLI reports against: the one in force today, else the mentee's most recent.
    let now = state.clock.now();
    let pair = config
        .current_pair_of(&mentee, config.sprints.local_date(now))
        .ok_or_else(|| ApiError::NotFound(format!("{login} is not a mentee in {}", grant.org)))?;
    let rows = state.store.evidence_of(&grant.org, mentee.as_str()).await?;
    log_read(state, &grant, &mentee, "evidence", route).await?;
    let report = mentor_core::evidence::report(&config, pair, &rows, Vantage::GitHub, now);
    Ok(Json(report).into_response())
}

/// Handles `GET /api/v1/mentees/{login}/feedback` (the token's own org): the Conventional Comments counts of the
/// reviews and review comments `login` received (counts only), for the mentee, their mentor or an admin.
pub async fn feedback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, None).await?;
    feedback_of(&state, grant, &login, "/api/v1/mentees/{login}/feedback").await
}

/// Handles `GET /api/v1/orgs/{org}/mentees/{login}/feedback`.
pub async fn org_feedback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(path): Path<OrgMentee>,
) -> Result<Response, ApiError> {
    let grant = grant_for(&state, &headers, Some(&path.org)).await?;
    feedback_of(&state, grant, &path.login, "/api/v1/orgs/{org}/mentees/{login}/feedback").await
}

async fn feedback_of(
    state: &AppState,
    grant: Grant,
    login: &str,
    route: &str,
) -> Result<Response, ApiError> {
    let mentee = Login::new(login);
    let config = org_config(state, &grant.org).await?;
    if !grant.role.may_read_mentee(&config, &mentee) {
        return Err(ApiError::Forbidden("this token may not read that mentee's feedback".into()));
    }
    if config.pairs_of_mentee(&mentee).next().is_none() {
        return Err(ApiError::NotFound(format!("{login} is not a mentee in {}", grant.org)));
    }
    let (mix, touchpoints) = state.store.feedback_of(&grant.org, mentee.as_str()).await?;
    log_read(state, &grant, &mentee, "feedback", route).await?;
    Ok(Json(serde_json::json!({ "mentee": mentee, "touchpoints": touchpoints, "feedback": mix }))
        .into_response())
}
