//! Pairing sessions: who is mentoring the commits made in this clone right now, and until when.
//!
//! `mentor pair start` writes one session to `<git common dir>/mentor/pairing.json`, shared by every worktree of
//! the clone; the commit hooks read it and add `Mentored-by:` (and optionally `Co-authored-by:`) trailers while it
//! lasts. The session carries the resolved trailer identity so the hooks never have to parse the YAML config.
//! Resolving a login to a person is done here from an already loaded [`Config`]; reading the config and the
//! clock is left to the callers.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use mentor_core::config::Person;
use mentor_core::{Config, Login, Trailer};
use serde::{Deserialize, Serialize};

/// The session file format version written by this build; older or newer files are reported, not guessed at.
const FORMAT_VERSION: u32 = 1;

/// One pairing session: the mentor credited in commits between `started_at` and `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Format version of the file (currently 1).
    pub version: u32,
    /// The mentor's login.
    pub login: Login,
    /// The mentor's display name used in trailers.
    pub name: String,
    /// The mentor's email used in trailers.
    pub email: String,
    /// Whether commits also get `Co-authored-by:` for the mentor.
    pub co_authored_by: bool,
    /// When the session was started.
    pub started_at: DateTime<Utc>,
    /// When the session stops crediting the mentor.
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// Returns a session crediting `person` from `now` for `length`, with trailers as configured.
    pub fn start(
        config: &Config,
        person: &Person,
        now: DateTime<Utc>,
        length: mentor_core::Duration,
    ) -> Session {
        let (name, email) = trailer_identity(person);
        Session {
            version: FORMAT_VERSION,
            login: person.login.clone(),
            name,
            email,
            co_authored_by: config.pairing.co_authored_by,
            started_at: now,
            expires_at: now + length.to_chrono(),
        }
    }

    /// Returns true while the session credits the mentor at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// Returns the `Name <email>` identity written in trailers.
    pub fn ident(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }

    /// Returns the trailers a commit made during this session carries, in the order they are added.
    pub fn trailers(&self) -> Vec<Trailer> {
        let mut trailers = vec![Trailer { key: "Mentored-by".into(), value: self.ident() }];
        if self.co_authored_by {
            trailers.push(Trailer { key: "Co-authored-by".into(), value: self.ident() });
        }
        trailers
    }
}

/// Returns the `(name, email)` of `person` as used in trailers: their name (else login) and first email (else the
/// GitHub noreply address of the login, which GitHub maps back to the account).
pub fn trailer_identity(person: &Person) -> (String, String) {
    let name = person
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(person.login.as_str())
        .to_string();
    let email = person
        .emails
        .iter()
        .map(|e| e.trim())
        .find(|e| !e.is_empty())
        .map_or_else(|| format!("{}@users.noreply.github.com", person.login), str::to_string);
    (name, email)
}

/// Returns the path of the session file of the clone whose git common dir is `common_dir`.
pub fn session_path(common_dir: &Path) -> PathBuf {
    common_dir.join("mentor").join("pairing.json")
}

/// Reads the session stored under `common_dir`; `Ok(None)` when there is none.
///
/// A file that cannot be read or parsed is an error naming the file, so the hook can warn about it and the user
/// can `mentor pair stop` to clear it.
pub fn load(common_dir: &Path) -> anyhow::Result<Option<Session>> {
    let path = session_path(common_dir);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err)
                .with_context(|| format!("cannot read the pairing session {}", path.display()));
        }
    };
    let session: Session = serde_json::from_slice(&text).with_context(|| {
        format!(
            "the pairing session {} is corrupt\n\nRun `mentor pair stop` to remove it, then `mentor pair start` again.",
            path.display()
        )
    })?;
    if session.version != FORMAT_VERSION {
        anyhow::bail!(
            "the pairing session {} has format version {}, which this mentor does not know\n\nRun `mentor pair stop` and start the session again with this mentor.",
            path.display(),
            session.version
        );
    }
    Ok(Some(session))
}

/// Writes `session` under `common_dir`, replacing any previous one atomically (write then rename).
pub fn save(common_dir: &Path, session: &Session) -> anyhow::Result<()> {
    let path = session_path(common_dir);
    let dir = path.parent().unwrap_or(common_dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!("pairing.json.tmp-{}", std::process::id()));
    let mut json =
        serde_json::to_vec_pretty(session).context("cannot encode the pairing session")?;
    json.push(b'\n');
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().with_context(|| format!("cannot write the pairing session {}", path.display()))
}

/// Removes the session under `common_dir`; returns whether there was one.
pub fn clear(common_dir: &Path) -> anyhow::Result<bool> {
    let path = session_path(common_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err)
            .with_context(|| format!("cannot remove the pairing session {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: Option<&str>, emails: &[&str]) -> Person {
        Person {
            login: Login::new("Bob"),
            name: name.map(str::to_string),
            tier: Default::default(),
            capacity: Default::default(),
            emails: emails.iter().map(|e| e.to_string()).collect(),
            skills: Default::default(),
            wants: Vec::new(),
            team: None,
            level: None,
            avoid: Vec::new(),
            tz: None,
        }
    }

    #[test]
    fn identity_uses_name_and_first_email() {
        let p = person(Some("Bob Builder"), &["bob@example.com", "b@work.example"]);
        assert_eq!(trailer_identity(&p), ("Bob Builder".into(), "bob@example.com".into()));
    }

    #[test]
    fn identity_falls_back_to_login_and_noreply() {
        let p = person(None, &[]);
        assert_eq!(trailer_identity(&p), ("bob".into(), "bob@users.noreply.github.com".into()));
    }

    #[test]
    fn sessions_round_trip_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        let now = DateTime::parse_from_rfc3339("2026-11-17T10:00:00Z").unwrap().with_timezone(&Utc);
        let session = Session {
            version: FORMAT_VERSION,
            login: Login::new("bob"),
            name: "Bob".into(),
            email: "bob@example.com".into(),
            co_authored_by: true,
            started_at: now,
            expires_at: now + chrono::TimeDelta::hours(2),
        };
        save(dir.path(), &session).unwrap();
        let loaded = load(dir.path()).unwrap().unwrap();
        assert_eq!(loaded, session);
        assert!(loaded.is_active(now + chrono::TimeDelta::minutes(119)));
        assert!(!loaded.is_active(now + chrono::TimeDelta::hours(2)));
        assert_eq!(loaded.trailers().len(), 2);
        assert!(clear(dir.path()).unwrap());
        assert!(!clear(dir.path()).unwrap());
    }

    #[test]
    fn corrupt_session_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("mentor")).unwrap();
        std::fs::write(session_path(dir.path()), "{not json").unwrap();
        let err = format!("{:#}", load(dir.path()).unwrap_err());
        assert!(err.contains("pairing.json is corrupt"), "{err}");
    }
}
