//! The worker: claims queued deliveries and turns them into touchpoints and evidence.
//!
//! Each of N tasks loops: claim one due delivery (atomically, with a lease), normalize it, get the config in
//! force for its repo, enrich the activities, derive touchpoints and evidence with the pure core, and store
//! them together with the `done` mark in one transaction. Transient failures (GitHub 5xx, timeouts) are retried
//! with exponential backoff until `max_attempts`, then the delivery is `failed` with its error; a payload that
//! cannot be understood fails at once. Nothing is dropped silently.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Notify, watch};
use tracing::Instrument;

use crate::config_source::{self, ConfigSource};
use crate::failure::Failure;
use crate::github::GitHubApi;
use crate::inbox::Handoff;
use crate::normalize::{self, Normalized};
use crate::payload::Payload;
use crate::store::{ClaimedDelivery, Finished, InstallationStatus, Outcome, Store};

/// Deliveries one worker task claims (or takes from the handoff) and records at once: one transaction (one
/// fsync) per batch.
///
/// Only a deep queue (or the handoff under load, see [`GATHER`]) fills a batch. Then larger batches mean fewer
/// claim/finish commits competing with webhook commits for the single SQLite writer (measured with
/// `bench/webhook-throughput.sh`: 256 took ~10% less server CPU per delivery than 64; recording results in
/// transactions of 64 instead of one per batch did not lower p99 either). The cost is that a batch's results
/// commit together, after its last delivery.
pub const BATCH: u32 = 256;

/// How often a worker that is fed by the [`Handoff`] still claims from the database: retries that came due and
/// deliveries queued while the handoff was full (or claims of a dead process) wait at most this long.
const DB_CLAIM_INTERVAL: Duration = Duration::from_millis(500);

/// Under load, a worker starts a batch at most this often unless a full batch waits: each batch ends with a
/// commit on the single SQLite writer, which webhook commits wait for, so fewer, larger batches leave it to them.
/// Deliveries wait this much longer to be processed; an idle worker still starts at once.
const GATHER: Duration = Duration::from_millis(50);

/// What the worker tasks share.
pub struct Worker {
    /// The database.
    pub store: Store,
    /// Where configs come from.
    pub configs: Arc<ConfigSource>,
    /// GitHub, for enrichment.
    pub github: Arc<dyn GitHubApi>,
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// How long a claim lasts before another worker may take the delivery over (a crashed replica's work).
    pub lease: Duration,
    /// First retry delay.
    pub retry_base: Duration,
    /// Notified when new deliveries were committed.
    pub wake: Arc<Notify>,
    /// Deliveries claimed for the workers when they were stored.
    pub handoff: Arc<Handoff>,
    /// The runtime that runs write transactions (see `server::WriterThread`).
    pub writer: tokio::runtime::Handle,
    /// The org config states (repositories that count, problems) last written to the store (None: unknown,
    /// write them next time).
    pub recorded_problems: std::sync::Mutex<Option<Vec<(String, crate::config_source::OrgState)>>>,
    /// The domain clock (what is due, stale or current when planning responses).
    pub clock: crate::clock::Clock,
    /// Template sets for review guides.
    pub guides: crate::guide::Guides,
    /// Counts deliveries and their processing time.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// How far back an installation's history is read when it is installed or given repositories (None: not).
    pub backfill_window: Option<chrono::TimeDelta>,
    /// Woken when a finished delivery queued a backfill.
    pub backfill_wake: Arc<Notify>,
}

impl Worker {
    /// Runs one worker task until `shutdown` turns true; finishes the delivery in hand first.
    pub async fn run(
        self: Arc<Self>,
        index: usize,
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        tracing::info!(worker = index, "worker started");
        // None: claim from the database on the first turn.
        let mut last_db_claim: Option<Instant> = None;
        let mut db_backlog = false;
        let mut last_batch: Option<Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Registered before claiming, so a commit between an empty claim and the wait is not missed.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(wait) = last_batch.and_then(|t| GATHER.checked_sub(t.elapsed()))
                && !self.handoff.is_empty()
                && self.handoff.len() < BATCH as usize
            {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
            }
            let mut claimed = self.handoff.take(BATCH as usize);
            // The database is asked when the handoff is empty and a while has passed (or it had more last time),
            // not after every commit: an empty claim still takes a turn on the single SQLite writer.
            let db_due =
                db_backlog || last_db_claim.is_none_or(|t| t.elapsed() >= DB_CLAIM_INTERVAL);
            if db_due {
                last_db_claim = Some(Instant::now());
                match self.claim_from_db().await {
                    Ok(c) => {
                        db_backlog = !c.is_empty();
                        claimed.extend(c);
                    }
                    Err(e) => {
                        db_backlog = false;
                        tracing::warn!(
                            worker = index,
                            error = format!("{e:#}"),
                            "claiming deliveries failed"
                        );
                    }
                }
            }
            match claimed.is_empty() {
                false => {
                    last_batch = Some(Instant::now());
                    self.handle(claimed).await
                }
                true => {
                    // Sleep until new deliveries are committed, a retry may be due, or shutdown.
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(DB_CLAIM_INTERVAL) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
        tracing::info!(worker = index, "worker stopped");
        Ok(())
    }

    /// Claims due deliveries from the database, on the writer thread like every write transaction.
    async fn claim_from_db(&self) -> anyhow::Result<Vec<ClaimedDelivery>> {
        let (store, lease) = (self.store.clone(), self.lease);
        self.writer.spawn(async move { store.claim(Utc::now(), lease, BATCH).await }).await?
    }

    async fn handle(&self, batch: Vec<ClaimedDelivery>) {
        let mut results = Vec::with_capacity(batch.len());
        for mut claim in batch {
            let span = tracing::info_span!("delivery", id = %claim.id, event = %claim.event, attempt = claim.attempts);
            let started = std::time::Instant::now();
            let finished = self.decide(&claim).instrument(span).await;
            let status = match &finished {
                Finished::Done(_) => "done",
                Finished::Retry { .. } => "retry",
                Finished::Failed { .. } => "failed",
            };
            self.metrics.deliveries.with_label_values(&[claim.event.as_str(), status]).inc();
            self.metrics
                .processing
                .with_label_values(&[claim.event.as_str()])
                .observe(started.elapsed().as_secs_f64());
            // The payload (tens of kilobytes) is not needed any more while the rest of the batch is processed.
            claim.payload = None;
            claim.packed = None;
            results.push((claim, finished));
            // A batch is hundreds of deliveries of CPU work: let request handlers waiting on this thread run.
            tokio::task::yield_now().await;
        }
        let now = Utc::now();
        let backfill_queued =
            results.iter().any(|(_, f)| matches!(f, Finished::Done(o) if o.backfill.is_some()));
        // On the writer thread, so the transaction holds the single writer no longer than it must.
        let store = self.store.clone();
        let (results, recorded) = match self
            .writer
            .spawn(async move {
                let recorded = store.finish(&results, now).await;
                (results, recorded)
            })
            .await
        {
            Ok(done) => done,
            Err(e) => {
                // The claims' lease expires and the deliveries are picked up again: nothing is lost.
                tracing::error!(error = %e, "recording the outcome of deliveries failed");
                return;
            }
        };
        if backfill_queued && recorded.is_ok() {
            self.backfill_wake.notify_one();
        }
        match recorded {
            Ok(recorded) if recorded < results.len() => {
                tracing::warn!(
                    lost = results.len() - recorded,
                    "claims lost to another worker; their results were discarded"
                )
            }
            Ok(_) => {}
            // The claims' lease expires and the deliveries are picked up again: nothing is lost.
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                "recording the outcome of deliveries failed"
            ),
        }
        // Org config states are stored for `orgs list` and `deliveries list` (another process), but only when they
        // changed: a write per delivery would cost a commit each.
        let states = self.configs.states();
        let changed: Vec<(String, crate::config_source::OrgState)> = {
            let mut last = self.recorded_problems.lock().unwrap_or_else(|p| p.into_inner());
            let changed = states
                .iter()
                .filter(|s| last.as_ref().is_none_or(|l| !l.contains(s)))
                .cloned()
                .collect();
            *last = Some(states);
            changed
        };
        for (org, state) in &changed {
            if let Err(e) = self
                .store
                .set_org_config_state(
                    org,
                    state.installation_id,
                    &state.repos,
                    &state.problems,
                    now,
                )
                .await
            {
                tracing::warn!(error = format!("{e:#}"), "recording config problems failed");
                *self.recorded_problems.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
        }
    }

    async fn decide(&self, claim: &ClaimedDelivery) -> Finished {
        let now = Utc::now();
        match self.process(claim).await {
            Ok(outcome) => Finished::Done(Box::new(outcome)),
            Err(Failure::Permanent(error)) => {
                tracing::warn!(%error, "delivery failed permanently");
                Finished::Failed { error, at: now }
            }
            Err(Failure::Transient(error)) if claim.attempts < i64::from(self.max_attempts) => {
                let exp =
                    u32::try_from(claim.attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(16);
                let delay = self.retry_base.saturating_mul(2u32.saturating_pow(exp));
                let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                tracing::info!(%error, retry_at = %at, "delivery will be retried");
                Finished::Retry { error, at }
            }
            Err(Failure::Transient(error)) => {
                tracing::warn!(%error, "delivery failed after its last attempt");
                Finished::Failed {
                    error: format!("{error} (gave up after {} attempts)", claim.attempts),
                    at: now,
                }
            }
        }
    }

    async fn process(&self, claim: &ClaimedDelivery) -> Result<Outcome, Failure> {
        let text = claim
            .payload_text()
            .map_err(|e| Failure::Permanent(format!("stored payload is unreadable: {e:#}")))?;
        let Some(text) = text else {
            return Err(Failure::Permanent("delivery has no payload".into()));
        };
        // One typed decode per delivery: only the fields Mentor reads are built.
        let payload = Payload::decode(&claim.event, &text)
            .map_err(|e| Failure::Permanent(format!("cannot use payload: {e}")))?;
        let mut outcome = self.derive(claim, &payload).await?;
        self.respond(claim, &payload, &mut outcome).await?;
        Ok(outcome)
    }

    /// Plans what Mentor writes back to GitHub for this delivery (see `respond`).
    async fn respond(
        &self,
        claim: &ClaimedDelivery,
        payload: &Payload,
        outcome: &mut Outcome,
    ) -> Result<(), Failure> {
        let deps = crate::respond::Responder {
            configs: &self.configs,
            github: self.github.as_ref(),
            store: &self.store,
            guides: &self.guides,
            now: self.clock.now(),
        };
        let response = crate::respond::plan(&deps, &claim.event, payload, outcome).await?;
        outcome.writes.extend(response.writes);
        outcome.evidence.extend(response.evidence);
        outcome.touchpoints.extend(response.touchpoints);
        outcome.feedback.extend(response.feedback);
        outcome.snoozes.extend(response.snoozes);
        if let Some(problem) = response.problem {
            outcome.note = Some(match outcome.note.take() {
                Some(note) => format!("{note}; {problem}"),
                None => problem,
            });
        }
        Ok(())
    }

    async fn derive(&self, claim: &ClaimedDelivery, payload: &Payload) -> Result<Outcome, Failure> {
        let normalized = normalize::normalize(&claim.event, payload)
            .map_err(|e| Failure::Permanent(format!("cannot use payload: {e}")))?;
        match normalized {
            Normalized::Nothing { reason } => {
                tracing::debug!(%reason, "nothing to do");
                // What responding adds (a command's evidence or check-in) still belongs to the org.
                let org = payload
                    .installation
                    .as_ref()
                    .zip(payload.repository.as_ref())
                    .and_then(|(i, r)| config_source::org_of(&r.full_name).map(|o| (o, i.id)));
                Ok(Outcome { note: Some(reason), org, ..Outcome::default() })
            }
            Normalized::ConfigChanged { installation_id, repo } => {
                self.configs.invalidate(&repo);
                Ok(Outcome {
                    note: Some(format!("config of {repo} may have changed; cache dropped")),
                    org: config_source::org_of(&repo).map(|o| (o, installation_id)),
                    ..Outcome::default()
                })
            }
            Normalized::Installation {
                installation_id,
                account,
                action,
                repos_added,
                repos_removed,
                deleted: _,
            } => {
                let status = match (claim.event.as_str(), action.as_str()) {
                    ("installation", "deleted") => Some(InstallationStatus::Deleted),
                    ("installation", "suspend") => Some(InstallationStatus::Suspended),
                    ("installation", "created" | "unsuspend" | "new_permissions_accepted") => {
                        Some(InstallationStatus::Active)
                    }
                    _ => None,
                };
                if status.is_some() {
                    self.configs.forget_org(&account);
                } else {
                    self.configs.invalidate_org(&account);
                }
                for repo in repos_added.iter().chain(&repos_removed) {
                    self.configs.invalidate(repo);
                }
                tracing::info!(
                    installation_id,
                    org = %account,
                    ?status,
                    added = repos_added.len(),
                    removed = repos_removed.len(),
                    "installation changed"
                );
                let note = match status {
                    Some(InstallationStatus::Deleted) => Some(format!(
                        "the App was uninstalled from {account}: its program stopped (no more GitHub writes; data kept)"
                    )),
                    Some(InstallationStatus::Suspended) => Some(format!(
                        "the App was suspended in {account}: no GitHub writes until it is unsuspended"
                    )),
                    _ => None,
                };
                // A new installation, or repositories added to one: read their history (see `backfill`).
                let added = matches!(
                    (claim.event.as_str(), action.as_str()),
                    ("installation", "created") | ("installation_repositories", "added")
                );
                let backfill = match self.backfill_window {
                    Some(window) if added && !repos_added.is_empty() => {
                        Some((self.clock.now() - window, repos_added))
                    }
                    _ => None,
                };
                Ok(Outcome {
                    org: Some((account, installation_id)),
                    org_status: status,
                    note,
                    backfill,
                    ..Outcome::default()
                })
            }
            Normalized::Activities { installation_id, repo, activities } => {
                let config = self.configs.config_for(installation_id, &repo).await?;
                let Some(config) = config else {
                    return Ok(Outcome {
                        note: Some(format!("no mentorship config for {repo}; Mentor is off there")),
                        org: config_source::org_of(&repo).map(|o| (o, installation_id)),
                        ..Outcome::default()
                    });
                };
                let (touchpoints, evidence) = crate::derive::activities(
                    self.github.as_ref(),
                    &config,
                    installation_id,
                    &repo,
                    activities,
                )
                .await?;
                let outcome = Outcome {
                    repo: Some((repo.clone(), installation_id)),
                    org: config_source::org_of(&repo).map(|o| (o, installation_id)),
                    touchpoints,
                    evidence,
                    ..Outcome::default()
                };
                tracing::debug!(
                    touchpoints = outcome.touchpoints.len(),
                    evidence = outcome.evidence.len(),
                    "processed"
                );
                Ok(outcome)
            }
        }
    }
}
