//! Why a piece of background work failed, in the one way that matters to whoever runs it: retry or not.
//!
//! The worker (deliveries) and the outbox sender (GitHub writes) both turn their causes into a [`Failure`]:
//! GitHub's own errors keep their verdict ([`GitHubError`] already says transient or permanent), a database
//! error is its own cause, worth a retry (the next attempt usually finds the database back), and a config that
//! cannot be read is transient only when GitHub could not be asked.

use crate::config_source::ConfigSourceError;
use crate::github::GitHubError;

/// Why processing failed, and whether another attempt may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another attempt (GitHub 5xx, timeouts, rate limits, the database).
    Transient(String),
    /// Retrying will not help (a payload that cannot be read, a write GitHub refuses for good).
    Permanent(String),
}

impl Failure {
    /// Returns the failure for a database error: transient, labelled as the database's.
    pub fn database(error: &anyhow::Error) -> Failure {
        Failure::Transient(format!("database: {error:#}"))
    }

    /// Returns true when another attempt may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::Transient(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Transient(m) | Failure::Permanent(m) => f.write_str(m),
        }
    }
}

impl From<GitHubError> for Failure {
    fn from(e: GitHubError) -> Failure {
        match e {
            GitHubError::Transient(m) | GitHubError::Overloaded(m) => {
                Failure::Transient(format!("github: {m}"))
            }
            GitHubError::Permanent(m) => Failure::Permanent(format!("github: {m}")),
        }
    }
}

impl From<ConfigSourceError> for Failure {
    fn from(e: ConfigSourceError) -> Failure {
        match &e {
            // GitHub could not be asked: a later attempt may succeed.
            ConfigSourceError::Unreachable { transient: true, .. } => {
                Failure::Transient(e.to_string())
            }
            // An invalid file (with no earlier good one) or a permission problem: visible as the delivery's
            // error; `deliveries retry` once the file is fixed.
            _ => Failure::Permanent(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_says_retry_or_not() {
        assert!(Failure::from(GitHubError::Transient("502".into())).is_transient());
        assert!(!Failure::from(GitHubError::Permanent("422".into())).is_transient());
        let db = Failure::database(&anyhow::anyhow!("pool timed out"));
        assert_eq!(db, Failure::Transient("database: pool timed out".into()));
        let invalid = ConfigSourceError::Invalid { repo: "acme".into(), errors: "x".into() };
        assert!(!Failure::from(invalid).is_transient());
        let unreachable = ConfigSourceError::Unreachable {
            repo: "acme".into(),
            message: "503".into(),
            transient: true,
        };
        assert!(Failure::from(unreachable).is_transient());
    }
}
