//! The HTTP side: the state request handlers share and one router merged from each area's own.
//!
//! Areas: [`webhook`] (`POST /webhook`) and [`api`] (`/api/v1/…`); health checks live here. Each area owns its
//! routes; startup (`server`) only builds the state and serves [`router`].

pub mod api;
pub mod auth;
pub mod calendar;
pub mod dashboard;
pub mod pages;
pub mod program;
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
    /// Counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<Secret>,
}

/// Returns the router with every route and the shared layers.
pub fn router(state: Arc<AppState>, max_body: usize, timeout: Duration) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(webhook::router(max_body))
        .merge(api::router())
        .merge(program::router())
        .merge(auth::router())
        .merge(pages::router())
        .merge(dashboard::router())
        .merge(calendar::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), count_request))
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        // Pages and reports are repetitive text: gzip when the client asks (a load page of 200 mentors shrinks
        // several times over).
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// Counts each answered request by its route pattern (not its path: ids would make a series each).
async fn count_request(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .http
        .with_label_values(&[route.as_str(), method.as_str(), response.status().as_str()])
        .inc();
    response
}

/// `GET /metrics`: Prometheus' text format; with `MENTOR_METRICS_TOKEN` set, only for that bearer token.
async fn metrics(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.expose().as_bytes()).into();
        if !same {
            return (
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token (MENTOR_METRICS_TOKEN)",
            )
                .into_response();
        }
    }
    match state.metrics.render(&state.store, state.github.as_ref()).await {
        Ok(text) => {
            ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "rendering metrics failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
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
