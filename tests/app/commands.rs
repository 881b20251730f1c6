//! `/mentor` commands end to end: comments on a PR become replies, reactions, evidence and check-ins, exactly
//! once per comment, as the fake GitHub and the read API show.

use mentor_app::token::{Role, create_token};
use serde_json::json;

use crate::fake_github::FakeGitHub;
use crate::outbox::{fake_with_config, live, settle};
use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";
const PR: u64 = 2;

/// An `issue_comment` with `action` by `user` on PR 2 (opened by `author`) with comment id `id`.
fn comment(action: &str, user: &str, author: &str, id: u64, body: &str) -> Vec<u8> {
    rewrite(
        fixture("issue_comment/created.with-installation.payload.json"),
        &[
            ("/action", action.into()),
            ("/comment/user/login", user.into()),
            ("/comment/id", id.into()),
            ("/comment/body", body.into()),
            ("/comment/created_at", minutes_ago(1).into()),
            ("/issue/user/login", author.into()),
            ("/issue/number", PR.into()),
            (
                "/issue/pull_request",
                json!({"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2"}),
            ),
            ("/repository/private", true.into()),
        ],
    )
}

fn marker(id: u64) -> String {
    format!("<!-- mentor:reply:codertocat/hello-world:comment/{id} -->")
}

async fn start(backend: Backend) -> (FakeGitHub, TestApp) {
    let fake = FakeGitHub::start().await;
    fake_with_config(&fake, "", &[("src/lib.rs", 10, 2)]);
    let app = TestApp::start(backend, live(&fake), |_| {}).await;
    (fake, app)
}

#[tokio::test]
async fn commands_help_and_bad_commands_get_one_reply_each() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let help = comment("created", "alice", "alice", 501, "/mentor help");
        assert_eq!(app.deliver("issue_comment", "h-1", &help, SECRET).await.status(), 202);
        // Redelivered (new id, same comment): no second reply.
        assert_eq!(app.deliver("issue_comment", "h-2", &help, SECRET).await.status(), 202);
        settle(&app).await;
        let bad = comment("created", "bob", "alice", 502, "Thanks!\n/mentor frobnicate");
        assert_eq!(app.deliver("issue_comment", "h-3", &bad, SECRET).await.status(), 202);
        settle(&app).await;
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 2, "{comments:#?}");
        assert_eq!(
            comments[0],
            format!("{}\n\n{}\n", mentor_core::command::help_text(), marker(501))
        );
        assert!(comments[1].starts_with("unknown command `/mentor frobnicate`"), "{}", comments[1]);
        assert!(
            comments[1].contains("Known commands:")
                && comments[1].ends_with(&format!("{}\n", marker(502)))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn commands_in_code_blocks_and_edited_comments_do_nothing() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let quoted = comment("created", "bob", "alice", 601, "Try this:\n```\n/mentor help\n```\n");
        assert_eq!(app.deliver("issue_comment", "q-1", &quoted, SECRET).await.status(), 202);
        let edited = comment("edited", "bob", "alice", 602, "/mentor help");
        assert_eq!(app.deliver("issue_comment", "q-2", &edited, SECRET).await.status(), 202);
        settle(&app).await;
        assert!(fake.comments(REPO, PR).is_empty(), "{:#?}", fake.comments(REPO, PR));
        assert!(fake.reactions().is_empty());
        assert!(app.store.list_outbox(None, 10).await.unwrap().is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn commands_evidence_claim_then_confirm_shows_in_the_evidence_api() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        // Someone outside the pair may not confirm.
        let claim = comment("created", "alice", "alice", 701, "/mentor evidence first-pr");
        assert_eq!(app.deliver("issue_comment", "e-1", &claim, SECRET).await.status(), 202);
        settle(&app).await;
        let token = create_token(&app.store, "codertocat", &Role::parse("mentee:alice").unwrap())
            .await
            .unwrap();
        let report: serde_json::Value =
            app.get("/api/v1/mentees/alice/evidence", Some(&token)).await.json().await.unwrap();
        let first = report["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "first-pr")
            .unwrap()
            .clone();
        assert_eq!(first["status"], "undecided", "{report:#}");
        assert_eq!(first["evidence"].as_array().unwrap().len(), 1, "{report:#}");
        let stored = app.store.evidence_of("codertocat", "alice").await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].status, mentor_core::evidence::EvidenceStatus::Claimed);

        let stranger = comment("created", "dave", "alice", 702, "/mentor confirm first-pr");
        assert_eq!(app.deliver("issue_comment", "e-2", &stranger, SECRET).await.status(), 202);
        settle(&app).await;
        let confirm = comment("created", "bob", "alice", 703, "/mentor confirm first-pr");
        assert_eq!(app.deliver("issue_comment", "e-3", &confirm, SECRET).await.status(), 202);
        settle(&app).await;
        let report: serde_json::Value =
            app.get("/api/v1/mentees/alice/evidence", Some(&token)).await.json().await.unwrap();
        let first = report["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "first-pr")
            .unwrap()
            .clone();
        assert_eq!(first["status"], "met", "{report:#}");
        let stored = app.store.evidence_of("codertocat", "alice").await.unwrap();
        assert_eq!(stored.len(), 1, "the confirmation replaces the claim: {stored:#?}");
        assert_eq!(stored[0].status, mentor_core::evidence::EvidenceStatus::Confirmed);
        // One reply per command comment: the claim's, the refusal, the confirmation's.
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 3, "{comments:#?}");
        assert!(comments[0].ends_with(&format!("{}\n", marker(701))));
        assert!(comments[1].ends_with(&format!("{}\n", marker(702))));
        assert!(
            comments[1].starts_with("only @alice's mentor can confirm evidence"),
            "{}",
            comments[1]
        );
        assert!(comments[2].ends_with(&format!("{}\n", marker(703))));
        app.stop().await;
    }
}

#[tokio::test]
async fn commands_checkin_records_a_touchpoint_and_reacts() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let checkin =
            comment("created", "bob", "alice", 801, "/mentor checkin 45m talked about retries");
        assert_eq!(app.deliver("issue_comment", "k-1", &checkin, SECRET).await.status(), 202);
        assert_eq!(app.deliver("issue_comment", "k-2", &checkin, SECRET).await.status(), 202);
        settle(&app).await;
        let token =
            create_token(&app.store, "codertocat", &Role::parse("manager").unwrap()).await.unwrap();
        let report: mentor_core::LoadReport =
            app.get("/api/v1/load", Some(&token)).await.json().await.unwrap();
        let bob = report.mentors.iter().find(|m| m.login.as_str() == "bob").unwrap();
        // The check-in's 45 minutes, once despite the redelivery; a comment of commands only is not also a
        // 5-minute comment (it used to count twice).
        assert_eq!((bob.touchpoints, bob.minutes), (1, 45), "{report:#?}");
        let tps = app.store.touchpoints_of("codertocat").await.unwrap();
        assert!(tps.iter().any(|t| t.minutes == 45), "{tps:#?}");
        assert!(fake.comments(REPO, PR).is_empty());
        assert_eq!(
            fake.reactions(),
            vec![(
                "codertocat/hello-world".to_owned(),
                "issue_comment".to_owned(),
                801,
                "+1".to_owned()
            )]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn feedback_mix_of_reviews_and_review_comments_is_served_as_counts() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config(REPO), |_| {}).await;
        let review_body = rewrite(
            serde_json::from_slice(&review("bob", "alice", &minutes_ago(30), 11)).unwrap(),
            &[(
                "/review/body",
                "praise: clear tests\n\nsuggestion (non-blocking): split the retry loop".into(),
            )],
        );
        let review_comment = rewrite(
            fixture("pull_request_review_comment/created.payload.json"),
            &[
                ("/comment/user/login", "bob".into()),
                ("/comment/created_at", minutes_ago(29).into()),
                ("/comment/body", "issue (blocking): this leaks the token".into()),
                ("/pull_request/user/login", "alice".into()),
            ],
        );
        assert_eq!(
            app.deliver("pull_request_review", "fb-1", &review_body, SECRET).await.status(),
            202
        );
        assert_eq!(
            app.deliver("pull_request_review_comment", "fb-2", &review_comment, SECRET)
                .await
                .status(),
            202
        );
        app.wait_idle().await;
        // Redelivered: counted once.
        assert_eq!(
            app.deliver("pull_request_review", "fb-3", &review_body, SECRET).await.status(),
            202
        );
        app.wait_idle().await;
        let alice = create_token(&app.store, "codertocat", &Role::parse("mentee:alice").unwrap())
            .await
            .unwrap();
        let r = app.get("/api/v1/mentees/alice/feedback", Some(&alice)).await;
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["mentee"], "alice");
        assert_eq!(v["touchpoints"], 2);
        let mix = &v["feedback"];
        assert_eq!(
            (mix["praise"].as_u64(), mix["suggestion"].as_u64(), mix["issue"].as_u64()),
            (Some(1), Some(1), Some(1)),
            "{v:#}"
        );
        assert_eq!((mix["blocking"].as_u64(), mix["non_blocking"].as_u64()), (Some(1), Some(1)));
        assert!(!v.to_string().contains("leaks"), "counts only, never text: {v}");
        let bob = create_token(&app.store, "codertocat", &Role::parse("mentor:bob").unwrap())
            .await
            .unwrap();
        assert_eq!(app.get("/api/v1/mentees/alice/feedback", Some(&bob)).await.status(), 200);
        let carol = create_token(&app.store, "codertocat", &Role::parse("mentee:carol").unwrap())
            .await
            .unwrap();
        assert_eq!(app.get("/api/v1/mentees/alice/feedback", Some(&carol)).await.status(), 403);
        app.stop().await;
    }
}

#[tokio::test]
async fn commands_in_review_comments_run_once_and_react_on_the_review_comment() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let body = rewrite(
            fixture("pull_request_review_comment/created.payload.json"),
            &[
                ("/comment/user/login", "bob".into()),
                ("/comment/id", 901.into()),
                ("/comment/body", "nitpick: naming\n\n/mentor checkin 20m".into()),
                ("/comment/created_at", minutes_ago(2).into()),
                ("/pull_request/user/login", "alice".into()),
                ("/pull_request/number", PR.into()),
                ("/repository/private", true.into()),
            ],
        );
        assert_eq!(
            app.deliver("pull_request_review_comment", "rc-1", &body, SECRET).await.status(),
            202
        );
        assert_eq!(
            app.deliver("pull_request_review_comment", "rc-2", &body, SECRET).await.status(),
            202
        );
        settle(&app).await;
        assert_eq!(
            fake.reactions(),
            vec![(
                "codertocat/hello-world".to_owned(),
                "review_comment".to_owned(),
                901,
                "+1".to_owned()
            )]
        );
        let tps = app.store.touchpoints_of("codertocat").await.unwrap();
        assert_eq!(tps.iter().filter(|t| t.minutes == 20).count(), 1, "{tps:#?}");
        // Unauthorised: carol is not in a pair with alice.
        let denied = comment("created", "carol", "alice", 902, "/mentor checkin 20m");
        assert_eq!(app.deliver("issue_comment", "rc-3", &denied, SECRET).await.status(), 202);
        settle(&app).await;
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 1, "{comments:#?}");
        assert!(
            comments[0].starts_with("@carol and @alice are not a mentoring pair right now"),
            "{}",
            comments[0]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn commands_template_by_the_mentor_posts_it_once_and_reacts() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let ask = comment("created", "bob", "alice", 1001, "/mentor template review-guide");
        assert_eq!(app.deliver("issue_comment", "tp-1", &ask, SECRET).await.status(), 202);
        assert_eq!(app.deliver("issue_comment", "tp-2", &ask, SECRET).await.status(), 202);
        settle(&app).await;
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 1, "{comments:#?}");
        assert!(comments[0].starts_with("### Review guide: #2"), "{}", comments[0]);
        assert!(
            comments[0]
                .ends_with("<!-- mentor:template:codertocat/hello-world:comment/1001:0 -->\n"),
            "{}",
            comments[0]
        );
        assert_eq!(fake.reactions().len(), 1);
        app.stop().await;
    }
}

/// Maintainers (OWNER, MEMBER, COLLABORATOR) who are not the pair's mentor may run `/mentor template`; others
/// are told who can. The payload's `comment.author_association` used to be dropped before the check read it.
#[tokio::test]
async fn commands_template_by_a_maintainer_who_is_not_the_mentor_is_posted() {
    for backend in backends() {
        let (fake, app) = start(backend).await;
        let by = |association: &str, id: u64| {
            let body = comment("created", "carol", "alice", id, "/mentor template review-guide");
            rewrite(
                serde_json::from_slice(&body).unwrap(),
                &[("/comment/author_association", association.into())],
            )
        };
        assert_eq!(
            app.deliver("issue_comment", "tm-1", &by("MEMBER", 1201), SECRET).await.status(),
            202
        );
        assert_eq!(
            app.deliver("issue_comment", "tm-2", &by("CONTRIBUTOR", 1202), SECRET).await.status(),
            202
        );
        settle(&app).await;
        let comments = fake.comments(REPO, PR);
        assert_eq!(comments.len(), 2, "{comments:#?}");
        let posted = comments.iter().find(|c| c.contains("comment/1201")).unwrap();
        assert!(posted.starts_with("### Review guide: #2"), "{posted}");
        let refused = comments.iter().find(|c| c.contains("comment/1202")).unwrap();
        assert!(
            refused.starts_with("only @alice's mentor or a maintainer can post templates here"),
            "{refused}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn commands_template_of_kind_review_is_posted_as_a_pr_review() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake_with_config(&fake, "", &[("src/lib.rs", 10, 2)]);
        fake.put_file(
            REPO,
            ".github/mentorship/templates/review-guide.md",
            "---\nid: review-guide\ntitle: Team guide\nkind: review\non: mentee_pr\n---\nTeam guide for #{{ pr.number }}\n",
        );
        fake.put_pr_reviews(REPO, PR, &[]);
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        let ask = comment("created", "bob", "alice", 1101, "/mentor template review-guide");
        assert_eq!(app.deliver("issue_comment", "tr-1", &ask, SECRET).await.status(), 202);
        assert_eq!(app.deliver("issue_comment", "tr-2", &ask, SECRET).await.status(), 202);
        settle(&app).await;
        assert_eq!(
            fake.reviews(REPO, PR),
            vec![(
                crate::fake_github::APP_LOGIN.to_owned(),
                "COMMENTED".to_owned(),
                "Team guide for #2\n\n<!-- mentor:template:codertocat/hello-world:comment/1101:0 -->\n"
                    .to_owned()
            )]
        );
        assert!(fake.comments(REPO, PR).is_empty(), "{:#?}", fake.comments(REPO, PR));
        assert_eq!(fake.reactions().len(), 1);
        app.stop().await;
    }
}
