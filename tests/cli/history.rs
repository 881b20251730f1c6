//! `mentor log | evidence | load` over real histories: merge-committed and squash-merged PRs, pairing trailers,
//! the cache, and shallow clones.

use serde_json::Value;

use crate::util::{TestRepo, all_output, assert_success, mentor_bin};

const NOW: &str = "2026-11-23T09:00:00Z";

const CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-01-12, timezone: Europe/Berlin }
people:
  bob:   { name: Bob Builder, tier: senior, capacity: { mentees: 2, minutes_per_sprint: 40 }, emails: [bob@example.com] }
  alice: { name: Alice Example, emails: [alice@example.com] }
  carol: { emails: [carol@example.com] }
  dave:  { capacity: { minutes_per_sprint: 100 }, emails: [dave@example.com] }
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
  - { mentor: dave, mentee: carol, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, due: 2w, evidence: { merged_pr: { paths: ["src/**"] } } }
      - { id: docs, title: Write docs, stage: practice, due: 4w, evidence: { merged_pr: { paths: ["docs/**"], max_changed_lines: 10 } } }
      - { id: design, title: Lead a design review, stage: practice, due: 8w, evidence: { merged_pr: { labels: [design] } } }
      - { id: reviewer, title: Give reviews, stage: feedback, evidence: { review_given: { count: 2 } } }
      - { id: big, title: Ship a big change, stage: mastery, due: 2w, evidence: { merged_pr: { min_changed_lines: 1000 } } }
      - { id: tests, title: Test something, stage: practice, evidence: { commit_trailer: { key: Milestone } } }
"#;

/// Runs git with a specific author and date.
fn git_as(repo: &TestRepo, who: (&str, &str), date: &str, args: &[&str]) {
    let out = repo
        .command("git")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(args)
        .output()
        .expect("run git");
    assert_success("git", args, &out);
}

const ALICE: (&str, &str) = ("Alice Example", "alice@example.com");
const BOB: (&str, &str) = ("Bob Builder", "bob@example.com");

/// A history with a merge-committed PR, a squash-merged PR, a pairing commit and a milestone trailer.
fn history() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", CONFIG);
    repo.write("README.md", "hello\n");
    repo.git(&["add", "-A"]);
    git_as(&repo, BOB, "2026-09-01T08:00:00Z", &["commit", "-q", "-m", "Initial commit"]);
    repo.git(&["remote", "add", "origin", "git@github.com:acme/api.git"]);

    // PR #7: alice's branch, merged by bob with a merge commit.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/lib.rs", "fn main() {}\n");
    repo.git(&["add", "-A"]);
    git_as(&repo, ALICE, "2026-09-03T10:00:00Z", &["commit", "-q", "-m", "Add lib"]);
    repo.git(&["checkout", "-q", "main"]);
    git_as(
        &repo,
        BOB,
        "2026-09-04T10:00:00Z",
        &[
            "merge",
            "-q",
            "--no-ff",
            "feature",
            "-m",
            "Merge pull request #7 from acme/feature\n\nAdd the library",
        ],
    );

    // PR #8: squash-merged docs change by alice, paired with bob.
    repo.write("docs/guide.md", "one\ntwo\nthree\n");
    repo.git(&["add", "-A"]);
    git_as(
        &repo,
        ALICE,
        "2026-11-17T10:00:00Z",
        &[
            "commit",
            "-q",
            "-m",
            "Write the guide (#8)\n\nCo-authored-by: Bob Builder <bob@example.com>",
        ],
    );

    // A pairing commit and a milestone trailer, both in the current sprint.
    repo.write("src/lib.rs", "fn main() { println!(); }\n");
    repo.git(&["add", "-A"]);
    git_as(
        &repo,
        ALICE,
        "2026-11-18T10:00:00Z",
        &[
            "commit",
            "-q",
            "-m",
            "Print something\n\nMentored-by: Bob Builder <bob@example.com>\nMilestone: tests",
        ],
    );
    repo
}

fn mentor_json(repo: &TestRepo, args: &[&str]) -> Value {
    let out =
        repo.command(mentor_bin()).env("MENTOR_NOW", NOW).args(args).output().expect("run mentor");
    assert_success("mentor", args, &out);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", all_output(&out)))
}

fn milestone<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn evidence_from_merge_commit_and_squash_prs() {
    let repo = history();
    let report = mentor_json(&repo, &["evidence", "--json"]);
    assert_eq!(report["mentee"], "alice", "default mentee comes from user.email");
    assert_eq!(report["track"], "backend");

    let first = milestone(&report, "first-pr");
    assert_eq!(first["status"], "met");
    assert_eq!(first["due"], "2026-09-15");
    let ev = &first["evidence"][0];
    assert_eq!(
        ev["source"], "acme/api#7",
        "the merge commit's PR, authored by the branch's author"
    );
    assert_eq!(ev["status"], "auto");
    assert_eq!(ev["reason"], "merged PR #7; changes src/lib.rs (matches src/**)");
    assert_eq!(ev["at"], "2026-09-04T10:00:00Z");

    let docs = milestone(&report, "docs");
    assert_eq!(docs["status"], "met");
    assert_eq!(docs["evidence"][0]["source"], "acme/api#8");
    assert_eq!(
        docs["evidence"][0]["reason"],
        "merged PR #8; changes docs/guide.md (matches docs/**); 3 changed lines"
    );

    // Labels are only on GitHub: undecided, never a silent no-match.
    let design = milestone(&report, "design");
    assert_eq!(design["status"], "undecided");
    assert_eq!(design["evidence"].as_array().unwrap().len(), 2);
    assert!(
        design["evidence"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("undecided: needs GitHub data (labels)")
    );

    let reviewer = milestone(&report, "reviewer");
    assert_eq!(reviewer["status"], "undecided");
    assert!(reviewer["evidence"][0]["reason"].as_str().unwrap().contains("needs GitHub data"));

    // Known line counts rule it out, and it is past due.
    assert_eq!(milestone(&report, "big")["status"], "overdue");
    assert_eq!(milestone(&report, "tests")["status"], "met");
    assert_eq!(milestone(&report, "tests")["evidence"][0]["reason"], "trailer Milestone: tests");
}

#[test]
fn evidence_for_another_mentee_and_errors() {
    let repo = history();
    let report = mentor_json(&repo, &["evidence", "--json", "--mentee", "carol"]);
    assert_eq!(report["mentee"], "carol");
    assert_eq!(milestone(&report, "first-pr")["status"], "overdue");

    let out = repo.mentor(&["evidence", "--mentee", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        all_output(&out).contains("nobody is not in the config's people"),
        "{}",
        all_output(&out)
    );

    let out = repo.mentor(&["evidence", "--mentee", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(all_output(&out).contains("bob is not the mentee of any pair"), "{}", all_output(&out));

    repo.git(&["config", "user.email", "stranger@example.com"]);
    let out = repo.mentor(&["evidence"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(all_output(&out).contains("no configured person has the email stranger@example.com"));
}

#[test]
fn evidence_table_for_people() {
    let repo = history();
    let out =
        repo.command(mentor_bin()).env("MENTOR_NOW", NOW).args(["evidence"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("alice on track backend (mentor bob, since 2026-09-01)"), "{text}");
    assert!(text.contains("met        first-pr"), "{text}");
    assert!(
        text.contains(
            "+ 2026-09-04  acme/api#7  merged PR #7; changes src/lib.rs (matches src/**)"
        ),
        "{text}"
    );
    assert!(text.contains("OVERDUE    big"), "{text}");
}

#[test]
fn load_counts_pairing_trailers_in_the_sprint() {
    let repo = history();
    let report = mentor_json(&repo, &["load", "--json"]);
    assert_eq!(report["sprint"]["id"], "2026-11-16");
    assert_eq!(report["sprint"]["start"], "2026-11-16T00:00:00+01:00");
    assert_eq!(report["sprint"]["end"], "2026-11-30T00:00:00+01:00");
    let bob = report["mentors"].as_array().unwrap().iter().find(|m| m["login"] == "bob").unwrap();
    // The squash commit (Co-authored-by) and the pairing commit (Mentored-by): 2 × 20 minutes.
    assert_eq!(bob["touchpoints"], 2);
    assert_eq!(bob["minutes"], 40);
    assert_eq!(bob["mentees"], 1);
    assert_eq!(bob["capacity_minutes"], 40);
    assert_eq!(bob["status"], "high", "40 of 40 minutes is at least 80 %, not above capacity");
    let dave = report["mentors"].as_array().unwrap().iter().find(|m| m["login"] == "dave").unwrap();
    assert_eq!(dave["touchpoints"], 0);
    assert_eq!(dave["status"], "ok");
    // dave and carol never met.
    assert_eq!(
        report["stale_pairs"],
        serde_json::json!([{"mentor": "dave", "mentee": "carol", "last_touchpoint": null}])
    );

    let previous = mentor_json(&repo, &["load", "--json", "--sprint", "previous"]);
    assert_eq!(previous["sprint"]["id"], "2026-11-02");
    let bob = previous["mentors"].as_array().unwrap().iter().find(|m| m["login"] == "bob").unwrap();
    assert_eq!(bob["touchpoints"], 0);

    let out = repo.mentor(&["load", "--sprint", "someday"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(all_output(&out).contains("unknown sprint \"someday\""));
}

#[test]
fn load_table_marks_overload() {
    let repo = history();
    // One more pairing commit pushes bob over his 40 minutes.
    repo.write("src/more.rs", "x\n");
    repo.git(&["add", "-A"]);
    git_as(
        &repo,
        ALICE,
        "2026-11-19T10:00:00Z",
        &["commit", "-q", "-m", "More\n\nMentored-by: Bob Builder <bob@example.com>"],
    );
    let out = repo.command(mentor_bin()).env("MENTOR_NOW", NOW).args(["load"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Sprint 2026-11-16 (2026-11-16 to 2026-11-29)"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("bob") && l.contains("60") && l.ends_with("OVER")),
        "{text}"
    );
    assert!(text.contains("dave -> carol  last touchpoint never"), "{text}");
}

#[test]
fn log_lists_activity_with_what_it_counts_as() {
    let repo = history();
    let entries = mentor_json(&repo, &["log", "--json"]);
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3, "{entries:#?}");
    assert_eq!(entries[0]["source"], "acme/api#7");
    assert_eq!(entries[0]["kind"], "merged_pr");
    assert_eq!(entries[0]["actor"], "alice");
    assert_eq!(entries[1]["source"], "acme/api#8");
    assert_eq!(entries[1]["touchpoints"][0]["kind"], "pairing_commit");
    assert_eq!(entries[2]["kind"], "commit");
    assert_eq!(entries[2]["touchpoints"][0]["mentor"], "bob");
    assert_eq!(entries[2]["evidence"][0]["milestone"], "tests");
}

#[test]
fn second_run_reads_the_cache_and_only_new_commits() {
    let repo = history();
    let first = mentor_json(&repo, &["log", "--json"]);
    let cache = repo.git_dir().join("mentor/history.json");
    assert!(cache.exists(), "the first run writes the cache");

    // Tamper with the cached activity: if the second run re-read old commits, the tamper would be gone.
    let text = std::fs::read_to_string(&cache).unwrap();
    std::fs::write(&cache, text.replace("Print something", "Cached title")).unwrap();
    let text = std::fs::read_to_string(&cache).unwrap();
    let tampered = text.replace("\"2026-11-18T10:00:00Z\"", "\"2026-11-18T11:00:00Z\"");
    std::fs::write(&cache, tampered).unwrap();
    let second = mentor_json(&repo, &["log", "--json"]);
    assert_eq!(second[2]["at"], "2026-11-18T11:00:00Z", "second run came from the cache");
    assert_eq!(first.as_array().unwrap().len(), second.as_array().unwrap().len());

    // A new commit is picked up on top of the cache.
    repo.write("src/new.rs", "x\n");
    repo.git(&["add", "-A"]);
    git_as(
        &repo,
        ALICE,
        "2026-11-19T10:00:00Z",
        &["commit", "-q", "-m", "New\n\nMentored-by: Bob Builder <bob@example.com>"],
    );
    let third = mentor_json(&repo, &["log", "--json"]);
    assert_eq!(third.as_array().unwrap().len(), 4);
    assert_eq!(third[2]["at"], "2026-11-18T11:00:00Z", "old commits still come from the cache");

    // --no-cache reads everything again.
    let fresh = mentor_json(&repo, &["log", "--json", "--no-cache"]);
    assert_eq!(fresh[2]["at"], "2026-11-18T10:00:00Z");

    // Rewritten history (amend) is not served from a cache whose tip is gone.
    git_as(
        &repo,
        ALICE,
        "2026-11-19T12:00:00Z",
        &["commit", "-q", "--amend", "-m", "New, amended"],
    );
    let rewritten = mentor_json(&repo, &["log", "--json"]);
    assert_eq!(rewritten.as_array().unwrap().len(), 3, "{rewritten:#?}");
}

#[test]
fn shallow_clone_says_history_is_cut() {
    let origin = history();
    let clone = TestRepo::new();
    let url = format!("file://{}", origin.root.display());
    let target = clone.root.join("shallow");
    clone.git(&["clone", "-q", "--depth", "1", &url, target.to_str().unwrap()]);
    let out = clone
        .command(mentor_bin())
        .current_dir(&target)
        .env("MENTOR_NOW", NOW)
        .args(["evidence", "--json", "--mentee", "alice"])
        .output()
        .unwrap();
    assert_success("mentor", &["evidence"], &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shallow clone, so history is cut"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only the newest commit is there: first-pr's merge is cut off.
    assert_eq!(milestone(&report, "first-pr")["status"], "overdue");
    assert_eq!(milestone(&report, "tests")["status"], "met");
}

#[test]
fn broken_config_and_extends_fail_clearly() {
    let repo = history();
    repo.write(".github/mentorship.yml", "people:\n  bob: { tier: wizard }\n");
    let out = repo.mentor(&["load"]);
    assert_eq!(out.status.code(), Some(1));
    let text = all_output(&out);
    assert!(text.contains(".github/mentorship.yml:2:"), "{text}");

    repo.write(".github/mentorship.yml", "_extends: .github\n");
    let out = repo.mentor(&["evidence"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(all_output(&out).contains("which mentor cannot fetch offline"), "{}", all_output(&out));

    repo.write(".github/mentorship.yml", CONFIG);
    let out = repo.mentor(&["log", "--rev", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(all_output(&out).contains("cannot resolve revision \"no-such-branch\""));
}
