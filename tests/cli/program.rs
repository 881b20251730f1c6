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

const AUDIT_CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-01-12, timezone: UTC }
privacy: { min_group_size: 3 }
tiers: { principal: { capacity: { mentees: 2 } } }
people:
  dana: { tier: senior, skills: { databases: 4 }, team: core, emails: [dana@example.com] }
  pat:  { tier: principal, capacity: { mentees: 4 }, skills: { rust: 5 }, team: core }
  ana:  { wants: [databases], level: junior, team: web, emails: [ana@example.com] }
  ben:  { wants: [rust], level: junior, team: web }
  cy:   { level: junior, team: web }
  dee:  { level: junior, team: web }
  eve:  { level: mid, team: ops }
pairs:
  - { mentor: dana, mentee: ana, track: backend, since: 2026-10-05, rationale: "databases 4 vs wanted" }
  - { mentor: dana, mentee: ben, track: backend, since: 2026-10-05, rationale: "rust expert; same timezone" }
  - { mentor: pat, mentee: cy, track: backend, since: 2026-01-12 }
  - { mentor: pat, mentee: dee, track: backend, since: 2026-10-05, rationale: "rust 5 vs wanted" }
  - { mentor: pat, mentee: eve, track: backend, since: 2026-10-05, rationale: "rust 5 vs wanted" }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, evidence: { merged_pr: { paths: ["services/**"] } } }
velocity: { web: 40 }
"#;

const ANA: (&str, &str) = ("Ana", "ana@example.com");

fn audited() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", AUDIT_CONFIG);
    commit_as(&repo, DANA, "2026-01-05T10:00:00Z", "README.md", "Initial commit");
    // ana's squash-merged PRs: one before her pair began, two during it.
    commit_as(&repo, ANA, "2026-09-20T10:00:00Z", "services/a.rs", "First change (#1)");
    commit_as(&repo, ANA, "2026-10-10T10:00:00Z", "services/b.rs", "Second change (#2)");
    commit_as(&repo, ANA, "2026-10-20T10:00:00Z", "services/c.rs", "Third change (#3)");
    repo
}

#[test]
fn audit_finds_rationale_rotation_and_tier_problems_and_fails_for_ci() {
    let repo = audited();
    let out = mentor(&repo, &["audit", "--json", "--since", "2026-01-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let has = |kind: &str, severity: &str, subject: &str, needle: &str| {
        findings.iter().any(|f| {
            f["kind"] == kind
                && f["severity"] == severity
                && f["subject"] == subject
                && f["message"].as_str().unwrap().contains(needle)
        })
    };
    assert!(
        has("rationale", "error", "dana -> ben", "names `rust`, which dana's skills do not list"),
        "{json:#}"
    );
    assert!(has("rationale", "warning", "pat -> cy", "has no rationale"), "{json:#}");
    assert!(
        has("rotation", "warning", "pat -> cy", "past `matching.rotation.max_length` (26w)"),
        "{json:#}"
    );
    assert!(has("rotation", "info", "ana", "only ever had one mentor (dana)"), "{json:#}");
    assert!(
        has("load", "error", "pat", "principal with 3 mentees, above the tier's cap of 2"),
        "{json:#}"
    );
    // A rationale naming only the mentor's own skills is fine.
    assert!(
        !findings.iter().any(|f| f["kind"] == "rationale" && f["subject"] == "dana -> ana"),
        "{json:#}"
    );
    let keys: Vec<&String> = findings[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["kind", "message", "severity", "subject"]);

    // Growth: ana's evidence before (1) and during (2) her pair, over the same span.
    let growth = json["growth"].as_array().unwrap();
    let ana = growth.iter().find(|g| g["mentee"] == "ana").unwrap();
    assert_eq!((ana["before"].as_u64(), ana["during"].as_u64()), (Some(1), Some(2)), "{ana:#}");
    assert_eq!(ana["stage"], "discovery");
}

#[test]
fn audit_suppresses_groups_smaller_than_the_minimum() {
    let repo = audited();
    let groups = repo.write(
        "../private-groups.yml",
        "pronouns: { ana: she, ben: he, cy: he, dee: he, eve: they }\n",
    );
    let groups = groups.to_string_lossy().into_owned();
    let out = mentor(&repo, &["audit", "--json", "--since", "2026-01-01", "--groups", &groups]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let equity = json["equity"].as_array().unwrap();
    let row = |dimension: &str, group: &str| {
        equity
            .iter()
            .find(|r| r["dimension"] == dimension && r["group"] == group)
            .cloned()
            .unwrap_or_else(|| panic!("no {dimension}/{group} in {json:#}"))
    };
    // web has four eligible people: shown.
    let web = row("team", "web");
    assert_eq!(web["suppressed"], false);
    assert_eq!((web["eligible"].as_u64(), web["mentored"].as_u64()), (Some(4), Some(4)), "{web:#}");
    assert_eq!(web["milestones_met"].as_u64(), Some(1));
    // ops (eve alone), `she` (ana alone) and `they` are under three: no counts at all.
    for (dimension, group) in
        [("team", "ops"), ("pronouns", "she"), ("pronouns", "they"), ("level", "mid")]
    {
        let r = row(dimension, group);
        assert_eq!(r["suppressed"], true, "{r:#}");
        assert!(
            r["eligible"].is_null() && r["mentored"].is_null() && r["milestones_met"].is_null(),
            "{r:#}"
        );
    }
    let he = row("pronouns", "he");
    assert_eq!(he["eligible"].as_u64(), Some(3));
    let keys: Vec<&String> = web.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["dimension", "eligible", "group", "mentored", "milestones_met", "suppressed"]
    );

    // The table says "fewer than 3" and never names who is in a small group.
    let text = String::from_utf8_lossy(&mentor(&repo, &["audit", "--groups", &groups]).stdout)
        .into_owned();
    let equity_table = &text[text.find("Equity").unwrap()..text.find("Growth").unwrap()];
    let she: Vec<&str> = equity_table
        .lines()
        .find(|l| l.trim_start().starts_with("pronouns") && l.contains(" she "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(she, ["pronouns", "she", "fewer", "than", "3", "-", "-"], "{text}");
    assert!(!equity_table.contains(" eve "), "{text}");
}

#[test]
fn match_works_in_a_clone_without_commits_from_skills_alone() {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", CONFIG);
    let json: Value =
        serde_json::from_str(&mentor_ok(&repo, &["match", "--json", "--mentees", "ana"])).unwrap();
    assert_eq!(json["pairs"][0]["mentee"], "ana", "{json:#}");
    // dana and sam both rate databases 4 and nobody has history: the tie goes the same way every run, and the
    // rationale names only the skill, not code.
    let rationale = json["pairs"][0]["rationale"].as_str().unwrap();
    assert!(rationale.starts_with("databases 4 vs wanted; 8 h tz overlap;"), "{rationale}");
    // Tied mentors are explained as a tie, not as a lower fit.
    let text = mentor_ok(&repo, &["match", "--explain", "--mentees", "ana"]);
    assert!(text.contains("equal fit ("), "{text}");
    assert!(!text.contains("lower fit"), "{text}");
}

#[test]
fn audit_works_in_a_clone_without_commits_from_the_config_alone() {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", CONFIG);
    let out = mentor(&repo, &["audit", "--json"]);
    // ben's pair names a skill dana does not list: an error finding, so exit 1 (for CI).
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error"),
        "{json:#}"
    );
    assert!(json["equity"].as_array().is_some_and(|e| !e.is_empty()), "{json:#}");
}

#[test]
fn proposed_pairs_without_a_track_have_no_track_key() {
    let repo = TestRepo::new();
    let without_tracks = CONFIG[..CONFIG.find("tracks:").unwrap()].to_owned()
        + &CONFIG[CONFIG.find("matching:").unwrap()..];
    let without_tracks = without_tracks.replace("  - { mentor: dana, mentee: ben, track: backend, since: 2026-01-12, until: 2026-06-30, status: ended, rationale: \"rust 4 vs wanted\" }\n", "");
    let file = repo.write(".github/mentorship.yml", &without_tracks);
    let text = mentor_ok(&repo, &["match", "--mentees", "ana"]);
    assert!(text.contains("- { mentor: "), "{text}");
    assert!(!text.contains("track:"), "{text}");
    // A pair must follow a track: --write re-parses the result, says what is missing and leaves the file as it was.
    let out = mentor(&repo, &["match", "--mentees", "ana", "--write"]);
    assert!(!out.status.success());
    assert!(all_output(&out).contains("track"), "{}", all_output(&out));
    assert_eq!(std::fs::read_to_string(file).unwrap(), without_tracks);
}

#[test]
fn minutes_already_spent_this_sprint_use_up_a_mentors_capacity() {
    let config = "\
sprints: { length: 2w, start: 2026-01-12, timezone: UTC }
people:
  max: { tier: senior, capacity: { minutes_per_sprint: 40 }, skills: { go: 4 }, emails: [max@example.com] }
  kim: { emails: [kim@example.com] }
  lou: { wants: [go] }
pairs:
  - { mentor: max, mentee: kim, track: t, since: 2026-10-01, rationale: \"go 4 vs wanted\" }
tracks:
  t:
    milestones:
      - { id: m, title: M, stage: discovery }
matching: { minutes_per_mentee: 10 }
";
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", config);
    commit_as(&repo, ("Kim", "kim@example.com"), "2026-11-02T10:00:00Z", "a.go", "Start");
    // Before any pairing this sprint, max has (40 - 10) / 10 = 3 slots: lou gets him.
    let json: Value =
        serde_json::from_str(&mentor_ok(&repo, &["match", "--unpaired", "--json"])).unwrap();
    assert_eq!(json["pairs"][0]["mentor"], "max", "{json:#}");
    // Two pairing commits this sprint (20 minutes each) spend his 40 minutes.
    for (i, day) in ["2026-11-16", "2026-11-17"].iter().enumerate() {
        repo.write(&format!("b{i}.go"), "x\n");
        repo.git(&["add", "-A"]);
        let out = repo
            .command("git")
            .env("GIT_AUTHOR_NAME", "Kim")
            .env("GIT_AUTHOR_EMAIL", "kim@example.com")
            .env("GIT_AUTHOR_DATE", format!("{day}T10:00:00Z"))
            .env("GIT_COMMITTER_DATE", format!("{day}T10:00:00Z"))
            .args([
                "commit",
                "-q",
                "--no-verify",
                "-m",
                &format!("Pair {i}\n\nMentored-by: Max <max@example.com>"),
            ])
            .output()
            .expect("run git");
        assert_success("git", &["commit"], &out);
    }
    let json: Value =
        serde_json::from_str(&mentor_ok(&repo, &["match", "--unpaired", "--json"])).unwrap();
    assert!(json["pairs"].as_array().unwrap().is_empty(), "{json:#}");
    assert_eq!(json["unmatched"][0]["mentee"], "lou");
    assert!(json["unmatched"][0]["reason"].as_str().unwrap().contains("capacity: max"), "{json:#}");
}
