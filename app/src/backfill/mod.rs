//! History backfill: an org's merged pull requests since a date, read through GitHub's GraphQL API when the App
//! is installed (or given repositories) and on demand (`mentor-app backfill`), so the program starts with its
//! history instead of an empty page.
//!
//! - One repository at a time, pages of [`PAGE_SIZE`] merged pull requests (newest update first) with their
//!   reviews, comments, labels, files and landed commit in one request; a pull request with more of those than a
//!   page holds gets its rest with `PullRest`/`ReviewComments`. A 502 or 504 (GitHub's 10-second limit) halves the
//!   page size; `rateLimit` is read with every answer and the reader waits for the reset when points run low.
//! - Each pull request becomes the webhook events GitHub sent for it ([`history`]) and goes through the same
//!   decoding, normalizing and deriving as live deliveries: the same touchpoint and evidence keys, so a webhook
//!   for a backfilled pull request (or a second backfill) adds nothing twice.
//! - A page's rows and its cursor commit together: a killed backfill continues after the last page it stored.
//! - Nothing is written to GitHub while reading (no guides, no replies, no commands run again); once every
//!   repository of an org is read, its growth journals are planned once.
//! - Of several replicas (or a server and the CLI), the holder of the `backfill` lease reads.

pub mod command;
pub mod history;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mentor_core::{Config, Login};
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::config_source::ConfigSource;
use crate::failure::Failure;
use crate::github::graphql::{
    MergedPulls, PullRest, ReviewComments, merged_pulls, pull_rest, review_comments, send,
};
use crate::github::{GitHubApi, GitHubError};
use crate::normalize::{self, Normalized};
use crate::payload::Payload;
use crate::store::{BackfillPage, BackfillRow, BackfillStatus, Store};
use history::{MergedPullsAnswer, Pull, PullRestAnswer, RateLimit, ReviewCommentsAnswer};

/// The name of the backfill's lease.
pub const LEASE: &str = "backfill";

/// How long the lease lasts; renewed with every page, so a reader that dies is taken over within this.
pub const LEASE_TTL: Duration = Duration::from_secs(60);

/// Merged pull requests per page at first: one request per 50 (each with up to 100 files, 25 reviews of 25
/// comments and 25 conversation comments) stays well inside GitHub's 10-second and 500,000-node limits.
pub const PAGE_SIZE: u32 = 50;

/// How long a transient failure (GitHub unreachable, 5xx, rate limited without a reset time) waits.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// The backfill task and what it needs.
pub struct Backfill {
    /// The database.
    pub store: Store,
    /// The orgs' configs.
    pub configs: Arc<ConfigSource>,
    /// GitHub.
    pub github: Arc<dyn GitHubApi>,
    /// The domain clock (journals' "now").
    pub clock: Clock,
    /// Wakes the outbox sender when journals were planned.
    pub wake: Arc<Notify>,
    /// How often queued backfills are looked for.
    pub poll: Duration,
    /// This process's name on the lease.
    pub holder: String,
    /// Notified when an installation event queued a backfill.
    pub wake_on_request: Arc<Notify>,
}

/// How reading one repository ended.
enum Ended {
    /// Read to the start of the window (or nothing to read).
    Read,
    /// Waits for a retry, failed, or the lease was lost: go on with the next.
    Stopped,
}

impl Backfill {
    /// Returns a backfill task over the app's parts.
    pub fn new(
        store: Store,
        configs: Arc<ConfigSource>,
        github: Arc<dyn GitHubApi>,
        clock: Clock,
        wake: Arc<Notify>,
    ) -> Backfill {
        Backfill {
            store,
            configs,
            github,
            clock,
            wake,
            poll: Duration::from_secs(5),
            holder: hex::encode(rand::random::<[u8; 8]>()),
            wake_on_request: Arc::new(Notify::new()),
        }
    }

    /// Reads queued backfills (while holding the lease) until `shutdown` turns true.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.drain(None, &mut shutdown).await {
                tracing::warn!(error = format!("{e:#}"), "backfill failed; trying again later");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = self.wake_on_request.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Err(e) = self.store.release_lease(LEASE, &self.holder).await {
            tracing::warn!(error = format!("{e:#}"), "giving the backfill lease up failed");
        }
        Ok(())
    }

    /// Takes (or renews) the lease; false when another process holds it.
    pub async fn hold(&self) -> anyhow::Result<bool> {
        self.store.acquire_lease(LEASE, &self.holder, Utc::now(), LEASE_TTL).await
    }

    /// Reads every queued backfill that is due (of `only` org when given) while the lease is held, then plans
    /// the journals of orgs whose repositories are all read. Returns false when another process holds the lease.
    pub async fn drain(
        &self,
        only: Option<&str>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<bool> {
        if !self.hold().await? {
            return Ok(false);
        }
        while !*shutdown.borrow() {
            let Some(row) = self.store.next_backfill(Utc::now(), only).await? else { break };
            tracing::info!(org = %row.org, repo = %row.repo, since = %row.since, "backfilling history");
            self.repository(&row, shutdown).await?;
            if !self.hold().await? {
                return Ok(false);
            }
        }
        self.journals().await?;
        Ok(true)
    }

    /// Reads one repository's window, page after page, from where it stopped.
    async fn repository(
        &self,
        row: &BackfillRow,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<Ended> {
        let (org, repo, installation_id) = (&row.org, &row.repo, row.installation_id);
        let mut page_size = row.page_size.max(1);
        let config = match self.configs.config_for(installation_id, repo).await {
            Ok(Some(config)) => config,
            Ok(None) => {
                let note = "no mentorship config; nothing counts here";
                self.set(row, BackfillStatus::Journal, Some(note), Utc::now(), page_size, (0, 0))
                    .await?;
                return Ok(Ended::Read);
            }
            Err(e) => return self.failed(row, Failure::from(e), page_size, (0, 0)).await,
        };
        let Some((owner, name)) = repo.split_once('/') else {
            let failure = Failure::Permanent(format!("`{repo}` is not an owner/name repository"));
            return self.failed(row, failure, page_size, (0, 0)).await;
        };
        let mut cursor = row.cursor.clone();
        loop {
            if *shutdown.borrow() || !self.hold().await? {
                return Ok(Ended::Stopped);
            }
            let variables = merged_pulls::Variables {
                owner: owner.to_owned(),
                name: name.to_owned(),
                first: i64::from(page_size),
                after: cursor.clone(),
            };
            let answer = send::<MergedPulls, MergedPullsAnswer>(
                self.github.as_ref(),
                installation_id,
                variables,
            )
            .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(GitHubError::Overloaded(e)) if page_size > 1 => {
                    // GitHub gave up within its time limit: a smaller page may pass at once.
                    page_size = (page_size / 2).max(1);
                    tracing::info!(%repo, page_size, error = %e, "GitHub timed out; halving the page");
                    let note = format!("{e}; pages of {page_size} from now on");
                    self.set(
                        row,
                        BackfillStatus::Queued,
                        Some(&note),
                        Utc::now(),
                        page_size,
                        (1, 0),
                    )
                    .await?;
                    continue;
                }
                Err(e) => return self.failed(row, Failure::from(e), page_size, (1, 0)).await,
            };
            let mut spent = (1, cost(&answer.rate_limit));
            let Some(repository) = answer.repository else {
                let failure = Failure::Permanent(format!(
                    "GitHub does not show {repo} to the installation (renamed, deleted, or not installed there)"
                ));
                return self.failed(row, failure, page_size, spent).await;
            };
            let connection = repository.pull_requests;
            let mut last = !connection.page_info.has_next_page;
            let mut page = BackfillPage::default();
            let mut rate = answer.rate_limit;
            for mut pull in connection.nodes {
                if pull.updated_at < row.since {
                    // Newest update first: every later one was last touched before the window.
                    last = true;
                    break;
                }
                if pull.merged_at.is_none_or(|at| at < row.since) {
                    continue;
                }
                match self.complete(installation_id, owner, name, &mut pull).await {
                    Ok((requests, points, latest)) => {
                        spent.0 += requests;
                        spent.1 += points;
                        rate = latest.or(rate);
                    }
                    Err(e) => return self.failed(row, Failure::from(e), page_size, spent).await,
                }
                if let Err(failure) =
                    self.pull(&config, installation_id, repo, &pull, &mut page).await
                {
                    return self.failed(row, failure, page_size, spent).await;
                }
                page.prs += 1;
            }
            page.cursor = connection.page_info.end_cursor.or(cursor.clone());
            page.last = last;
            (page.requests, page.points) = spent;
            self.store.record_backfill_page(org, repo, &page, Utc::now()).await?;
            tracing::debug!(%repo, prs = page.prs, requests = spent.0, points = spent.1, "page stored");
            if last {
                return Ok(Ended::Read);
            }
            cursor = page.cursor;
            if let Some(rate) = rate
                && rate.remaining < 2 * rate.cost.max(1)
            {
                // The next page could be refused: wait for the points to come back.
                tracing::info!(%repo, remaining = rate.remaining, reset_at = %rate.reset_at, "GraphQL points low; waiting");
                if !self.wait_until(rate.reset_at, shutdown).await? {
                    return Ok(Ended::Stopped);
                }
            }
        }
    }

    /// Fetches what did not fit on the page: a pull request's further files, reviews and comments, and a
    /// review's further inline comments. Returns the requests, points and the last rate limit.
    async fn complete(
        &self,
        installation_id: u64,
        owner: &str,
        name: &str,
        pull: &mut Pull,
    ) -> Result<(u64, u64, Option<RateLimit>), GitHubError> {
        let (mut requests, mut points, mut rate) = (0, 0, None);
        let (mut files, mut reviews, mut comments) = (
            pull.files.page_info.clone(),
            pull.reviews.page_info.clone(),
            pull.comments.page_info.clone(),
        );
        while files.has_next_page || reviews.has_next_page || comments.has_next_page {
            // A list that is complete is asked again after its end and comes back empty.
            let variables = pull_rest::Variables {
                owner: owner.to_owned(),
                name: name.to_owned(),
                number: i64::try_from(pull.number).unwrap_or(i64::MAX),
                files: files.end_cursor.clone(),
                reviews: reviews.end_cursor.clone(),
                comments: comments.end_cursor.clone(),
            };
            let answer =
                send::<PullRest, PullRestAnswer>(self.github.as_ref(), installation_id, variables)
                    .await?;
            requests += 1;
            points += cost(&answer.rate_limit);
            rate = answer.rate_limit.or(rate);
            let Some(rest) = answer.repository.and_then(|r| r.pull_request) else {
                return Err(GitHubError::Permanent(format!(
                    "pull request #{} of {owner}/{name} disappeared while it was read",
                    pull.number
                )));
            };
            if files.has_next_page {
                pull.files.nodes.extend(rest.files.nodes);
                files = rest.files.page_info;
            }
            if reviews.has_next_page {
                pull.reviews.nodes.extend(rest.reviews.nodes);
                reviews = rest.reviews.page_info;
            }
            if comments.has_next_page {
                pull.comments.nodes.extend(rest.comments.nodes);
                comments = rest.comments.page_info;
            }
        }
        for review in &mut pull.reviews.nodes {
            let mut info = review.comments.page_info.clone();
            while info.has_next_page {
                let variables =
                    review_comments::Variables { id: review.id.clone(), after: info.end_cursor };
                let answer = send::<ReviewComments, ReviewCommentsAnswer>(
                    self.github.as_ref(),
                    installation_id,
                    variables,
                )
                .await?;
                requests += 1;
                points += cost(&answer.rate_limit);
                rate = answer.rate_limit.or(rate);
                let Some(node) = answer.node else {
                    return Err(GitHubError::Permanent(format!(
                        "review {} of {owner}/{name}#{} disappeared while it was read",
                        review.id, pull.number
                    )));
                };
                review.comments.nodes.extend(node.comments.nodes);
                info = node.comments.page_info;
            }
        }
        Ok((requests, points, rate))
    }

    /// Adds what one merged pull request's events yield to `page`, as its webhooks would have.
    async fn pull(
        &self,
        config: &Config,
        installation_id: u64,
        repo: &str,
        pull: &Pull,
        page: &mut BackfillPage,
    ) -> Result<(), Failure> {
        let known = pull.known();
        let delivery = format!("backfill:{repo}#{}", pull.number);
        for (event, payload) in pull.events(installation_id, repo) {
            let text = payload.to_string();
            let payload = Payload::decode(event, &text).map_err(|e| {
                Failure::Permanent(format!("{repo}#{}: cannot use {event}: {e}", pull.number))
            })?;
            let activities = match normalize::normalize(event, &payload) {
                Ok(Normalized::Activities { activities, .. }) => activities,
                Ok(_) => continue,
                Err(e) => {
                    // One unusable item (say, a review without a time) must not stop a repository's history.
                    tracing::warn!(%repo, number = pull.number, %event, error = %e, "history item skipped");
                    continue;
                }
            };
            let (touchpoints, evidence) =
                crate::derive::activities(&known, config, installation_id, repo, activities)
                    .await?;
            page.feedback.extend(crate::respond::feedback(event, &payload, &touchpoints));
            page.touchpoints.extend(touchpoints.into_iter().map(|t| (t, delivery.clone())));
            page.evidence.extend(evidence.into_iter().map(|e| (e, delivery.clone())));
        }
        Ok(())
    }

    /// Records a failure: transient ones wait [`RETRY_AFTER`] and are tried again, permanent ones stop the
    /// repository with the error.
    async fn failed(
        &self,
        row: &BackfillRow,
        failure: Failure,
        page_size: u32,
        spent: (u64, u64),
    ) -> anyhow::Result<Ended> {
        let now = Utc::now();
        match failure {
            Failure::Transient(e) => {
                tracing::info!(org = %row.org, repo = %row.repo, error = %e, "backfill will be retried");
                let at = now + chrono::Duration::from_std(RETRY_AFTER).unwrap_or_default();
                self.set(row, BackfillStatus::Queued, Some(&e), at, page_size, spent).await?;
            }
            Failure::Permanent(e) => {
                tracing::warn!(org = %row.org, repo = %row.repo, error = %e, "backfill failed");
                self.set(row, BackfillStatus::Failed, Some(&e), now, page_size, spent).await?;
            }
        }
        Ok(Ended::Stopped)
    }

    async fn set(
        &self,
        row: &BackfillRow,
        status: BackfillStatus,
        note: Option<&str>,
        not_before: DateTime<Utc>,
        page_size: u32,
        spent: (u64, u64),
    ) -> anyhow::Result<()> {
        self.store
            .update_backfill(
                &row.org,
                &row.repo,
                status,
                note,
                not_before,
                page_size,
                spent,
                Utc::now(),
            )
            .await
    }

    /// Sleeps until `at`, renewing the lease; false when shut down or the lease was lost meanwhile.
    async fn wait_until(
        &self,
        at: DateTime<Utc>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<bool> {
        loop {
            let left = (at - Utc::now()).to_std().unwrap_or_default();
            if left.is_zero() {
                return Ok(true);
            }
            tokio::select! {
                _ = tokio::time::sleep(left.min(LEASE_TTL / 3)) => {}
                _ = shutdown.changed() => return Ok(false),
            }
            if !self.hold().await? {
                return Ok(false);
            }
        }
    }

    /// Plans the growth journals of every org whose repositories are all read, once, from all its evidence
    /// (backfilled and live), and marks its backfill done.
    async fn journals(&self) -> anyhow::Result<()> {
        for (org, installation_id) in self.store.backfills_awaiting_journals().await? {
            let config = match self.configs.org_config(installation_id, &org).await {
                Ok(Some(c)) => Arc::clone(&c.config),
                Ok(None) => {
                    self.store.finish_backfill(&org, Utc::now()).await?;
                    continue;
                }
                Err(e) => {
                    tracing::info!(%org, error = %e, "journals wait for a usable config");
                    continue;
                }
            };
            if let Some(journal_repo) = &config.privacy.journal_repo {
                let mut mentees: Vec<&Login> = config.pairs.iter().map(|p| &p.mentee).collect();
                mentees.sort();
                mentees.dedup();
                let mut with_evidence = Vec::new();
                for mentee in mentees {
                    if !self.store.evidence_of(&org, mentee.as_str()).await?.is_empty() {
                        with_evidence.push(mentee);
                    }
                }
                let writes = crate::respond::journal_writes(
                    &self.store,
                    &config,
                    &org,
                    installation_id,
                    journal_repo,
                    &with_evidence,
                    &[],
                    self.clock.now(),
                )
                .await
                .map_err(|f| anyhow::anyhow!("planning {org}'s journals: {f}"))?;
                self.store.plan_writes(&org, &writes, Utc::now()).await?;
                if !writes.is_empty() {
                    self.wake.notify_one();
                }
                tracing::info!(%org, journals = writes.len(), "backfill done; journals planned");
            }
            self.store.finish_backfill(&org, Utc::now()).await?;
        }
        Ok(())
    }
}

fn cost(rate: &Option<RateLimit>) -> u64 {
    rate.as_ref().map_or(0, |r| r.cost)
}

/// An org's backfill as `mentor-app backfill status` and `GET /api/v1/orgs/{org}/backfill` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgProgress {
    /// The org.
    pub org: String,
    /// Repositories asked for.
    pub repos: usize,
    /// Repositories read (done, or read with the journals pending).
    pub repos_done: usize,
    /// Merged pull requests read.
    pub prs_read: u64,
    /// GraphQL requests sent.
    pub requests: u64,
    /// GraphQL points spent.
    pub points: u64,
    /// `queued` (nothing read yet), `running`, `done`, or `failed` (read what it could; see the repositories).
    pub status: &'static str,
    /// Each repository.
    pub repositories: Vec<BackfillRow>,
}

impl OrgProgress {
    /// Sums `rows` (any orgs) per org.
    pub fn of(rows: Vec<BackfillRow>) -> Vec<OrgProgress> {
        let mut orgs: Vec<OrgProgress> = Vec::new();
        for row in rows {
            if orgs.last().is_none_or(|p| p.org != row.org) {
                orgs.push(OrgProgress {
                    org: row.org.clone(),
                    repos: 0,
                    repos_done: 0,
                    prs_read: 0,
                    requests: 0,
                    points: 0,
                    status: "done",
                    repositories: Vec::new(),
                });
            }
            let Some(progress) = orgs.last_mut() else { continue };
            progress.repos += 1;
            progress.repos_done +=
                usize::from(matches!(row.status, BackfillStatus::Done | BackfillStatus::Journal));
            progress.prs_read += row.prs;
            progress.requests += row.requests;
            progress.points += row.points;
            progress.repositories.push(row);
        }
        for p in &mut orgs {
            let any = |s: BackfillStatus| p.repositories.iter().any(|r| r.status == s);
            p.status = if any(BackfillStatus::Queued) || any(BackfillStatus::Journal) {
                if p.requests == 0 && !any(BackfillStatus::Journal) { "queued" } else { "running" }
            } else if any(BackfillStatus::Failed) {
                "failed"
            } else {
                "done"
            };
        }
        orgs
    }
}
