//! The inbox: the group-commit writer that makes webhook deliveries durable, and the handoff of deliveries it
//! claimed straight to the workers.
//!
//! Request handlers hand each delivery to the [`Inbox`]; its single writer task commits them in batches (one
//! transaction, one fsync for many requests) and answers each request only after its row committed, so every 2xx
//! is durable. New deliveries are claimed for the workers in that same transaction and queued in the [`Handoff`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::error::ApiError;
use crate::store::{ClaimedDelivery, NewDelivery, Store};
use crate::worker::BATCH;

/// Largest number of deliveries committed in one transaction.
const MAX_BATCH: usize = 1024;

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

/// Deliveries the inbox writer claimed for the workers in the transaction that stored them
/// ([`Store::insert_and_claim`]), waiting in memory with their payloads.
///
/// This spares the common case a claim statement on the single SQLite writer and the payload read. Payloads wait
/// packed as the store keeps them (a few kilobytes, not tens) and are unpacked by the worker. A claim made here is an ordinary claim (status `processing`, attempt 1, a lease): if the
/// process dies first, the lease runs out or the next start on SQLite releases it, and it is claimed again.
/// The handoff only takes deliveries while workers run, and at most [`Handoff::CAPACITY`] (memory is bounded:
/// the rest is queued in the database as before).
#[derive(Default)]
pub struct Handoff {
    queue: Mutex<HandoffQueue>,
}

#[derive(Default)]
struct HandoffQueue {
    open: bool,
    items: VecDeque<ClaimedDelivery>,
}

impl Handoff {
    /// The most deliveries waiting in memory (each with its payload, packed on SQLite).
    pub const CAPACITY: usize = 2 * BATCH as usize;

    fn queue(&self) -> std::sync::MutexGuard<'_, HandoffQueue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns how many more deliveries the handoff takes now (0 while no worker runs).
    pub fn room(&self) -> usize {
        let q = self.queue();
        if q.open { Self::CAPACITY.saturating_sub(q.items.len()) } else { 0 }
    }

    /// Queues claimed deliveries for the workers; returns those it did not take (it closed meanwhile).
    pub fn push(&self, claims: Vec<ClaimedDelivery>) -> Vec<ClaimedDelivery> {
        let mut q = self.queue();
        if !q.open {
            return claims;
        }
        q.items.extend(claims);
        Vec::new()
    }

    /// Returns how many deliveries wait.
    pub fn len(&self) -> usize {
        self.queue().items.len()
    }

    /// Returns true when no delivery waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes up to `max` deliveries, oldest first.
    pub fn take(&self, max: usize) -> Vec<ClaimedDelivery> {
        let mut q = self.queue();
        let n = max.min(q.items.len());
        q.items.drain(..n).collect()
    }

    /// Starts taking deliveries (workers run).
    pub fn open(&self) {
        self.queue().open = true;
    }

    /// Stops taking deliveries and returns those still waiting, so their claims can be released.
    pub fn close(&self) -> Vec<ClaimedDelivery> {
        let mut q = self.queue();
        q.open = false;
        q.items.drain(..).collect()
    }
}
