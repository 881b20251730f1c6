//! API tokens and the roles they carry.
//!
//! Tokens are random, shown once by `mentor-app token create`, and stored only as their SHA-256, with the org
//! they belong to. A token has one [`Role`] in that org: admins and managers read the load of everyone, a mentor
//! only their own row; a mentee's evidence is readable by that mentee, their mentor and admins. Managers never
//! see evidence, and no feedback text is ever returned.

use std::fmt;

use chrono::Utc;
use mentor_core::Login;
use sha2::{Digest, Sha256};

use crate::store::Store;

/// Who a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Load of every mentor; no evidence.
    Manager,
    /// Their own load row and their mentees' evidence.
    Mentor(Login),
    /// Their own evidence.
    Mentee(Login),
    /// Nothing of the API: only their check-in calendar feed (`/orgs/{org}/calendar/{token}.ics`).
    Calendar(Login),
}

impl Role {
    /// Returns true if this role may read `mentee`'s evidence and feedback counts: an admin, the mentee, or a
    /// mentor paired with them under `config`.
    pub fn may_read_mentee(&self, config: &mentor_core::Config, mentee: &Login) -> bool {
        match self {
            // The dashboard's rule, for a token that carries one role.
            Role::Admin => true,
            Role::Mentee(me) | Role::Mentor(me) => {
                config.may_see_growth(me, mentor_core::config::Roles::default(), mentee)
            }
            Role::Manager | Role::Calendar(_) => false,
        }
    }

    /// Parses `admin`, `manager`, `mentor:<login>`, `mentee:<login>` or `calendar:<login>`.
    pub fn parse(text: &str) -> Result<Role, String> {
        let login = |l: &str| {
            let l = l.trim().trim_start_matches('@');
            if l.is_empty() || l.contains(char::is_whitespace) {
                Err(format!("invalid login in role `{text}`"))
            } else {
                Ok(Login::new(l))
            }
        };
        match text.split_once(':') {
            None if text == "admin" => Ok(Role::Admin),
            None if text == "manager" => Ok(Role::Manager),
            Some(("mentor", l)) => Ok(Role::Mentor(login(l)?)),
            Some(("mentee", l)) => Ok(Role::Mentee(login(l)?)),
            Some(("calendar", l)) => Ok(Role::Calendar(login(l)?)),
            _ => Err(format!(
                "unknown role `{text}`\n\nUse one of: admin, manager, mentor:<login>, mentee:<login>, calendar:<login>."
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Admin => f.write_str("admin"),
            Role::Manager => f.write_str("manager"),
            Role::Mentor(l) => write!(f, "mentor:{}", l.as_str()),
            Role::Mentee(l) => write!(f, "mentee:{}", l.as_str()),
            Role::Calendar(l) => write!(f, "calendar:{}", l.as_str()),
        }
    }
}

/// Returns the stored form of a token (its SHA-256, hex).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token for `role` in `org`, stores its hash and returns the token.
pub async fn create_token(store: &Store, org: &str, role: &Role) -> anyhow::Result<String> {
    let bytes: [u8; 32] = rand::random();
    let token = format!("mtr_{}", hex::encode(bytes));
    store.insert_token(&token_hash(&token), org, &role.to_string(), Utc::now()).await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for text in ["admin", "manager", "mentor:bob", "mentee:alice"] {
            assert_eq!(Role::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Role::parse("mentee:@alice").unwrap(), Role::Mentee(Login::new("alice")));
        assert!(Role::parse("boss").is_err());
        assert!(Role::parse("mentor:").is_err());
    }
}
