//! The HTTP side: the state request handlers share and one router merged from each area's own.
//!
//! Areas: [`webhook`] (`POST /webhook`) and [`api`] (`/api/v1/…`); health checks live here. Each area owns its
//! routes; startup (`server`) only builds the state and serves [`router`].

pub mod api;
pub mod auth;
pub mod calendar;
pub mod dashboard;
pub mod pages;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::config_source::ConfigSource;
use crate::inbox::Inbox;
use crate::settings::Secret;
use crate::store::Store;

/// What request handlers share.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Webhook secrets (any verifies).
    pub secrets: Vec<Secret>,
    /// The group-commit writer.
    pub inbox: Inbox,
    /// Configs in force, shared with the worker.
    pub configs: Arc<ConfigSource>,
    /// The domain clock (which sprint is current, what is stale).
    pub clock: Clock,
    /// Sign in with GitHub, when the App's client id is configured (else the dashboard is off).
    pub sign_in: Option<Arc<auth::SignIn>>,
    /// The page templates.
    pub pages: pages::Pages,
    /// `mentor-app demo`: `/demo/login?as=<login>` signs in without GitHub (refused otherwise).
    pub demo: bool,
    /// GitHub, for roles (org owners, manager teams).
    pub github: Arc<dyn crate::github::GitHubApi>,
    /// Roles per org and person, cached.
    pub roles: dashboard::RoleCache,
}

/// Returns the router with every route and the shared layers.
pub fn router(state: Arc<AppState>, max_body: usize, timeout: Duration) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(webhook::router(max_body))
        .merge(api::router())
        .merge(auth::router())
        .merge(pages::router())
        .merge(dashboard::router())
        .merge(calendar::router())
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        // Pages and reports are repetitive text: gzip when the client asks (a load page of 200 mentors shrinks
        // several times over).
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
