//! Installing, removing and inspecting Mentor's commit hooks, and what they do when git runs them.
//!
//! The hooks directory is the one git itself uses (`git rev-parse --git-path hooks`): `core.hooksPath` if set
//! (relative to the work tree root, or the git dir in a bare repository), else `hooks/` in the git common dir, so
//! linked worktrees share one set. An existing hook is never destroyed: it is renamed to `<name>.mentor-chained`
//! beside our hook, which runs it first; uninstalling renames it back, so content and mode come back exactly.
//! Other hook managers are detected in [`managers`] and left in charge. The installed hook program is described in
//! [`program`] and what each hook does in [`runtime`].

pub mod managers;
pub mod program;
pub mod runtime;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// The hooks Mentor installs, in the order git runs them.
pub const HOOK_NAMES: [&str; 2] = ["prepare-commit-msg", "commit-msg"];

/// Where the hooks of a repository live and how that was decided.
#[derive(Clone, Debug)]
pub struct HooksLocation {
    /// The effective hooks directory (absolute).
    pub dir: PathBuf,
    /// The raw `core.hooksPath` value, if set.
    pub hooks_path_setting: Option<String>,
    /// The git common dir (shared by all worktrees), where Mentor keeps its own state.
    pub common_dir: PathBuf,
}

/// Returns where git looks for hooks in `repo`.
pub fn locate(repo: &git2::Repository) -> anyhow::Result<HooksLocation> {
    let common_dir = absolute(repo.commondir());
    let config = repo.config().context("cannot read the git config")?;
    let setting = match config.get_path("core.hooksPath") {
        Ok(path) => Some(path),
        Err(err) if err.code() == git2::ErrorCode::NotFound => None,
        Err(err) => return Err(err).context("cannot read core.hooksPath from the git config"),
    };
    let Some(setting) = setting.filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(HooksLocation {
            dir: common_dir.join("hooks"),
            hooks_path_setting: None,
            common_dir,
        });
    };
    // git runs hooks from the top of the work tree (the git dir when bare), so a relative path is relative to it.
    let base = repo.workdir().map_or_else(|| absolute(repo.path()), absolute);
    let dir = if setting.is_absolute() { setting.clone() } else { base.join(&setting) };
    Ok(HooksLocation {
        dir: normalize(&dir),
        hooks_path_setting: Some(setting.to_string_lossy().into_owned()),
        common_dir,
    })
}

/// State of one hook file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HookState {
    /// No hook of that name.
    NotInstalled,
    /// Mentor's hook, alone.
    Installed,
    /// Mentor's hook, running the hook that was there before it first.
    InstalledChaining {
        /// The file the previous hook was moved to.
        chained: PathBuf,
    },
    /// A hook that is not Mentor's (install will chain it).
    Foreign,
}

/// Returns the state of hook `name` in `dir`.
pub fn hook_state(dir: &Path, name: &str) -> anyhow::Result<HookState> {
    let path = dir.join(name);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(HookState::NotInstalled);
    }
    if !is_ours(&path)? {
        return Ok(HookState::Foreign);
    }
    let chained = chained_path(dir, name);
    Ok(if std::fs::symlink_metadata(&chained).is_ok() {
        HookState::InstalledChaining { chained }
    } else {
        HookState::Installed
    })
}

/// Returns where the hook `name` that was there before Mentor is kept.
pub fn chained_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{}", program::CHAINED_SUFFIX))
}

/// What installing one hook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Installed {
    /// Wrote the hook where there was none.
    Fresh,
    /// Rewrote our own hook (already installed).
    Refreshed,
    /// Moved the existing hook aside and wrote ours, which chains to it.
    Chained(PathBuf),
}

/// Installs hook `name` into `loc.dir`: a copy of the hook program at `program`.
pub fn install(loc: &HooksLocation, name: &str, program: &Path) -> anyhow::Result<Installed> {
    std::fs::create_dir_all(&loc.dir)
        .with_context(|| format!("cannot create the hooks directory {}", loc.dir.display()))?;
    let path = loc.dir.join(name);
    let chained = chained_path(&loc.dir, name);
    let outcome = match hook_state(&loc.dir, name)? {
        HookState::NotInstalled => Installed::Fresh,
        HookState::Installed | HookState::InstalledChaining { .. } => Installed::Refreshed,
        HookState::Foreign => {
            if std::fs::symlink_metadata(&chained).is_ok() {
                anyhow::bail!(
                    "cannot chain the existing {name} hook: {} is already taken\n\nMove one of {} and {} out of the way, then run `mentor hooks install` again.",
                    chained.display(),
                    path.display(),
                    chained.display()
                );
            }
            // A rename keeps the file itself (bytes, mode, or a symlink as a symlink) for uninstall to put back.
            std::fs::rename(&path, &chained).with_context(|| {
                format!("cannot move the existing hook {} aside", path.display())
            })?;
            Installed::Chained(chained.clone())
        }
    };
    if let Err(err) = copy_executable(program, &path) {
        if let Installed::Chained(chained) = &outcome {
            // Put the user's hook back rather than leave them with neither.
            let _ = std::fs::rename(chained, &path);
        }
        return Err(err);
    }
    Ok(outcome)
}

/// What uninstalling one hook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uninstalled {
    /// There was no hook.
    NothingThere,
    /// Removed our hook; nothing had been there before.
    Removed,
    /// Removed our hook and put the previous hook back.
    Restored,
    /// The hook is not ours; left alone.
    ForeignKept,
}

/// Removes our hook `name` from `dir`, restoring the hook it chained to.
pub fn uninstall(dir: &Path, name: &str) -> anyhow::Result<Uninstalled> {
    let path = dir.join(name);
    Ok(match hook_state(dir, name)? {
        HookState::NotInstalled => Uninstalled::NothingThere,
        HookState::Foreign => Uninstalled::ForeignKept,
        HookState::Installed => {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            Uninstalled::Removed
        }
        HookState::InstalledChaining { chained } => {
            // rename() replaces our hook atomically, so the hook is never missing in between.
            std::fs::rename(&chained, &path).with_context(|| {
                format!("cannot restore {} from {}", path.display(), chained.display())
            })?;
            Uninstalled::Restored
        }
    })
}

/// Returns true if the file at `path` is our hook (a symlink or unreadable file is not).
fn is_ours(path: &Path) -> anyhow::Result<bool> {
    let meta = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot inspect {}", path.display()))?;
    if !meta.is_file() {
        return Ok(false);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(program::is_ours(&bytes))
}

/// Copies `program` to `path` with mode 0755 via a temporary file and a rename, so git never runs half a hook.
///
/// A copy, not a link: a tool that rewrites a hook file in place must never be able to write through it into the
/// installed binary.
fn copy_executable(program: &Path, path: &Path) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("mentor-tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        std::fs::copy(program, &tmp)?;
        set_executable(&tmp)?;
        std::fs::rename(&tmp, path)
    };
    write()
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("cannot copy {} to {}", program.display(), path.display()))
}

#[cfg(unix)]
fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Returns `path` made absolute against the current directory (git2 may hand back relative paths from env).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).map_or_else(|_| path.to_path_buf(), |p| normalize(&p))
}

/// Removes `.` components and trailing slashes so displayed paths are clean; `..` is kept (symlinks).
fn normalize(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}
