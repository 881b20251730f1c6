//! `mentor pair` and the commit hooks it drives: `Mentored-by:` trailers on every way of committing that makes
//! new work, none on replays of existing commits, empty messages still aborting, and the milestone check.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{TestRepo, all_output, assert_success, mentor_bin};

/// A config with bob mentoring alice on the backend track (used by the hooks tests too).
pub const CONFIG: &str = "\
sprints: { length: 2w, start: 2026-01-05, timezone: UTC }
people:
  bob: { name: Bob Builder, emails: [bob@example.com] }
  alice: { emails: [alice@example.com] }
  carol: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery }
      - { id: design-review, title: Lead a design review, stage: practice }
";

const MENTORED: &str = "Mentored-by: Bob Builder <bob@example.com>";

/// A repo with the config committed, Mentor's hooks installed and (if `pairing`) a session with bob.
fn setup(config: &str, pairing: bool) -> TestRepo {
    let repo = TestRepo::new();
    repo.commit_file(".github/mentorship.yml", config, "add config");
    repo.mentor_ok(&["hooks", "install"]);
    if pairing {
        repo.mentor_ok(&["pair", "start", "bob"]);
    }
    repo
}

fn paired() -> TestRepo {
    setup(CONFIG, true)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Writes an executable script and returns its path.
fn script(repo: &TestRepo, name: &str, body: &str) -> String {
    let path = repo.home.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn start_status_stop() {
    let repo = setup(CONFIG, false);
    assert_eq!(repo.mentor_ok(&["pair", "status"]), "No pairing session.\n");
    let out = repo.mentor(&["pair", "start", "@Bob", "--for", "90m"]);
    assert_success("mentor", &["pair", "start"], &out);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let out = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.starts_with("Pairing with bob until "), "{out}");
    assert!(out.contains("(90m)"), "{out}");
    assert!(out.contains(&format!("Commits get `{MENTORED}`.")), "{out}");
    let status = repo.mentor_ok(&["pair", "status"]);
    assert!(status.contains("Pairing with bob (Bob Builder <bob@example.com>) until"), "{status}");
    assert!(status.contains("(1h29m left)") || status.contains("(1h30m left)"), "{status}");
    let json: serde_json::Value =
        serde_json::from_str(&repo.mentor_ok(&["pair", "status", "--json"])).unwrap();
    assert_eq!(json["state"], "active");
    assert_eq!(json["session"]["login"], "bob");
    assert_eq!(json["session"]["email"], "bob@example.com");
    assert_eq!(json["session"]["co_authored_by"], false);
    let started =
        chrono::DateTime::parse_from_rfc3339(json["session"]["started_at"].as_str().unwrap())
            .unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(json["session"]["expires_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(expires - started, chrono::TimeDelta::minutes(90));
    assert!(repo.git_dir().join("mentor/pairing.json").is_file());

    assert_eq!(repo.mentor_ok(&["pair", "stop"]), "Stopped pairing with bob.\n");
    assert_eq!(repo.mentor_ok(&["pair", "stop"]), "No pairing session to stop.\n");
    assert_eq!(repo.mentor_ok(&["pair", "status"]), "No pairing session.\n");
}

#[test]
fn default_length_comes_from_the_config() {
    let repo = setup(&format!("{CONFIG}pairing: {{ session: 45m }}\n"), false);
    let out = repo.mentor_ok(&["pair", "start", "bob"]);
    assert!(out.contains("(45m)"), "{out}");
    let repo = setup(CONFIG, false);
    let out = repo.mentor_ok(&["pair", "start", "bob"]);
    assert!(out.contains("(2h)"), "{out}");
}

#[test]
fn start_rejects_unknown_people_and_bad_durations() {
    let repo = setup(CONFIG, false);
    let out = repo.mentor(&["pair", "start", "mallory"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mallory is not a person in"), "{err}");
    assert!(err.contains("Pair with one of: alice, bob, carol."), "{err}");
    let out = repo.mentor(&["pair", "start", "bob", "--for", "2 hours"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(all_output(&out).contains("invalid duration"), "{}", all_output(&out));
    assert!(!repo.git_dir().join("mentor/pairing.json").exists());
}

#[test]
fn start_without_a_config_says_how_to_pass_one() {
    let repo = TestRepo::new();
    let out = repo.mentor(&["pair", "start", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(all_output(&out).contains("cannot read the mentorship config"), "{}", all_output(&out));
    let elsewhere = repo.home.join("org.yml");
    std::fs::write(&elsewhere, CONFIG).unwrap();
    let out = repo.mentor(&["pair", "start", "bob", "--config", elsewhere.to_str().unwrap()]);
    assert_success("mentor", &["pair", "start"], &out);
    // No hooks yet: the session is stored, and the user is told why commits will not show it.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Run `mentor hooks install`"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn name_and_email_fall_back_to_login_and_noreply() {
    let repo = setup(CONFIG, false);
    repo.mentor_ok(&["pair", "start", "carol"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "work"]);
    assert_eq!(
        repo.message("HEAD"),
        "work\n\nMentored-by: carol <carol@users.noreply.github.com>\n\n"
    );
}

#[test]
fn trailer_added_with_dash_m() {
    let repo = paired();
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Add parser"]);
    assert_eq!(repo.message("HEAD"), format!("Add parser\n\n{MENTORED}\n\n"));
}

#[test]
fn trailer_added_with_dash_f_below_existing_trailers() {
    let repo = paired();
    let msg = repo.home.join("msg.txt");
    std::fs::write(&msg, "Add parser\n\nLonger body.\n\nRefs: #12\n").unwrap();
    repo.git(&["commit", "-q", "--allow-empty", "-F", msg.to_str().unwrap()]);
    assert_eq!(
        repo.message("HEAD"),
        format!("Add parser\n\nLonger body.\n\nRefs: #12\n{MENTORED}\n\n")
    );
}

#[test]
fn trailer_added_with_a_template_and_an_editor() {
    let repo = paired();
    let template = repo.home.join("template.txt");
    std::fs::write(&template, "\n# Why this change?\n").unwrap();
    repo.git(&["config", "commit.template", template.to_str().unwrap()]);
    let editor = script(
        &repo,
        "editor.sh",
        "printf 'Edited subject\\n%s' \"$(cat \"$1\")\" > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    );
    let out = repo
        .command("git")
        .env("GIT_EDITOR", &editor)
        .args(["commit", "--allow-empty"])
        .output()
        .unwrap();
    assert_success("git", &["commit"], &out);
    assert_eq!(repo.message("HEAD"), format!("Edited subject\n\n{MENTORED}\n\n"));
}

#[test]
fn untouched_template_still_aborts() {
    let repo = paired();
    let template = repo.home.join("template.txt");
    std::fs::write(&template, "Subject line here\n\n# Why this change?\n").unwrap();
    repo.git(&["config", "commit.template", template.to_str().unwrap()]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo.git_output(&["commit", "--allow-empty"]);
    assert!(!out.status.success(), "{}", all_output(&out));
    assert!(all_output(&out).contains("you did not edit the message"), "{}", all_output(&out));
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
}

#[test]
fn untouched_template_without_an_editor_still_aborts() {
    let repo = paired();
    let template = repo.home.join("template.txt");
    std::fs::write(&template, "Subject line here\n").unwrap();
    repo.git(&["config", "commit.template", template.to_str().unwrap()]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo.git_output(&["commit", "--allow-empty", "--no-edit"]);
    assert!(!out.status.success(), "{}", all_output(&out));
    assert!(all_output(&out).contains("you did not edit the message"), "{}", all_output(&out));
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    // git only compares with the template when the message came from it: `-m` with the same text commits.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Subject line here"]);
    assert_eq!(repo.message("HEAD"), format!("Subject line here\n\n{MENTORED}\n\n"));
}

#[test]
fn amend_does_not_duplicate() {
    let repo = paired();
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Add parser"]);
    repo.git(&["commit", "-q", "--amend", "--allow-empty", "--no-edit"]);
    repo.git(&["commit", "-q", "--amend", "--allow-empty", "-C", "HEAD"]);
    let message = repo.message("HEAD");
    assert_eq!(message, format!("Add parser\n\n{MENTORED}\n\n"));
}

#[test]
fn amend_of_an_older_commit_adds_the_trailer_once() {
    let repo = setup(CONFIG, false);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Add parser"]);
    repo.mentor_ok(&["pair", "start", "bob"]);
    repo.git(&["commit", "-q", "--amend", "--allow-empty", "--no-edit"]);
    repo.git(&["commit", "-q", "--amend", "--allow-empty", "--no-edit"]);
    assert_eq!(count(&repo.message("HEAD"), MENTORED), 1);
}

#[test]
fn merge_squash_then_commit_gets_the_trailer() {
    let repo = paired();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("a.txt", "a\n", "feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--squash", "feature"]);
    repo.git(&["commit", "-q", "--no-edit"]);
    let message = repo.message("HEAD");
    assert!(message.starts_with("Squashed commit of the following:"), "{message}");
    // The squashed log quotes feature work's own (indented) trailer; the new one is added once, at the end.
    assert_eq!(message.lines().filter(|l| *l == MENTORED).count(), 1, "{message}");
    assert!(message.trim_end().ends_with(&format!("\n\n{MENTORED}")), "{message}");
}

#[test]
fn verbose_editor_commit_puts_the_trailer_above_the_scissors() {
    let repo = paired();
    repo.write("a.txt", "Mentored-by: in the diff\n");
    repo.git(&["add", "a.txt"]);
    // The editor writes a subject on top and keeps everything else, diff included.
    let editor = script(
        &repo,
        "editor.sh",
        "{ echo 'Edited with -v'; cat \"$1\"; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    );
    let out =
        repo.command("git").env("GIT_EDITOR", &editor).args(["commit", "-v"]).output().unwrap();
    assert_success("git", &["commit", "-v"], &out);
    assert_eq!(repo.message("HEAD"), format!("Edited with -v\n\n{MENTORED}\n\n"));
}

#[test]
fn editor_commit_left_empty_still_aborts() {
    let repo = paired();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo
        .command("git")
        .env("GIT_EDITOR", "true")
        .args(["commit", "--allow-empty"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("Aborting commit due to empty commit message"),
        "{}",
        all_output(&out)
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    let out = repo.git_output(&["commit", "--allow-empty", "-m", ""]);
    assert!(!out.status.success(), "{}", all_output(&out));
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
}

#[test]
fn no_trailer_on_a_merge_commit() {
    let repo = paired();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("a.txt", "a\n", "feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("b.txt", "b\n", "main work");
    repo.git(&["merge", "-q", "--no-edit", "feature"]);
    assert_eq!(repo.message("HEAD"), "Merge branch 'feature'\n\n");
    // A conflicted merge finished by hand is a merge too.
    repo.git(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    repo.commit_file("a.txt", "other\n", "other work");
    repo.git(&["checkout", "-q", "main"]);
    assert!(!repo.git_output(&["merge", "-q", "other"]).status.success());
    repo.write("a.txt", "resolved\n");
    repo.git(&["add", "a.txt"]);
    repo.git(&["commit", "-q", "--no-edit"]);
    let message = repo.message("HEAD");
    assert!(message.starts_with("Merge branch 'other'"), "{message}");
    assert!(!message.contains("Mentored-by"), "{message}");
}

#[test]
fn no_trailer_on_cherry_pick_or_revert() {
    let repo = setup(CONFIG, false);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("a.txt", "a\n", "feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.mentor_ok(&["pair", "start", "bob"]);
    repo.git(&["cherry-pick", "feature"]);
    assert_eq!(repo.message("HEAD"), "feature work\n\n");
    repo.git(&["revert", "--no-edit", "HEAD"]);
    let message = repo.message("HEAD");
    assert!(message.starts_with("Revert \"feature work\""), "{message}");
    assert!(!message.contains("Mentored-by"), "{message}");
    // With the editor (no --no-edit) too.
    repo.git(&["revert", "HEAD"]);
    assert!(!repo.message("HEAD").contains("Mentored-by"));
}

#[test]
fn no_trailer_when_rebasing() {
    let repo = setup(CONFIG, false);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("a.txt", "a\n", "feature one");
    repo.commit_file("b.txt", "b\n", "feature two");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("c.txt", "c\n", "main work");
    repo.git(&["checkout", "-q", "feature"]);
    repo.mentor_ok(&["pair", "start", "bob"]);
    repo.git(&["rebase", "-q", "main"]);
    let log = repo.git(&["log", "--format=%B", "main..HEAD"]);
    assert!(!log.contains("Mentored-by"), "{log}");
    let out = repo
        .command("git")
        .env("GIT_SEQUENCE_EDITOR", "true")
        .args(["rebase", "-q", "-i", "--force-rebase", "HEAD~2"])
        .output()
        .unwrap();
    assert_success("git", &["rebase", "-i"], &out);
    let out = repo
        .command("git")
        .env("GIT_SEQUENCE_EDITOR", "sed -i s/^pick/reword/")
        .args(["rebase", "-q", "-i", "HEAD~2"])
        .output()
        .unwrap();
    assert_success("git", &["rebase", "-i"], &out);
    let log = repo.git(&["log", "--format=%B", "main..HEAD"]);
    assert_eq!(log, "feature two\n\nfeature one\n\n");
}

#[test]
fn no_trailer_on_fixup_or_amend_commits() {
    let repo = paired();
    repo.commit_file("a.txt", "a\n", "base");
    repo.write("a.txt", "b\n");
    repo.git(&["commit", "-q", "-a", "--fixup", "HEAD"]);
    assert_eq!(repo.message("HEAD"), "fixup! base\n\n");
    repo.git(&["commit", "-q", "--allow-empty", "-m", "amend! base\n\nbetter text"]);
    assert!(!repo.message("HEAD").contains("Mentored-by"));
    repo.git(&["commit", "-q", "--allow-empty", "-m", "real work"]);
    assert!(repo.message("HEAD").contains(MENTORED));
}

#[test]
fn co_authored_by_when_configured() {
    let repo = setup(&format!("{CONFIG}pairing: {{ co_authored_by: true }}\n"), true);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Pair work"]);
    repo.git(&["commit", "-q", "--amend", "--no-edit", "--allow-empty"]);
    assert_eq!(
        repo.message("HEAD"),
        format!("Pair work\n\n{MENTORED}\nCo-authored-by: Bob Builder <bob@example.com>\n\n")
    );
}

fn write_session(repo: &TestRepo, expires_at: &str) {
    let path = repo.git_dir().join("mentor/pairing.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            r#"{{"version":1,"login":"bob","name":"Bob Builder","email":"bob@example.com","co_authored_by":false,"started_at":"2001-01-01T08:00:00Z","expires_at":"{expires_at}"}}"#
        ),
    )
    .unwrap();
}

#[test]
fn expired_session_adds_nothing() {
    let repo = setup(CONFIG, false);
    write_session(&repo, "2001-01-01T10:00:00Z");
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Late work"]);
    assert_eq!(repo.message("HEAD"), "Late work\n\n");
    let status = repo.mentor_ok(&["pair", "status"]);
    assert!(
        status.starts_with("The pairing session with bob expired at 2001-01-01 10:00 +00:00"),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&repo.mentor_ok(&["pair", "status", "--json"])).unwrap();
    assert_eq!(json["state"], "expired");
}

#[test]
fn short_session_expires() {
    let repo = setup(CONFIG, false);
    repo.mentor_ok(&["pair", "start", "bob", "--for", "1s"]);
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    repo.git(&["commit", "-q", "--allow-empty", "-m", "After"]);
    assert_eq!(repo.message("HEAD"), "After\n\n");
}

#[test]
fn corrupt_session_warns_and_the_commit_goes_through() {
    let repo = setup(CONFIG, false);
    let path = repo.git_dir().join("mentor/pairing.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\"version\": 1, \"login\": ").unwrap();
    let out = repo.git_output(&["commit", "--allow-empty", "-m", "Still works"]);
    assert_success("git", &["commit"], &out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mentor: warning: the pairing session"), "{err}");
    assert!(err.contains("is corrupt"), "{err}");
    assert_eq!(repo.message("HEAD"), "Still works\n\n");
    let out = repo.mentor(&["pair", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(all_output(&out).contains("mentor pair stop"), "{}", all_output(&out));
    assert_eq!(repo.mentor_ok(&["pair", "stop"]), "Removed the pairing session.\n");
}

#[test]
fn milestone_trailer_is_checked_against_the_authors_track() {
    let repo = setup(CONFIG, false);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo.git_output(&["commit", "--allow-empty", "-m", "Work\n\nMilestone: bogus"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mentor: commit rejected: unknown milestone \"bogus\""), "{err}");
    assert!(err.contains("Milestones of alice's track backend: first-pr, design-review."), "{err}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);

    repo.git(&["commit", "-q", "--allow-empty", "-m", "Work\n\nMilestone: first-pr"]);
    assert_eq!(repo.message("HEAD"), "Work\n\nMilestone: first-pr\n\n");
    // Keys are case-insensitive, as git's are.
    let out = repo.git_output(&["commit", "--allow-empty", "-m", "Work\n\nmilestone: nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(all_output(&out).contains("unknown milestone \"nope\""), "{}", all_output(&out));

    // The author is who git records (GIT_AUTHOR_EMAIL / --author), not just user.email.
    let out = repo.git_output(&[
        "commit",
        "--allow-empty",
        "--author",
        "Bob Builder <bob@example.com>",
        "-m",
        "Work\n\nMilestone: first-pr",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(all_output(&out).contains("bob is not a mentee in any pair"), "{}", all_output(&out));
}

#[test]
fn milestone_check_with_pairing_and_a_broken_config_fails_open() {
    let repo = paired();
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Work\n\nMilestone: design-review"]);
    assert_eq!(repo.message("HEAD"), format!("Work\n\nMilestone: design-review\n{MENTORED}\n\n"));
    repo.write(".github/mentorship.yml", "people: [oops\n");
    let out = repo.git_output(&["commit", "--allow-empty", "-m", "More\n\nMilestone: bogus"]);
    assert_success("git", &["commit"], &out);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("mentor: warning: cannot check the Milestone trailer")
    );
}

#[test]
fn comment_char_is_honoured() {
    let repo = paired();
    repo.git(&["config", "core.commentChar", ";"]);
    // The editor keeps git's `;` help text and adds a '#' line that is part of the message.
    let editor = script(
        &repo,
        "editor.sh",
        "{ echo 'Subject'; echo; echo '# not a comment here'; cat \"$1\"; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    );
    let out = repo
        .command("git")
        .env("GIT_EDITOR", &editor)
        .args(["commit", "--allow-empty"])
        .output()
        .unwrap();
    assert_success("git", &["commit"], &out);
    assert_eq!(repo.message("HEAD"), format!("Subject\n\n# not a comment here\n\n{MENTORED}\n\n"));
    // And an editor that writes nothing still aborts with `;` comments.
    let out = repo.git_output(&["commit", "--allow-empty"]);
    assert!(
        all_output(&out).contains("Aborting commit due to empty commit message"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn comment_char_set_globally_or_through_an_include_is_honoured() {
    // `-m` commits take the hook's fast path, which must still see a comment character set outside the
    // repository's own config file.
    for place in ["global", "include"] {
        let repo = paired();
        match place {
            "global" => {
                std::fs::write(repo.home.join(".gitconfig"), "[core]\n\tcommentChar = \";\"\n")
                    .unwrap()
            }
            _ => {
                let included = repo.home.join("extra.gitconfig");
                std::fs::write(&included, "[core]\n\tcommentChar = \";\"\n").unwrap();
                repo.git(&["config", "include.path", included.to_str().unwrap()]);
            }
        }
        let message = "Subject\n\n; a comment line under `;`\n";
        repo.git(&["commit", "-q", "--allow-empty", "-m", message]);
        let mut git = repo
            .command("git")
            .args(["-c", "core.commentChar=;", "interpret-trailers", "--trailer", MENTORED])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut git.stdin.take().unwrap(), message.as_bytes()).unwrap();
        let expected = String::from_utf8(git.wait_with_output().unwrap().stdout).unwrap();
        assert!(expected.contains(&format!("Subject\n\n{MENTORED}\n")), "{place}: {expected}");
        assert_eq!(repo.message("HEAD"), format!("{expected}\n"), "{place}");
    }
}

#[test]
fn pairing_works_from_a_linked_worktree() {
    let repo = setup(CONFIG, false);
    let wt = repo.home.join("wt");
    repo.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "side"]);
    let in_wt = |program: &Path, args: &[&str]| {
        let out = repo.command(program).current_dir(&wt).args(args).output().unwrap();
        assert_success(&program.display().to_string(), args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    in_wt(&mentor_bin(), &["pair", "start", "bob"]);
    // One session for the whole clone, stored in the common git dir.
    assert!(repo.git_dir().join("mentor/pairing.json").is_file());
    in_wt(Path::new("git"), &["commit", "-q", "--allow-empty", "-m", "From the worktree"]);
    let message = in_wt(Path::new("git"), &["log", "-1", "--format=%B"]);
    assert_eq!(message, format!("From the worktree\n\n{MENTORED}\n\n"));
    assert!(repo.mentor_ok(&["pair", "status"]).starts_with("Pairing with bob"));
}

#[test]
fn help_shows_examples() {
    let repo = TestRepo::new();
    for args in [
        &["pair", "--help"][..],
        &["pair", "start", "--help"],
        &["pair", "stop", "--help"],
        &["pair", "status", "--help"],
    ] {
        let out = repo.mentor_ok(args);
        assert!(out.contains("Examples:"), "{args:?}: {out}");
    }
}

#[test]
fn pairing_works_with_core_hooks_path() {
    let repo = TestRepo::new();
    repo.commit_file(".github/mentorship.yml", CONFIG, "add config");
    repo.git(&["config", "core.hooksPath", "tools/hooks"]);
    repo.mentor_ok(&["hooks", "install"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "Before"]);
    assert_eq!(repo.message("HEAD"), "Before\n\n");
    repo.mentor_ok(&["pair", "start", "bob"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "During"]);
    assert_eq!(repo.message("HEAD"), format!("During\n\n{MENTORED}\n\n"));
    let out = repo.git_output(&["commit", "--allow-empty", "-m", "Work\n\nMilestone: bogus"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
}
