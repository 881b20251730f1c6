//! `POST /orgs/{org}/calendar`: a signed-in person makes the address of their check-in calendar feed (a new
//! `calendar:<login>` token each time; the address is shown once, like any token). Refused from other sites.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::{AppState, access};
use crate::http::auth::{Viewer, base_url, from_this_site};
use crate::token::{Role, create_token};

/// `POST /orgs/{org}/calendar`.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Response {
    if from_this_site(&state, &headers) != Some(true) {
        return state.pages.message(
            StatusCode::FORBIDDEN,
            viewer.login(),
            state.sign_in.is_some(),
            "Request refused",
            "This request did not come from a page of this site, so it was not carried out.",
            "Use the button on your page (/me).",
        );
    }
    let access = match access(&state, &viewer, &org, "/me").await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let token = match create_token(&state.store, &access.org, &Role::Calendar(access.login.clone()))
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "creating a calendar token failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    let url = format!("{}/orgs/{}/calendar/{token}.ics", base_url(&state, &headers), access.org);
    state.pages.render(
        StatusCode::OK,
        "calendar.html",
        context! { viewer => access.login.as_str(), sign_in => true, org => access.org, url },
    )
}
