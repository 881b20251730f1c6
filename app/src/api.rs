//! The read API (`/api/v1/…`) and its bearer tokens.
//!
//! Tokens are random, shown once by `mentor-app token create`, and stored only as their SHA-256. A token has
//! one [`Role`]: admins and managers read the load of everyone, a mentor only their own row; a mentee's
//! evidence is readable by that mentee, their mentor and admins. Managers never see evidence, and no feedback
//! text is ever returned (load reports carry counts and minutes only).
//!
//! Which config? The app keeps no config of its own: it asks the [`ConfigSource`](crate::config_source) for
//! the config of the repo most recently processed with a config in force (org-wide facts live in the org's
//! `.github` repo, which every repo `_extends`, so any repo gives the same people, pairs and tracks).

use std::fmt;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use mentor_core::evidence::Vantage;
use mentor_core::load::LoadReport;
use mentor_core::{Config, Login};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::server::AppState;
use crate::store::Store;

/// Who a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Load of every mentor; no evidence.
    Manager,
    /// Their own load row and their mentees' evidence.
    Mentor(Login),
    /// Their own evidence.
    Mentee(Login),
}

impl Role {
    /// Returns true if this role may read `mentee`'s evidence and feedback counts: an admin, the mentee, or a
    /// mentor paired with them under `config`.
    pub fn may_read_mentee(&self, config: &mentor_core::Config, mentee: &Login) -> bool {
        match self {
            Role::Admin => true,
            Role::Mentee(me) => me == mentee,
            Role::Mentor(me) => config.pairs.iter().any(|p| &p.mentor == me && &p.mentee == mentee),
            Role::Manager => false,
        }
    }

    /// Parses `admin`, `manager`, `mentor:<login>` or `mentee:<login>`.
    pub fn parse(text: &str) -> Result<Role, String> {
        let login = |l: &str| {
            let l = l.trim().trim_start_matches('@');
            if l.is_empty() || l.contains(char::is_whitespace) {
                Err(format!("invalid login in role `{text}`"))
            } else {
                Ok(Login::new(l))
            }
        };
        match text.split_once(':') {
            None if text == "admin" => Ok(Role::Admin),
            None if text == "manager" => Ok(Role::Manager),
            Some(("mentor", l)) => Ok(Role::Mentor(login(l)?)),
            Some(("mentee", l)) => Ok(Role::Mentee(login(l)?)),
            _ => Err(format!(
                "unknown role `{text}`\n\nUse one of: admin, manager, mentor:<login>, mentee:<login>."
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Admin => f.write_str("admin"),
            Role::Manager => f.write_str("manager"),
            Role::Mentor(l) => write!(f, "mentor:{}", l.as_str()),
            Role::Mentee(l) => write!(f, "mentee:{}", l.as_str()),
        }
    }
}

/// Returns the stored form of a token (its SHA-256, hex).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token for `role`, stores its hash and returns the token.
pub async fn create_token(store: &Store, role: &Role) -> anyhow::Result<String> {
    let bytes: [u8; 32] = rand::random();
    let token = format!("mtr_{}", hex::encode(bytes));
    store.insert_token(&token_hash(&token), &role.to_string(), Utc::now()).await?;
    Ok(token)
}

async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<Role, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized("missing bearer token"))?;
    let role = store
        .token_role(&token_hash(token))
        .await?
        .ok_or(ApiError::Unauthorized("invalid token"))?;
    Role::parse(&role)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored role is invalid: {e}")))
}

async fn current_config(state: &AppState) -> Result<Arc<Config>, ApiError> {
    let no_config = || ApiError::NotFound("no mentorship config seen yet".into());
    let (repo, installation) = state.store.latest_repo().await?.ok_or_else(no_config)?;
    let config = state
        .configs
        .config_for(installation, &repo)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("config of {repo}: {e}")))?;
    config.ok_or_else(no_config)
}

/// Query of `GET /api/v1/load`.
#[derive(Debug, Deserialize)]
pub struct LoadQuery {
    /// `current`, `previous` or a date inside the sprint.
    sprint: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// Handles `GET /api/v1/load`.
pub async fn load(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<LoadQuery>,
) -> Result<Response, ApiError> {
    let role = authenticate(&state.store, &headers).await?;
    if matches!(role, Role::Mentee(_)) {
        return Err(ApiError::Forbidden("mentees cannot read load"));
    }
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!("unknown format `{other}`; use json or csv")));
        }
    };
    let config = current_config(&state).await?;
    let now = Utc::now();
    let sprint = config
        .sprints
        .select(query.sprint.as_deref().unwrap_or("current"), now)
        .map_err(|e| ApiError::BadRequest(format!("invalid sprint: {e}")))?;
    let touchpoints = state.store.touchpoints().await?;
    let mut report = mentor_core::load::report(&config, &sprint, &touchpoints, now);
    if let Role::Mentor(me) = &role {
        report.mentors.retain(|m| &m.login == me);
        report.stale_pairs.retain(|p| &p.mentor == me);
    }
    if csv {
        Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], load_csv(&report)).into_response())
    } else {
        Ok(Json(report).into_response())
    }
}

/// Returns the load report as CSV: one row per mentor.
pub fn load_csv(report: &LoadReport) -> String {
    let mut out =
        String::from("sprint,mentor,touchpoints,minutes,mentees,capacity_minutes,status\n");
    for m in &report.mentors {
        let status = serde_json::to_value(m.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            report.sprint.id,
            m.login.as_str(),
            m.touchpoints,
            m.minutes,
            m.mentees,
            m.capacity_minutes.map(|c| c.to_string()).unwrap_or_default(),
            status
        ));
    }
    out
}

/// Handles `GET /api/v1/mentees/{login}/evidence`.
pub async fn evidence(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    let role = authenticate(&state.store, &headers).await?;
    let mentee = Login::new(&login);
    let config = current_config(&state).await?;
    if !role.may_read_mentee(&config, &mentee) {
        return Err(ApiError::Forbidden("this token may not read that mentee's evidence"));
    }
    // The same pair the CLI reports against: the one in effect today, else the mentee's most recent.
    let now = Utc::now();
    let pair = config
        .current_pair_of(&mentee, config.sprints.local_date(now))
        .ok_or_else(|| ApiError::NotFound(format!("{login} is not a mentee in the config")))?;
    let rows = state.store.evidence_of(mentee.as_str()).await?;
    let report = mentor_core::evidence::report(&config, pair, &rows, Vantage::GitHub, now);
    Ok(Json(report).into_response())
}

/// Handles `GET /api/v1/mentees/{login}/feedback`: the Conventional Comments counts of the reviews and review
/// comments `login` received (counts only), for the mentee, their mentor or an admin.
pub async fn feedback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    let role = authenticate(&state.store, &headers).await?;
    let mentee = Login::new(&login);
    let config = current_config(&state).await?;
    if !role.may_read_mentee(&config, &mentee) {
        return Err(ApiError::Forbidden("this token may not read that mentee's feedback"));
    }
    if config.pairs_of_mentee(&mentee).next().is_none() {
        return Err(ApiError::NotFound(format!("{login} is not a mentee in the config")));
    }
    let (mix, touchpoints) = state.store.feedback_of(mentee.as_str()).await?;
    Ok(Json(serde_json::json!({ "mentee": mentee, "touchpoints": touchpoints, "feedback": mix }))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for text in ["admin", "manager", "mentor:bob", "mentee:alice"] {
            assert_eq!(Role::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Role::parse("mentee:@alice").unwrap(), Role::Mentee(Login::new("alice")));
        assert!(Role::parse("boss").is_err());
        assert!(Role::parse("mentor:").is_err());
    }
}
