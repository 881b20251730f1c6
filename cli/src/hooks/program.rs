//! The hook program: what `mentor hooks install` puts in the hooks directory, and what it does when git runs it.
//!
//! The installed hook is a copy of the small `mentor-hook` binary (built beside `mentor`), not a shell script
//! calling `mentor`: git starts a hook process for every commit, and on the reference machine a `#!/bin/sh`
//! script alone costs about as much as the whole budget (see BENCHMARKS.md). The binary does the work in its own
//! process, so a commit starts exactly two short processes and no `git`. Being a copy, it depends on nothing
//! outside the clone: moving, upgrading or removing `mentor` never breaks a commit (`mentor hooks status` tells
//! when the copy is from another build, and `mentor hooks install` refreshes it).
//!
//! git runs it by its hook path, so the program learns which hook it is from `argv[0]`. A hook that was there
//! before Mentor is kept beside it as `<name>.mentor-chained` and runs first, with the same arguments and stdin;
//! its failure fails the commit, as it did before.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::HOOK_NAMES;
use super::runtime::{self, Verdict};

/// The text that marks a file as Mentor's hook; install and uninstall only ever touch files that carry it.
///
/// The hook program prints it in its usage message, which keeps it in the binary. Shell shims written by earlier
/// versions carry it on their second line, so they are recognised (and replaced) too.
pub const MARKER: &str = "# mentor-hook-shim: installed by `mentor hooks install`";

/// The suffix of the file an existing hook is moved to, beside Mentor's hook that chains to it.
pub const CHAINED_SUFFIX: &str = ".mentor-chained";

/// The file name of the hook program, installed beside `mentor`.
pub const PROGRAM_NAME: &str = "mentor-hook";

/// Returns true if `contents` is a hook installed by `mentor hooks install` (this version's or an earlier one's).
pub fn is_ours(contents: &[u8]) -> bool {
    memchr::memmem::find(contents, MARKER.as_bytes()).is_some()
}

/// Returns the hook program that belongs with the running `mentor`: `mentor-hook` in the same directory.
pub fn beside_current_exe() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context(
        "cannot find the path of the running mentor binary, beside which mentor-hook lives",
    )?;
    let program = exe.with_file_name(format!("{PROGRAM_NAME}{}", std::env::consts::EXE_SUFFIX));
    if !program.is_file() {
        anyhow::bail!(
            "{} is missing: mentor installs a copy of it as each git hook\n\nReinstall mentor so that both binaries are in place (`cargo install --path cli` installs both).",
            program.display()
        );
    }
    Ok(program)
}

/// The entry point of `mentor-hook`: runs as the git hook named by `argv[0]`, chaining to the previous hook.
///
/// Exit codes: what git should see. A chained hook's failure and an unknown milestone id fail the commit; any
/// error of Mentor itself is a warning and exit 0.
pub fn run(mut args: impl Iterator<Item = OsString>) -> ExitCode {
    let hook_path = PathBuf::from(args.next().unwrap_or_default());
    let rest: Vec<OsString> = args.collect();
    let name = hook_path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if !HOOK_NAMES.contains(&name) {
        eprintln!(
            "mentor-hook: git runs this program as a prepare-commit-msg or commit-msg hook; it was called as {name:?}\n\
             Install it with `mentor hooks install`.\n{MARKER}"
        );
        return ExitCode::from(2);
    }
    if let Some(code) = run_chained(&hook_path, name, &rest) {
        return code;
    }
    let rest: Vec<String> = rest.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut words = rest.iter().map(String::as_str);
    let outcome = match (name, words.next()) {
        ("prepare-commit-msg", Some(file)) => {
            runtime::prepare_commit_msg(Path::new(file), words.next())
        }
        (_, Some(file)) => runtime::commit_msg(Path::new(file)),
        (_, None) => Err(anyhow::anyhow!("git passed no commit message file to the {name} hook")),
    };
    report(name, outcome)
}

/// Turns a hook's outcome into git's exit code: a rejection fails the commit; Mentor's own errors never do.
pub fn report(name: &str, outcome: anyhow::Result<Verdict>) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    match outcome {
        Ok(Verdict::Proceed) => ExitCode::SUCCESS,
        Ok(Verdict::Reject(reason)) => {
            let _ = writeln!(stderr, "mentor: {reason}");
            ExitCode::FAILURE
        }
        Err(err) => {
            // Fail open: a broken Mentor must never stand between someone and their commit.
            let _ = writeln!(
                stderr,
                "mentor: warning: {err:#}\nmentor: the commit goes on without Mentor's {name} hook"
            );
            ExitCode::SUCCESS
        }
    }
}

/// Runs the hook Mentor's replaced, if there is one; returns the exit code to stop with when it failed.
fn run_chained(hook_path: &Path, name: &str, args: &[OsString]) -> Option<ExitCode> {
    let chained = hook_path.with_file_name(format!("{name}{CHAINED_SUFFIX}"));
    if !is_executable(&chained) {
        return None;
    }
    // stdin, stdout and stderr are inherited, so the chained hook sees exactly what git gave us.
    match std::process::Command::new(&chained).args(args).status() {
        Ok(status) if status.success() => None,
        Ok(status) => Some(ExitCode::from(exit_byte(status))),
        Err(err) => {
            eprintln!("mentor: cannot run the chained hook {}: {err}", chained.display());
            Some(ExitCode::FAILURE)
        }
    }
}

/// The exit status a shell would report for `status`: its code, or 128 + the signal that ended it.
fn exit_byte(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(u8::MAX);
        }
    }
    status.code().and_then(|c| u8::try_from(c).ok()).filter(|&c| c != 0).unwrap_or(1)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_are_recognised_by_their_marker() {
        let mut binary = b"\x7fELF\0\0garbage".to_vec();
        binary.extend_from_slice(MARKER.as_bytes());
        binary.extend_from_slice(b"\0more");
        assert!(is_ours(&binary));
        let old_shim = format!("#!/bin/sh\n{MARKER}\nexec '/x/mentor' hook commit-msg \"$@\"\n");
        assert!(is_ours(old_shim.as_bytes()));
        assert!(!is_ours(b"#!/bin/sh\nexec lefthook run commit-msg \"$@\"\n"));
    }

    #[cfg(unix)]
    #[test]
    fn exit_codes_are_passed_on_like_a_shell() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_byte(std::process::ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_byte(std::process::ExitStatus::from_raw(9)), 137);
    }
}
