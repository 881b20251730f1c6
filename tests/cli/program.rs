//! `mentor match` and `mentor audit` over a real history: the clear expert wins the mentee who wants their
//! area, blocked mentees name the rule, `--write` keeps the file's comments, and the audit's findings and
//! small-group suppression.

use std::process::Output;

use serde_json::Value;

use crate::util::{TestRepo, all_output, assert_success, mentor_bin};

const NOW: &str = "2026-11-23T09:00:00Z";

const CONFIG: &str = r#"# The program of acme/api.
sprints: { length: 2w, start: 2026-01-12, timezone: Europe/Berlin }
people:
  dana: { tier: senior, capacity: { mentees: 2 }, skills: { databases: 4 }, team: core, tz: Europe/Berlin, emails: [dana@example.com] }
  sam:  { tier: senior, capacity: { mentees: 1 }, skills: { databases: 4 }, team: ops, tz: Europe/Berlin, emails: [sam@example.com] }
  pat:  { tier: principal, capacity: { mentees: 2 }, skills: { databases: 5, rust: 5 }, team: ops, tz: Europe/Berlin }
  ana:  { wants: [databases, billing], level: junior, team: web, tz: Europe/Berlin, emails: [ana@example.com] }
  ben:  { wants: [rust], level: junior, team: web, avoid: [sam], tz: Europe/Berlin }
pairs:
  # ben's first cycle
  - { mentor: dana, mentee: ben, track: backend, since: 2026-01-12, until: 2026-06-30, status: ended, rationale: "rust 4 vs wanted" }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, evidence: { merged_pr: { paths: ["services/**"] } } }
matching:
  tiers: { principal: { mentees_min_level: senior } }
# end of file
"#;

const DANA: (&str, &str) = ("Dana", "dana@example.com");
const SAM: (&str, &str) = ("Sam", "sam@example.com");

/// Commits `rel` as `who` at `date`.
fn commit_as(repo: &TestRepo, who: (&str, &str), date: &str, rel: &str, message: &str) {
    repo.write(rel, &format!("{message}\n"));
    repo.git(&["add", "-A"]);
    let out = repo
        .command("git")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["commit", "-q", "--no-verify", "-m", message])
        .output()
        .expect("run git");
    assert_success("git", &["commit"], &out);
}

/// A clone where dana changed services/billing again and again this year, and sam only touched docs.
fn program() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", CONFIG);
    repo.write(".github/CODEOWNERS", "* @acme/all\n/services/billing/ @acme/billing\n");
    commit_as(&repo, SAM, "2026-01-05T10:00:00Z", "README.md", "Initial commit");
    for (i, day) in
        ["2026-08-03", "2026-09-07", "2026-10-05", "2026-11-02", "2026-11-16"].iter().enumerate()
    {
        commit_as(
            &repo,
            DANA,
            &format!("{day}T10:00:00Z"),
            &format!("services/billing/f{i}.rs"),
            &format!("Billing change {i}"),
        );
    }
    // Sam's only change is outside billing.
    commit_as(&repo, SAM, "2026-11-01T10:00:00Z", "docs/guide.md", "Docs");
    repo
}

fn mentor(repo: &TestRepo, args: &[&str]) -> Output {
    repo.command(mentor_bin()).env("MENTOR_NOW", NOW).args(args).output().expect("run mentor")
}

fn mentor_ok(repo: &TestRepo, args: &[&str]) -> String {
    let out = mentor(repo, args);
    assert_success("mentor", args, &out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_code_expert_is_proposed_and_the_blocked_mentee_names_every_rule() {
    let repo = program();
    let json: Value = serde_json::from_str(&mentor_ok(&repo, &["match", "--json"])).unwrap();
    let pairs = json["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{json:#}");
    assert_eq!(pairs[0]["mentor"], "dana");
    assert_eq!(pairs[0]["mentee"], "ana");
    assert_eq!(pairs[0]["track"], "backend");
    assert!(pairs[0]["score"].as_f64().unwrap() > 0.0);
    assert_eq!(
        pairs[0]["rationale"],
        "databases 4 vs wanted; top contributor to services/billing; 8 h tz overlap; cross-team (core); first pairing"
    );
    let keys: Vec<&String> = pairs[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["mentee", "mentor", "rationale", "score", "track"]);
    let unmatched = json["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0]["mentee"], "ben");
    let reason = unmatched[0]["reason"].as_str().unwrap();
    assert!(reason.contains("avoid: sam"), "{reason}");
    assert!(reason.contains("rotation: dana"), "{reason}");
    assert!(
        reason
            .contains("tier: pat (principal mentors take senior and above, the mentee is junior)"),
        "{reason}"
    );

    // The same input gives the same answer.
    assert_eq!(mentor_ok(&repo, &["match", "--json"]), mentor_ok(&repo, &["match", "--json"]));
}

#[test]
fn explain_names_the_runner_up_and_why_it_lost() {
    let repo = program();
    let text = mentor_ok(&repo, &["match", "--explain"]);
    assert!(text.contains("pairs:\n  - { mentor: dana, mentee: ana, track: backend, since: 2026-11-23, rationale: \"databases 4 vs wanted; top contributor to services/billing;"), "{text}");
    assert!(text.contains("    # runner-up: sam (score "), "{text}");
    assert!(text.contains("lower fit"), "{text}");
    assert!(text.contains("code 0.00 vs"), "{text}");
    assert!(text.contains("# unmatched:\n#   ben: every mentor is blocked by a rule"), "{text}");
    let json: Value =
        serde_json::from_str(&mentor_ok(&repo, &["match", "--explain", "--json"])).unwrap();
    assert_eq!(json["runner_ups"][0]["mentor"], "sam");
}

#[test]
fn write_adds_the_pairs_and_keeps_comments() {
    let repo = program();
    mentor_ok(&repo, &["match", "--write", "--unpaired"]);
    let written = std::fs::read_to_string(repo.root.join(".github/mentorship.yml")).unwrap();
    let expected = CONFIG.replace(
        "rationale: \"rust 4 vs wanted\" }\n",
        "rationale: \"rust 4 vs wanted\" }\n  - { mentor: dana, mentee: ana, track: backend, since: 2026-11-23, rationale: \"databases 4 vs wanted; top contributor to services/billing; 8 h tz overlap; cross-team (core); first pairing\" }\n",
    );
    assert_eq!(written, expected);
    // ana is paired now: an unpaired-only run leaves her out, and the file stays valid.
    let json: Value =
        serde_json::from_str(&mentor_ok(&repo, &["match", "--unpaired", "--json"])).unwrap();
    assert_eq!(json["pairs"].as_array().unwrap().len(), 0, "{json:#}");
    mentor_ok(&repo, &["config", "check"]);
}

#[test]
fn unknown_mentees_are_a_usage_error() {
    let repo = program();
    let out = mentor(&repo, &["match", "--mentees", "ana,zed"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(all_output(&out).contains("unknown mentee `zed`"), "{}", all_output(&out));
}
