//! Parsing and validating the YAML text. TODO(helper).

use super::{Config, ConfigErrors};

/// Parses and validates the text of `file`.
pub fn parse(_file: &str, _text: &str) -> Result<Config, ConfigErrors> {
    Err(ConfigErrors(Vec::new()))
}
