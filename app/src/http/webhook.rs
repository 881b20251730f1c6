//! `POST /webhook`: verifies, classifies and durably queues GitHub deliveries, then answers.
//!
//! Order matters: the signature is checked over the raw body before anything is parsed (401), then the headers
//! (400), then the JSON (400). Relevant deliveries go to the [`Inbox`](crate::inbox::Inbox), whose single writer
//! task commits them in batches (group commit): a request is answered 202 only after the transaction holding its
//! row committed. Processing never happens here (see `worker`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde::Deserialize;

use super::AppState;
use crate::error::ApiError;
use crate::normalize;
use crate::store::{DeliveryStatus, NewDelivery};
use crate::webhook::verify_signature;

/// Returns the webhook route, accepting bodies up to `max_body` bytes.
pub fn router(max_body: usize) -> Router<Arc<AppState>> {
    Router::new().route("/webhook", post(receive).layer(DefaultBodyLimit::max(max_body)))
}

/// The few payload fields read in the request path; deserializing into it also validates the whole document.
#[derive(Deserialize)]
struct PayloadHead {
    action: Option<String>,
}

/// Handles `POST /webhook`.
pub async fn receive(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    let Some(signature) = signature else {
        return Err(ApiError::Unauthorized("missing X-Hub-Signature-256 header"));
    };
    if !verify_signature(&state.secrets, &body, signature) {
        return Err(ApiError::Unauthorized("invalid signature"));
    }
    let header = |name: &'static str| -> Result<String, ApiError> {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ApiError::BadRequest(format!("missing {name} header")))
    };
    let event = header("x-github-event")?;
    let delivery = header("x-github-delivery")?;
    if event == "ping" {
        return Ok(StatusCode::OK);
    }
    let head: PayloadHead = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON payload: {e}")))?;
    let relevant = normalize::is_relevant(&event, head.action.as_deref());
    let payload = if relevant {
        // Valid JSON is valid UTF-8, so this only fails on input serde already rejected.
        Some(
            String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::BadRequest("payload is not UTF-8".into()))?,
        )
    } else {
        None
    };
    // Compressed here, where requests run on every core, not in the inbox's writer between two commits.
    let packed = payload.as_deref().and_then(|p| state.store.pack_payload(p));
    let status = if relevant { DeliveryStatus::Pending } else { DeliveryStatus::Ignored };
    state
        .inbox
        .write(NewDelivery { id: delivery, event, action: head.action, status, payload, packed })
        .await?;
    Ok(StatusCode::ACCEPTED)
}
