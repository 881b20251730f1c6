//! The config in force for an org: every repository's `.github/mentorship.yml` found in its installation, each
//! with `_extends` resolved, merged into one program by `mentor_core`; fetched, cached, and kept when broken.
//!
//! An org (the installation's account) is one program. Its config is the org `.github` repository's file merged
//! with the file of every repository the installation can see (`GET /installation/repositories`, so the app does
//! not wait for each repository's first webhook): people by login, pairs by (mentor, mentee, track), tracks and
//! milestones by id (`mentor_core::config::merge_org`). The same key defined differently in two files is a config
//! problem naming both places, and the org keeps its last good merged config. Repository-scoped settings
//! (`templates`) stay per repository: [`OrgConfig::for_repo`] overlays them.
//!
//! `_extends` names a base file (`.github`, `repo` or `owner/repo`, optionally `:path`) the way Probot does; it
//! may only name a repository of the same account, since an installation token is only ever used on its own
//! account's repositories.
//!
//! Caching: one entry per repository file and one per org, fresh for [`CONFIG_TTL`] (failures too, so a broken
//! file is not fetched and parsed again on every event). [`ConfigSource::invalidate`] marks a repository's file
//! and its org stale (a push that touched the file), without dropping the last good config.
//!
//! [`enrich`] lives here because what it fetches depends on the config's rules.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mentor_core::config::extends::{Layer, extends_of, extends_target, parse_layers};
use mentor_core::config::{ConfigError, ConfigErrors, merge_org};
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

/// Files read during one refresh of an org: (repository lowercased, path) → text (None: no such file).
type Fetched = HashMap<(String, String), Option<String>>;

/// Parses the text of one (merged) config file; [`mentor_core::config::parse`] outside tests.
pub type ConfigParser = fn(&str, &str) -> Result<Config, ConfigErrors>;

/// Returns the org a repository belongs to: its owner's login, lowercase.
pub fn org_of(repo: &str) -> Option<String> {
    repo.split_once('/').map(|(owner, _)| owner.to_ascii_lowercase()).filter(|o| !o.is_empty())
}

/// Why no config could be put in force (and no earlier good one exists).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigSourceError {
    /// GitHub could not be asked (network, rate limit, permissions).
    #[error("cannot read the mentorship config of {repo} from GitHub: {message}")]
    Unreachable {
        /// `owner/name` (or the org).
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
        /// `owner/name`, or the org for a merge conflict.
        repo: String,
        /// Every problem, one per line, each with file:line:col.
        errors: String,
    },
}

impl ConfigSourceError {
    /// Returns the problem as lines for `orgs list`: each names its file and line where it has one.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ConfigSourceError::Invalid { errors, .. } => {
                errors.lines().map(str::to_owned).collect()
            }
            other => vec![other.to_string()],
        }
    }
}

/// What the last check of a repository file found.
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
    /// Repositories the check read from (the repo, `_extends` targets).
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

    /// Returns the config to use (the last good one while a new one is broken) and the current problem.
    fn in_force(&self) -> (Option<Arc<Config>>, Option<ConfigSourceError>) {
        match (&self.found, &self.last_good) {
            (Found::Config(config), _) => (Some(Arc::clone(config)), None),
            (Found::Nothing, _) => (None, None),
            (Found::Failed(e), good) => (good.clone(), Some(e.clone())),
        }
    }
}

/// An org's merged config, and the repository-scoped overlays.
#[derive(Debug)]
pub struct OrgConfig {
    /// The org (installation account, lowercase).
    pub org: String,
    /// The merged program: people, pairs, tracks, org-wide settings.
    pub config: Arc<Config>,
    /// Repositories whose file counts toward the org's config, org `.github` first.
    pub repos: Vec<String>,
    /// Per repository with a file of its own: the org config with that file's repository-scoped settings.
    by_repo: HashMap<String, Arc<Config>>,
}

impl OrgConfig {
    /// Returns the config in force for `repo`: the org's, with the repository's own `templates` when its file
    /// sets them (else the org `.github` file's).
    pub fn for_repo(&self, repo: &str) -> Arc<Config> {
        self.by_repo
            .get(&repo.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| Arc::clone(&self.config))
    }
}

struct OrgEntry {
    installation_id: u64,
    /// When the installation's repositories were listed; `None` once invalidated.
    listed_at: Option<Instant>,
    /// The repositories listed (only those of the org's own account).
    repos: Vec<String>,
    /// When the org's config was last put together; `None` once a file of it changed.
    checked_at: Option<Instant>,
    /// The hashes the last merge was made of, to skip merging the same files again.
    inputs: Vec<String>,
    /// The last good merged config.
    merged: Option<Arc<OrgConfig>>,
    /// A failure to list the repositories (kept for [`UNREACHABLE_TTL`]).
    failure: Option<ConfigSourceError>,
    /// Current problems, each naming file and line where it has one.
    problems: Vec<String>,
}

/// What `orgs list` shows of an org's config: the repositories whose file counts and the current problems.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgState {
    /// The org's installation.
    pub installation_id: u64,
    /// Repositories whose `.github/mentorship.yml` is part of the org's merged config.
    pub repos: Vec<String>,
    /// Problems, each naming file and line where it has one.
    pub problems: Vec<String>,
}

/// The config in force per org, fetched through [`GitHubApi`] and cached.
pub struct ConfigSource {
    github: Arc<dyn GitHubApi>,
    parse: ConfigParser,
    files: Mutex<HashMap<String, Entry>>,
    orgs: tokio::sync::Mutex<HashMap<String, OrgEntry>>,
    /// Per org: the repositories whose config counts and the current problems, readable without waiting for a
    /// refresh in progress.
    problems: Mutex<HashMap<String, OrgState>>,
    /// Orgs marked stale while their entry may be in use (true: list the repositories again too); applied by the
    /// next [`ConfigSource::org_config`].
    stale: Mutex<HashMap<String, bool>>,
    /// The merged config of each org and when it was put together, for the fast path.
    fresh: Mutex<HashMap<String, FreshConfig>>,
    /// Repositories seen in deliveries, by org (lowercase).
    seen: Mutex<HashMap<String, BTreeSet<String>>>,
}

/// A merged config ready for the fast path: when it was put together, for which installation.
type FreshConfig = (Instant, u64, Arc<OrgConfig>);

impl ConfigSource {
    /// Returns a source that reads configs through `github` and parses them with `mentor_core::config::parse`.
    pub fn new(github: Arc<dyn GitHubApi>) -> Self {
        Self::with_parser(github, mentor_core::config::parse)
    }

    /// Returns a source that parses with `parse` instead of the core parser.
    pub fn with_parser(github: Arc<dyn GitHubApi>, parse: ConfigParser) -> Self {
        ConfigSource {
            github,
            parse,
            files: Mutex::new(HashMap::new()),
            orgs: tokio::sync::Mutex::new(HashMap::new()),
            problems: Mutex::new(HashMap::new()),
            stale: Mutex::new(HashMap::new()),
            fresh: Mutex::new(HashMap::new()),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the config in force for `repo` (its org's merged config with the repository's own templates);
    /// Ok(None) when the org has no config anywhere (Mentor is off there).
    pub async fn config_for(
        &self,
        installation_id: u64,
        repo: &str,
    ) -> Result<Option<Arc<Config>>, ConfigSourceError> {
        let Some(org) = org_of(repo) else {
            return Err(ConfigSourceError::Invalid {
                repo: repo.to_owned(),
                errors: format!("{repo:?} is not a repository name of the form owner/name"),
            });
        };
        // A repository seen in a delivery counts even when the installation's listing misses it (or cannot be
        // read): the first delivery of a repository new to the org refreshes the org's config.
        let new = {
            let mut seen = self.lock_seen();
            let repos = seen.entry(org.clone()).or_default();
            !repos.iter().any(|r| r.eq_ignore_ascii_case(repo)) && repos.insert(repo.to_owned())
        };
        if new {
            self.lock_stale().entry(org.clone()).or_insert(false);
        }
        Ok(self.org_config(installation_id, &org).await?.map(|o| o.for_repo(repo)))
    }

    /// Returns the merged config of `org` (installation `installation_id`), refreshed when older than
    /// [`CONFIG_TTL`] or invalidated; Ok(None) when no repository of the org has a config.
    pub async fn org_config(
        &self,
        installation_id: u64,
        org: &str,
    ) -> Result<Option<Arc<OrgConfig>>, ConfigSourceError> {
        let org = org.to_ascii_lowercase();
        // Fast path, taken by nearly every delivery: a fresh merged config, read without waiting for a refresh of
        // another org.
        if !self.lock_stale().contains_key(&org)
            && let Some((at, id, merged)) = self.lock_fresh().get(&org)
            && *id == installation_id
            && at.elapsed() < CONFIG_TTL
        {
            return Ok(Some(Arc::clone(merged)));
        }
        // One refresh at a time: concurrent deliveries of an org wait for it instead of fetching the same files.
        let mut orgs = self.orgs.lock().await;
        let now = Instant::now();
        let entry = orgs.entry(org.clone()).or_insert_with(|| OrgEntry {
            installation_id,
            listed_at: None,
            repos: Vec::new(),
            checked_at: None,
            inputs: Vec::new(),
            merged: None,
            failure: None,
            problems: Vec::new(),
        });
        if let Some(relist) = self.lock_stale().remove(&org) {
            entry.checked_at = None;
            if relist {
                entry.listed_at = None;
                entry.failure = None;
            }
        }
        if entry.installation_id != installation_id {
            // Installed again (a new installation of the same account): everything is asked anew.
            entry.installation_id = installation_id;
            entry.listed_at = None;
            entry.checked_at = None;
        }
        if entry.checked_at.is_some_and(|t| now.duration_since(t) < CONFIG_TTL) {
            return Ok(entry.merged.clone());
        }
        if entry.listed_at.is_none_or(|t| now.duration_since(t) >= CONFIG_TTL) {
            match self.github.installation_repositories(installation_id).await {
                Ok(repos) => {
                    let (own, other): (Vec<String>, Vec<String>) =
                        repos.into_iter().partition(|r| org_of(r).as_deref() == Some(org.as_str()));
                    if !other.is_empty() {
                        tracing::warn!(%org, ?other, "installation lists repositories of another account; ignored");
                    }
                    entry.repos = own;
                    entry.failure = None;
                }
                Err(e) => {
                    // The repositories seen in deliveries (and the last listing) still count; the failure is a
                    // problem to show, and the listing is asked again sooner than a good one would be.
                    let error = ConfigSourceError::Unreachable {
                        repo: org.clone(),
                        transient: matches!(
                            e,
                            GitHubError::Transient(_) | GitHubError::Overloaded(_)
                        ),
                        message: format!(
                            "cannot list the installation's repositories ({e}); using the repositories seen in \
                             deliveries"
                        ),
                    };
                    tracing::warn!(%org, "{error}");
                    entry.failure = Some(error);
                }
            }
            entry.listed_at = Some(match &entry.failure {
                Some(_) => now.checked_sub(CONFIG_TTL - UNREACHABLE_TTL).unwrap_or(now),
                None => now,
            });
        }
        // The org `.github` repository first (it may hold the org file without being listed, when the App was
        // installed on selected repositories), then every listed repository by name.
        let home = format!("{org}/.github");
        // By lowercase name, spelled as GitHub lists it (else as the delivery did).
        let seen: Vec<String> =
            self.lock_seen().get(&org).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        let mut by_name: std::collections::BTreeMap<String, String> =
            std::collections::BTreeMap::new();
        for repo in seen.into_iter().chain(entry.repos.iter().cloned()) {
            by_name.insert(repo.to_ascii_lowercase(), repo);
        }
        by_name.retain(|lower, _| *lower != home);
        let mut repos: Vec<String> = by_name.into_values().collect();
        repos.insert(0, home);

        let mut files: Vec<(String, Arc<Config>)> = Vec::new();
        let mut problems: Vec<String> =
            entry.failure.iter().flat_map(ConfigSourceError::lines).collect();
        let mut transient: Option<ConfigSourceError> = None;
        // Files read during this refresh, so the org file is fetched once though every repository extends it.
        let mut fetched = Fetched::new();
        for repo in &repos {
            let (config, problem) = self.repo_file(installation_id, repo, &mut fetched).await;
            if let Some(p) = problem {
                if matches!(p, ConfigSourceError::Unreachable { transient: true, .. }) {
                    transient.get_or_insert(p.clone());
                }
                problems.extend(p.lines());
            }
            if let Some(config) = config {
                files.push((repo.to_ascii_lowercase(), config));
            }
        }
        let inputs: Vec<String> = files.iter().map(|(r, c)| format!("{r}@{}", c.hash)).collect();
        if files.is_empty() {
            entry.merged = None;
        } else if inputs != entry.inputs || entry.merged.is_none() {
            match merge_org(files.iter().map(|(_, c)| c.as_ref().clone()).collect()) {
                Ok(config) => {
                    let config = Arc::new(config);
                    let by_repo = files
                        .iter()
                        .filter(|(_, own)| own.templates != config.templates)
                        .map(|(repo, own)| {
                            let mut scoped = config.as_ref().clone();
                            scoped.templates = own.templates.clone();
                            (repo.clone(), Arc::new(scoped))
                        })
                        .collect();
                    entry.merged = Some(Arc::new(OrgConfig {
                        org: org.clone(),
                        config,
                        repos: files.iter().map(|(r, _)| r.clone()).collect(),
                        by_repo,
                    }));
                    entry.inputs = inputs;
                }
                Err(ConfigErrors(errors)) => {
                    if entry.merged.is_some() {
                        tracing::warn!(%org, "keeping the org's last good mentorship config in force");
                    }
                    problems.extend(errors.iter().map(ConfigError::to_string));
                }
            }
        }
        entry.checked_at = Some(now);
        match &entry.merged {
            Some(merged) => {
                self.lock_fresh().insert(org.clone(), (now, installation_id, Arc::clone(merged)));
            }
            None => {
                self.lock_fresh().remove(&org);
            }
        }
        entry.problems = problems.clone();
        let repos = entry.merged.as_ref().map(|m| m.repos.clone()).unwrap_or_default();
        self.set_state(&org, OrgState { installation_id, repos, problems: problems.clone() });
        match (&entry.merged, transient) {
            // GitHub could not be asked for a file and nothing good is known: a later attempt may succeed.
            (None, Some(e)) => {
                entry.checked_at = None;
                Err(e)
            }
            (None, None) if !problems.is_empty() => {
                Err(ConfigSourceError::Invalid { repo: org.clone(), errors: problems.join("\n") })
            }
            (merged, _) => Ok(merged.clone()),
        }
    }

    /// Marks `repo`'s file (and every file that `_extends` it) and its org stale: asked again on next use, the
    /// last good config staying in force if the new one turns out broken.
    pub fn invalidate(&self, repo: &str) {
        let repo = repo.to_ascii_lowercase();
        for entry in self.lock_files().values_mut() {
            if entry.sources.contains(&repo) {
                entry.checked_at = None;
            }
        }
        // The repository may be new to the org's config (its first file): list the repositories again too.
        if let Some(org) = org_of(&repo) {
            self.lock_stale().insert(org, true);
        }
    }

    /// Marks the org's repository list stale (repositories added to or removed from the installation).
    pub fn invalidate_org(&self, org: &str) {
        self.lock_stale().insert(org.to_ascii_lowercase(), true);
    }

    /// Forgets the files of `org` and lists its repositories again on next use (the installation was deleted,
    /// suspended or installed again).
    pub fn forget_org(&self, org: &str) {
        let org = org.to_ascii_lowercase();
        self.lock_files().retain(|repo, _| org_of(repo).as_deref() != Some(org.as_str()));
        self.lock_problems().remove(&org);
        self.lock_fresh().remove(&org);
        self.lock_stale().insert(org, true);
    }

    fn lock_seen(&self) -> std::sync::MutexGuard<'_, HashMap<String, BTreeSet<String>>> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_fresh(&self) -> std::sync::MutexGuard<'_, HashMap<String, FreshConfig>> {
        self.fresh.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_stale(&self) -> std::sync::MutexGuard<'_, HashMap<String, bool>> {
        self.stale.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Returns, per org seen, the repositories whose config counts and its current problems, by org.
    pub fn states(&self) -> Vec<(String, OrgState)> {
        let mut out: Vec<(String, OrgState)> =
            self.lock_problems().iter().map(|(o, p)| (o.clone(), p.clone())).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn set_state(&self, org: &str, state: OrgState) {
        self.lock_problems().insert(org.to_owned(), state);
    }

    fn lock_files(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (each update is a few assignments),
        // so a poisoned cache is still usable.
        self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_problems(&self) -> std::sync::MutexGuard<'_, HashMap<String, OrgState>> {
        self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Returns the config of `repo`'s own file (`_extends` resolved; the last good one while a new one is broken)
    /// and its current problem, from the cache when fresh.
    async fn repo_file(
        &self,
        installation_id: u64,
        repo: &str,
        fetched: &mut Fetched,
    ) -> (Option<Arc<Config>>, Option<ConfigSourceError>) {
        let key = repo.to_ascii_lowercase();
        if let Some(entry) = self.lock_files().get(&key)
            && entry.is_fresh(Instant::now())
        {
            return entry.in_force();
        }
        let mut sources = BTreeSet::new();
        let found = match self.resolve(installation_id, repo, &mut sources, fetched).await {
            Ok(Some(config)) => Found::Config(Arc::new(config)),
            Ok(None) => Found::Nothing,
            Err(e) => {
                tracing::warn!(repo, "{e}");
                Found::Failed(e)
            }
        };
        let mut files = self.lock_files();
        let entry = files.entry(key).or_insert_with(|| Entry {
            checked_at: None,
            found: Found::Nothing,
            last_good: None,
            sources: BTreeSet::new(),
        });
        match &found {
            Found::Config(config) => entry.last_good = Some(Arc::clone(config)),
            // The file was deleted: it no longer counts, there is nothing to keep in force.
            Found::Nothing => entry.last_good = None,
            Found::Failed(_) => {
                if let Some(good) = &entry.last_good {
                    tracing::warn!(repo, config = %good.hash, "keeping the last good mentorship config in force");
                }
            }
        }
        entry.checked_at = Some(Instant::now());
        entry.found = found;
        entry.sources = sources;
        entry.in_force()
    }

    /// Returns `path` of `repo` from GitHub, or from `fetched` when this refresh read it already.
    async fn file_text(
        &self,
        installation_id: u64,
        repo: &str,
        path: &str,
        fetched: &mut Fetched,
    ) -> Result<Option<String>, GitHubError> {
        let key = (repo.to_ascii_lowercase(), path.to_owned());
        if let Some(text) = fetched.get(&key) {
            return Ok(text.clone());
        }
        let text = self.github.file_text(installation_id, repo, path).await?;
        fetched.insert(key, text.clone());
        Ok(text)
    }

    /// Fetches and parses `repo`'s own config file with its `_extends` chain, recording every repository read in
    /// `sources`. Ok(None) when the repository has no file.
    async fn resolve(
        &self,
        installation_id: u64,
        repo: &str,
        sources: &mut BTreeSet<String>,
        fetched: &mut Fetched,
    ) -> Result<Option<Config>, ConfigSourceError> {
        let unreachable = |e: GitHubError| ConfigSourceError::Unreachable {
            repo: repo.to_owned(),
            transient: matches!(e, GitHubError::Transient(_) | GitHubError::Overloaded(_)),
            message: e.to_string(),
        };
        let invalid = |errors: String| ConfigSourceError::Invalid { repo: repo.to_owned(), errors };
        let Some(org) = org_of(repo) else {
            return Err(invalid(format!(
                "{repo:?} is not a repository name of the form owner/name"
            )));
        };
        sources.insert(repo.to_ascii_lowercase());
        let text = self
            .file_text(installation_id, repo, CONFIG_PATH, fetched)
            .await
            .map_err(unreachable)?;
        let Some(text) = text else { return Ok(None) };

        // Layers from the file in force down to its furthest base.
        let mut layers =
            vec![Layer { label: format!("{repo}:{CONFIG_PATH}"), repo: repo.to_owned(), text }];
        loop {
            let current =
                layers.last().map(|l| (l.label.clone(), l.repo.clone(), extends_of(&l.text)));
            let Some((label, current_repo, Some((line, value)))) = current else { break };
            let (target_repo, target_path) = extends_target(&value, &current_repo)
                .ok_or_else(|| invalid(format!("{label}:{line}:1: `_extends: {value}` is not `.github`, `repo` or `owner/repo`")))?;
            if org_of(&target_repo).as_deref() != Some(org.as_str()) {
                return Err(invalid(format!(
                    "{label}:{line}:1: `_extends: {value}` names a repository of another account; the App reads \
                     only repositories of {org}, the account it is installed on"
                )));
            }
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
                .file_text(installation_id, &target_repo, &target_path, fetched)
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

        parse_layers(&layers, self.parse).map(Some).map_err(|ConfigErrors(errors)| {
            invalid(errors.iter().map(ConfigError::to_string).collect::<Vec<_>>().join("\n"))
        })
    }
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
