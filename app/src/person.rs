//! A person's data in one org: what `mentor-app person export` shows and `person erase` removes.
//!
//! The rows are the store's ([`Store::person_rows`]); this module adds the growth journals, found the way the
//! outbox tracks them (one row per marker `journal:<org>:<mentor>/<mentee>`, plus `written` for the issue
//! number), and decides what erasing does to them: the journal's body is replaced by [`REMOVAL_NOTE`], planned as
//! an outbox write that the server sends, and the comments planned on it (nudges) are forgotten. The config
//! (`.github/mentorship.yml`) is the program owner's, not Mentor's: the command tells the operator to edit it.

use chrono::{DateTime, Utc};
use mentor_core::Login;
use serde::Serialize;

use crate::outbox::{self, Write};
use crate::store::{Erased, OutboxOp, PersonRows, PlannedWrite, Store};

/// The text that replaces an erased person's growth journal.
pub const REMOVAL_NOTE: &str =
    "This growth journal was removed: the person's data was erased from Mentor.";

/// The title an erased person's growth journal gets (the old one named them).
pub const REMOVED_TITLE: &str = "Growth journal (removed)";

/// Why a person's data cannot be exported or erased.
#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    /// No installation account by that name.
    #[error("unknown org `{org}`\n\nKnown orgs: {known}.")]
    UnknownOrg {
        /// The org as typed.
        org: String,
        /// The known orgs, comma-separated (or why there are none).
        known: String,
    },
    /// The login is not a valid GitHub login.
    #[error("invalid login `{0}`\n\nGive the person's GitHub login, like `alice` or `@alice`.")]
    InvalidLogin(String),
    /// Nothing is stored about the login in the org.
    #[error(
        "nothing is stored about @{login} in org {org}: nothing to erase\n\nCheck the login; `mentor-app person \
         export --org {org} {login}` shows what is stored."
    )]
    NothingStored {
        /// The org.
        org: String,
        /// The login.
        login: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// A growth journal about the person, as the outbox tracks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalRef {
    /// The outbox marker (`journal:<org>:<mentor>/<mentee>`).
    pub marker: String,
    /// The journal repository.
    pub repo: String,
    /// The issue number once written.
    pub issue: Option<i64>,
    /// The outbox status of its last planned version.
    pub status: String,
}

/// Everything stored about one login in one org.
#[derive(Clone, Debug, Serialize)]
pub struct PersonExport {
    /// The org (lowercase).
    pub org: String,
    /// The login (lowercase).
    pub login: String,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The rows.
    #[serde(flatten)]
    pub rows: PersonRows,
    /// Their growth journals (not yet replaced by the removal note).
    pub journals: Vec<JournalRef>,
}

impl PersonExport {
    /// Returns true when nothing is stored about the person.
    pub fn is_empty(&self) -> bool {
        let r = &self.rows;
        r.touchpoints.is_empty()
            && r.evidence.is_empty()
            && r.tokens.is_empty()
            && r.sessions.is_empty()
            && r.snoozes.is_empty()
            && r.access_log.is_empty()
            && self.journals.is_empty()
    }
}

/// Returns `org` normalized (lowercase, no `@`) when an installation of that name is known.
pub async fn known_org(store: &Store, org: &str) -> Result<String, PersonError> {
    let wanted = org.trim().trim_start_matches('@').to_ascii_lowercase();
    let known: Vec<String> = store.orgs().await?.into_iter().map(|o| o.org).collect();
    if known.contains(&wanted) {
        return Ok(wanted);
    }
    let known = if known.is_empty() {
        "none yet: an org appears once the App is installed on it and sends a webhook".to_string()
    } else {
        known.join(", ")
    };
    Err(PersonError::UnknownOrg { org: org.to_string(), known })
}

/// Returns `text` as a login, or [`PersonError::InvalidLogin`].
pub fn parse_login(text: &str) -> Result<Login, PersonError> {
    let login = Login::new(text);
    let valid = !login.as_str().is_empty()
        && login
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '[' || c == ']');
    if valid { Ok(login) } else { Err(PersonError::InvalidLogin(text.to_string())) }
}

/// Returns the write that replaces the journal with marker `marker`.
fn removal(marker: &str) -> Write {
    Write::Issue { title: REMOVED_TITLE.into(), body: outbox::with_marker(REMOVAL_NOTE, marker) }
}

/// Returns the journals about mentee `login` among `ops`, except those already replaced by the removal note.
fn journals_of<'a>(ops: &'a [OutboxOp], login: &Login) -> Vec<&'a OutboxOp> {
    ops.iter()
        .filter(|o| {
            let about = outbox::journal_pair(&outbox::marker_line(&o.marker))
                .is_some_and(|(_, mentee)| &mentee == login);
            let erased =
                serde_json::from_str::<Write>(&o.op).is_ok_and(|w| w == removal(&o.marker));
            about && !erased
        })
        .collect()
}

/// Returns everything stored about `login` in `org` (both already normalized) as of `now`.
pub async fn export(
    store: &Store,
    org: &str,
    login: &Login,
    now: DateTime<Utc>,
) -> Result<PersonExport, PersonError> {
    let rows = store.person_rows(org, login.as_str()).await?;
    let ops = store.outbox_ops(org, "journal:").await?;
    let journals = journals_of(&ops, login)
        .into_iter()
        .map(|o| JournalRef {
            marker: o.marker.clone(),
            repo: o.repo.clone(),
            issue: o.object_id,
            status: o.status.clone(),
        })
        .collect();
    Ok(PersonExport {
        org: org.to_string(),
        login: login.as_str().to_string(),
        exported_at: now,
        rows,
        journals,
    })
}

/// What an erasure did.
#[derive(Clone, Debug)]
pub struct Erasure {
    /// Rows removed per kind.
    pub erased: Erased,
    /// The journals whose removal note is planned.
    pub journals: Vec<JournalRef>,
}

/// Erases everything stored about `login` in `org` (both already normalized): deletes the rows, plans the
/// removal note on each of their journals, and records the erasure as done by `by` at `now`.
pub async fn erase(
    store: &Store,
    org: &str,
    login: &Login,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Erasure, PersonError> {
    let before = export(store, org, login, now).await?;
    if before.is_empty() {
        return Err(PersonError::NothingStored {
            org: org.to_string(),
            login: login.as_str().to_string(),
        });
    }
    let ops = store.outbox_ops(org, "").await?;
    let journals = journals_of(&ops, login);
    let planned: Vec<PlannedWrite> = journals
        .iter()
        .map(|o| outbox::plan(o.marker.clone(), o.installation_id, &o.repo, &removal(&o.marker)))
        .collect();
    // Comments planned on those journals (nudges) name the pair: they are forgotten, and never sent if pending.
    let dropped: Vec<String> = ops
        .iter()
        .filter(|o| match serde_json::from_str::<Write>(&o.op) {
            Ok(Write::JournalComment { journal, .. }) => {
                journals.iter().any(|j| j.marker == journal)
            }
            _ => false,
        })
        .map(|o| o.marker.clone())
        .collect();
    let erased = store.erase_person(org, login.as_str(), &planned, &dropped, by, now).await?;
    Ok(Erasure { erased, journals: before.journals })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(marker: &str, write: &Write) -> OutboxOp {
        OutboxOp {
            marker: marker.into(),
            installation_id: 1,
            repo: "acme/journal".into(),
            op: serde_json::to_string(write).unwrap(),
            status: "done".into(),
            object_id: Some(3),
        }
    }

    #[test]
    fn journals_are_found_by_their_mentee_and_not_again_once_erased() {
        let issue = Write::Issue { title: "t".into(), body: "b".into() };
        let ops = [
            op("journal:acme:bob/alice", &issue),
            op("journal:acme:bob/carol", &issue),
            op("journal:acme:alice/dave", &issue),
            op("journal:acme:eve/alice", &removal("journal:acme:eve/alice")),
        ];
        let found: Vec<&str> =
            journals_of(&ops, &Login::new("Alice")).iter().map(|o| o.marker.as_str()).collect();
        assert_eq!(found, ["journal:acme:bob/alice"]);
    }

    #[test]
    fn logins_are_checked() {
        assert_eq!(parse_login("@Alice").unwrap().as_str(), "alice");
        assert!(matches!(parse_login("a b"), Err(PersonError::InvalidLogin(_))));
        assert!(matches!(parse_login(" "), Err(PersonError::InvalidLogin(_))));
    }
}
