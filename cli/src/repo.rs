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

/// Reads and validates the config at `path`, failing with every problem listed.
///
/// An `_extends` cannot be followed offline, so it is an error that says how to pass the full file.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("cannot read the mentorship config {}\n\nCreate it, or pass another file with --config FILE.", path.display())
    })?;
    let config = mentor_core::config::parse(&path.display().to_string(), &text)
        .map_err(|errors| anyhow::anyhow!("{errors}"))
        .with_context(|| format!("invalid mentorship config {}", path.display()))?;
    if let Some(base) = &config.extends {
        bail!(
            "{} extends {base:?}, which mentor cannot fetch offline\n\nPass the org-wide file with --config FILE (for example a checkout of the org's .github repository).",
            path.display()
        );
    }
    Ok(config)
}
