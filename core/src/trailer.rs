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
