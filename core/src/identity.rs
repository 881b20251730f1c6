//! Mapping commit identities (emails, `Name <email>` trailer values) to configured logins.
//!
//! A commit author is recognised by one of `people.*.emails`, or by a GitHub noreply address
//! (`login@users.noreply.github.com` or `12345+login@users.noreply.github.com`).

use std::collections::HashMap;

use crate::config::Config;
use crate::login::Login;

/// Resolves emails to logins for one config.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    by_email: HashMap<String, Login>,
    known: std::collections::HashSet<Login>,
}

impl Roster {
    /// Builds the email index of `config`.
    pub fn new(config: &Config) -> Roster {
        let mut by_email = HashMap::new();
        let mut known = std::collections::HashSet::new();
        for person in config.people.values() {
            known.insert(person.login.clone());
            for email in &person.emails {
                by_email.insert(email.trim().to_ascii_lowercase(), person.login.clone());
            }
        }
        Roster { by_email, known }
    }

    /// Returns the configured login that owns `email`, if any.
    pub fn login_for_email(&self, email: &str) -> Option<Login> {
        let email = email.trim().to_ascii_lowercase();
        if let Some(login) = self.by_email.get(&email) {
            return Some(login.clone());
        }
        let login = Login::new(noreply_login(&email)?);
        self.known.contains(&login).then_some(login)
    }

    /// Returns the configured login named by a trailer value like `Bob Builder <bob@example.com>`.
    pub fn login_for_ident(&self, ident: &str) -> Option<Login> {
        let email =
            ident.rsplit_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(e, _)| e)?;
        self.login_for_email(email)
    }
}

/// Returns the login inside a GitHub noreply address, if `email` is one.
pub fn noreply_login(email: &str) -> Option<&str> {
    let local = email.strip_suffix("@users.noreply.github.com")?;
    let login = local.split_once('+').map_or(local, |(_, l)| l);
    (!login.is_empty()).then_some(login)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noreply_addresses() {
        assert_eq!(noreply_login("12345+alice@users.noreply.github.com"), Some("alice"));
        assert_eq!(noreply_login("alice@users.noreply.github.com"), Some("alice"));
        assert_eq!(noreply_login("alice@example.com"), None);
    }
}
