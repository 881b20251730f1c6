//! The clone `mentor` runs in: opening it with git2 and loading its `mentorship.yml`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mentor_core::Config;

/// Opens the repository the way git does: `GIT_DIR` and friends first, else by searching up from the cwd.
pub fn open() -> anyhow::Result<git2::Repository> {
    git2::Repository::open_from_env().context(
        "not inside a git repository\n\nRun mentor from a clone, or set GIT_DIR to the repository to use.",
    )
}

/// Returns the path of the config: `explicit` if given, else `.github/mentorship.yml` in the work tree.
pub fn config_path(repo: &git2::Repository, explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let Some(workdir) = repo.workdir() else {
        bail!(
            "this is a bare repository, so it has no .github/mentorship.yml\n\nPass the config with --config FILE."
        );
    };
    Ok(workdir.join(".github/mentorship.yml"))
}

/// The variable that names the org's config file when no `--org-config` is given.
pub const ORG_CONFIG_ENV: &str = "MENTOR_ORG_CONFIG";

/// Reads and validates the config at `path`, failing with every problem listed.
///
/// An `_extends` is resolved offline from `org_config` (`--org-config FILE`, else `MENTOR_ORG_CONFIG`) with the
/// same core function the app uses; without one it is an error that says exactly that.
pub fn load_config(path: &Path, org_config: Option<&Path>) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read the mentorship config {}\n\nCreate it, or pass another file with --config FILE.", path.display())
    })?;
    parse_config(path, &text, org_config)
        .with_context(|| format!("invalid mentorship config {}", path.display()))
}

/// Parses `text` (read from `path`), resolving its `_extends` from `org_config` or `MENTOR_ORG_CONFIG`.
pub fn parse_config(path: &Path, text: &str, org_config: Option<&Path>) -> anyhow::Result<Config> {
    use mentor_core::config::extends::{Layer, extends_of, parse_layers};

    let label = path.display().to_string();
    let Some((_, base)) = extends_of(text) else {
        return mentor_core::config::parse(&label, text)
            .map_err(|errors| anyhow::anyhow!("{errors}"));
    };
    let from_env = std::env::var_os(ORG_CONFIG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
    let Some(org_path) = org_config.map(Path::to_path_buf).or(from_env) else {
        bail!(
            "{label} extends {base:?}, which mentor cannot fetch offline\n\nPass the org's file with --org-config FILE \
             or set {ORG_CONFIG_ENV} (for example the .github/mentorship.yml of a checkout of the org's .github repository)."
        );
    };
    let org_text = std::fs::read_to_string(&org_path).with_context(|| {
        format!(
            "cannot read the org config {} (named by --org-config or {ORG_CONFIG_ENV})",
            org_path.display()
        )
    })?;
    if let Some((line, further)) = extends_of(&org_text) {
        bail!(
            "{}:{line}:1: the org config extends {further:?} in turn, which mentor cannot fetch offline\n\nPass the file at the end of the chain with --org-config FILE.",
            org_path.display()
        );
    }
    // The labels stand in for repositories: offline, `_extends` names only which file to take.
    let layers = [
        Layer { label, repo: "local/clone".into(), text: text.to_owned() },
        Layer { label: org_path.display().to_string(), repo: "local/org".into(), text: org_text },
    ];
    parse_layers(&layers, mentor_core::config::parse).map_err(|errors| anyhow::anyhow!("{errors}"))
}
