//! The growth journal: one issue per pair in the private journal repository, regenerated when evidence changes,
//! and never written into a public repository.

use crate::fake_github::FakeGitHub;
use crate::outbox::{fake_with_config, live, settle};
use crate::util::*;
use mentor_app::store::WriteStatus;

const REPO: &str = "Codertocat/Hello-World";
const JOURNAL: &str = "Codertocat/journal";

async fn start(backend: Backend) -> (FakeGitHub, TestApp) {
    let fake = FakeGitHub::start().await;
    fake_with_config(
        &fake,
        "privacy: { journal_repo: Codertocat/journal }\n",
        &[("src/lib.rs", 10, 2)],
    );
    fake.put_pr_reviews(REPO, 2, &[]);
    let app = TestApp::start(backend, live(&fake), |_| {}).await;
    (fake, app)
}

#[tokio::test]
async fn journal_is_one_issue_per_pair_edited_when_evidence_changes() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let merged = merged_pr("alice", "2026-11-20T10:00:00Z", 2);
        assert_eq!(app.deliver("pull_request", "j-1", &merged, SECRET).await.status(), 202);
        settle(&app).await;
        let issues = fake.issues(JOURNAL);
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert_eq!(issues[0].title, "Growth journal: @alice");
        let url = "https://github.com/Codertocat/Hello-World/pull/2";
        let want = format!(
            "Mentee: alice · Mentor: bob · Track: `backend` · Since: 2019-01-01\n\n\
             | Milestone | Stage | Status | Due | Evidence |\n|---|---|---|---|---|\n\
             | Ship a first change (`first-pr`) | discovery | met | 2019-01-15 | [Codertocat/Hello-World#2 (2026-11-20)]({url}) |\n\
             | Give two reviews (`reviewer`) | feedback | open | – | – |\n\
             \nKept up to date by Mentor from the program's evidence; edits here are overwritten.\n\n\
             <!-- mentor:journal:codertocat:bob/alice -->\n"
        );
        assert_eq!(issues[0].body, want);
        // A claim by comment changes the journal: the same issue is edited.
        let claim = rewrite(
            fixture("issue_comment/created.with-installation.payload.json"),
            &[
                ("/comment/user/login", "alice".into()),
                ("/comment/id", 901.into()),
                ("/comment/body", "/mentor evidence reviewer".into()),
                ("/comment/created_at", "2026-11-21T09:00:00Z".into()),
                ("/issue/user/login", "alice".into()),
                ("/issue/number", 2.into()),
                ("/issue/pull_request", serde_json::json!({"url": "x"})),
                ("/repository/private", true.into()),
            ],
        );
        assert_eq!(app.deliver("issue_comment", "j-2", &claim, SECRET).await.status(), 202);
        settle(&app).await;
        let issues = fake.issues(JOURNAL);
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert!(
            issues[0].body.contains(
                "| Give two reviews (`reviewer`) | feedback | waiting for confirmation |"
            ),
            "{}",
            issues[0].body
        );
        // A redelivered merge changes nothing.
        assert_eq!(app.deliver("pull_request", "j-3", &merged, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.issues(JOURNAL).len(), 1);
        assert_eq!(
            fake.requests()
                .iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/issues"))
                .count(),
            1
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn journal_is_refused_in_a_public_repository() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        fake.set_public(JOURNAL);
        let merged = merged_pr("alice", "2026-11-20T10:00:00Z", 2);
        assert_eq!(app.deliver("pull_request", "r-1", &merged, SECRET).await.status(), 202);
        settle(&app).await;
        assert!(fake.issues(JOURNAL).is_empty());
        let failed = app.store.list_outbox(Some(WriteStatus::Failed), 10).await.unwrap();
        assert_eq!(failed.len(), 1, "{failed:#?}");
        let error = failed[0].last_error.clone().unwrap();
        assert!(
            error.contains("refusing to write into Codertocat/journal: it is a public repository"),
            "{error}"
        );
        assert!(fake.requests().iter().all(|r| r.method == "GET" || !r.path.contains("journal")));
        app.stop().await;
    }
}

/// A journal written before markers named the org (`journal:<mentor>/<mentee>`) is adopted and edited, not
/// written again: the edit puts the org's marker in.
#[tokio::test]
async fn a_journal_with_the_old_marker_is_adopted_not_duplicated() {
    let (fake, app) = start(Backend::Sqlite).await;
    let old = fake.add_issue(
        JOURNAL,
        "Growth journal: @alice",
        "Old text\n\n<!-- mentor:journal:bob/alice -->\n",
    );
    let merged = merged_pr("alice", "2026-11-20T10:00:00Z", 2);
    assert_eq!(app.deliver("pull_request", "j-old", &merged, SECRET).await.status(), 202);
    settle(&app).await;
    let issues = fake.issues(JOURNAL);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].number, old);
    assert!(
        issues[0].body.ends_with("<!-- mentor:journal:codertocat:bob/alice -->\n"),
        "{}",
        issues[0].body
    );
    app.stop().await;
}
