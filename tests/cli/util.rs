//! Test fixtures: a fresh git repository in a temp dir, and commands aimed at git and the built `mentor`.

#![allow(dead_code)] // Each test module uses a different part of the fixture.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git repository in a temp dir that is removed on drop.
pub struct TestRepo {
    _dir: tempfile::TempDir,
    /// Root of the work tree.
    pub root: PathBuf,
    /// A fake HOME so global git config never leaks in.
    pub home: PathBuf,
}

/// The path of the `mentor` binary under test.
pub fn mentor_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mentor"))
}

/// The path of the hook program `mentor hooks install` copies.
pub fn mentor_hook_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mentor-hook"))
}

impl TestRepo {
    /// Creates an empty repository (branch `main`) with a fixed identity.
    pub fn new() -> TestRepo {
        let dir = tempfile::Builder::new().prefix("mentor-test-").tempdir().expect("temp dir");
        let root = dir.path().join("repo");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&root).expect("mkdir repo");
        std::fs::create_dir_all(&home).expect("mkdir home");
        let repo = TestRepo { _dir: dir, root, home };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Alice Example"]);
        repo.git(&["config", "user.email", "alice@example.com"]);
        repo
    }

    /// Returns a command with a clean, fixed environment, run in the work tree.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2026-11-17T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-17T10:00:00Z")
            .env("GIT_EDITOR", "true")
            .env("TZ", "UTC")
            .env("LANG", "C")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs git with `args` and returns stdout; panics with the full output if git fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.command("git").args(args).output().expect("run git");
        assert_success("git", args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs git with `args` and returns the raw output, whatever the exit status.
    pub fn git_output(&self, args: &[&str]) -> Output {
        self.command("git").args(args).output().expect("run git")
    }

    /// Runs `mentor` with `args` and returns the raw output.
    pub fn mentor(&self, args: &[&str]) -> Output {
        self.command(mentor_bin()).args(args).output().expect("run mentor")
    }

    /// Runs `mentor` with `args`, asserts exit 0 and returns stdout.
    pub fn mentor_ok(&self, args: &[&str]) -> String {
        let out = self.mentor(args);
        assert_success("mentor", args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes `contents` to `rel` under the work tree, creating parent directories.
    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir parent");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// Writes `rel`, stages everything and commits with `message`; returns the new commit id.
    pub fn commit_file(&self, rel: &str, contents: &str, message: &str) -> String {
        self.write(rel, contents);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Returns the full message of `rev`.
    pub fn message(&self, rev: &str) -> String {
        self.git(&["log", "-1", "--format=%B", rev])
    }

    /// Returns the path of the repository's git dir.
    pub fn git_dir(&self) -> PathBuf {
        let out = self.git(&["rev-parse", "--absolute-git-dir"]);
        PathBuf::from(out.trim())
    }
}

/// Panics with the command, exit status, stdout and stderr in full unless `out` succeeded.
pub fn assert_success(program: &str, args: &[&str], out: &Output) {
    assert!(
        out.status.success(),
        "{program} {args:?} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Returns stdout and stderr of `out` as one string, for asserting on messages.
pub fn all_output(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Returns true if `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
