//! `mentor hooks install | uninstall | status`: Mentor's commit hooks in this clone.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::hooks::managers::{self, Detection};
use crate::hooks::{self, HOOK_NAMES, HookState, Installed, Uninstalled};

/// Install, remove or inspect Mentor's git hooks.
///
/// Mentor adds two hooks: `prepare-commit-msg` (adds `Mentored-by:` while a pairing session runs)
/// and `commit-msg` (checks `Milestone:` trailers against your track). They go where git looks for
/// hooks, honouring `core.hooksPath` and worktrees. An existing hook is kept and still runs first;
/// uninstall puts it back exactly.
///
/// Examples:
///   mentor hooks install            Install (or refresh) the hooks in this clone
///   mentor hooks install --force    Install even though husky, lefthook or pre-commit is in charge
///   mentor hooks status --json      Show what is installed, as JSON
///   mentor hooks uninstall          Remove them and restore the hooks that were there before
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct HooksArgs {
    #[command(subcommand)]
    command: HooksCommand,
}

#[derive(Debug, Subcommand)]
enum HooksCommand {
    Install(InstallArgs),
    Uninstall(UninstallArgs),
    Status(StatusArgs),
}

/// Install Mentor's prepare-commit-msg and commit-msg hooks.
///
/// An existing hook is moved to `<name>.mentor-chained` and run first, with the same arguments; if
/// it fails, the commit fails. Running install again is safe. If husky, lefthook or pre-commit
/// manages the hooks, mentor prints the lines to add to that tool's config and exits 1 instead.
///
/// Examples:
///   mentor hooks install
///   mentor hooks install --force
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct InstallArgs {
    /// Install into the hooks directory even if another hook manager is in charge of it.
    #[arg(long)]
    force: bool,
}

/// Remove Mentor's hooks and restore the hooks they chained to, byte for byte.
///
/// Hooks that are not Mentor's are left alone.
///
/// Examples:
///   mentor hooks uninstall
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct UninstallArgs {}

/// Show whether Mentor's hooks are installed, and what they chain to.
///
/// Examples:
///   mentor hooks status
///   mentor hooks status --json
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `mentor hooks …`.
pub fn cmd_hooks(args: HooksArgs) -> anyhow::Result<ExitCode> {
    let repo = crate::repo::open()?;
    let loc = hooks::locate(&repo)?;
    let detection = managers::detect(repo.workdir(), loc.hooks_path_setting.as_deref(), &loc.dir);
    let mut out = std::io::stdout().lock();
    match args.command {
        HooksCommand::Install(args) => cmd_install(&mut out, &loc, detection, args),
        HooksCommand::Uninstall(UninstallArgs {}) => cmd_uninstall(&mut out, &loc),
        HooksCommand::Status(args) => cmd_status(&mut out, &loc, detection, args),
    }
}

fn cmd_install(
    out: &mut impl Write,
    loc: &hooks::HooksLocation,
    detection: Option<Detection>,
    args: InstallArgs,
) -> anyhow::Result<ExitCode> {
    if let Some(found) = &detection
        && !args.force
    {
        write!(out, "{}", managers::snippet(found.manager))?;
        out.flush()?;
        anyhow::bail!(
            "the hooks of this clone are managed by {} (found {}), so mentor did not install its own\n\nAdd the lines above to {}'s config, or run `mentor hooks install --force` to install Mentor's hooks into {} anyway.",
            found.manager,
            found.evidence,
            found.manager,
            loc.dir.display()
        );
    }
    let program = hooks::program::beside_current_exe()?;
    for name in HOOK_NAMES {
        let line = match hooks::install(loc, name, &program)? {
            Installed::Fresh => format!("{name}: installed"),
            Installed::Refreshed => format!("{name}: already installed, refreshed"),
            Installed::Chained(chained) => format!(
                "{name}: installed, chaining the existing hook (moved to {})",
                chained.display()
            ),
        };
        writeln!(out, "{line}")?;
    }
    writeln!(out, "Hooks directory: {}", loc.dir.display())?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_uninstall(out: &mut impl Write, loc: &hooks::HooksLocation) -> anyhow::Result<ExitCode> {
    for name in HOOK_NAMES {
        let line = match hooks::uninstall(&loc.dir, name)? {
            Uninstalled::NothingThere => format!("{name}: not installed"),
            Uninstalled::Removed => format!("{name}: removed"),
            Uninstalled::Restored => format!("{name}: removed, previous hook restored"),
            Uninstalled::ForeignKept => {
                format!("{name}: not Mentor's hook, left alone")
            }
        };
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON shape of `mentor hooks status --json`.
#[derive(Serialize)]
struct StatusReport<'a> {
    hooks_dir: &'a std::path::Path,
    core_hooks_path: Option<&'a str>,
    manager: Option<ManagerReport>,
    hooks: Vec<HookReport>,
}

#[derive(Serialize)]
struct ManagerReport {
    name: String,
    evidence: String,
}

#[derive(Serialize)]
struct HookReport {
    name: &'static str,
    #[serde(flatten)]
    state: HookState,
    /// For an installed hook: whether it is a copy of this mentor's `mentor-hook` (false: an older build).
    #[serde(skip_serializing_if = "Option::is_none")]
    up_to_date: Option<bool>,
}

fn cmd_status(
    out: &mut impl Write,
    loc: &hooks::HooksLocation,
    detection: Option<Detection>,
    args: StatusArgs,
) -> anyhow::Result<ExitCode> {
    // An installed hook is a copy of the hook program; one that differs is from another build of mentor.
    let program = hooks::program::beside_current_exe().ok().and_then(|p| std::fs::read(p).ok());
    let mut hooks = Vec::new();
    for name in HOOK_NAMES {
        let state = hooks::hook_state(&loc.dir, name)?;
        let up_to_date = match (&state, &program) {
            (HookState::Installed | HookState::InstalledChaining { .. }, Some(program)) => {
                Some(std::fs::read(loc.dir.join(name)).is_ok_and(|hook| hook == *program))
            }
            _ => None,
        };
        hooks.push(HookReport { name, state, up_to_date });
    }
    if args.json {
        let report = StatusReport {
            hooks_dir: &loc.dir,
            core_hooks_path: loc.hooks_path_setting.as_deref(),
            manager: detection
                .map(|d| ManagerReport { name: d.manager.to_string(), evidence: d.evidence }),
            hooks,
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    match &loc.hooks_path_setting {
        Some(setting) => {
            writeln!(out, "Hooks directory: {} (core.hooksPath={setting})", loc.dir.display())?
        }
        None => writeln!(out, "Hooks directory: {}", loc.dir.display())?,
    }
    if let Some(found) = &detection {
        writeln!(out, "Hook manager: {} (found {})", found.manager, found.evidence)?;
    }
    for hook in &hooks {
        let state = match &hook.state {
            HookState::NotInstalled => "not installed".to_string(),
            HookState::Installed => "installed".to_string(),
            HookState::InstalledChaining { chained } => {
                format!("installed chaining {}", chained.display())
            }
            HookState::Foreign => "foreign hook present".to_string(),
        };
        let stale = if hook.up_to_date == Some(false) {
            " (from another build of mentor: run `mentor hooks install` to update it)"
        } else {
            ""
        };
        writeln!(out, "{:<20}{state}{stale}", hook.name)?;
    }
    Ok(ExitCode::SUCCESS)
}
