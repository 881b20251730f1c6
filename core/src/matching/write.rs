//! Adding proposed pairs to a config file's text, keeping its comments and layout.
//!
//! The new entries go after the last entry of the top-level `pairs:` list (in its indentation), replace an
//! empty `pairs: []`, or start a new `pairs:` key at the end of the file. Callers re-parse the result before
//! writing it, so a file this cannot edit safely is refused, never damaged.

use super::{ProposedPair, pairs_yaml};

/// Why the pairs could not be added.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteError {
    /// `pairs:` is a non-empty flow list (`pairs: [ {...} ]`), which cannot be extended line by line.
    #[error(
        "line {0}: `pairs:` is written as a flow list `[ … ]`\n\nWrite it as a block list (`- {{ mentor: … }}` lines) and run again."
    )]
    FlowList(usize),
}

/// Returns `text` with `pairs` added to its top-level `pairs:` list.
pub fn add_pairs(text: &str, pairs: &[ProposedPair]) -> Result<String, WriteError> {
    if pairs.is_empty() {
        return Ok(text.to_string());
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(key) = lines.iter().position(|l| l.starts_with("pairs:")) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("pairs:\n");
        out.push_str(&pairs_yaml(pairs, "  "));
        return Ok(out);
    };
    let rest = lines[key]["pairs:".len()..].trim();
    let rest = rest.split(" #").next().unwrap_or("").trim();
    if rest == "[]" {
        let mut out: String = lines[..key].concat();
        out.push_str("pairs:\n");
        out.push_str(&pairs_yaml(pairs, "  "));
        out.push_str(&lines[key + 1..].concat());
        return Ok(out);
    }
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(WriteError::FlowList(key + 1));
    }
    // The block: every following line that is indented, a list item at column 0, blank or a comment, up to the
    // next top-level key; new entries go after its last real line, so trailing comments stay where they were.
    let mut last = key;
    let mut indent: Option<String> = None;
    for (i, line) in lines.iter().enumerate().skip(key + 1) {
        let trimmed = line.trim_start();
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = &line[..line.len() - trimmed.len()];
        if lead.is_empty() && !trimmed.starts_with('-') {
            break;
        }
        if indent.is_none() && trimmed.starts_with('-') {
            indent = Some(lead.to_string());
        }
        last = i;
    }
    let indent = indent.unwrap_or_else(|| "  ".to_string());
    let mut out: String = lines[..=last].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&pairs_yaml(pairs, &indent));
    out.push_str(&lines[last + 1..].concat());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::Login;

    fn pair() -> ProposedPair {
        ProposedPair {
            mentor: Login::new("bob"),
            mentee: Login::new("ana"),
            track: "backend".into(),
            score: 1.0,
            rationale: "rust 4 vs wanted; first pairing".into(),
            since: "2026-12-01".parse().unwrap(),
            runner_up: None,
        }
    }

    const NEW: &str = "{ mentor: bob, mentee: ana, track: backend, since: 2026-12-01, rationale: \"rust 4 vs wanted; first pairing\" }";

    #[test]
    fn new_pairs_follow_the_last_entry_in_its_indentation() {
        let text = "people: {}\npairs:\n    # the first cohort\n    - { mentor: a, mentee: b }\n      # about b\n\n# tracks next\ntracks: {}\n";
        let out = add_pairs(text, &[pair()]).unwrap();
        assert_eq!(
            out,
            format!(
                "people: {{}}\npairs:\n    # the first cohort\n    - {{ mentor: a, mentee: b }}\n    - {NEW}\n      # about b\n\n# tracks next\ntracks: {{}}\n"
            )
        );
    }

    #[test]
    fn a_missing_or_empty_list_is_started() {
        assert_eq!(
            add_pairs("people: {}", &[pair()]).unwrap(),
            format!("people: {{}}\npairs:\n  - {NEW}\n")
        );
        assert_eq!(
            add_pairs("pairs: [] # none yet\ntracks: {}\n", &[pair()]).unwrap(),
            format!("pairs:\n  - {NEW}\ntracks: {{}}\n")
        );
        assert_eq!(
            add_pairs("pairs:\ntracks: {}\n", &[pair()]).unwrap(),
            format!("pairs:\n  - {NEW}\ntracks: {{}}\n")
        );
        assert_eq!(add_pairs("pairs: [{ a: 1 }]\n", &[pair()]), Err(WriteError::FlowList(1)));
    }
}
