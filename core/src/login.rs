//! GitHub logins as a case-insensitive identity.
//!
//! GitHub treats `Alice` and `alice` as the same account, so a [`Login`] is stored lowercase and compares that
//! way. Bot accounts (`dependabot[bot]`) are recognised here so that no other module has to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A GitHub login, normalised to lowercase.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    /// Returns the login for `raw`, trimming a leading `@` and whitespace and lowercasing it.
    pub fn new(raw: &str) -> Login {
        Login(raw.trim().trim_start_matches('@').to_ascii_lowercase())
    }

    /// Returns the login as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns true for GitHub App and bot accounts (`name[bot]`), which never count as mentors or mentees.
    pub fn is_bot(&self) -> bool {
        self.0.ends_with("[bot]")
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Login {
    fn from(raw: &str) -> Login {
        Login::new(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_compare_case_insensitively() {
        assert_eq!(Login::new("Alice"), Login::new("@alice"));
        assert_eq!(Login::new(" Bob ").as_str(), "bob");
    }

    #[test]
    fn bots_are_recognised() {
        assert!(Login::new("dependabot[bot]").is_bot());
        assert!(!Login::new("bot-builder").is_bot());
    }
}
