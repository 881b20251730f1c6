//! The outbox: Mentor's only way to write to GitHub.
//!
//! A write is first *planned* ([`plan`]) as a row of the `outbox` table, in the same transaction as the state
//! change that caused it (the delivery's touchpoints, evidence and `done` mark), so a crash can neither lose a
//! write nor make one for a change that was rolled back. The [`Sender`] task then sends due rows:
//! - every object Mentor writes carries a hidden marker `<!-- mentor:<kind>:<key> -->`, and one row exists per
//!   marker: planning a new body edits the comment, review or issue, planning the same body changes nothing;
//! - the id of what was created is remembered (`written`: marker → id); when it was lost (a crash between
//!   sending and recording, a timeout on a create GitHub did carry out), the sender lists the issue's comments
//!   (the PR's reviews, the repo's issues) and finds its own by the marker before creating anything, so nothing
//!   is duplicated;
//! - 5xx, timeouts and rate limits the client would not wait out are retried with exponential backoff and jitter;
//!   a non-retryable answer (4xx) stops the row as `failed` with GitHub's message, listed by `mentor-app outbox
//!   list --status failed` and sent again by `outbox retry <id>`;
//! - a journal issue is only written into a repository GitHub reports as private.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use mentor_core::template::TemplateKind;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use crate::failure::Failure;
use crate::github::{GitHubApi, PostedText, ReactionTarget};
use crate::store::{ClaimedWrite, PlannedWrite, Store, WriteResult};

/// How long a claimed write stays with one sender before another may take it over, unless the sender's
/// heartbeat renews it (see [`crate::heartbeat`]): a dead replica's writes are taken over within this.
pub const LEASE: Duration = Duration::from_secs(30);

/// The longest pause between two attempts of one write.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

/// One write to GitHub, as the desired end state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum Write {
    /// A comment on issue or PR `number` whose text is `body` (created once, edited afterwards).
    Comment {
        /// Issue or PR number.
        number: u64,
        /// The whole text, marker included.
        body: String,
    },
    /// A review (event `COMMENT`) of PR `number` whose text is `body` (submitted once, edited afterwards).
    Review {
        /// PR number.
        number: u64,
        /// The whole text, marker included.
        body: String,
    },
    /// A reaction on a comment.
    Reaction {
        /// The comment.
        target: ReactionTarget,
        /// `+1`, `eyes`, …
        content: String,
    },
    /// A comment on the growth journal issue whose marker is `journal` (written by an [`Write::Issue`] planned
    /// before it): the issue's number is known only once that issue exists, so this waits for it.
    JournalComment {
        /// The journal issue's marker (`journal:<mentor>/<mentee>`).
        journal: String,
        /// The whole text, marker included.
        body: String,
    },
    /// An issue (the growth journal) with `title` and `body`; only ever written into a private repository.
    Issue {
        /// Title.
        title: String,
        /// The whole text, marker included.
        body: String,
    },
}

/// Returns the marker of the growth journal of `mentor` and `mentee` in `org`: the org is part of it, since the
/// same two logins may pair in two orgs.
pub fn journal_marker(org: &str, mentor: &str, mentee: &str) -> String {
    format!("journal:{org}:{mentor}/{mentee}")
}

/// Returns the (mentor, mentee) a growth journal's `body` names in its marker, if it is a journal.
pub fn journal_pair(body: &str) -> Option<(mentor_core::Login, mentor_core::Login)> {
    let start = body.find("<!-- mentor:journal:")? + "<!-- mentor:journal:".len();
    let rest = &body[start..];
    let key = rest[..rest.find(" -->")?].trim();
    // `<org>:<mentor>/<mentee>`, or `<mentor>/<mentee>` in journals written before markers named the org.
    let pair = key.rsplit_once(':').map_or(key, |(_, pair)| pair);
    let (mentor, mentee) = pair.split_once('/')?;
    Some((mentor_core::Login::new(mentor), mentor_core::Login::new(mentee)))
}

/// Returns the marker a journal carried before markers named the org (`journal:<mentor>/<mentee>`), for
/// `marker` of [`journal_marker`]'s form.
fn legacy_journal_marker(marker: &str) -> Option<String> {
    let rest = marker.strip_prefix("journal:")?;
    let (_, pair) = rest.split_once(':')?;
    Some(format!("journal:{pair}"))
}

/// Returns the hidden marker line of `marker` (`<kind>:<key>`).
pub fn marker_line(marker: &str) -> String {
    format!("<!-- mentor:{marker} -->")
}

/// Returns `text` with `marker`'s hidden line appended (once).
pub fn with_marker(text: &str, marker: &str) -> String {
    format!("{}\n\n{}\n", text.trim_end(), marker_line(marker))
}

/// Returns the write that posts a rendered template on PR `number`: a review for `kind: review` templates, a
/// conversation comment otherwise.
pub fn template_write(kind: TemplateKind, number: u64, body: String) -> Write {
    match kind {
        TemplateKind::Review => Write::Review { number, body },
        TemplateKind::Comment => Write::Comment { number, body },
    }
}

/// Returns the write planned for `marker` in `repo`, ready for [`crate::store::Outcome::writes`].
pub fn plan(
    marker: impl Into<String>,
    installation_id: u64,
    repo: &str,
    write: &Write,
) -> PlannedWrite {
    PlannedWrite {
        marker: marker.into(),
        installation_id,
        repo: repo.to_owned(),
        // A derived Serialize of strings and numbers cannot fail.
        op: serde_json::to_string(write).unwrap_or_default(),
    }
}

/// The outbox sender task.
pub struct Sender {
    /// The database.
    pub store: Store,
    /// GitHub.
    pub github: Arc<dyn GitHubApi>,
    /// Attempts before a retryable failure becomes `failed`.
    pub max_attempts: u32,
    /// First retry delay.
    pub retry_base: Duration,
    /// Notified when writes were planned.
    pub wake: Arc<Notify>,
}

impl Sender {
    /// Sends due writes until `shutdown` turns true; finishes the write in hand first.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        tracing::info!("outbox sender started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let claimed = match self.store.claim_writes(Utc::now(), LEASE, 16).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "claiming outbox writes failed");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            for claim in claimed {
                let result = self.send(&claim).await;
                match &result {
                    WriteResult::Done { object_id, .. } => {
                        tracing::info!(marker = %claim.marker, repo = %claim.repo, object_id, "written to GitHub")
                    }
                    WriteResult::Retry { error, at } => {
                        tracing::warn!(marker = %claim.marker, %error, retry_at = %at, "GitHub write will be retried")
                    }
                    WriteResult::Failed { error } => {
                        tracing::error!(marker = %claim.marker, repo = %claim.repo, %error, "GitHub write failed")
                    }
                }
                if let Err(e) = self.store.finish_write(&claim, &result, Utc::now()).await {
                    // The lease expires and the write is sent again; the marker prevents a duplicate.
                    tracing::error!(error = format!("{e:#}"), "recording an outbox write failed");
                }
            }
        }
        tracing::info!("outbox sender stopped");
        Ok(())
    }

    /// Sends one claimed write and says how it ended.
    pub async fn send(&self, claim: &ClaimedWrite) -> WriteResult {
        let write: Write = match serde_json::from_str(&claim.op) {
            Ok(w) => w,
            Err(e) => {
                return WriteResult::Failed {
                    error: format!("stored outbox op is not valid: {e}"),
                };
            }
        };
        // An installation token is only ever used on its own account's repositories: a write planned for a
        // repository of another account (a misconfigured `journal_repo`) is refused, not attempted.
        let owner = claim.repo.split_once('/').map(|(o, _)| o.to_ascii_lowercase());
        if !claim.org.is_empty() && owner.as_deref() != Some(claim.org.as_str()) {
            return WriteResult::Failed {
                error: format!(
                    "refused: {} is not a repository of {}, whose installation planned this write\n\nMentor writes \
                     only to repositories of the org it runs for; point `privacy.journal_repo` at one of them.",
                    claim.repo, claim.org
                ),
            };
        }
        match self.carry_out(claim, &write).await {
            Ok((object_id, body)) => WriteResult::Done { object_id, body },
            Err(Failure::Permanent(error)) => WriteResult::Failed { error },
            Err(Failure::Transient(error)) if claim.attempts >= i64::from(self.max_attempts) => {
                WriteResult::Failed {
                    error: format!("{error} (gave up after {} attempts)", claim.attempts),
                }
            }
            Err(Failure::Transient(error)) => {
                let mut at = Utc::now() + self.backoff(claim.attempts);
                // Rate limited past the client's patience: asking before the reset would only fail again.
                if let Some(reset) = self.github.rate_limit_reset(claim.installation_id) {
                    at = at.max(chrono::DateTime::<Utc>::from(reset));
                }
                WriteResult::Retry { error, at }
            }
        }
    }

    /// Returns the pause before attempt `attempts + 1`: exponential, capped, with up to 50 % jitter so writes
    /// that failed together do not all come back at once.
    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let exp = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        let base = self.retry_base.saturating_mul(2u32.saturating_pow(exp)).min(MAX_BACKOFF);
        let jitter = base.mul_f64(rand::rng().random_range(0.0..0.5));
        chrono::Duration::from_std(base + jitter).unwrap_or(chrono::Duration::MAX)
    }

    /// Finds the issue Mentor wrote into `repo` under `marker`, by the hidden marker line in its body.
    async fn own_issue(
        &self,
        installation_id: u64,
        repo: &str,
        marker: &str,
    ) -> Result<Option<PostedText>, Failure> {
        let line = marker_line(marker);
        Ok(self
            .github
            .own_issues(installation_id, repo)
            .await?
            .into_iter()
            .find(|i| i.body.contains(&line)))
    }

    async fn carry_out(
        &self,
        claim: &ClaimedWrite,
        write: &Write,
    ) -> Result<(u64, String), Failure> {
        let (inst, repo) = (claim.installation_id, claim.repo.as_str());
        let store_err = |e: anyhow::Error| Failure::database(&e);
        match write {
            Write::Reaction { target, content } => {
                self.github.create_reaction(inst, repo, *target, content).await?;
                let id = match target {
                    ReactionTarget::IssueComment(id) | ReactionTarget::ReviewComment(id) => *id,
                };
                Ok((id, content.clone()))
            }
            Write::JournalComment { journal, body } => {
                let number = match self.store.written(journal).await.map_err(store_err)? {
                    Some((number, _)) => number,
                    None => match self.own_issue(inst, repo, journal).await? {
                        Some(issue) => issue.id,
                        None => {
                            return Err(Failure::Transient(format!(
                                "the growth journal issue ({journal}) is not written yet; this comment waits for it"
                            )));
                        }
                    },
                };
                let comment = Write::Comment { number, body: body.clone() };
                Box::pin(self.carry_out(claim, &comment)).await
            }
            Write::Comment { number, body } | Write::Review { number, body } => {
                let review = matches!(write, Write::Review { .. });
                let known = self.store.written(&claim.marker).await.map_err(store_err)?;
                let existing = match known {
                    Some((id, sent)) => Some(PostedText { id, body: sent }),
                    None => {
                        let line = marker_line(&claim.marker);
                        let posted = if review {
                            self.github.own_reviews(inst, repo, *number).await?
                        } else {
                            self.github.own_comments(inst, repo, *number).await?
                        };
                        let found = posted.into_iter().find(|c| c.body.contains(&line));
                        if let Some(found) = &found {
                            tracing::info!(marker = %claim.marker, id = found.id, review, "found what we wrote by its marker");
                            self.store
                                .record_written(
                                    &claim.marker,
                                    &claim.org,
                                    repo,
                                    found.id,
                                    &found.body,
                                    Utc::now(),
                                )
                                .await
                                .map_err(store_err)?;
                        }
                        found
                    }
                };
                match existing {
                    Some(c) if c.body == *body => Ok((c.id, c.body)),
                    Some(c) if review => {
                        self.github.update_review(inst, repo, *number, c.id, body).await?;
                        Ok((c.id, body.clone()))
                    }
                    Some(c) => {
                        self.github.update_issue_comment(inst, repo, c.id, body).await?;
                        Ok((c.id, body.clone()))
                    }
                    None if review => {
                        let created = self.github.create_review(inst, repo, *number, body).await?;
                        Ok((created.id, body.clone()))
                    }
                    None => {
                        let created =
                            self.github.create_issue_comment(inst, repo, *number, body).await?;
                        Ok((created.id, body.clone()))
                    }
                }
            }
            Write::Issue { title, body } => {
                if !self.github.repository_is_private(inst, repo).await? {
                    return Err(Failure::Permanent(format!(
                        "refusing to write into {repo}: it is a public repository\n\nA growth journal names a \
                         mentee's milestones; set `privacy.journal_repo` to a private repository."
                    )));
                }
                let known = self.store.written(&claim.marker).await.map_err(store_err)?;
                let existing = match known {
                    Some((id, sent)) => Some(PostedText { id, body: sent }),
                    None => {
                        let mut found = self.own_issue(inst, repo, &claim.marker).await?;
                        if found.is_none()
                            && let Some(old) = legacy_journal_marker(&claim.marker)
                        {
                            // A journal written before markers named the org: adopt it (the edit below puts the
                            // new marker in) instead of opening a second one.
                            found = self.own_issue(inst, repo, &old).await?;
                        }
                        if let Some(found) = &found {
                            self.store
                                .record_written(
                                    &claim.marker,
                                    &claim.org,
                                    repo,
                                    found.id,
                                    &found.body,
                                    Utc::now(),
                                )
                                .await
                                .map_err(store_err)?;
                        }
                        found
                    }
                };
                match existing {
                    Some(i) if i.body == *body => Ok((i.id, i.body)),
                    Some(i) => {
                        self.github.update_issue(inst, repo, i.id, title, body).await?;
                        Ok((i.id, body.clone()))
                    }
                    None => {
                        let created = self.github.create_issue(inst, repo, title, body).await?;
                        Ok((created.id, body.clone()))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_hidden_lines_at_the_end() {
        assert_eq!(marker_line("reply:a/b:comment/7"), "<!-- mentor:reply:a/b:comment/7 -->");
        assert_eq!(with_marker("Hello\n\n", "k:1"), "Hello\n\n<!-- mentor:k:1 -->\n");
    }

    #[test]
    fn planned_ops_round_trip_and_differ_by_body() {
        let a = Write::Comment { number: 3, body: "one".into() };
        let b = Write::Comment { number: 3, body: "two".into() };
        let pa = plan("m", 1, "o/r", &a);
        assert_eq!(serde_json::from_str::<Write>(&pa.op).unwrap(), a);
        assert_ne!(pa.op, plan("m", 1, "o/r", &b).op);
        let r = Write::Reaction { target: ReactionTarget::ReviewComment(9), content: "+1".into() };
        assert_eq!(serde_json::from_str::<Write>(&plan("m", 1, "o/r", &r).op).unwrap(), r);
    }

    #[tokio::test]
    async fn backoff_doubles_with_bounded_jitter_and_a_cap() {
        let store = Store::connect(":memory:").await.unwrap();
        let sender = Sender {
            store,
            github: Arc::new(crate::demo::DemoGitHub::default()),
            max_attempts: 10,
            retry_base: Duration::from_millis(100),
            wake: Arc::new(Notify::new()),
        };
        for (attempts, base_ms) in
            [(1, 100), (2, 200), (3, 400), (40, MAX_BACKOFF.as_millis() as i64)]
        {
            let ms = sender.backoff(attempts).num_milliseconds();
            assert!(ms >= base_ms && ms <= base_ms * 3 / 2, "attempt {attempts}: {ms} ms");
        }
    }
}
