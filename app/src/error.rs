//! The HTTP error type: one enum for every route, turned into a status and a `{"error": "..."}` body.
//!
//! Client errors carry their message; internal errors are logged here with their full chain and answered with
//! a fixed generic text, so no internal detail (SQL, paths, secrets) ever reaches a client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or bad credentials (token or webhook signature).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: the credentials do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: nothing there.
    #[error("{0}")]
    NotFound(String),
    /// 503: the server cannot take it right now.
    #[error("{0}")]
    Unavailable(&'static str),
    /// 500: anything else; logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(serde_json::json!({"error": "internal error"})),
                )
                    .into_response();
            }
        };
        (status, Json(serde_json::json!({"error": self.to_string()}))).into_response()
    }
}
