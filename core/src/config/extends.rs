//! `_extends`: a file inheriting another, the way Probot does it, resolved on text.
//!
//! A file names its base with `_extends: .github` (the org's `.github` repository), `repo`, or `owner/repo`,
//! optionally with `:path` for another file than `.github/mentorship.yml`. The extending file's top-level
//! sections replace the base's whole sections; sections it leaves out come from the base. The merge is done on
//! the text, section by section, so the parser sees one document; [`parse_layers`] maps every error and every
//! recorded origin back to the file and line it came from. Fetching the files is the caller's job (the app from
//! GitHub, the CLI from `--org-config`).

use std::collections::BTreeSet;

use super::{Config, ConfigError, ConfigErrors};

/// The path of the config file in a repository.
pub const CONFIG_PATH: &str = ".github/mentorship.yml";

/// One file of an `_extends` chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// `owner/repo:path` (or a local path), used as the file name in errors.
    pub label: String,
    /// `owner/repo` it was read from (resolves `.github` and `repo` values of its own `_extends`).
    pub repo: String,
    /// The file's text.
    pub text: String,
}

/// Where a line of the merged text came from: (file label, 1-based line).
type LineOrigins = Vec<(String, u64)>;

/// A top-level section of a YAML file: its key line and every line up to the next top-level key.
struct Section<'t> {
    /// The key, or `None` for what precedes the first key (comments, `---`).
    key: Option<String>,
    /// (1-based line number, text).
    lines: Vec<(u64, &'t str)>,
}

/// Returns the key of a top-level `key:` line, or None for anything else (indented, comment, marker, scalar).
pub fn top_level_key(line: &str) -> Option<String> {
    let first = line.chars().next()?;
    if first.is_whitespace() || "#-{[".contains(first) || line.starts_with("...") {
        return None;
    }
    let (key, rest) = if let Some(quote @ ('"' | '\'')) = line.chars().next() {
        let end = line[1..].find(quote)? + 1;
        (&line[1..end], &line[end + 1..])
    } else {
        let colon = line.find(':')?;
        (&line[..colon], &line[colon..])
    };
    let rest = rest.strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with([' ', '\t']) || rest.starts_with('#'))
        .then(|| key.trim().to_owned())
}

fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out = vec![Section { key: None, lines: Vec::new() }];
    for (i, line) in text.lines().enumerate() {
        let number = i as u64 + 1;
        match top_level_key(line) {
            Some(key) => out.push(Section { key: Some(key), lines: vec![(number, line)] }),
            None => {
                if let Some(last) = out.last_mut() {
                    last.lines.push((number, line));
                }
            }
        }
    }
    out
}

/// Returns the line of the first content of `layer` that belongs to no top-level section (a flow mapping, a bare
/// scalar), which the section merge would otherwise drop.
pub fn unmergeable_line(layer: &Layer) -> Option<u64> {
    let preamble = sections(&layer.text).into_iter().next()?;
    preamble.lines.iter().find_map(|(number, line)| {
        let t = line.trim();
        let insignificant = t.is_empty() || t.starts_with('#') || t == "---" || t == "...";
        (!insignificant).then_some(*number)
    })
}

/// Returns the line and value of a top-level `_extends:` in `text`.
pub fn extends_of(text: &str) -> Option<(u64, String)> {
    let section = sections(text).into_iter().find(|s| s.key.as_deref() == Some("_extends"))?;
    let (line, raw) = *section.lines.first()?;
    let value = raw.split_once(':').map(|(_, v)| v).unwrap_or_default();
    let value = value.split(" #").next().unwrap_or_default().trim().trim_matches(['"', '\'']);
    Some((line, value.to_owned()))
}

/// Resolves an `_extends` value against the repository that holds it: `.github`/`repo` → same owner,
/// `owner/repo` as is; an optional `:path` picks another file than `.github/mentorship.yml`.
pub fn extends_target(value: &str, holder: &str) -> Option<(String, String)> {
    let (repo, path) = match value.split_once(':') {
        Some((repo, path)) if !path.is_empty() => (repo, path.trim_start_matches('/')),
        Some(_) => return None,
        None => (value, CONFIG_PATH),
    };
    let owner = holder.split_once('/')?.0;
    let valid = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match repo.split_once('/') {
        None if valid(repo) => Some((format!("{owner}/{repo}"), path.to_owned())),
        Some((o, r)) if valid(o) && valid(r) => Some((format!("{o}/{r}"), path.to_owned())),
        _ => None,
    }
}

/// Merges an `_extends` chain (file in force first) into one text, Probot style: a section of a file replaces the
/// same section of every file below it. Returns the text and, per line, where it came from.
fn merge_layers(layers: &[Layer]) -> (String, LineOrigins) {
    let mut origins = LineOrigins::new();
    let mut merged = String::new();
    let mut push = |label: &str, number: u64, line: &str| {
        merged.push_str(line);
        merged.push('\n');
        origins.push((label.to_owned(), number));
    };
    if let [only] = layers {
        // Nothing to merge: hand the file over exactly as written.
        for (i, line) in only.text.lines().enumerate() {
            push(&only.label, i as u64 + 1, line);
        }
        return (only.text.clone(), origins);
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut chosen: Vec<(&str, Section<'_>)> = Vec::new();
    for (depth, layer) in layers.iter().enumerate() {
        for section in sections(&layer.text) {
            match &section.key {
                // Comments before the first key matter only in the file in force; document markers are dropped
                // everywhere, since the merged text is one document.
                None if depth > 0 => continue,
                None => {}
                // Only the file in force keeps its `_extends` (it is what `Config::extends` reports).
                Some(key) if key == "_extends" && depth > 0 => continue,
                // A section already taken from a file higher up the chain replaces this one.
                Some(key) if !taken.insert(key.clone()) => continue,
                Some(_) => {}
            }
            chosen.push((&layer.label, section));
        }
    }
    // Preamble first, then base sections before the sections of the files extending them (YAML mappings are
    // unordered, so this only keeps the merged text readable in error messages).
    chosen.sort_by_key(|(label, section)| {
        (section.key.is_some(), std::cmp::Reverse(layers.iter().position(|l| l.label == *label)))
    });
    for (label, section) in &chosen {
        for (number, line) in &section.lines {
            if section.key.is_none() && (line.starts_with("---") || line.starts_with("...")) {
                continue;
            }
            push(label, *number, line);
        }
    }
    (merged, origins)
}

/// Points an error of the merged text at the file and line it came from.
fn relocate(mut error: ConfigError, origins: &LineOrigins) -> ConfigError {
    let index = usize::try_from(error.line).ok().and_then(|l| l.checked_sub(1));
    if let Some((label, line)) = index.and_then(|i| origins.get(i)) {
        error.file = label.clone();
        error.line = *line;
    }
    error
}

/// Parses an `_extends` chain (the file in force first, its furthest base last) into one [`Config`] with `parse`
/// ([`super::parse`] outside tests): sections merged Probot style, every error and every recorded origin pointed
/// at the file and line it came from.
pub fn parse_layers(
    layers: &[Layer],
    parse: fn(&str, &str) -> Result<Config, ConfigErrors>,
) -> Result<Config, ConfigErrors> {
    let Some(first) = layers.first() else {
        return Err(ConfigErrors(vec![ConfigError {
            file: String::new(),
            line: 0,
            column: 0,
            message: "no config file to parse".into(),
        }]));
    };
    if layers.len() > 1
        && let Some((label, line)) =
            layers.iter().find_map(|l| unmergeable_line(l).map(|n| (&l.label, n)))
    {
        return Err(ConfigErrors(vec![ConfigError {
            file: label.clone(),
            line,
            column: 1,
            message: "content outside a top-level `key:` section cannot be merged with `_extends`\n\n\
                      Write the file as a block mapping (one `section:` per line at column 1), not as a flow mapping."
                .into(),
        }]));
    }
    let (merged, origins) = merge_layers(layers);
    match parse(&first.label, &merged) {
        Ok(mut config) => {
            config.origins.relocate(|place| {
                let index = usize::try_from(place.line).ok().and_then(|l| l.checked_sub(1));
                if let Some((label, line)) = index.and_then(|i| origins.get(i)) {
                    place.file = label.clone();
                    place.line = *line;
                }
            });
            Ok(config)
        }
        Err(ConfigErrors(errors)) => Err(ConfigErrors(if errors.is_empty() {
            vec![ConfigError {
                file: first.label.clone(),
                line: 0,
                column: 0,
                message: "invalid (the parser gave no details)".into(),
            }]
        } else {
            errors.into_iter().map(|e| relocate(e, &origins)).collect()
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_keys_are_recognised() {
        assert_eq!(top_level_key("people:").as_deref(), Some("people"));
        assert_eq!(top_level_key("sprints: { length: 2w }").as_deref(), Some("sprints"));
        assert_eq!(top_level_key("\"privacy\": x").as_deref(), Some("privacy"));
        assert_eq!(top_level_key("_extends: .github # org file").as_deref(), Some("_extends"));
        assert_eq!(top_level_key("  bob: {}"), None);
        assert_eq!(top_level_key("# people:"), None);
        assert_eq!(top_level_key("- a"), None);
        assert_eq!(top_level_key("url: http://x"), Some("url".to_owned()));
        assert_eq!(top_level_key("http://x"), None);
    }

    #[test]
    fn extends_values_resolve_like_probot() {
        let at = |v: &str| extends_target(v, "acme/api");
        assert_eq!(at(".github"), Some(("acme/.github".to_owned(), CONFIG_PATH.to_owned())));
        assert_eq!(at("shared"), Some(("acme/shared".to_owned(), CONFIG_PATH.to_owned())));
        assert_eq!(at("other/base"), Some(("other/base".to_owned(), CONFIG_PATH.to_owned())));
        assert_eq!(at("base:conf/m.yml"), Some(("acme/base".to_owned(), "conf/m.yml".to_owned())));
        assert_eq!(at("a/b/c"), None);
        assert_eq!(at(""), None);
        assert_eq!(
            extends_of("# x\n_extends: '.github'  # org\npeople: {}\n"),
            Some((2, ".github".to_owned()))
        );
    }

    #[test]
    fn merge_lets_the_extending_file_replace_whole_sections_and_maps_lines_back() {
        let layers = [
            Layer {
                label: "acme/api:f".to_owned(),
                repo: "acme/api".to_owned(),
                text: "# repo\n_extends: .github\ntemplates:\n  on_mentee_pr: guide\n".to_owned(),
            },
            Layer {
                label: "acme/.github:f".to_owned(),
                repo: "acme/.github".to_owned(),
                text: "---\nsprints:\n  length: 2w\ntemplates:\n  on_mentee_pr: base\n".to_owned(),
            },
        ];
        let (merged, origins) = merge_layers(&layers);
        assert_eq!(
            merged,
            "# repo\nsprints:\n  length: 2w\n_extends: .github\ntemplates:\n  on_mentee_pr: guide\n"
        );
        let error = ConfigError {
            file: "acme/api:f".to_owned(),
            line: 3,
            column: 3,
            message: "bad".to_owned(),
        };
        assert_eq!(relocate(error, &origins).to_string(), "acme/.github:f:3:3: bad");
    }
}
