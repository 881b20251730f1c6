//! The config in force for a repository: fetched from GitHub, `_extends` resolved, cached, and kept when broken.
//!
//! Where it comes from: the repository's own `.github/mentorship.yml`, else the org's `.github` repository
//! (`<owner>/.github`, same path). `_extends` names a base file (`.github`, `repo` or `owner/repo`, optionally
//! `:path`) the way Probot does: the extending file's top-level sections replace the base's whole sections, and
//! sections it leaves out come from the base. The merge is done on the YAML text, section by section, so the core
//! parser sees one document; each error it reports is mapped back to the file and line it came from.
//!
//! Caching: one entry per repository, fresh for [`CONFIG_TTL`] (failures too, so a broken file is not fetched and
//! parsed again on every event). A broken new config is reported (`problems()`, a warning) and the last good one
//! stays in force. [`ConfigSource::invalidate`] marks every entry that read from a repository stale (a push that
//! touched the file), without dropping its last good config. Parsing and validation belong to `mentor_core`.
//!
//! [`enrich`] lives here because what it fetches depends on the config's rules.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mentor_core::config::{ConfigError, ConfigErrors};
use mentor_core::trailer::{self, TrailerOptions};
use mentor_core::{Activity, ActivityKind, Config};

use crate::github::{GitHubApi, GitHubError};
use crate::normalize::CONFIG_PATH;

/// How long a fetched config (or a failure to get one) is used before GitHub is asked again.
pub const CONFIG_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a failure to reach GitHub is remembered: shorter than [`CONFIG_TTL`], since it is not the file's fault.
pub const UNREACHABLE_TTL: Duration = Duration::from_secs(30);
/// How many `_extends` hops are followed before the chain is reported as too long.
const MAX_EXTENDS_DEPTH: usize = 5;

/// Parses the text of one (merged) config file; [`mentor_core::config::parse`] outside tests.
pub type ConfigParser = fn(&str, &str) -> Result<Config, ConfigErrors>;

/// Why no config could be put in force for a repository (and no earlier good one exists).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigSourceError {
    /// GitHub could not be asked (network, rate limit, permissions).
    #[error("cannot read the mentorship config of {repo} from GitHub: {message}")]
    Unreachable {
        /// `owner/name`.
        repo: String,
        /// What went wrong.
        message: String,
        /// True when retrying later may help.
        transient: bool,
    },
    /// The config exists but is invalid.
    #[error(
        "the mentorship config of {repo} is invalid:\n{errors}\n\nFix the file (check it with `mentor config check`); \
         Mentor stays off for {repo} until then."
    )]
    Invalid {
        /// `owner/name`.
        repo: String,
        /// Every problem, one per line, each with file:line:col.
        errors: String,
    },
}

/// What the last check of a repository found.
#[derive(Clone)]
enum Found {
    Config(Arc<Config>),
    Nothing,
    Failed(ConfigSourceError),
}

struct Entry {
    /// When GitHub was last asked; `None` once invalidated.
    checked_at: Option<Instant>,
    /// What that check found.
    found: Found,
    /// The last config that parsed, kept in force while a newer one is broken or unreachable.
    last_good: Option<Arc<Config>>,
    /// Repositories the check read from (the repo, the org `.github` repo, `_extends` targets).
    sources: BTreeSet<String>,
}

impl Entry {
    fn is_fresh(&self, now: Instant) -> bool {
        let ttl = match &self.found {
            Found::Failed(ConfigSourceError::Unreachable { .. }) => UNREACHABLE_TTL,
            _ => CONFIG_TTL,
        };
        self.checked_at.is_some_and(|t| now.duration_since(t) < ttl)
    }

    fn answer(&self) -> Result<Option<Arc<Config>>, ConfigSourceError> {
        match (&self.found, &self.last_good) {
            (Found::Config(config), _) => Ok(Some(Arc::clone(config))),
            (Found::Nothing, _) => Ok(None),
            (Found::Failed(_), Some(good)) => Ok(Some(Arc::clone(good))),
            (Found::Failed(e), None) => Err(e.clone()),
        }
    }
}

/// The config in force per repository, fetched through [`GitHubApi`] and cached.
pub struct ConfigSource {
    github: Arc<dyn GitHubApi>,
    parse: ConfigParser,
    cache: Mutex<HashMap<String, Entry>>,
}

impl ConfigSource {
    /// Returns a source that reads configs through `github` and parses them with `mentor_core::config::parse`.
    pub fn new(github: Arc<dyn GitHubApi>) -> Self {
        Self::with_parser(github, mentor_core::config::parse)
    }

    /// Returns a source that parses with `parse` instead of the core parser.
    pub fn with_parser(github: Arc<dyn GitHubApi>, parse: ConfigParser) -> Self {
        ConfigSource { github, parse, cache: Mutex::new(HashMap::new()) }
    }

    /// Returns the config in force for `repo` (repo file, else org `.github` repo, `_extends` resolved),
    /// cached; a broken new config is reported in the error list and the last good one stays in force.
    /// Ok(None) when no config exists anywhere (Mentor is off for that repo).
    pub async fn config_for(
        &self,
        installation_id: u64,
        repo: &str,
    ) -> Result<Option<Arc<Config>>, ConfigSourceError> {
        let key = repo.to_ascii_lowercase();
        if let Some(entry) = self.lock().get(&key)
            && entry.is_fresh(Instant::now())
        {
            return entry.answer();
        }
        let mut sources = BTreeSet::new();
        let found = match self.resolve(installation_id, repo, &mut sources).await {
            Ok(Some(config)) => Found::Config(Arc::new(config)),
            Ok(None) => Found::Nothing,
            Err(e) => {
                tracing::warn!(repo, "{e}");
                Found::Failed(e)
            }
        };
        let mut cache = self.lock();
        let entry = cache.entry(key).or_insert_with(|| Entry {
            checked_at: None,
            found: Found::Nothing,
            last_good: None,
            sources: BTreeSet::new(),
        });
        if let Found::Config(config) = &found {
            entry.last_good = Some(Arc::clone(config));
        }
        if let (Found::Nothing, Some(_)) = (&found, &entry.last_good) {
            // The file was deleted: Mentor is off for the repo, there is nothing to keep in force.
            entry.last_good = None;
        }
        if let (Found::Failed(_), Some(good)) = (&found, &entry.last_good) {
            tracing::warn!(repo, config = %good.hash, "keeping the last good mentorship config in force");
        }
        entry.checked_at = Some(Instant::now());
        entry.found = found;
        entry.sources = sources;
        entry.answer()
    }

    /// Forgets cached config of `repo` (and of every repo if `repo` is the org's `.github` repo).
    ///
    /// Precisely: every entry that read from `repo` (its own file, an org fallback, an `_extends` target) is
    /// asked again on next use. The last good config of each stays in force if the new one turns out broken.
    pub fn invalidate(&self, repo: &str) {
        let repo = repo.to_ascii_lowercase();
        for entry in self.lock().values_mut() {
            if entry.sources.contains(&repo) {
                entry.checked_at = None;
            }
        }
        if let Some(entry) = self.lock().get_mut(&repo) {
            entry.checked_at = None;
        }
    }

    /// Problems found in configs, for `mentor-app deliveries` and logs: (repo, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .lock()
            .iter()
            .filter_map(|(repo, entry)| match &entry.found {
                Found::Failed(e) => Some((repo.clone(), e.to_string())),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (each update is a few assignments),
        // so a poisoned cache is still usable.
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Fetches, merges and parses the config of `repo`, recording every repository read in `sources`.
    async fn resolve(
        &self,
        installation_id: u64,
        repo: &str,
        sources: &mut BTreeSet<String>,
    ) -> Result<Option<Config>, ConfigSourceError> {
        let unreachable = |e: GitHubError| ConfigSourceError::Unreachable {
            repo: repo.to_owned(),
            transient: matches!(e, GitHubError::Transient(_)),
            message: e.to_string(),
        };
        let invalid = |errors: String| ConfigSourceError::Invalid { repo: repo.to_owned(), errors };
        let Some((owner, _)) = repo.split_once('/') else {
            return Err(invalid(format!(
                "{repo:?} is not a repository name of the form owner/name"
            )));
        };
        sources.insert(repo.to_ascii_lowercase());
        let mut home = repo.to_owned();
        let mut text =
            self.github.file_text(installation_id, repo, CONFIG_PATH).await.map_err(unreachable)?;
        let org_repo = format!("{owner}/.github");
        if text.is_none() && !repo.eq_ignore_ascii_case(&org_repo) {
            sources.insert(org_repo.to_ascii_lowercase());
            text = self
                .github
                .file_text(installation_id, &org_repo, CONFIG_PATH)
                .await
                .map_err(unreachable)?;
            home = org_repo;
        }
        let Some(text) = text else { return Ok(None) };

        // Layers from the file in force down to its furthest base.
        let mut layers =
            vec![Layer { label: format!("{home}:{CONFIG_PATH}"), repo: home.clone(), text }];
        loop {
            let current =
                layers.last().map(|l| (l.label.clone(), l.repo.clone(), extends_of(&l.text)));
            let Some((label, current_repo, Some((line, value)))) = current else { break };
            let (target_repo, target_path) = extends_target(&value, &current_repo)
                .ok_or_else(|| invalid(format!("{label}:{line}:1: `_extends: {value}` is not `.github`, `repo` or `owner/repo`")))?;
            let target_label = format!("{target_repo}:{target_path}");
            if layers.iter().any(|l| l.label.eq_ignore_ascii_case(&target_label)) {
                let chain: Vec<&str> = layers.iter().map(|l| l.label.as_str()).collect();
                return Err(invalid(format!(
                    "{label}:{line}:1: `_extends` loops back to {target_label} ({} → {target_label})",
                    chain.join(" → ")
                )));
            }
            if layers.len() > MAX_EXTENDS_DEPTH {
                return Err(invalid(format!(
                    "{label}:{line}:1: `_extends` chain longer than {MAX_EXTENDS_DEPTH} files"
                )));
            }
            sources.insert(target_repo.to_ascii_lowercase());
            let base = self
                .github
                .file_text(installation_id, &target_repo, &target_path)
                .await
                .map_err(unreachable)?;
            let Some(base) = base else {
                return Err(invalid(format!(
                    "{label}:{line}:1: `_extends: {value}` names {target_label}, which does not exist (or the App \
                     cannot read it)"
                )));
            };
            layers.push(Layer { label: target_label, repo: target_repo, text: base });
        }

        if layers.len() > 1
            && let Some((label, line)) =
                layers.iter().find_map(|l| unmergeable_line(l).map(|n| (&l.label, n)))
        {
            return Err(invalid(format!(
                "{label}:{line}:1: content outside a top-level `key:` section cannot be merged with `_extends`\n\n\
                 Write the file as a block mapping (one `section:` per line at column 1), not as a flow mapping."
            )));
        }
        let (merged, origins) = merge_layers(&layers);
        (self.parse)(&layers[0].label, &merged).map(Some).map_err(|ConfigErrors(errors)| {
            let lines: Vec<String> = if errors.is_empty() {
                vec![format!("{}: invalid (the parser gave no details)", layers[0].label)]
            } else {
                errors.into_iter().map(|e| relocate(e, &origins).to_string()).collect()
            };
            invalid(lines.join("\n"))
        })
    }
}

/// One file of an `_extends` chain.
struct Layer {
    /// `owner/repo:path`, used as the file name in errors.
    label: String,
    /// `owner/repo` it was read from.
    repo: String,
    text: String,
}

/// Where a line of the merged text came from: (file label, 1-based line).
type Origins = Vec<(String, u64)>;

/// A top-level section of a YAML file: its key line and every line up to the next top-level key.
struct Section<'t> {
    /// The key, or `None` for what precedes the first key (comments, `---`).
    key: Option<String>,
    /// (1-based line number, text).
    lines: Vec<(u64, &'t str)>,
}

/// Returns the key of a top-level `key:` line, or None for anything else (indented, comment, marker, scalar).
fn top_level_key(line: &str) -> Option<String> {
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
fn unmergeable_line(layer: &Layer) -> Option<u64> {
    let preamble = sections(&layer.text).into_iter().next()?;
    preamble.lines.iter().find_map(|(number, line)| {
        let t = line.trim();
        let insignificant = t.is_empty() || t.starts_with('#') || t == "---" || t == "...";
        (!insignificant).then_some(*number)
    })
}

/// Returns the line and value of a top-level `_extends:` in `text`.
fn extends_of(text: &str) -> Option<(u64, String)> {
    let section = sections(text).into_iter().find(|s| s.key.as_deref() == Some("_extends"))?;
    let (line, raw) = *section.lines.first()?;
    let value = raw.split_once(':').map(|(_, v)| v).unwrap_or_default();
    let value = value.split(" #").next().unwrap_or_default().trim().trim_matches(['"', '\'']);
    Some((line, value.to_owned()))
}

/// Resolves an `_extends` value against the repository that holds it: `.github`/`repo` → same owner,
/// `owner/repo` as is; an optional `:path` picks another file than `.github/mentorship.yml`.
fn extends_target(value: &str, holder: &str) -> Option<(String, String)> {
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
fn merge_layers(layers: &[Layer]) -> (String, Origins) {
    let mut origins = Origins::new();
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
fn relocate(mut error: ConfigError, origins: &Origins) -> ConfigError {
    let index = usize::try_from(error.line).ok().and_then(|l| l.checked_sub(1));
    if let Some((label, line)) = index.and_then(|i| origins.get(i)) {
        error.file = label.clone();
        error.line = *line;
    }
    error
}

/// Fills in what `activity`'s payload lacked and `config`'s rules need (PR changed files/line counts, reviewers),
/// only when some milestone rule needs it.
///
/// Only the tracks of pairs whose mentee authored the PR are looked at: a rule of someone else's track cannot be
/// met by this PR, so it never costs a request.
pub async fn enrich(
    github: &dyn GitHubApi,
    config: &Config,
    installation_id: u64,
    repo: &str,
    activity: &mut Activity,
) -> Result<(), GitHubError> {
    if activity.kind != ActivityKind::PullRequestMerged {
        return Ok(());
    }
    let Some(pr) = activity.pr.as_mut() else { return Ok(()) };
    let author = pr.author.clone().unwrap_or_else(|| activity.actor.clone());
    // The landed commit's trailers (pairing, `Milestone:`) are what the CLI reads from a clone; fetch them for
    // people in the program so both see the same history. A merge commit's own message carries none.
    if activity.trailers.is_empty()
        && config.person(&author).is_some()
        && let Some(sha) = pr.merge_commit.as_deref()
        && let Some(message) = github.commit_message(installation_id, repo, sha).await?
    {
        activity.trailers = trailer::parse(&message, &TrailerOptions::default());
    }
    let needs = mentor_core::evidence::pr_fact_needs(config, &author);
    if (needs.paths && pr.changed_paths.is_none()) || (needs.lines && pr.changed_lines.is_none()) {
        let files = github.pull_request_files(installation_id, repo, pr.number).await?;
        if pr.changed_lines.is_none() {
            pr.changed_lines = Some(files.iter().map(|f| f.additions + f.deletions).sum());
        }
        pr.changed_paths = Some(files.into_iter().map(|f| f.path).collect());
    }
    if needs.reviewers && pr.reviewers.is_none() {
        let reviews = github.pull_request_reviews(installation_id, repo, pr.number).await?;
        // GitHub's user type marks App accounts whose login lacks `[bot]`; the counting rule is the core's.
        let humans = reviews.into_iter().filter(|r| !r.is_bot).map(|r| (r.reviewer, r.state));
        pr.reviewers = Some(mentor_core::evidence::counted_reviewers(humans, &author));
    }
    Ok(())
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
