//! `mentor template list|render`: built-ins, repository overrides, privacy in public repositories, and strict
//! rendering errors that name the file, line and variable.

use crate::util::{TestRepo, all_output};

/// The project's example config: alice is bob's mentee on the `backend` track since 2026-09-01.
const EXAMPLE: &str = include_str!("../../.github/mentorship.yml");
/// A real `pull_request` object (octokit/webhooks), opened by alice in a public repository.
const PR: &str = include_str!("../fixtures/pr/opened-by-alice.json");

const NOW: &str = "2026-11-20T10:00:00Z";

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".github/mentorship.yml", EXAMPLE);
    repo.write("pr.json", PR);
    repo
}

/// Runs `mentor` with `MENTOR_NOW` fixed.
fn mentor(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    repo.command(crate::util::mentor_bin()).env("MENTOR_NOW", NOW).args(args).output().unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn review_guide_for_a_mentee_pr_in_a_private_repo() {
    let repo = repo();
    let out =
        mentor(&repo, &["template", "render", "review-guide", "--pr-json", "pr.json", "--private"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let text = stdout(&out);
    let expected = [
        "### Review guide: #2 Update the README with new information.\n",
        "@bob, Alice Moreau (@alice) opened this pull request: +120 / -30 in 4 files.\n",
        "**Milestones this pull request could prove** (track `backend`)\n",
        "- `first-pr` Ship a first change (discovery, due 2026-09-15, overdue): counts when merged: if it changes `services/**` or `crates/**`\n",
        "- `small-and-focused` Land three small, focused changes (practice, due 2026-10-13, overdue): ",
        "`praise:`",
    ];
    for line in expected {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // The PR has no `design` label, and review/trailer milestones cannot be proven by a PR.
    for absent in ["design-review", "reviewer", "on-call-ready"] {
        assert!(!text.contains(absent), "{absent} should not be in play\n{text}");
    }
    assert_eq!(stderr(&out), "");
}

#[test]
fn met_milestones_and_changed_paths_change_what_is_in_play() {
    let repo = repo();
    let out = mentor(
        &repo,
        &[
            "template",
            "render",
            "review-guide",
            "--pr-json",
            "pr.json",
            "--private",
            "--met",
            "first-pr",
            "--changed-path",
            "docs/readme.md",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let text = stdout(&out);
    // Nothing in play: first-pr is met and docs/ matches no path rule, so the section disappears.
    assert!(!text.contains("Milestones this pull request could prove"), "{text}");
    assert!(!text.contains("first-pr"), "{text}");
}

#[test]
fn public_repositories_get_no_milestones() {
    let repo = repo();
    // The fixture's base repository is public (`"private": false`), so this is the default.
    let out = mentor(&repo, &["template", "render", "review-guide", "--pr-json", "pr.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let text = stdout(&out);
    assert!(text.starts_with("### Review guide: #2 "), "{text}");
    for secret in ["first-pr", "Ship a first change", "small-and-focused", "backend", "overdue"] {
        assert!(!text.contains(secret), "{secret:?} leaked into a public comment:\n{text}");
    }

    // An override that tries to list milestones gets none either: the rule is in the context, not the template.
    repo.write(
        ".github/mentorship/templates/review-guide.md",
        "---\nid: review-guide\ntitle: Leaky\nkind: comment\non: mentee_pr\n---\n{% for m in milestones_in_play %}{{ m.id }} {% endfor %}hidden={{ milestones_hidden }} next={{ next_milestone }}\n",
    );
    let out =
        mentor(&repo, &["template", "render", "review-guide", "--pr-json", "pr.json", "--public"]);
    assert_eq!(stdout(&out), "hidden=True next=None\n", "{}", all_output(&out));
}

#[test]
fn repository_templates_override_and_add() {
    let repo = repo();
    repo.write(
        ".github/mentorship/templates/review-guide.md",
        "---\nid: review-guide\ntitle: Acme review guide\nkind: review\non: mentee_pr\n---\nAcme guide for @{{ mentee.login }} by @{{ mentor.login }} in sprint {{ sprint.id }}.\n",
    );
    repo.write(
        ".github/mentorship/templates/pairing-retro.md",
        "---\nid: pairing-retro\ntitle: Pairing retro\nkind: comment\non: command\n---\nRetro for #{{ pr.number }}\n",
    );
    let out = mentor(&repo, &["template", "render", "review-guide", "--pr-json", "pr.json"]);
    assert_eq!(
        stdout(&out),
        "Acme guide for @alice by @bob in sprint 2026-11-09.\n",
        "{}",
        all_output(&out)
    );

    let out = mentor(&repo, &["template", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let list = stdout(&out);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 6, "{list}");
    assert!(lines[0].starts_with("ID "), "{list}");
    let row =
        |id: &str| lines.iter().find(|l| l.starts_with(&format!("{id} "))).copied().unwrap_or("");
    assert!(row("checkin").contains("built-in"), "{list}");
    assert!(
        row("pairing-retro").contains(".github/mentorship/templates/pairing-retro.md"),
        "{list}"
    );
    let guide = row("review-guide");
    assert!(guide.contains("review ") && guide.contains("mentee_pr"), "{list}");
    assert!(
        guide.contains(".github/mentorship/templates/review-guide.md (overrides built-in)"),
        "{list}"
    );
    assert!(guide.ends_with("Acme review guide"), "{list}");

    // --templates-dir reads another directory instead.
    repo.write(
        "elsewhere/checkin.md",
        "---\nid: checkin\ntitle: Other\nkind: comment\non: command\n---\nother\n",
    );
    let out = mentor(
        &repo,
        &["template", "render", "checkin", "--pr-json", "pr.json", "--templates-dir", "elsewhere"],
    );
    assert_eq!(stdout(&out), "other\n", "{}", all_output(&out));
}

#[test]
fn undefined_variable_fails_with_file_line_and_variable() {
    let repo = repo();
    repo.write(
        ".github/mentorship/templates/team-note.md",
        "---\nid: team-note\ntitle: Team note\nkind: comment\non: command\n---\nHello @{{ mentee.login }},\n\nabout {{ pr.titel | upper }}\n",
    );
    let out = mentor(&repo, &["template", "render", "team-note", "--pr-json", "pr.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert_eq!(stdout(&out), "", "nothing may be printed when rendering fails");
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "error: .github/mentorship/templates/team-note.md:9: undefined variable `pr.titel`\n\n"
        ),
        "{err}"
    );
    assert!(err.contains("\n\n`pr` has: additions, author, changed_files, deletions, draft, labels, number, private, repo, title, url. Check the spelling"), "{err}");

    // An unknown top-level name lists the variables there are.
    repo.write(
        ".github/mentorship/templates/team-note.md",
        "---\nid: team-note\ntitle: Team note\nkind: comment\non: command\n---\n{% if reviewer %}x{% endif %}\n",
    );
    let out = mentor(&repo, &["template", "render", "team-note", "--pr-json", "pr.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: .github/mentorship/templates/team-note.md:7: undefined variable `reviewer`\n\nTemplates can use: mentee, mentor, milestones_hidden,"), "{err}");
}

#[test]
fn broken_template_files_are_reported_with_their_position() {
    let repo = repo();
    repo.write(
        ".github/mentorship/templates/a.md",
        "---\nid: a\ntitle: A\nkind: memo\non: command\n---\nbody\n",
    );
    repo.write(
        ".github/mentorship/templates/b.md",
        "---\nid: b\ntitle: B\nkind: comment\non: command\n---\nok\n{% for x in pr.labels %}\n",
    );
    let out = mentor(&repo, &["template", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: .github/mentorship/templates/a.md:4:"), "{err}");
    assert!(err.contains("memo"), "{err}");
    assert!(err.contains("\n.github/mentorship/templates/b.md:8: template syntax error"), "{err}");
}

#[test]
fn bad_arguments_exit_2_or_1_with_a_hint() {
    let repo = repo();
    let out = mentor(&repo, &["template", "render", "nope", "--pr-json", "pr.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).starts_with(
            "error: unknown template `nope`\n\nKnown templates: checkin, design-review, first-pr, review-guide."
        ),
        "{}",
        stderr(&out)
    );

    let out = mentor(
        &repo,
        &["template", "render", "review-guide", "--pr-json", "pr.json", "--mentee", "bob"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("bob is not the mentee of any pair in effect on 2026-11-20"),
        "{}",
        stderr(&out)
    );

    repo.write("bad.json", "{\"number\": 1}");
    let out = mentor(&repo, &["template", "render", "review-guide", "--pr-json", "bad.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).starts_with(
            "error: bad.json: not a GitHub pull request: missing field `title`\n\nPass the JSON"
        ),
        "{}",
        stderr(&out)
    );
    repo.write("bad.json", "{\"number\": 1,\n oops}");
    let out = mentor(&repo, &["template", "render", "review-guide", "--pr-json", "bad.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out)
            .starts_with("error: bad.json:2:2: not a GitHub pull request: key must be a string"),
        "{}",
        stderr(&out)
    );

    let out = mentor(&repo, &["template", "render", "review-guide", "--pr-json", "missing.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("cannot read the pull request JSON missing.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_whole_webhook_payload_is_accepted() {
    let repo = repo();
    repo.write(
        "payload.json",
        &format!("{{\"action\": \"opened\", \"number\": 2, \"pull_request\": {PR}}}"),
    );
    let out =
        mentor(&repo, &["template", "render", "checkin", "--pr-json", "payload.json", "--private"]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("### Check-in: @bob and @alice, sprint 2026-11-09 to 2026-11-22\n"),
        "{text}"
    );
    assert!(text.contains("3. **Next milestone**: `first-pr` Ship a first change (discovery, due 2026-09-15, overdue)."), "{text}");
}
