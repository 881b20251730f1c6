//! `mentor hooks install | uninstall | status`: where hooks land, chaining existing hooks, restoring them exactly,
//! other hook managers, hooks that survive `mentor` moving away, and hooks left by earlier versions.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{TestRepo, all_output, assert_success};

const NAMES: [&str; 2] = ["prepare-commit-msg", "commit-msg"];

fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn write_hook(path: &Path, text: &str, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn install_status_uninstall_round_trip() {
    let repo = TestRepo::new();
    let hooks = repo.git_dir().join("hooks");
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("prepare-commit-msg  not installed"), "{status}");
    assert!(status.contains("commit-msg          not installed"), "{status}");

    let out = repo.mentor_ok(&["hooks", "install"]);
    assert!(out.contains("prepare-commit-msg: installed"), "{out}");
    let program = std::fs::read(crate::util::mentor_hook_bin()).unwrap();
    for name in NAMES {
        // Each hook is a copy of the hook program: same bytes, its own file.
        assert!(std::fs::read(hooks.join(name)).unwrap() == program, "{name} is not mentor-hook");
        assert_ne!(inode(&hooks.join(name)), inode(&crate::util::mentor_hook_bin()));
        assert_eq!(mode(&hooks.join(name)), 0o755);
    }
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("prepare-commit-msg  installed\n"), "{status}");
    assert!(status.contains("commit-msg          installed\n"), "{status}");
    let json: serde_json::Value =
        serde_json::from_str(&repo.mentor_ok(&["hooks", "status", "--json"])).unwrap();
    assert_eq!(json["hooks"][0]["name"], "prepare-commit-msg");
    assert_eq!(json["hooks"][0]["state"], "installed");
    assert_eq!(json["hooks"][1]["state"], "installed");
    assert_eq!(json["hooks"][1]["up_to_date"], true);
    assert_eq!(json["manager"], serde_json::Value::Null);

    // Hooks run on a real commit without changing anything when no session runs.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "plain"]);
    assert_eq!(repo.message("HEAD"), "plain\n\n");

    let out = repo.mentor_ok(&["hooks", "uninstall"]);
    assert!(out.contains("prepare-commit-msg: removed"), "{out}");
    for name in NAMES {
        assert!(!hooks.join(name).exists());
    }
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("commit-msg          not installed"), "{status}");
}

#[test]
fn existing_hook_is_chained_with_same_arguments_and_restored_byte_for_byte() {
    let repo = TestRepo::new();
    let hooks = repo.git_dir().join("hooks");
    let log = repo.home.join("hook.log");
    // No trailing newline and an odd mode: both must come back exactly.
    let original = format!(
        "#!/bin/sh\necho \"commit-msg $# $1\" >> '{}'\nif [ -e \"$HOME/fail-hook\" ]; then echo 'original hook says no' >&2; exit 3; fi",
        log.display()
    );
    let hook = hooks.join("commit-msg");
    write_hook(&hook, &original, 0o750);

    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("commit-msg          foreign hook present"), "{status}");
    let out = repo.mentor_ok(&["hooks", "install"]);
    assert!(out.contains("commit-msg: installed, chaining the existing hook"), "{out}");
    let chained = hooks.join("commit-msg.mentor-chained");
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), original);
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(
        status.contains(&format!("commit-msg          installed chaining {}", chained.display())),
        "{status}"
    );

    // Installing again never chains our own shim.
    let out = repo.mentor_ok(&["hooks", "install"]);
    assert!(out.contains("commit-msg: already installed"), "{out}");
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), original);

    // The chained hook runs with git's arguments.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "first"]);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "commit-msg 1 .git/COMMIT_EDITMSG\n");

    // Its failure fails the commit, with its own exit status reaching git.
    std::fs::write(repo.home.join("fail-hook"), "").unwrap();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo.git_output(&["commit", "--allow-empty", "-m", "second"]);
    assert!(!out.status.success(), "commit should fail: {}", all_output(&out));
    assert!(all_output(&out).contains("original hook says no"), "{}", all_output(&out));
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    std::fs::remove_file(repo.home.join("fail-hook")).unwrap();

    let out = repo.mentor_ok(&["hooks", "uninstall"]);
    assert!(out.contains("commit-msg: removed, previous hook restored"), "{out}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
    assert_eq!(mode(&hook), 0o750);
    assert!(!chained.exists());
    assert!(!hooks.join("prepare-commit-msg").exists());
}

#[test]
fn uninstall_leaves_foreign_hooks_alone() {
    let repo = TestRepo::new();
    let hook = repo.git_dir().join("hooks/prepare-commit-msg");
    write_hook(&hook, "#!/bin/sh\nexit 0\n", 0o755);
    let out = repo.mentor_ok(&["hooks", "uninstall"]);
    assert!(out.contains("prepare-commit-msg: not Mentor's hook, left alone"), "{out}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\nexit 0\n");
}

#[test]
fn relative_core_hooks_path_is_relative_to_the_work_tree_root() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", "tools/hooks"]);
    std::fs::create_dir_all(repo.root.join("src/deep")).unwrap();
    let out = repo
        .command(crate::util::mentor_bin())
        .current_dir(repo.root.join("src/deep"))
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert_success("mentor", &["hooks", "install"], &out);
    let dir = repo.root.join("tools/hooks");
    assert!(dir.join("prepare-commit-msg").is_file());
    assert!(dir.join("commit-msg").is_file());
    assert!(!repo.git_dir().join("hooks/commit-msg").exists());
    let git_says = repo.git(&["rev-parse", "--git-path", "hooks"]);
    assert_eq!(repo.root.join(git_says.trim()), dir);
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("core.hooksPath=tools/hooks"), "{status}");
    assert!(status.contains("commit-msg          installed"), "{status}");
}

#[test]
fn absolute_core_hooks_path_is_used_as_is() {
    let repo = TestRepo::new();
    let dir = repo.home.join("shared-hooks");
    repo.git(&["config", "core.hooksPath", dir.to_str().unwrap()]);
    repo.mentor_ok(&["hooks", "install"]);
    assert!(dir.join("commit-msg").is_file());
    let json: serde_json::Value =
        serde_json::from_str(&repo.mentor_ok(&["hooks", "status", "--json"])).unwrap();
    assert_eq!(json["hooks_dir"], dir.to_str().unwrap());
    assert_eq!(json["hooks"][1]["state"], "installed");
    assert_eq!(json["hooks"][1]["up_to_date"], true);
}

#[test]
fn linked_worktree_installs_into_the_common_hooks_dir() {
    let repo = TestRepo::new();
    repo.commit_file("README", "hi\n", "initial");
    let wt = repo.home.join("wt");
    repo.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "side"]);
    let out = repo
        .command(crate::util::mentor_bin())
        .current_dir(&wt)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert_success("mentor", &["hooks", "install"], &out);
    let common_hooks = repo.git_dir().join("hooks");
    assert!(common_hooks.join("commit-msg").is_file());
    assert!(common_hooks.join("prepare-commit-msg").is_file());
    // git in the worktree agrees on where its hooks are.
    let out = repo
        .command("git")
        .current_dir(&wt)
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), common_hooks.to_str().unwrap());
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("commit-msg          installed"), "{status}");
}

fn assert_refused(repo: &TestRepo, manager: &str, expected_snippet: &[&str]) {
    let out = repo.mentor(&["hooks", "install"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in expected_snippet {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("managed by {manager}")), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!repo.git_dir().join("hooks/commit-msg").exists() || manager == "pre-commit");
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains(&format!("Hook manager: {manager}")), "{status}");
}

#[test]
fn husky_is_left_in_charge_unless_forced() {
    let repo = TestRepo::new();
    std::fs::create_dir_all(repo.root.join(".husky/_")).unwrap();
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
    assert_refused(
        &repo,
        "husky",
        &[
            ".husky/prepare-commit-msg",
            "mentor hook prepare-commit-msg \"$@\"",
            "mentor hook commit-msg \"$@\"",
        ],
    );
    assert!(!repo.root.join(".husky/_/commit-msg").exists());
    let out = repo.mentor_ok(&["hooks", "install", "--force"]);
    assert!(out.contains("commit-msg: installed"), "{out}");
    assert!(repo.root.join(".husky/_/commit-msg").is_file());
}

#[test]
fn lefthook_is_left_in_charge_unless_forced() {
    let repo = TestRepo::new();
    repo.write("lefthook.yml", "pre-commit:\n  commands: {}\n");
    assert_refused(
        &repo,
        "lefthook",
        &[
            "prepare-commit-msg:\n  commands:\n    mentor:\n      run: mentor hook prepare-commit-msg {1} {2} {3}",
            "commit-msg:\n  commands:\n    mentor:\n      run: mentor hook commit-msg {1}",
        ],
    );
    repo.mentor_ok(&["hooks", "install", "--force"]);
    assert!(repo.git_dir().join("hooks/commit-msg").is_file());
}

#[test]
fn lefthook_generated_hooks_are_recognised() {
    let repo = TestRepo::new();
    write_hook(
        &repo.git_dir().join("hooks/pre-commit"),
        "#!/bin/sh\nexec lefthook run \"pre-commit\" \"$@\"\n",
        0o755,
    );
    assert_refused(&repo, "lefthook", &["run: mentor hook commit-msg {1}"]);
}

#[test]
fn pre_commit_is_left_in_charge_unless_forced() {
    let repo = TestRepo::new();
    repo.write(".pre-commit-config.yaml", "repos: []\n");
    assert_refused(
        &repo,
        "pre-commit",
        &[
            "- repo: local",
            "entry: mentor hook prepare-commit-msg",
            "stages: [prepare-commit-msg]",
            "stages: [commit-msg]",
        ],
    );
    assert!(!repo.git_dir().join("hooks/commit-msg").exists());
    repo.mentor_ok(&["hooks", "install", "--force"]);
    assert!(repo.git_dir().join("hooks/commit-msg").is_file());
}

#[test]
fn pre_commit_generated_hooks_are_recognised_and_chained_when_forced() {
    let repo = TestRepo::new();
    let generated =
        "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexit 0\n";
    let hook = repo.git_dir().join("hooks/commit-msg");
    write_hook(&hook, generated, 0o755);
    assert_refused(&repo, "pre-commit", &["stages: [commit-msg]"]);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), generated);
    let out = repo.mentor_ok(&["hooks", "install", "--force"]);
    assert!(out.contains("commit-msg: installed, chaining the existing hook"), "{out}");
    repo.mentor_ok(&["hooks", "uninstall"]);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), generated);
}

#[test]
fn installed_hooks_need_no_mentor_binary_and_chained_hooks_get_stdin() {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", crate::pair::CONFIG);
    let hooks = repo.git_dir().join("hooks");
    let log = repo.home.join("stdin.log");
    write_hook(
        &hooks.join("prepare-commit-msg"),
        &format!("#!/bin/sh\ncat > '{}'\n", log.display()),
        0o755,
    );
    repo.mentor_ok(&["hooks", "install"]);
    repo.mentor_ok(&["pair", "start", "bob", "--for", "1h"]);
    // git with a PATH that holds no mentor at all.
    let bin = repo.home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(which("git"), bin.join("git")).unwrap();
    let out = repo
        .command("git")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .args(["commit", "--allow-empty", "-m", "one"])
        .output()
        .unwrap();
    assert_success("git", &["commit"], &out);
    assert!(!all_output(&out).contains("warning"), "{}", all_output(&out));
    assert_eq!(repo.message("HEAD"), "one\n\nMentored-by: Bob Builder <bob@example.com>\n\n");
    // git gives these hooks no stdin (/dev/null), and so does the chained hook see none.
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "");
    // Run by hand with something on stdin, the hook program hands exactly that to the chained hook.
    let msg = repo.home.join("msg");
    std::fs::write(&msg, "two\n").unwrap();
    let mut child = repo
        .command(hooks.join("prepare-commit-msg"))
        .args([msg.to_str().unwrap(), "message"])
        .env("GIT_EDITOR", ":")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"piped in\n").unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "piped in\n");
    assert_eq!(
        std::fs::read_to_string(&msg).unwrap(),
        "two\n\nMentored-by: Bob Builder <bob@example.com>\n"
    );
}

#[test]
fn hooks_of_an_earlier_version_are_recognised_reported_and_replaced() {
    let repo = TestRepo::new();
    let hooks = repo.git_dir().join("hooks");
    // The shell shim earlier versions wrote; its second line is the marker.
    let old_shim = "#!/bin/sh\n# mentor-hook-shim: installed by `mentor hooks install`\nexec '/gone/mentor' hook commit-msg \"$@\"\n";
    write_hook(&hooks.join("commit-msg"), old_shim, 0o755);
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(
        status.contains("commit-msg          installed (from another build of mentor: run `mentor hooks install` to update it)"),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&repo.mentor_ok(&["hooks", "status", "--json"])).unwrap();
    assert_eq!(json["hooks"][1]["up_to_date"], false);
    assert_eq!(json["hooks"][0].get("up_to_date"), None);
    let out = repo.mentor_ok(&["hooks", "install"]);
    assert!(out.contains("commit-msg: already installed, refreshed"), "{out}");
    assert!(!hooks.join("commit-msg.mentor-chained").exists());
    let program = std::fs::read(crate::util::mentor_hook_bin()).unwrap();
    assert!(std::fs::read(hooks.join("commit-msg")).unwrap() == program);
    let status = repo.mentor_ok(&["hooks", "status"]);
    assert!(status.contains("commit-msg          installed\n"), "{status}");
}

#[test]
fn install_without_the_hook_program_beside_mentor_says_what_is_missing() {
    let repo = TestRepo::new();
    let lone = repo.home.join("lone");
    std::fs::create_dir_all(&lone).unwrap();
    std::fs::copy(crate::util::mentor_bin(), lone.join("mentor")).unwrap();
    let out = repo.command(lone.join("mentor")).args(["hooks", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{} is missing", lone.join("mentor-hook").display())), "{err}");
    assert!(err.contains("cargo install --path cli"), "{err}");
    assert!(!repo.git_dir().join("hooks/commit-msg").exists());
}

#[test]
fn the_hook_program_run_by_another_name_explains_itself() {
    let repo = TestRepo::new();
    let out = repo.command(crate::util::mentor_hook_bin()).arg("x").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("git runs this program as a prepare-commit-msg or commit-msg hook"),
        "{err}"
    );
    assert!(err.contains("mentor hooks install"), "{err}");
}

fn which(program: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .expect("program on PATH")
}

#[test]
fn help_shows_examples() {
    let repo = TestRepo::new();
    for args in [
        &["hooks", "--help"][..],
        &["hooks", "install", "--help"],
        &["hooks", "status", "--help"],
        &["hooks", "uninstall", "--help"],
    ] {
        let out = repo.mentor_ok(args);
        assert!(out.contains("Examples:"), "{args:?}: {out}");
    }
    let out = repo.mentor(&["hooks", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
}
