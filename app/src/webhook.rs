//! `POST /webhook`: verifies, classifies and durably queues GitHub deliveries, then answers.
//!
//! Order matters: the signature is checked over the raw body before anything is parsed (401), then the headers
//! (400), then the JSON (400). Relevant deliveries go to the [`Inbox`], whose single writer task commits them in
//! batches (group commit): a request is answered 202 only after the transaction holding its row committed, so
//! every 2xx is durable while one fsync serves many requests. Processing never happens here (see `worker`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::error::ApiError;
use crate::normalize;
use crate::server::AppState;
use crate::settings::Secret;
use crate::store::{ClaimedDelivery, NewDelivery, Store};
use crate::worker::Handoff;

/// Largest number of deliveries committed in one transaction.
const MAX_BATCH: usize = 1024;

/// Returns true when `signature_header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under any of `secrets`.
///
/// The comparison is constant-time (`Mac::verify_slice`), so timing does not reveal how much of a guess matched.
pub fn verify_signature(secrets: &[Secret], body: &[u8], signature_header: &str) -> bool {
    let Some(hex_sig) = signature_header.strip_prefix("sha256=") else { return false };
    let Ok(expected) = hex::decode(hex_sig.trim()) else { return false };
    secrets.iter().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    })
}

/// Returns the `X-Hub-Signature-256` header value for `body` signed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
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
    let status = if relevant { "pending" } else { "ignored" };
    state
        .inbox
        .write(NewDelivery { id: delivery, event, action: head.action, status, payload, packed })
        .await?;
    Ok(StatusCode::ACCEPTED)
}

struct InboxItem {
    delivery: NewDelivery,
    done: oneshot::Sender<Result<(), String>>,
}

/// The sending side of the group-commit writer.
#[derive(Clone)]
pub struct Inbox {
    tx: mpsc::Sender<InboxItem>,
}

impl Inbox {
    /// Starts the writer task on `writer` (a runtime of its own, see `server`) over `store`; `committed` is
    /// notified after each commit (wakes the workers).
    ///
    /// While the `handoff` has room, the pending deliveries of a batch are claimed for `lease` in the same
    /// transaction and handed to the workers with their payloads (see [`Handoff`]).
    ///
    /// The task ends when every `Inbox` clone is dropped, after committing what it already received.
    pub fn start(
        writer: &tokio::runtime::Handle,
        store: Store,
        committed: Arc<Notify>,
        handoff: Arc<Handoff>,
        lease: Duration,
    ) -> (Inbox, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<InboxItem>(8 * MAX_BATCH);
        let task = writer.spawn(async move {
            let mut batch: Vec<InboxItem> = Vec::with_capacity(MAX_BATCH);
            let mut rows: Vec<NewDelivery> = Vec::with_capacity(MAX_BATCH);
            let mut replies: Vec<oneshot::Sender<Result<(), String>>> =
                Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                // Moved, not cloned: a payload is tens of kilobytes.
                for item in batch.drain(..) {
                    rows.push(item.delivery);
                    replies.push(item.done);
                }
                let result = write_with_retry(&store, &rows, lease, handoff.room()).await;
                let mut claims: Vec<ClaimedDelivery> = Vec::new();
                match &result {
                    Ok(claimed) => {
                        // Moved out of the rows: they are cleared below.
                        for &i in claimed {
                            if let Some(d) = rows.get_mut(i) {
                                claims.push(ClaimedDelivery {
                                    id: std::mem::take(&mut d.id),
                                    event: std::mem::take(&mut d.event),
                                    // Packed when the store packs (SQLite): the handoff then holds a few
                                    // kilobytes per delivery instead of tens.
                                    payload: if d.packed.is_some() {
                                        None
                                    } else {
                                        d.payload.take()
                                    },
                                    packed: d.packed.take(),
                                    attempts: 1,
                                });
                            }
                        }
                    }
                    Err(e) => {
                        tracing::error!(
                            error = format!("{e:#}"),
                            batch = rows.len(),
                            "inbox commit failed"
                        );
                    }
                }
                let reply = result.map(|_| ()).map_err(|e| format!("{e:#}"));
                rows.clear();
                for done in replies.drain(..) {
                    let _ = done.send(reply.clone());
                }
                let refused = handoff.push(claims);
                committed.notify_waiters();
                if !refused.is_empty()
                    && let Err(e) = store.release(&refused).await
                {
                    // Their lease runs out instead: nothing is lost, it takes longer.
                    tracing::warn!(error = format!("{e:#}"), "releasing claims failed");
                }
            }
            tracing::debug!("inbox writer stopped");
        });
        (Inbox { tx }, task)
    }

    /// Writes `delivery` durably; returns once its batch committed.
    pub async fn write(&self, delivery: NewDelivery) -> Result<(), ApiError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(InboxItem { delivery, done })
            .await
            .map_err(|_| ApiError::Unavailable("shutting down"))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ApiError::Internal(anyhow::anyhow!("inbox commit failed: {e}"))),
            Err(_) => Err(ApiError::Unavailable("shutting down")),
        }
    }
}

/// Commits `rows`, claiming up to `claims` of them for `lease`; returns the indices claimed.
async fn write_with_retry(
    store: &Store,
    rows: &[NewDelivery],
    lease: Duration,
    claims: usize,
) -> anyhow::Result<Vec<usize>> {
    // A busy SQLite file (another process holding the write lock past busy_timeout) is worth one more try.
    match store.insert_and_claim(rows, chrono::Utc::now(), lease, claims).await {
        Ok(claimed) => Ok(claimed),
        Err(first) => {
            tracing::warn!(error = format!("{first:#}"), "inbox commit failed, retrying once");
            tokio::time::sleep(Duration::from_millis(50)).await;
            store.insert_and_claim(rows, chrono::Utc::now(), lease, claims).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of GitHub's docs (/work/shared/corpus/signature-test-vector.txt).
    const VECTOR_SIG: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_test_vector_verifies() {
        let secrets = [Secret::new("It's a Secret to Everybody")];
        assert!(verify_signature(&secrets, b"Hello, World!", VECTOR_SIG));
        assert_eq!(sign("It's a Secret to Everybody", b"Hello, World!"), VECTOR_SIG);
    }

    #[test]
    fn wrong_secret_body_or_format_fails() {
        let secrets = [Secret::new("It's a Secret to Everybody")];
        assert!(!verify_signature(&[Secret::new("other")], b"Hello, World!", VECTOR_SIG));
        assert!(!verify_signature(&secrets, b"Hello, World?", VECTOR_SIG));
        assert!(!verify_signature(
            &secrets,
            b"Hello, World!",
            &VECTOR_SIG.replace("sha256=", "sha1=")
        ));
        assert!(!verify_signature(&secrets, b"Hello, World!", "sha256=zz"));
        assert!(!verify_signature(&secrets, b"Hello, World!", ""));
    }

    #[test]
    fn any_rotated_secret_verifies() {
        let secrets = [Secret::new("old"), Secret::new("It's a Secret to Everybody")];
        assert!(verify_signature(&secrets, b"Hello, World!", VECTOR_SIG));
    }
}
