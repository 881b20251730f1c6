//! The outbox and the review guide end to end: the real server, LiveGitHub and the strict fake GitHub; the
//! assertions are on the comments the fake ends up with.

use mentor_app::store::WriteStatus;
use std::sync::Arc;
use std::time::Duration;

use mentor_app::github::{GitHubSettings, LiveGitHub, Patience};
use serde_json::{Value, json};

use crate::fake_github::{APP_ID, APP_LOGIN, FakeGitHub, Fault, private_key_pem};
use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";
const PR: u64 = 2;
const MARKER: &str = "<!-- mentor:review-guide:codertocat/hello-world#2 -->";
const COMMENTS: &str = "POST /repos/Codertocat/Hello-World/issues/2/comments";

/// A guide template whose text is easy to predict.
const GUIDE: &str = "---
id: review-guide
title: Team guide
kind: comment
on: mentee_pr
---
Guide for #{{ pr.number }} by {{ mentee.login }} (mentor {{ mentor.login }}); labels: {{ pr.labels | join(\", \") }}; \
in play: {% for m in milestones_in_play %}{{ m.id }} {% endfor %}{% if milestones_hidden %}(hidden){% endif %}
";

pub fn live(fake: &FakeGitHub) -> Arc<LiveGitHub> {
    Arc::new(
        LiveGitHub::new(GitHubSettings {
            api_url: fake.api_url(),
            app_id: APP_ID,
            private_key_pem: private_key_pem().into(),
        })
        .unwrap()
        .with_patience(Patience {
            max_wait: Duration::from_secs(1),
            rate_limit_retries: 3,
            server_error_retries: 1,
            backoff: Duration::from_millis(20),
            timeout: Duration::from_millis(800),
        }),
    )
}

/// A fake GitHub serving the test config (with the review guide on) and `files` as PR 2's diff.
pub fn fake_with_config(fake: &FakeGitHub, extra: &str, files: &[(&str, u64, u64)]) {
    fake.put_file(
        REPO,
        ".github/mentorship.yml",
        &format!("{}\ntemplates: {{ on_mentee_pr: review-guide }}\n{extra}", config_yaml()),
    );
    fake.put_pr_files(REPO, PR, files);
}

/// A `pull_request` event of PR 2 by `author` with `action` and `labels` in a private (or public) repository.
pub fn pr_event(author: &str, action: &str, labels: &[&str], private: bool) -> Vec<u8> {
    let labels: Vec<Value> = labels.iter().map(|l| json!({"name": l})).collect();
    rewrite(
        fixture("pull_request/opened.payload.json"),
        &[
            ("/action", action.into()),
            ("/pull_request/user/login", author.into()),
            ("/pull_request/number", PR.into()),
            ("/pull_request/labels", Value::Array(labels)),
            ("/repository/private", private.into()),
            ("/pull_request/base/repo/private", private.into()),
        ],
    )
}

/// Waits until the worker and the outbox are idle (panics after 30 s).
pub async fn settle(app: &TestApp) {
    app.wait_idle().await;
    for _ in 0..600 {
        let busy = app
            .store
            .list_outbox(None, 1000)
            .await
            .unwrap()
            .iter()
            .any(|r| matches!(r.status, WriteStatus::Pending | WriteStatus::Sending));
        if !busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("outbox still busy: {:#?}", app.store.list_outbox(None, 100).await.unwrap());
}

fn guide(labels: &str, in_play: &str) -> String {
    let text = format!("Guide for #2 by alice (mentor bob); labels: {labels}; in play: {in_play}");
    format!("{}\n\n{MARKER}\n", text.trim_end())
}

fn assert_all_accepted(fake: &FakeGitHub) {
    for r in fake.requests() {
        assert!(r.rejected.is_none(), "{} {} was rejected: {:?}", r.method, r.path, r.rejected);
    }
}

#[tokio::test]
async fn outbox_review_guide_is_posted_once_and_edited_on_label_changes() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", GUIDE);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "g-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.comments(REPO, PR), vec![guide("", "")]);
        // The same event redelivered (new delivery id) posts nothing new.
        assert_eq!(app.deliver("pull_request", "g-2", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.comments(REPO, PR), vec![guide("", "")]);
        assert_eq!(
            fake.requests()
                .iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/comments"))
                .count(),
            1
        );
        // A label edits the one comment.
        let labeled = pr_event("alice", "labeled", &["bug"], true);
        assert_eq!(app.deliver("pull_request", "g-3", &labeled, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.comments(REPO, PR), vec![guide("bug", "")]);
        // A change that leaves the text as it is sends nothing.
        let edited = pr_event("alice", "edited", &["bug"], true);
        assert_eq!(app.deliver("pull_request", "g-4", &edited, SECRET).await.status(), 202);
        settle(&app).await;
        let patches = fake.requests().iter().filter(|r| r.method == "PATCH").count();
        assert_eq!(patches, 1);
        assert_eq!(fake.comments(REPO, PR), vec![guide("bug", "")]);
        // Someone who is not a mentee gets no guide, and a label on their PR posts none either.
        let other = pr_event("zed", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "g-5", &other, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.comments(REPO, PR).len(), 1);
        let rows = app.store.list_outbox(None, 10).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!(
            (rows[0].status.as_str(), rows[0].marker.as_str()),
            ("done", "review-guide:codertocat/hello-world#2")
        );
        assert_all_accepted(&fake);
        app.stop().await;
    }
}

#[tokio::test]
async fn outbox_guide_in_a_public_repo_names_no_milestone() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("src/lib.rs", 10, 2)]);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        // Built-in templates: with `first-pr` in play, the first-PR guide is picked.
        let opened = pr_event("alice", "opened", &[], false);
        assert_eq!(app.deliver("pull_request", "p-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 1, "{comments:#?}");
        let text = &comments[0];
        assert!(text.starts_with("### First pull request: #2"), "{text}");
        assert!(text.ends_with(&format!("{MARKER}\n")), "{text}");
        for private in ["first-pr", "Ship a first change", "milestone"] {
            for c in fake.all_comments() {
                assert!(
                    !c.body.contains(private),
                    "a public comment names `{private}`:\n{}",
                    c.body
                );
            }
        }
        app.stop().await;

        // The same PR in a private repository names the milestone.
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("src/lib.rs", 10, 2)]);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "p-2", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 1);
        assert!(comments[0].contains("Ship a first change"), "{}", comments[0]);
        app.stop().await;
    }
}

#[tokio::test]
async fn outbox_broken_template_posts_nothing_and_says_why() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(
            REPO,
            ".github/mentorship/templates/review-guide.md",
            &GUIDE.replace("{{ pr.number }}", "{{ pr.nummer }}"),
        );
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "t-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert!(fake.comments(REPO, PR).is_empty());
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        let note = rows[0].last_error.clone().unwrap_or_default();
        assert!(note.contains("review guide not posted") && note.contains("nummer"), "{note}");
        app.stop().await;
    }
}

/// Posts the guide with `fault` injected on the create; returns the outbox attempts of each backend's run.
async fn guide_despite(fault: Fault) -> Vec<i64> {
    let mut attempts = Vec::new();
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", GUIDE);
        fake.inject(COMMENTS, fault);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "f-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.comments(REPO, PR), vec![guide("", "")], "after {fault:?}");
        assert_eq!(fake.pending_faults(), 0, "the injected {fault:?} was met");
        assert!(fake.all_reviews().is_empty() && fake.all_issues().is_empty(), "a comment only");
        assert!(fake.take_requests().iter().all(|r| r.rejected.is_none()));
        assert!(fake.requests().is_empty(), "taken requests are forgotten");
        fake.inject("/never-asked", Fault::ServerError);
        fake.clear_faults();
        assert_eq!(fake.pending_faults(), 0);
        let rows = app.store.list_outbox(None, 10).await.unwrap();
        assert_eq!(rows[0].status, WriteStatus::Done, "{rows:#?}");
        attempts.push(rows[0].attempts);
        app.stop().await;
    }
    attempts
}

#[tokio::test]
async fn outbox_server_error_then_success_posts_one_comment() {
    for attempts in guide_despite(Fault::ServerError).await {
        assert_eq!(attempts, 2);
    }
}

#[tokio::test]
async fn outbox_timeout_after_github_created_the_comment_posts_no_second_one() {
    for attempts in guide_despite(Fault::SlowAnswer(2_000)).await {
        assert_eq!(attempts, 2);
    }
}

#[tokio::test]
async fn outbox_rate_limit_with_reset_posts_one_comment() {
    // The reset is further away than the client waits: the outbox reschedules once, to the reset.
    for attempts in guide_despite(Fault::RateLimitReset(1)).await {
        assert_eq!(attempts, 2);
    }
}

#[tokio::test]
async fn outbox_secondary_rate_limit_with_retry_after_posts_one_comment() {
    // Within the client's patience: it waits and the first attempt succeeds.
    for attempts in guide_despite(Fault::RetryAfter(1)).await {
        assert_eq!(attempts, 1);
    }
}

#[tokio::test]
async fn outbox_unprocessable_write_fails_visibly_and_can_be_retried() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", GUIDE);
        fake.inject(COMMENTS, Fault::Unprocessable);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "u-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert!(fake.comments(REPO, PR).is_empty());
        let failed = app.store.list_outbox(Some(WriteStatus::Failed), 10).await.unwrap();
        assert_eq!(failed.len(), 1, "{failed:#?}");
        let id = failed[0].id;
        let error = failed[0].last_error.clone().unwrap();
        assert!(error.contains("422") && error.contains("Validation Failed"), "{error}");
        let db = app.stop().await;

        let table = crate::cli::run_ok(
            crate::cli::bin(&db.url).args(["outbox", "list", "--status", "failed"]),
        );
        assert!(
            table.contains("review-guide:codertocat/hello-world#2") && table.contains("422"),
            "{table}"
        );
        let out =
            crate::cli::run_ok(crate::cli::bin(&db.url).args(["outbox", "retry", &id.to_string()]));
        assert!(out.contains(&format!("Outbox write {id} queued again")), "{out}");

        let app = TestApp::start_on(db, live(&fake), |_| {}).await;
        settle(&app).await;
        assert_eq!(fake.comments(REPO, PR), vec![guide("", "")]);
        app.stop().await;
    }
}

#[tokio::test]
async fn outbox_finds_its_comment_by_marker_after_a_crash_between_send_and_record() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", GUIDE);
        // As if an earlier run had created the comment (an older text) and died before recording its id; a
        // person quoting the marker does not fool the lookup.
        fake.add_comment(REPO, PR, "bob", &format!("Looks good so far\n\n{MARKER}"));
        let sent = fake.add_comment(REPO, PR, APP_LOGIN, &format!("An older guide\n\n{MARKER}\n"));
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "c-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(
            fake.comments(REPO, PR),
            vec![format!("Looks good so far\n\n{MARKER}"), guide("", "")],
            "the comment found by its marker is edited, no second one is created"
        );
        assert_eq!(
            fake.requests()
                .iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/comments"))
                .count(),
            0
        );
        assert_eq!(
            app.store
                .written("review-guide:codertocat/hello-world#2")
                .await
                .unwrap()
                .map(|(id, _)| id),
            Some(sent)
        );
        app.stop().await;
    }
}

/// The guide as a `kind: review` template.
fn review_guide() -> String {
    GUIDE.replace("kind: comment", "kind: review")
}

/// Counts the requests that created a PR review.
fn reviews_created(fake: &FakeGitHub) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/pulls/2/reviews"))
        .count()
}

#[tokio::test]
async fn outbox_review_kind_guide_is_one_pr_review_edited_in_place() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", &review_guide());
        fake.put_pr_reviews(REPO, PR, &[]);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "r-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        let review =
            |labels: &str| (APP_LOGIN.to_owned(), "COMMENTED".to_owned(), guide(labels, ""));
        assert_eq!(fake.reviews(REPO, PR), vec![review("")]);
        assert!(fake.comments(REPO, PR).is_empty(), "{:#?}", fake.comments(REPO, PR));
        let create = fake
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path.ends_with("/pulls/2/reviews"))
            .unwrap();
        assert_eq!(create.path, "/repos/Codertocat/Hello-World/pulls/2/reviews");
        // Redelivered: nothing new.
        assert_eq!(app.deliver("pull_request", "r-2", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.reviews(REPO, PR), vec![review("")]);
        // A label edits the one review; no second review, no comment.
        let labeled = pr_event("alice", "labeled", &["bug"], true);
        assert_eq!(app.deliver("pull_request", "r-3", &labeled, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(fake.reviews(REPO, PR), vec![review("bug")]);
        assert!(fake.comments(REPO, PR).is_empty());
        assert_eq!(reviews_created(&fake), 1);
        let puts: Vec<String> =
            fake.requests().into_iter().filter(|r| r.method == "PUT").map(|r| r.path).collect();
        let id = fake.review_ids(REPO, PR)[0];
        assert_eq!(puts, vec![format!("/repos/Codertocat/Hello-World/pulls/2/reviews/{id}")]);
        assert_all_accepted(&fake);
        app.stop().await;
    }
}

#[tokio::test]
async fn outbox_finds_its_review_by_marker_when_the_id_was_lost() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("docs/guide.md", 3, 1)]);
        fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", &review_guide());
        // An earlier run submitted the review (an older text) and died before recording its id; a person's
        // review quoting the marker does not fool the lookup.
        fake.add_review(REPO, PR, "bob", &format!("Looks good so far\n\n{MARKER}"));
        let sent = fake.add_review(REPO, PR, APP_LOGIN, &format!("An older guide\n\n{MARKER}\n"));
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let opened = pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "l-1", &opened, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(
            fake.reviews(REPO, PR),
            vec![
                (
                    "bob".to_owned(),
                    "COMMENTED".to_owned(),
                    format!("Looks good so far\n\n{MARKER}")
                ),
                (APP_LOGIN.to_owned(), "COMMENTED".to_owned(), guide("", "")),
            ],
            "the review found by its marker is edited, no second one is submitted"
        );
        assert_eq!(reviews_created(&fake), 0);
        assert!(fake.comments(REPO, PR).is_empty());
        assert_eq!(
            app.store
                .written("review-guide:codertocat/hello-world#2")
                .await
                .unwrap()
                .map(|(id, _)| id),
            Some(sent)
        );
        assert_all_accepted(&fake);
        app.stop().await;
    }
}
