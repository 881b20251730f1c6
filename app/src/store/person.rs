//! One person's rows in one org: read for `mentor-app person export`, deleted by `person erase`.
//!
//! What counts as the person's: touchpoints where they are mentor or mentee, evidence where they are the mentee,
//! tokens whose role names them, snoozes of their pairs, access-log rows about them, and their sign-in sessions
//! (sessions are not per org: erasing ends them everywhere, which only means signing in again). Deciding which
//! outbox writes are their journals, and what replaces them, is [`crate::person`]'s; this module only reads and
//! deletes rows, in one transaction.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{PlannedWrite, Store, from_ms, ms};

/// A token that names the person (its hash is never read out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRef {
    /// `mentee:<login>`, `mentor:<login>` or `calendar:<login>`.
    pub role: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A sign-in session of the person (its cookie hash is never read out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionRef {
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
}

/// A snooze of one of the person's pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnoozeRef {
    /// The pair's mentor.
    pub mentor: String,
    /// The pair's mentee.
    pub mentee: String,
    /// Reminders paused until then.
    pub until: DateTime<Utc>,
}

/// An outbox row of an org, as [`crate::person`] sorts them into journals and journal comments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxOp {
    /// `<kind>:<key>`.
    pub marker: String,
    /// The installation it writes as.
    pub installation_id: u64,
    /// The repository it writes to.
    pub repo: String,
    /// The desired state (`outbox::Write` JSON).
    pub op: String,
    /// pending | sending | done | failed.
    pub status: String,
    /// The issue or comment number once written.
    pub object_id: Option<i64>,
}

/// Everything stored about one login in one org, except journals (see [`crate::person`]).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PersonRows {
    /// Touchpoints where they are the mentor or the mentee (serde JSON of `mentor_core::Touchpoint`).
    pub touchpoints: Vec<serde_json::Value>,
    /// Their evidence (serde JSON of `mentor_core::Evidence`).
    pub evidence: Vec<serde_json::Value>,
    /// Tokens whose role names them.
    pub tokens: Vec<TokenRef>,
    /// Their sign-in sessions (any org).
    pub sessions: Vec<SessionRef>,
    /// Snoozes of their pairs.
    pub snoozes: Vec<SnoozeRef>,
    /// Who read their evidence or feedback.
    pub access_log: Vec<super::AccessEntry>,
}

/// How many rows an erasure removed, per kind (what `erasures.counts` keeps: numbers, never the data).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Touchpoints deleted.
    pub touchpoints: u64,
    /// Evidence deleted.
    pub evidence: u64,
    /// Tokens deleted.
    pub tokens: u64,
    /// Sessions ended.
    pub sessions: u64,
    /// Snoozes deleted.
    pub snoozes: u64,
    /// Access-log rows about them deleted.
    pub access_log: u64,
    /// Journal issues whose body is replaced by the removal note.
    pub journals: u64,
    /// Journal comments (nudges) no longer kept.
    pub journal_comments: u64,
}

/// One recorded erasure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErasureRow {
    /// The org.
    pub org: String,
    /// Whose data was erased.
    pub login: String,
    /// Who erased it.
    pub erased_by: String,
    /// When.
    pub erased_at: DateTime<Utc>,
    /// Rows removed per kind.
    pub counts: serde_json::Value,
}

/// The roles a token naming `login` can carry.
fn roles_naming(login: &str) -> [String; 3] {
    [format!("mentee:{login}"), format!("mentor:{login}"), format!("calendar:{login}")]
}

impl Store {
    /// Returns the rows about `login` in `org` (see [`PersonRows`]).
    pub async fn person_rows(&self, org: &str, login: &str) -> anyhow::Result<PersonRows> {
        let [r1, r2, r3] = roles_naming(login);
        let parse = |rows: Vec<String>, what: &str| {
            rows.iter()
                .map(|d| {
                    serde_json::from_str(d).with_context(|| format!("decoding a stored {what}"))
                })
                .collect::<anyhow::Result<Vec<serde_json::Value>>>()
        };
        let (touchpoints, evidence, tokens, sessions, snoozes) = on_reader!(self, p => {
            let touchpoints: Vec<String> = sqlx::query_scalar(
                "SELECT data FROM touchpoints WHERE org = $1 AND (mentor = $2 OR mentee = $2) ORDER BY at, key",
            )
            .bind(org)
            .bind(login)
            .fetch_all(p)
            .await?;
            let evidence: Vec<String> = sqlx::query_scalar(
                "SELECT data FROM evidence WHERE org = $1 AND mentee = $2 ORDER BY at, key",
            )
            .bind(org)
            .bind(login)
            .fetch_all(p)
            .await?;
            let tokens = sqlx::query(
                "SELECT role, created_at FROM tokens WHERE org = $1 AND role IN ($2, $3, $4) ORDER BY created_at, role",
            )
            .bind(org)
            .bind(&r1)
            .bind(&r2)
            .bind(&r3)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>(TokenRef { role: r.try_get("role")?, created_at: from_ms(r.try_get("created_at")?) }))
            .collect::<Result<Vec<_>, _>>()?;
            let sessions = sqlx::query(
                "SELECT created_at, last_seen_at FROM sessions WHERE login = $1 ORDER BY created_at",
            )
            .bind(login)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>(SessionRef {
                created_at: from_ms(r.try_get("created_at")?),
                last_seen_at: from_ms(r.try_get("last_seen_at")?),
            }))
            .collect::<Result<Vec<_>, _>>()?;
            let snoozes = sqlx::query(
                "SELECT mentor, mentee, until_at FROM snoozes WHERE org = $1 AND (mentor = $2 OR mentee = $2) ORDER BY mentor, mentee",
            )
            .bind(org)
            .bind(login)
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>(SnoozeRef {
                mentor: r.try_get("mentor")?,
                mentee: r.try_get("mentee")?,
                until: from_ms(r.try_get("until_at")?),
            }))
            .collect::<Result<Vec<_>, _>>()?;
            (touchpoints, evidence, tokens, sessions, snoozes)
        });
        Ok(PersonRows {
            touchpoints: parse(touchpoints, "touchpoint")?,
            evidence: parse(evidence, "evidence")?,
            tokens,
            sessions,
            snoozes,
            access_log: self.access_log(org, Some(login), None).await?,
        })
    }

    /// Returns the outbox rows of `org` whose marker starts with `prefix` (`journal:`, `nudge:`), with the id of
    /// what was written for each.
    pub async fn outbox_ops(&self, org: &str, prefix: &str) -> anyhow::Result<Vec<OutboxOp>> {
        let pattern =
            format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let rows = on_reader!(self, p => sqlx::query(
            "SELECT o.marker AS marker, o.installation_id AS installation_id, o.repo AS repo, o.op AS op, \
             o.status AS status, w.object_id AS object_id \
             FROM outbox AS o LEFT JOIN written AS w ON w.marker = o.marker \
             WHERE o.org = $1 AND o.marker LIKE $2 ESCAPE '\\' ORDER BY o.id",
        )
        .bind(org)
        .bind(&pattern)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>(OutboxOp {
                marker: r.try_get("marker")?,
                installation_id: u64::try_from(r.try_get::<i64, _>("installation_id")?).unwrap_or_default(),
                repo: r.try_get("repo")?,
                op: r.try_get("op")?,
                status: r.try_get("status")?,
                object_id: r.try_get("object_id")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    /// Deletes the rows about `login` in `org` (see [`PersonRows`]), plans `journals` (the removal notes),
    /// forgets the outbox rows and written ids of `dropped` markers (comments on the journals), and records the
    /// erasure as done by `by` at `now` with the counts only; all in one transaction.
    pub async fn erase_person(
        &self,
        org: &str,
        login: &str,
        journals: &[PlannedWrite],
        dropped: &[String],
        by: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Erased> {
        let [r1, r2, r3] = roles_naming(login);
        let mut erased = Erased {
            journals: journals.len() as u64,
            journal_comments: dropped.len() as u64,
            ..Erased::default()
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            erased.touchpoints = sqlx::query("DELETE FROM touchpoints WHERE org = $1 AND (mentor = $2 OR mentee = $2)")
                .bind(org).bind(login).execute(&mut *tx).await?.rows_affected();
            erased.evidence = sqlx::query("DELETE FROM evidence WHERE org = $1 AND mentee = $2")
                .bind(org).bind(login).execute(&mut *tx).await?.rows_affected();
            erased.tokens = sqlx::query("DELETE FROM tokens WHERE org = $1 AND role IN ($2, $3, $4)")
                .bind(org).bind(&r1).bind(&r2).bind(&r3).execute(&mut *tx).await?.rows_affected();
            erased.sessions = sqlx::query("DELETE FROM sessions WHERE login = $1")
                .bind(login).execute(&mut *tx).await?.rows_affected();
            erased.snoozes = sqlx::query("DELETE FROM snoozes WHERE org = $1 AND (mentor = $2 OR mentee = $2)")
                .bind(org).bind(login).execute(&mut *tx).await?.rows_affected();
            erased.access_log = sqlx::query("DELETE FROM access_log WHERE org = $1 AND subject = $2")
                .bind(org).bind(login).execute(&mut *tx).await?.rows_affected();
            for marker in dropped {
                sqlx::query("DELETE FROM outbox WHERE org = $1 AND marker = $2 AND status <> 'sending'")
                    .bind(org).bind(marker).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM written WHERE org = $1 AND marker = $2")
                    .bind(org).bind(marker).execute(&mut *tx).await?;
            }
            for w in journals {
                // Until the sender edits the issue, what was last written would still hold their milestones.
                sqlx::query("UPDATE written SET body = '' WHERE org = $1 AND marker = $2")
                    .bind(org).bind(&w.marker).execute(&mut *tx).await?;
                plan_write!(tx, w, ms(now), None::<String>, org).await?;
            }
            // A number only, never the data: `erased` holds counts.
            let counts = serde_json::to_string(&erased).unwrap_or_default();
            sqlx::query("INSERT INTO erasures (org, login, erased_by, erased_at, counts) VALUES ($1, $2, $3, $4, $5)")
                .bind(org).bind(login).bind(by).bind(ms(now)).bind(&counts).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(erased)
    }

    /// Returns the erasures recorded in `org`, oldest first.
    pub async fn erasures(&self, org: &str) -> anyhow::Result<Vec<ErasureRow>> {
        let rows = on_reader!(self, p => sqlx::query(
            "SELECT org, login, erased_by, erased_at, counts FROM erasures WHERE org = $1 ORDER BY erased_at, id",
        )
        .bind(org)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>((
                r.try_get::<String, _>("org")?,
                r.try_get::<String, _>("login")?,
                r.try_get::<String, _>("erased_by")?,
                r.try_get::<i64, _>("erased_at")?,
                r.try_get::<String, _>("counts")?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()?);
        rows.into_iter()
            .map(|(org, login, erased_by, at, counts)| {
                Ok(ErasureRow {
                    org,
                    login,
                    erased_by,
                    erased_at: from_ms(at),
                    counts: serde_json::from_str(&counts)
                        .context("decoding an erasure's counts")?,
                })
            })
            .collect()
    }
}
