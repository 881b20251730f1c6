//! The weekly digest for managers: one issue per org and week in `privacy.journal_repo`, edited in place as the
//! week goes on (core's [`mentor_core::digest`] writes the text). It is written for programs that have managers
//! (`privacy.managers`): with none, nobody would read it.

use chrono::{DateTime, Utc};
use mentor_core::digest::{self, QuietPair};
use mentor_core::evidence::Vantage;
use mentor_core::nudge::{PairState, episode_start};
use mentor_core::{Config, Login};

use crate::outbox::{self, Write};
use crate::store::{PlannedWrite, Store};

/// Returns the digest write of one org for the week of `now` (none without a journal repository or managers).
pub async fn org_writes(
    store: &Store,
    org: &str,
    installation_id: u64,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<PlannedWrite>> {
    let Some(repo) = config.privacy.journal_repo.as_deref() else { return Ok(Vec::new()) };
    if config.privacy.managers.is_empty() {
        return Ok(Vec::new());
    }
    let load = crate::reports::load_report(store, org, config, "current", now).await?;
    let today = config.sprints.local_date(now);
    let (active, last) = crate::reports::active_pairs_with_last(store, org, config, now).await?;
    let stale_after = config.touchpoints.stale_after.to_chrono();
    let escalate_after = config.escalate_after().to_chrono();
    let mut quiet = Vec::new();
    for pair in &active {
        let state = PairState {
            pair,
            last_touchpoint: last.get(&(pair.mentor.clone(), pair.mentee.clone())).copied(),
            snoozed_until: None,
            milestones: None,
        };
        let since = now - episode_start(config, &state);
        if since >= stale_after {
            quiet.push(QuietPair {
                mentor: pair.mentor.clone(),
                mentee: pair.mentee.clone(),
                days: since.num_days(),
                escalated: since >= escalate_after,
            });
        }
    }
    let evidence = store.evidence_of_org(org).await?;
    let mut mentees: Vec<&Login> = config.pairs.iter().map(|p| &p.mentee).collect();
    mentees.sort();
    mentees.dedup();
    let reports: Vec<_> = mentees
        .into_iter()
        .filter_map(|mentee| {
            let pair = config.current_pair_of(mentee, today)?;
            let rows: Vec<_> = evidence.iter().filter(|e| &e.mentee == mentee).cloned().collect();
            Some(mentor_core::evidence::report(config, pair, &rows, Vantage::GitHub, now))
        })
        .collect();
    let monday = digest::week_of(config, now);
    let marker = format!("digest:{org}:{monday}");
    let body = outbox::with_marker(&digest::body(config, monday, &load, &quiet, &reports), &marker);
    let write = Write::Issue { title: digest::title(monday), body };
    Ok(vec![outbox::plan(marker, installation_id, repo, &write)])
}
