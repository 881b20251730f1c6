//! Reports read from the store for one org, shared by the API, the pages and the scheduler: the load of a sprint.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mentor_core::config::{Pair, PairStatus};
use mentor_core::load::LoadReport;
use mentor_core::sprint::SprintError;
use mentor_core::{Config, Login};

use crate::store::Store;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The sprint selector is not `current`, `previous` or a date.
    #[error(transparent)]
    Sprint(#[from] SprintError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Returns the active pairs of `config` in force on `now`'s day, with the last touchpoint of each that has one
/// (the nudges' and the digest's read).
pub async fn active_pairs_with_last<'a>(
    store: &Store,
    org: &str,
    config: &'a Config,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<&'a Pair>, BTreeMap<(Login, Login), DateTime<Utc>>)> {
    let today = config.sprints.local_date(now);
    let pairs: Vec<&Pair> =
        config.pairs.iter().filter(|p| p.status == PairStatus::Active && p.covers(today)).collect();
    let keys: Vec<(Login, Login)> =
        pairs.iter().map(|p| (p.mentor.clone(), p.mentee.clone())).collect();
    let last = store.last_touchpoints(org, &keys, now).await?;
    Ok((pairs, last))
}

/// Returns the load report of `org` for the sprint `selector` names (`current`, `previous`, a date) as of
/// `now`, read from that org's touchpoints inside the sprint and its pairs' last touchpoints only.
pub async fn load_report(
    store: &Store,
    org: &str,
    config: &Config,
    selector: &str,
    now: DateTime<Utc>,
) -> Result<LoadReport, ReportError> {
    let sprint = config.sprints.select(selector, now)?;
    let start = sprint.start.with_timezone(&Utc);
    let end = sprint.end.with_timezone(&Utc);
    // Every pair with a touchpoint in the staleness window before `as_of` is not stale, and its last touchpoint is
    // known. Only the others (stale, or never met) need a look further back, one index seek each.
    let as_of = mentor_core::load::stale_as_of(&sprint, now);
    let stale_from = as_of - config.touchpoints.stale_after.to_chrono();
    // Both reads are aggregated by the database, so the report holds a row per pair, not per touchpoint.
    let tallies = store.tallies_between(org, start, end).await?;
    let mut last = store.last_between(org, stale_from, as_of).await?;
    let quiet: Vec<(Login, Login)> = mentor_core::load::stale_candidates(config, &sprint, now)
        .into_iter()
        .filter(|pair| !last.contains_key(pair))
        .collect();
    last.extend(store.last_touchpoints(org, &quiet, as_of).await?);
    Ok(mentor_core::load::report_from_tallies(config, &sprint, &tallies, &last, now))
}
