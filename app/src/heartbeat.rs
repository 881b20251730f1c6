//! The heartbeat: every third of a lease, this process renews the leases of the deliveries it is processing and
//! the GitHub writes it is sending. Leases can then be short — a replica that dies (kill -9, a lost machine) has
//! its claims taken over by another within one lease — while work still in a live process's hands, however
//! slow, is never taken from it and done twice.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::store::Store;

/// Renews this process's claims until `stop` turns true: deliveries for `claims`, writes for `writes`.
pub async fn run(
    store: Store,
    claims: Duration,
    writes: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let every = (claims.min(writes) / 3).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
        let now = Utc::now();
        // A failed renewal is retried at the next beat; a lease still has two beats to run.
        if let Err(e) = store.renew_claims(now, claims).await {
            tracing::warn!(error = format!("{e:#}"), "renewing delivery claims failed");
        }
        if let Err(e) = store.renew_writes(now, writes).await {
            tracing::warn!(error = format!("{e:#}"), "renewing GitHub write claims failed");
        }
    }
}
