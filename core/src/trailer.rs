//! Git trailers, parsed and added exactly as `git interpret-trailers` does.
//!
//! TODO(helper): implementation in progress.

use serde::{Deserialize, Serialize};

/// One `Key: value` trailer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trailer {
    /// The key as written (compare case-insensitively).
    pub key: String,
    /// The value, trimmed; continuation lines are joined with a single space... (see module docs).
    pub value: String,
}

/// Where comment lines start (placeholder until the full implementation lands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailerOptions {
    /// The comment prefix.
    pub comment_prefix: String,
}

impl Default for TrailerOptions {
    fn default() -> Self {
        TrailerOptions { comment_prefix: "#".into() }
    }
}

impl TrailerOptions {
    /// Returns options with `prefix` as the comment prefix.
    pub fn with_comment(prefix: &str) -> Self {
        TrailerOptions { comment_prefix: prefix.into() }
    }
}

/// Placeholder: parses `Key: value` lines of the last paragraph.
pub fn parse(message: &str, _opts: &TrailerOptions) -> Vec<Trailer> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    last.lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|(k, v)| Trailer { key: k.to_string(), value: v.trim().to_string() })
        .collect()
}
