//! `mentor config check`: finding the file, exit codes, `file:line:col` error lists and the `--json` shape.

use crate::util::{TestRepo, all_output, assert_success, mentor_bin};

/// The project's own example config, which the README points to; it must always pass.
const EXAMPLE: &str = include_str!("../../.github/mentorship.yml");
const BROKEN: &str = include_str!("../fixtures/config/broken.yml");
const UNKNOWN_KEY: &str = include_str!("../fixtures/config/unknown-key.yml");
const EXTENDS: &str = include_str!("../fixtures/config/extends.yml");

const CONFIG: &str = ".github/mentorship.yml";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn example_config_is_valid() {
    let repo = TestRepo::new();
    repo.write(CONFIG, EXAMPLE);
    let out = repo.mentor(&["config", "check"]);
    assert_success("mentor", &["config", "check"], &out);
    assert_eq!(
        stdout(&out),
        ".github/mentorship.yml: ok — 6 people, 3 pairs, 2 tracks, 9 milestones\n"
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn finds_the_config_from_a_subdirectory() {
    let repo = TestRepo::new();
    repo.write(CONFIG, EXAMPLE);
    repo.write("src/deep/lib.rs", "");
    let out = repo
        .command(crate::util::mentor_bin())
        .current_dir(repo.root.join("src/deep"))
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(stdout(&out).contains("mentorship.yml: ok — 6 people"), "{}", all_output(&out));
}

#[test]
fn broken_config_lists_every_error_with_its_position() {
    let repo = TestRepo::new();
    repo.write(CONFIG, BROKEN);
    let out = repo.mentor(&["config", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    let expected = [
        ("2:20", "sprint length 36h is not a whole number of days"),
        ("5:21", "email `bob@acme.example` is listed for both `bob` and `alice`"),
        ("6:3", "`renovate[bot]` is a bot account"),
        ("8:28", "unknown mentee `carol`"),
        ("9:77", "`until` 2026-08-01 is before `since` 2026-09-01"),
        ("13:76", "invalid duration \"2 weeks\""),
        ("14:15", "duplicate milestone id `first-pr` in track `backend` (first on line 13)"),
        ("15:89", "invalid glob `src/[ab`"),
        ("15:108", "`count` is 0"),
        ("16:21", "pairing `session` is 0"),
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len() + 1, "{err}");
    for (line, (position, message)) in lines.iter().zip(expected) {
        let prefix = format!(".github/mentorship.yml:{position}: ");
        assert!(line.starts_with(&prefix), "{line:?} should start with {prefix:?}\n{err}");
        assert!(line.contains(message), "{line:?} should mention {message:?}");
    }
    assert_eq!(lines.last(), Some(&"error: 10 problems in .github/mentorship.yml"));
}

#[test]
fn unknown_key_names_the_allowed_keys() {
    let repo = TestRepo::new();
    let path = repo.write("team.yml", UNKNOWN_KEY);
    let out = repo.mentor(&["config", "check", "team.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert_eq!(
        stderr(&out),
        "team.yml:4:29: unknown key `minutes`: expected one of `mentees`, `minutes_per_sprint`\nerror: 1 problem in team.yml\n"
    );
    // The file itself is untouched.
    assert_eq!(std::fs::read_to_string(path).unwrap(), UNKNOWN_KEY);
}

#[test]
fn missing_default_file_says_how_to_fix_it() {
    let repo = TestRepo::new();
    let out = repo.mentor(&["config", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: cannot read the mentorship config "), "{err}");
    assert!(err.contains(".github/mentorship.yml: No such file"), "{err}");
    assert!(err.contains("\n\nCreate it"), "{err}");
    assert!(err.contains("mentor config check FILE"), "{err}");
}

#[test]
fn missing_explicit_file_is_named() {
    let repo = TestRepo::new();
    let out = repo.mentor(&["config", "check", "nope/mentorship.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot read the mentorship config nope/mentorship.yml: "),
        "{err}"
    );
    assert!(err.contains("\n\nCheck the path"), "{err}");
}

#[test]
fn outside_a_repository_needs_a_file() {
    let repo = TestRepo::new();
    // `home` is beside the repository, not in it; the ceiling stops git from looking further up.
    let outside = repo.home.clone();
    let ceiling = outside.parent().unwrap().to_path_buf();
    let run = |args: &[&str]| {
        repo.command(crate::util::mentor_bin())
            .current_dir(&outside)
            .env("GIT_CEILING_DIRECTORIES", &ceiling)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: not inside a git repository, and no FILE was given\n\n"),
        "{err}"
    );
    assert!(err.contains("mentor config check path/to/mentorship.yml"), "{err}");

    // An explicit file needs no repository.
    std::fs::write(outside.join("m.yml"), EXAMPLE).unwrap();
    let out = run(&["config", "check", "m.yml"]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(stdout(&out).starts_with("m.yml: ok — "), "{}", all_output(&out));
}

#[test]
fn json_reports_validity_and_positions() {
    let repo = TestRepo::new();
    repo.write(CONFIG, EXAMPLE);
    let out = repo.mentor(&["config", "check", "--json"]);
    assert_success("mentor", &["config", "check", "--json"], &out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!({ "file": ".github/mentorship.yml", "valid": true, "extends": null, "errors": [] })
    );

    repo.write("broken.yml", BROKEN);
    let out = repo.mentor(&["config", "check", "--json", "broken.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert_eq!(stderr(&out), "", "JSON mode keeps stderr for failures to run, not findings");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["file"], "broken.yml");
    assert_eq!(report["valid"], false);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 10);
    assert_eq!(
        errors[0],
        serde_json::json!({
            "file": "broken.yml",
            "line": 2,
            "column": 20,
            "message": "sprint length 36h is not a whole number of days: use days or weeks, like `14d` or `2w`"
        })
    );
    for e in errors {
        let keys: Vec<_> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["column", "file", "line", "message"]);
        assert!(e["line"].as_u64().unwrap() > 0 && e["column"].as_u64().unwrap() > 0);
    }
}

#[test]
fn extends_is_checked_alone_and_says_so() {
    let repo = TestRepo::new();
    repo.write(CONFIG, EXTENDS);
    let out = repo.mentor(&["config", "check"]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(
        stdout(&out),
        ".github/mentorship.yml: ok — 0 people, 0 pairs, 0 tracks, 0 milestones\n"
    );
    let err = stderr(&out);
    assert!(
        err.starts_with("note: .github/mentorship.yml extends \".github\", which was not checked"),
        "{err}"
    );

    let out = repo.mentor(&["config", "check", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["extends"], ".github");
}

#[test]
fn yaml_syntax_error_is_reported_with_position() {
    let repo = TestRepo::new();
    repo.write(CONFIG, "people:\n  bob: { tier: senior\n");
    let out = repo.mentor(&["config", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.starts_with(".github/mentorship.yml:2:8: invalid YAML: "), "{err}");
}

const ORG: &str = "\
sprints: { length: 2w, start: 2026-01-05, timezone: UTC }
people:
  bob: { tier: senior }
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery }
";

#[test]
fn extends_is_resolved_from_the_org_config_flag_or_variable() {
    let repo = TestRepo::new();
    repo.write(CONFIG, EXTENDS);
    repo.write("org.yml", ORG);
    let out = repo.mentor_ok(&["config", "check", "--org-config", "org.yml"]);
    assert_eq!(
        out,
        ".github/mentorship.yml: ok (with org.yml) — 2 people, 1 pair, 1 track, 1 milestone\n"
    );
    let out = repo
        .command(mentor_bin())
        .env("MENTOR_ORG_CONFIG", "org.yml")
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(stdout(&out).contains("ok (with org.yml)"), "{}", all_output(&out));

    // The history commands resolve it the same way, and say exactly what to do without it.
    repo.commit_file("README.md", "hello\n", "First commit");
    let out = repo.mentor(&["load", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("extends \".github\", which mentor cannot fetch offline")
            && err.contains("--org-config FILE")
            && err.contains("MENTOR_ORG_CONFIG"),
        "{err}"
    );
    let load = repo.mentor_ok(&["load", "--json", "--org-config", "org.yml"]);
    let report: serde_json::Value = serde_json::from_str(&load).unwrap();
    assert_eq!(report["stale_pairs"][0]["mentee"], "alice", "{load}");

    // A problem in the org file is reported at its own file and line.
    repo.write("org.yml", &ORG.replace("tier: senior", "tier: boss"));
    let out = repo.mentor(&["config", "check", "--org-config", "org.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(stderr(&out).starts_with("org.yml:3:"), "{}", all_output(&out));
}

#[test]
fn several_files_are_merged_and_a_conflict_names_both_places() {
    let repo = TestRepo::new();
    repo.write("org.yml", ORG);
    repo.write(
        "api.yml",
        "people:\n  dave: {}\n  carol: {}\npairs:\n  - { mentor: dave, mentee: carol, track: api, since: 2026-09-01 }\n\
         tracks:\n  api:\n    milestones:\n      - { id: m, title: M, stage: discovery }\n",
    );
    let out = repo.mentor_ok(&["config", "check", "org.yml", "api.yml"]);
    assert!(out.ends_with("merged: ok — 4 people, 2 pairs, 2 tracks, 2 milestones\n"), "{out}");

    repo.write("web.yml", "people:\n  bob: { tier: principal }\n");
    let out = repo.mentor(&["config", "check", "org.yml", "api.yml", "web.yml"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "web.yml:2:1: person `bob` is defined differently in org.yml:3 (tier senior there, principal here)"
        ),
        "{err}"
    );
    assert!(err.contains("error: 1 conflict between the files"), "{err}");
    let out = repo.mentor(&["config", "check", "--json", "org.yml", "web.yml"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"][1]["valid"], true);
    assert_eq!(report["merge"]["valid"], false);
    assert_eq!(report["merge"]["errors"][0]["file"], "web.yml");
    assert_eq!(report["merge"]["errors"][0]["line"], 2);
}
