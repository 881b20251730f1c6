//! Recording what processing produced: a batch of deliveries' touchpoints, evidence and planned writes, with
//! their `done` marks, in one transaction.

use chrono::{DateTime, Utc};
use mentor_core::{Evidence, Touchpoint};
use sqlx::Row;

use super::{ClaimedDelivery, DeliveryStatus, InstallationStatus, PlannedWrite, Store, ms};

/// How processing a claimed delivery ended.
#[derive(Debug)]
pub enum Finished {
    /// Processed: store these results and mark it done.
    Done(Box<Outcome>),
    /// A transient failure: try again at `at`.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again.
        at: DateTime<Utc>,
    },
    /// Gave up: mark it failed with `error`.
    Failed {
        /// What went wrong.
        error: String,
        /// Now.
        at: DateTime<Utc>,
    },
}

/// What a processed delivery produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Touchpoints to store (idempotent by key).
    pub touchpoints: Vec<Touchpoint>,
    /// Evidence to store (idempotent by key; a later row with the same key replaces the stored one).
    pub evidence: Vec<Evidence>,
    /// The repo and installation whose config was in force, if any.
    pub repo: Option<(String, u64)>,
    /// The org (installation account, lowercase) the delivery belongs to and its installation, once known:
    /// every row stored for the delivery carries this org.
    pub org: Option<(String, u64)>,
    /// A new status of the org's installation from an `installation` event.
    pub org_status: Option<InstallationStatus>,
    /// A note kept in `last_error` (e.g. "no mentorship config").
    pub note: Option<String>,
    /// GitHub writes to plan in the outbox (see `outbox`).
    pub writes: Vec<PlannedWrite>,
    /// Feedback counts (FeedbackMix JSON) to store on touchpoints, by touchpoint key.
    pub feedback: Vec<(String, String)>,
    /// Pairs whose reminders `/mentor snooze` paused.
    pub snoozes: Vec<super::Snooze>,
    /// Repositories an installation event added, whose merged pull requests since the instant should be read
    /// (queued with the delivery's other effects, so an install is backfilled once).
    pub backfill: Option<(DateTime<Utc>, Vec<String>)>,
}

/// A delivery's touchpoints and evidence with their JSON, encoded before the transaction opens.
type EncodedRows<'a> = (Vec<(&'a Touchpoint, String)>, Vec<(&'a Evidence, String)>);

impl Store {
    /// Records the results of claimed deliveries in one transaction and returns how many were recorded; a
    /// delivery whose claim was lost to another worker meanwhile is left untouched.
    ///
    /// A done delivery's touchpoints, evidence and `done` mark (with `processed_count + 1`) commit together, so
    /// its effects are counted exactly once even if the process dies at any point.
    ///
    /// The commit does not wait for the disk (`synchronous=NORMAL` on SQLite, `synchronous_commit=off` on
    /// PostgreSQL): everything it writes is derived from deliveries the inbox already made durable, and the next
    /// inbox commit's fsync makes it durable in passing. A power loss can only undo it whole (never corrupt or
    /// half-apply it); its deliveries are then still `processing`, and are claimed and processed again, once.
    /// (Committing in smaller transactions, so inbox commits could take turns with them, measured slower and no
    /// better at p99 with `bench/webhook-throughput.sh`.)
    pub async fn finish(
        &self,
        results: &[(ClaimedDelivery, Finished)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let now = ms(now);
        let mut encoded: Vec<EncodedRows<'_>> = Vec::new();
        for (_, result) in results {
            let (mut t, mut e) = (Vec::new(), Vec::new());
            if let Finished::Done(outcome) = result {
                for x in &outcome.touchpoints {
                    t.push((x, serde_json::to_string(x)?));
                }
                for x in &outcome.evidence {
                    e.push((x, serde_json::to_string(x)?));
                }
            }
            encoded.push((t, e));
        }
        let sqlite = !self.is_postgres();
        let recorded = on_pool!(self, p => {
            let mut conn = p.acquire().await?;
            if sqlite {
                // Only outside a transaction; set back to FULL below, whatever happens in between.
                sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
            }
            let result = async {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                if !sqlite {
                    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                }
                let mut recorded = 0usize;
                let mut new_touchpoints: Vec<(&Touchpoint, &String, &String, &str)> = Vec::new();
                let mut feedback: Vec<&(String, String)> = Vec::new();
                // Per org: the last delivery's installation and status change win, as when each upserted in turn.
                let mut seen_orgs: std::collections::BTreeMap<&str, (u64, Option<InstallationStatus>)> =
                    std::collections::BTreeMap::new();
                // Done marks for the whole batch in multi-row statements, fenced per row by status and attempts; the
                // ids that came back are the claims still held, whose effects are stored below.
                let done: Vec<(&ClaimedDelivery, &Outcome)> = results
                    .iter()
                    .filter_map(|(claim, result)| match result {
                        Finished::Done(outcome) => Some((claim, &**outcome)),
                        _ => None,
                    })
                    .collect();
                let mut held: std::collections::HashSet<String> = std::collections::HashSet::new();
                for chunk in done.chunks(200) {
                    let mut update = sqlx::QueryBuilder::new(
                        "UPDATE deliveries SET status = 'done', processed_count = processed_count + 1, last_error = v.column3, updated_at = ",
                    );
                    update.push_bind(now);
                    update.push(", repo = COALESCE(v.column4, deliveries.repo), org = COALESCE(v.column5, deliveries.org) FROM (");
                    update.push_values(chunk, |mut row, (claim, outcome)| {
                        row.push_bind(&claim.id)
                            .push_bind(claim.attempts)
                            .push_bind(&outcome.note)
                            .push_bind(outcome.repo.as_ref().map(|(r, _)| r.as_str()))
                            .push_bind(outcome.org.as_ref().map(|(o, _)| o.as_str()));
                    });
                    update.push(
                        ") AS v WHERE deliveries.id = v.column1 AND deliveries.status = 'processing' \
                         AND deliveries.attempts = v.column2 RETURNING deliveries.id",
                    );
                    for row in update.build().fetch_all(&mut *tx).await? {
                        held.insert(row.try_get("id")?);
                    }
                }
                for ((claim, result), (touchpoints, evidence)) in results.iter().zip(&encoded) {
                    let outcome = match result {
                        Finished::Done(outcome) => outcome,
                        Finished::Retry { error, at } | Finished::Failed { error, at } => {
                            let status = if matches!(result, Finished::Retry { .. }) { DeliveryStatus::Pending } else { DeliveryStatus::Failed };
                            recorded += sqlx::query(
                                "UPDATE deliveries SET status = $1, last_error = $2, next_attempt_at = $3, updated_at = $4 \
                                 WHERE id = $5 AND status = 'processing' AND attempts = $6",
                            )
                            .bind(status)
                            .bind(error)
                            .bind(ms(*at))
                            .bind(now)
                            .bind(&claim.id)
                            .bind(claim.attempts)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected() as usize;
                            continue;
                        }
                    };
                    if !held.contains(&claim.id) {
                        continue;
                    }
                    recorded += 1;
                    let org = outcome.org.as_ref().map_or("", |(o, _)| o.as_str());
                    new_touchpoints.extend(touchpoints.iter().map(|(t, data)| (*t, data, &claim.id, org)));
                    feedback.extend(outcome.feedback.iter());
                    if let Some((org, installation)) = &outcome.org {
                        let seen = seen_orgs.entry(org.as_str()).or_insert((*installation, None));
                        seen.0 = *installation;
                        if outcome.org_status.is_some() {
                            seen.1 = outcome.org_status;
                        }
                    }
                    for (e, data) in evidence {
                        sqlx::query(
                            "INSERT INTO evidence (key, mentee, at, delivery_id, data, org) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (key) DO UPDATE SET data = excluded.data, at = excluded.at, delivery_id = excluded.delivery_id",
                        )
                        .bind(&e.key)
                        .bind(e.mentee.as_str())
                        .bind(ms(e.at))
                        .bind(&claim.id)
                        .bind(data)
                        .bind(org)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for z in &outcome.snoozes {
                        sqlx::query(
                            "INSERT INTO snoozes (org, mentor, mentee, until_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (org, mentor, mentee) DO UPDATE SET until_at = excluded.until_at",
                        )
                        .bind(org)
                        .bind(z.mentor.as_str())
                        .bind(z.mentee.as_str())
                        .bind(ms(z.until))
                        .execute(&mut *tx)
                        .await?;
                    }
                    if let (Some((since, repos)), Some((org, installation))) = (&outcome.backfill, &outcome.org) {
                        for repo in repos {
                            sqlx::query(
                                "INSERT INTO backfills (org, repo, installation_id, since_at, requested_at, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (org, repo) DO NOTHING",
                            )
                            .bind(org.as_str())
                            .bind(repo)
                            .bind(*installation as i64)
                            .bind(ms(*since))
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    for w in &outcome.writes {
                        plan_write!(tx, w, now, &claim.id, org).await?;
                    }
                }
                // Touchpoints of the whole batch in multi-row statements (first stored wins, as one by one), then the
                // feedback counts on them in delivery order, then each repo once: statements, not rows, cost here.
                for chunk in new_touchpoints.chunks(500) {
                    let mut rows = sqlx::QueryBuilder::new(
                        "INSERT INTO touchpoints (key, mentor, mentee, at, delivery_id, data, org, minutes) ",
                    );
                    rows.push_values(chunk, |mut row, (t, data, delivery, org)| {
                        row.push_bind(&t.key)
                            .push_bind(t.mentor.as_str())
                            .push_bind(t.mentee.as_str())
                            .push_bind(ms(t.at))
                            .push_bind(*delivery)
                            .push_bind(*data)
                            .push_bind(*org)
                            .push_bind(i64::from(t.minutes));
                    });
                    rows.push(" ON CONFLICT (key) DO NOTHING");
                    rows.build().execute(&mut *tx).await?;
                }
                for (key, mix) in &feedback {
                    sqlx::query("UPDATE touchpoints SET feedback = $1 WHERE key = $2")
                        .bind(mix)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
                for (org, (installation, status)) in &seen_orgs {
                    // A delivery from a new installation id (the App was installed again) makes the program
                    // active again; otherwise only an `installation` event changes the status.
                    sqlx::query(
                        "INSERT INTO installations (org, installation_id, status, last_delivery_at, updated_at) \
                         VALUES ($1, $2, COALESCE($3, 'active'), $4, $4) \
                         ON CONFLICT (org) DO UPDATE SET installation_id = excluded.installation_id, \
                         last_delivery_at = excluded.last_delivery_at, updated_at = excluded.updated_at, \
                         status = CASE WHEN $3 IS NOT NULL THEN $3 \
                         WHEN installations.installation_id <> excluded.installation_id THEN 'active' \
                         ELSE installations.status END",
                    )
                    .bind(*org)
                    .bind(*installation as i64)
                    .bind(*status)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                anyhow::Ok(recorded)
            }
            .await;
            if sqlite
                && let Err(e) = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await
            {
                // A connection that cannot be made durable again must not commit webhook deliveries: close it
                // (the pool opens a new one, with the settings it was configured with).
                tracing::warn!(error = %e, "closing a database connection that could not be reset");
                drop(conn.detach());
            }
            result?
        });
        Ok(recorded)
    }
}
