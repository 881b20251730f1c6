//! `GET /orgs/{org}/calendar/{token}.ics`: a person's check-in calendar, for calendar apps to subscribe to.
//!
//! Calendar apps cannot sign in, so the feed's address carries a token of role `calendar:<login>` (made with
//! `mentor-app token create --role calendar:<login>`), which reads this feed and nothing else. A wrong or
//! revoked token, another org's token or another role's is "not found": the address gives nothing away.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mentor_core::Login;

use super::AppState;
use crate::token::{Role, token_hash};

/// Returns the calendar route.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/orgs/{org}/calendar/{file}", get(feed))
}

async fn feed(
    State(state): State<Arc<AppState>>,
    Path((org, file)): Path<(String, String)>,
) -> Response {
    let not_found = || {
        (StatusCode::NOT_FOUND, "no such calendar: ask for a new address (`mentor-app token create --role calendar:<login>`)")
            .into_response()
    };
    let Some(token) = file.strip_suffix(".ics") else { return not_found() };
    let org = org.to_ascii_lowercase();
    let login: Login = match state.store.token_grant(&token_hash(token)).await {
        Ok(Some((token_org, role))) if token_org == org => match Role::parse(&role) {
            Ok(Role::Calendar(login)) => login,
            _ => return not_found(),
        },
        Ok(_) => return not_found(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "reading a calendar token failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    let config = match state.store.org(&org).await {
        Ok(Some(row)) => match state.configs.org_config(row.installation_id, &row.org).await {
            Ok(Some(c)) => Arc::clone(&c.config),
            _ => return not_found(),
        },
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "reading the org failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    let ics = mentor_core::calendar::feed(&config, &org, &login, state.clock.now());
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=900"),
        ],
        ics,
    )
        .into_response()
}
