//! Nudges: each quiet pair's reminder and escalation, planned as comments on its growth journal (core's
//! [`mentor_core::nudge`] decides what and when; the [`crate::scheduler`] asks every tick).
//!
//! Markers name the org, the pair and the quiet episode, so planning the same text again changes nothing; the
//! text changes once a day (the day count), which edits the same comment. Nudges need `privacy.journal_repo`:
//! without a journal there is nowhere private to write them, and the org's pairs are skipped.

use crate::outbox::{self, Write};
use crate::store::{PlannedWrite, Store};
use chrono::{DateTime, Utc};
use mentor_core::Config;
use mentor_core::evidence::Vantage;
use mentor_core::nudge::{self, PairState};

/// Returns the writes the nudges of one org call for.
pub async fn org_writes(
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
    let (pairs, last) = crate::reports::active_pairs_with_last(store, org, config, now).await?;
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
        let journal = outbox::journal_marker(org, pair.mentor.as_str(), pair.mentee.as_str());
        if !store.outbox_has(&journal).await? {
            // The journal a nudge comments on is written first.
            let body = outbox::with_marker(
                &mentor_core::journal::body(config, pair, &rows, now),
                &journal,
            );
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
