//! The nudge scheduler: once a minute, every active org's quiet pairs get their reminder and escalation planned
//! as comments on their growth journal (core's [`mentor_core::nudge`] decides what and when).
//!
//! A tick only *plans* writes into the outbox, keyed by markers that name the org, the pair and the quiet episode:
//! planning the same text again changes nothing, so a tick is idempotent, and several replicas ticking at once on
//! one PostgreSQL plan each nudge once (the outbox's unique marker) and send it once (the sender's lease). The
//! text changes once a day (the day count), which edits the same comment. Nudges need `privacy.journal_repo`:
//! without a journal there is nowhere private to write them, and the org's pairs are skipped.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mentor_core::config::PairStatus;
use mentor_core::evidence::Vantage;
use mentor_core::nudge::{self, PairState};
use mentor_core::{Config, Login};
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::config_source::ConfigSource;
use crate::outbox::{self, Write};
use crate::respond::journal_body;
use crate::store::{PlannedWrite, Store};

/// How often the scheduler ticks.
pub const TICK: Duration = Duration::from_secs(60);

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
}

impl Scheduler {
    /// Ticks at start and then every [`Scheduler::every`] until `shutdown` turns true.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        tracing::info!(every_s = self.every.as_secs(), "nudge scheduler started");
        loop {
            match tick(&self.store, &self.configs, self.clock.now()).await {
                Ok(0) => {}
                Ok(planned) => {
                    tracing::info!(planned, "nudges planned");
                    self.wake.notify_one();
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "nudge tick failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = shutdown.changed() => break,
            }
        }
        tracing::info!("nudge scheduler stopped");
        Ok(())
    }
}

/// Plans the nudges every active org calls for at `now`; returns how many writes it planned (writes already
/// planned with the same text are counted but change nothing).
pub async fn tick(
    store: &Store,
    configs: &ConfigSource,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut planned = 0;
    for row in store.orgs().await?.into_iter().filter(|r| r.status == "active") {
        let config = match configs.org_config(row.installation_id, &row.org).await {
            Ok(Some(c)) => Arc::clone(&c.config),
            Ok(None) => continue,
            Err(e) => {
                tracing::debug!(org = %row.org, error = %e, "no usable config: no nudges");
                continue;
            }
        };
        let writes = org_writes(store, &row.org, row.installation_id, &config, now).await?;
        planned += writes.len();
        // Queue times are the wall clock's (the sender compares them with it); `now` is domain time.
        store.plan_writes(&row.org, &writes, Utc::now()).await?;
    }
    Ok(planned)
}

/// Returns the writes the nudges of one org call for.
async fn org_writes(
    store: &Store,
    org: &str,
    installation_id: u64,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<PlannedWrite>> {
    let Some(journal_repo) = config.privacy.journal_repo.as_deref() else { return Ok(Vec::new()) };
    if !config.nudges.enabled {
        return Ok(Vec::new());
    }
    let today = config.sprints.local_date(now);
    let pairs: Vec<_> =
        config.pairs.iter().filter(|p| p.status == PairStatus::Active && p.covers(today)).collect();
    let keys: Vec<(Login, Login)> =
        pairs.iter().map(|p| (p.mentor.clone(), p.mentee.clone())).collect();
    let last = store.last_touchpoints(org, &keys, now).await?;
    let snoozes = store.snoozes_of(org).await?;
    let mut writes = Vec::new();
    for pair in pairs {
        let key = (pair.mentor.clone(), pair.mentee.clone());
        let mut state = PairState {
            pair,
            last_touchpoint: last.get(&key).copied(),
            snoozed_until: snoozes.get(&key).copied(),
            milestones: None,
        };
        // Cheap check first: most pairs are not quiet, and need no evidence read.
        if nudge::nudges(config, &state, now).is_empty() {
            continue;
        }
        let rows = store.evidence_of(org, pair.mentee.as_str()).await?;
        let report = mentor_core::evidence::report(config, pair, &rows, Vantage::GitHub, now);
        state.milestones = Some(&report);
        let journal = format!("journal:{}/{}", pair.mentor, pair.mentee);
        if !store.outbox_has(&journal).await? {
            // The journal a nudge comments on is written first.
            let body = outbox::with_marker(&journal_body(config, pair, &rows, now), &journal);
            let write = Write::Issue { title: format!("Growth journal: @{}", pair.mentee), body };
            writes.push(outbox::plan(journal.clone(), installation_id, journal_repo, &write));
        }
        for n in nudge::nudges(config, &state, now) {
            // Scoped by org: the same logins may pair in two orgs.
            let marker = match n.marker.split_once(':') {
                Some((kind, rest)) => format!("{kind}:{org}:{rest}"),
                None => format!("{org}:{}", n.marker),
            };
            let write = Write::JournalComment {
                journal: journal.clone(),
                body: outbox::with_marker(&n.body, &marker),
            };
            writes.push(outbox::plan(marker, installation_id, journal_repo, &write));
        }
    }
    Ok(writes)
}
