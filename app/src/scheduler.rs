//! The scheduler inside the server: once a minute, every active org's nudges ([`crate::nudges`]) and weekly
//! digest ([`crate::digest`]) are planned in the outbox; at most every [`HOUSEKEEPING_EVERY`], old data is
//! deleted (raw webhook payloads past `MENTOR_PAYLOAD_RETENTION`, access-log rows past a year).
//!
//! A tick only *plans* writes, keyed by markers: planning the same text again changes nothing, so a tick is
//! idempotent; of several replicas on one PostgreSQL only the holder of the `scheduler` lease ticks, and should two
//! ever overlap, each write is still planned once (the outbox's unique marker) and sent once (the sender's lease).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::config_source::ConfigSource;
use crate::store::Store;

/// The name of the scheduler's lease.
const LEASE: &str = "scheduler";

/// How often an org's weekly digest is refreshed at most.
pub const DIGEST_EVERY: Duration = Duration::from_secs(15 * 60);

/// How often the scheduler ticks.
pub const TICK: Duration = Duration::from_secs(60);

/// How often old data is deleted at most (each pass walks an index over the old rows).
pub const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(15 * 60);

/// The scheduler task.
pub struct Scheduler {
    /// The database.
    pub store: Store,
    /// The orgs' configs.
    pub configs: Arc<ConfigSource>,
    /// The domain clock.
    pub clock: Clock,
    /// Wakes the outbox sender when something was planned.
    pub wake: Arc<Notify>,
    /// Time between ticks.
    pub every: Duration,
    /// When each org's digest was last refreshed by this replica.
    pub digested: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// How long raw payloads of finished deliveries are kept (None: forever).
    pub payload_retention: Option<chrono::TimeDelta>,
    /// When this replica last deleted old data.
    pub housekept: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Scheduler {
    /// Ticks at start and then every [`Scheduler::every`] until `shutdown` turns true. Of several replicas, the
    /// one holding the scheduler lease ticks; the others take it over within [`Scheduler::lease_ttl`] when it stops.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        tracing::info!(every_s = self.every.as_secs(), "scheduler started");
        let holder = hex::encode(rand::random::<[u8; 8]>());
        loop {
            let held = self
                .store
                .acquire_lease(LEASE, &holder, Utc::now(), self.lease_ttl())
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = format!("{e:#}"), "taking the scheduler lease failed");
                    false
                });
            let result = if held { self.tick(self.clock.now()).await } else { Ok(0) };
            match result {
                Ok(0) => {}
                Ok(planned) => {
                    tracing::info!(planned, "nudges planned");
                    self.wake.notify_one();
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "nudge tick failed"),
            }
            if held && let Err(e) = self.housekeeping(Utc::now()).await {
                tracing::warn!(error = format!("{e:#}"), "deleting old data failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = shutdown.changed() => break,
            }
        }
        if let Err(e) = self.store.release_lease(LEASE, &holder).await {
            tracing::warn!(error = format!("{e:#}"), "giving the scheduler lease up failed");
        }
        tracing::info!("scheduler stopped");
        Ok(())
    }

    /// How long a tick's lease lasts: a little over one interval, renewed by the next tick.
    pub fn lease_ttl(&self) -> Duration {
        self.every + Duration::from_secs(5)
    }
}

impl Scheduler {
    /// Deletes old data when [`HOUSEKEEPING_EVERY`] has passed since this replica last did (or it never did):
    /// raw payloads of deliveries finished before `now` minus the payload retention, and access-log rows older
    /// than [`crate::store::ACCESS_LOG_KEEP`]. `now` is the wall clock: queue times are. Returns true if it ran.
    pub async fn housekeeping(&self, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let due = self
            .housekept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none_or(|at| at.elapsed() >= HOUSEKEEPING_EVERY.min(self.every * 15));
        if !due {
            return Ok(false);
        }
        if let Some(keep) = self.payload_retention {
            let cleared = self.store.clear_payloads(now - keep, now).await?;
            if cleared > 0 {
                tracing::info!(cleared, "raw payloads past their retention cleared");
            }
        }
        let pruned = self.store.prune_access_log(now - crate::store::ACCESS_LOG_KEEP).await?;
        if pruned > 0 {
            tracing::info!(pruned, "access-log rows older than a year deleted");
        }
        *self.housekept.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        Ok(true)
    }

    /// Plans the nudges every active org calls for at `now`, and refreshes each org's digest when
    /// [`DIGEST_EVERY`] has passed since this replica last did (a digest reads the whole org's load and
    /// evidence, and nobody needs it fresher); returns how many writes it planned (writes already planned with the
    /// same text are counted but change nothing).
    pub async fn tick(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let (store, configs) = (&self.store, &*self.configs);
        let mut planned = 0;
        for row in store
            .orgs()
            .await?
            .into_iter()
            .filter(|r| r.status == crate::store::InstallationStatus::Active)
        {
            let config = match configs.org_config(row.installation_id, &row.org).await {
                Ok(Some(c)) => Arc::clone(&c.config),
                Ok(None) => continue,
                Err(e) => {
                    tracing::debug!(org = %row.org, error = %e, "no usable config: no nudges");
                    continue;
                }
            };
            let mut writes =
                crate::nudges::org_writes(store, &row.org, row.installation_id, &config, now)
                    .await?;
            let digest_due = self
                .digested
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&row.org)
                .is_none_or(|at| at.elapsed() >= DIGEST_EVERY);
            if digest_due {
                writes.extend(
                    crate::digest::org_writes(store, &row.org, row.installation_id, &config, now)
                        .await?,
                );
            }
            planned += writes.len();
            // Queue times are the wall clock's (the sender compares them with it); `now` is domain time.
            store.plan_writes(&row.org, &writes, Utc::now()).await?;
            if digest_due {
                self.digested
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(row.org.clone(), std::time::Instant::now());
            }
        }
        Ok(planned)
    }
}
