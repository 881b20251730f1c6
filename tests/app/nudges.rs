//! Nudges and the weekly digest against the fake GitHub: a quiet pair gets one reminder on its growth journal, edited while it stays
//! quiet and never repeated by later ticks; an escalation after `escalate_after`; a touchpoint ends the episode;
//! `/mentor snooze` pauses the pair. Time moves by restarting the server on the same database at a later
//! domain instant (`MENTOR_NOW`).

use std::time::Duration;

use crate::fake_github::FakeGitHub;
use crate::outbox::{live, settle};
use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";
const JOURNAL: &str = "Codertocat/journal";

/// bob and alice paired on 2026-11-01 (quiet 16 days at the tests' NOW, past `after: 14d`); dave and erin on
/// 2026-11-10 (7 days: not yet).
const CONFIG: &str = "sprints: { length: 2w, start: 2026-01-05, timezone: UTC }
people:
  bob: {}
  alice: {}
  dave: {}
  erin: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-11-01 }
  - { mentor: dave, mentee: erin, track: backend, since: 2026-11-10 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, evidence: { merged_pr: {} } }
privacy: { journal_repo: Codertocat/journal, managers: [mona] }
nudges: { after: 14d, escalate_after: 28d, to: [\"@Codertocat/leads\"], quiet: { days: [] } }
";

async fn start_at(db: Option<TestDb>, fake: &FakeGitHub, days_later: i64) -> TestApp {
    let github = live(fake);
    let adjust = move |s: &mut mentor_app::settings::ServeArgs| {
        s.now = Some(now() + chrono::Duration::days(days_later));
        s.nudge_every_secs = 1;
    };
    let app = match db {
        Some(db) => TestApp::start_on(db, github, adjust).await,
        None => TestApp::start(Backend::Sqlite, github, adjust).await,
    };
    // The installation is known (as after its first delivery); the first tick ran at start, let a second run.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    settle(&app).await;
    app
}

/// Comments on the journal issue of `mentee`, oldest first.
fn journal_comments(fake: &FakeGitHub, mentee: &str) -> Vec<String> {
    let issue = fake
        .issues(JOURNAL)
        .into_iter()
        .find(|i| i.title == format!("Growth journal: @{mentee}"))
        .unwrap_or_else(|| panic!("no journal for {mentee}: {:#?}", fake.issues(JOURNAL)));
    fake.comments(JOURNAL, issue.number)
}

fn digests(fake: &FakeGitHub) -> Vec<crate::fake_github::FakeIssue> {
    let mut digests: Vec<_> = fake
        .issues(JOURNAL)
        .into_iter()
        .filter(|i| i.title.starts_with("Mentorship digest"))
        .collect();
    digests.sort_by(|a, b| a.title.cmp(&b.title));
    digests
}

fn created_comments(fake: &FakeGitHub) -> usize {
    fake.requests()
        .iter()
        .filter(|r| {
            let path = r.path.to_ascii_lowercase();
            r.method == "POST"
                && path.starts_with("/repos/codertocat/journal/issues/")
                && path.ends_with("/comments")
        })
        .count()
}

#[tokio::test]
async fn a_quiet_pair_is_reminded_once_then_escalated_and_a_touchpoint_or_a_snooze_stops_it() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake.put_file(REPO, ".github/mentorship.yml", CONFIG);
        fake.put_pr_files(REPO, 2, &[("src/lib.rs", 1, 1)]);
        fake.put_pr_reviews(REPO, 2, &[]);
        let db = TestDb::new(backend).await;
        let app = TestApp::start_on(db, live(&fake), |s| s.nudge_every_secs = 1).await;
        // Any delivery makes the org known; a ping carries the installation.
        let ping = in_repo(&review("mona", "zed", &minutes_ago(60 * 24 * 30), 1), REPO, 1);
        assert_eq!(app.deliver("pull_request_review", "p-1", &ping, SECRET).await.status(), 202);
        app.wait_idle().await;
        let db = app.stop().await;

        // Day 0: bob and alice have been quiet for 16 days: one reminder, with a suggestion, no escalation.
        let app = start_at(Some(db), &fake, 0).await;
        let comments = journal_comments(&fake, "alice");
        assert_eq!(comments.len(), 1, "{comments:#?}");
        assert!(
            comments[0].starts_with("@bob @alice: no mentoring touchpoint for **16 days** (none since the pair started on 2026-11-01)."),
            "{}",
            comments[0]
        );
        assert!(comments[0].contains("Suggestion: **Ship a first change** (discovery stage)"));
        assert!(comments[0].contains("<!-- mentor:nudge:codertocat:bob/alice@"));
        assert!(
            fake.issues(JOURNAL).iter().all(|i| i.title != "Growth journal: @erin"),
            "dave and erin are not quiet yet"
        );
        // The managers' weekly digest: one issue for the week, counts only.
        let digests = self::digests(&fake);
        assert_eq!(digests.len(), 1, "{digests:#?}");
        assert_eq!(digests[0].title, "Mentorship digest: week of 2026-11-16");
        assert!(
            digests[0].body.contains("- @bob and @alice: 16 days without a touchpoint\n"),
            "{}",
            digests[0].body
        );
        assert!(
            digests[0]
                .body
                .contains("| backend | fewer than 5 | fewer than 5 mentees: not shown |")
        );
        // More ticks write nothing new.
        let before = created_comments(&fake);
        assert_eq!(before, 1);
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        settle(&app).await;
        assert_eq!(created_comments(&fake), before, "ticks do not repeat a nudge");
        let db = app.stop().await;

        // 13 days later (29 quiet): the reminder is edited in place, one escalation names the leads.
        let app = start_at(Some(db), &fake, 13).await;
        let comments = journal_comments(&fake, "alice");
        assert_eq!(comments.len(), 2, "{comments:#?}");
        assert!(
            comments[0].starts_with("@bob @alice: no mentoring touchpoint for **29 days**"),
            "{}",
            comments[0]
        );
        assert!(
            comments[1].starts_with(
                "@Codertocat/leads: @bob and @alice have had no mentoring touchpoint for **29 days**."
            ),
            "{}",
            comments[1]
        );
        assert!(
            !comments[1].contains("Ship a first change"),
            "an escalation names people and days only"
        );
        assert_eq!(journal_comments(&fake, "erin").len(), 1, "dave and erin: 20 days, a reminder");
        let digests = self::digests(&fake);
        assert_eq!(digests.len(), 2, "a new week, a new digest");
        assert_eq!(digests[1].title, "Mentorship digest: week of 2026-11-30");
        assert!(
            digests[1]
                .body
                .contains("- @bob and @alice: 29 days without a touchpoint (escalated)\n"),
            "{}",
            digests[1].body
        );

        // erin pauses her pair for 30 days on dave's pull request; bob reviews alice's: both episodes end.
        let snooze = rewrite(
            fixture("issue_comment/created.with-installation.payload.json"),
            &[
                ("/comment/user/login", "erin".into()),
                ("/comment/id", 77.into()),
                ("/comment/body", "/mentor snooze 30d".into()),
                ("/issue/user/login", "dave".into()),
                ("/issue/number", 2.into()),
                ("/issue/pull_request", serde_json::json!({"url": "x"})),
                ("/repository/private", true.into()),
            ],
        );
        assert_eq!(app.deliver("issue_comment", "s-1", &snooze, SECRET).await.status(), 202);
        let at = (now() + chrono::Duration::days(13)).to_rfc3339();
        let touch = in_repo(&review("bob", "alice", &at, 50), REPO, 1);
        assert_eq!(app.deliver("pull_request_review", "t-1", &touch, SECRET).await.status(), 202);
        settle(&app).await;
        let reply = fake.comments(REPO, 2).join("\n");
        assert!(
            reply.contains("Reminders for @dave and @erin are paused until 2026-12-30 (30d)."),
            "{reply}"
        );
        let db = app.stop().await;

        // 15 more days: bob and alice are quiet again (a new episode: a new reminder); erin's pair is snoozed.
        let created = created_comments(&fake);
        let app = start_at(Some(db), &fake, 28).await;
        let comments = journal_comments(&fake, "alice");
        assert_eq!(comments.len(), 3, "{comments:#?}");
        assert!(
            comments[2].starts_with(
                "@bob @alice: no mentoring touchpoint for **15 days** (the last was on 2026-11-30)."
            ),
            "{}",
            comments[2]
        );
        assert_eq!(journal_comments(&fake, "erin").len(), 1, "snoozed: nothing new");
        assert_eq!(created_comments(&fake), created + 1);
        app.stop().await;
    }
}

/// Three replicas on one PostgreSQL database tick together, each with its own outbox sender: every nudge is still
/// written once.
#[tokio::test]
async fn replicas_on_one_postgresql_write_each_nudge_once() {
    if !backends().iter().any(|b| matches!(b, Backend::Postgres)) {
        return; // backends() has said loudly that PostgreSQL is skipped.
    }
    let fake = FakeGitHub::start().await;
    fake.put_file(REPO, ".github/mentorship.yml", CONFIG);
    fake.put_pr_reviews(REPO, 2, &[]);
    let db = TestDb::new(Backend::Postgres).await;
    let url = db.url.clone();
    let first = TestApp::start_on(db, live(&fake), |s| s.nudge_every_secs = 1).await;
    let ping = in_repo(&review("mona", "zed", &minutes_ago(60 * 24 * 30), 1), REPO, 1);
    assert_eq!(first.deliver("pull_request_review", "p-1", &ping, SECRET).await.status(), 202);
    first.wait_idle().await;
    // Two more servers on the same database (the first owns it and drops it at the end).
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let shared = TestDb { url: url.clone(), dir: tempfile::tempdir().unwrap(), made: None };
        replicas.push(TestApp::start_on(shared, live(&fake), |s| s.nudge_every_secs = 1).await);
    }
    // Several ticks each.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    settle(&first).await;
    let comments = journal_comments(&fake, "alice");
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert_eq!(created_comments(&fake), 1);
    let journals =
        fake.issues(JOURNAL).iter().filter(|i| i.title.starts_with("Growth journal")).count();
    assert_eq!(journals, 1, "one journal issue");
    assert_eq!(digests(&fake).len(), 1, "one digest");
    for r in replicas {
        r.stop().await;
    }
    first.stop().await;
}

/// Either member answers a nudge where it appears: `/mentor snooze` on the growth journal pauses the pair; other
/// commands there are pointed to pull requests.
#[tokio::test]
async fn snooze_on_the_growth_journal_pauses_the_pair() {
    let fake = FakeGitHub::start().await;
    fake.put_file(REPO, ".github/mentorship.yml", CONFIG);
    fake.put_pr_reviews(REPO, 2, &[]);
    let app = start_at(None, &fake, 0).await;
    let ping = in_repo(&review("mona", "zed", &minutes_ago(60 * 24 * 30), 1), REPO, 1);
    assert_eq!(app.deliver("pull_request_review", "p-1", &ping, SECRET).await.status(), 202);
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    settle(&app).await;
    let journal = fake
        .issues(JOURNAL)
        .into_iter()
        .find(|i| i.title == "Growth journal: @alice")
        .expect("the quiet pair's journal");
    let on_journal = |id: u64, who: &str, body: &str| {
        rewrite(
            fixture("issue_comment/created.with-installation.payload.json"),
            &[
                ("/comment/user/login", who.into()),
                ("/comment/id", id.into()),
                ("/comment/body", body.into()),
                ("/issue/user/login", "mentor-app[bot]".into()),
                ("/issue/number", journal.number.into()),
                ("/issue/body", journal.body.clone().into()),
                ("/issue/pull_request", serde_json::Value::Null),
                ("/repository/full_name", JOURNAL.into()),
                ("/repository/name", "journal".into()),
                ("/repository/private", true.into()),
            ],
        )
    };
    let snooze = on_journal(81, "alice", "/mentor snooze 2w");
    assert_eq!(app.deliver("issue_comment", "j-s", &snooze, SECRET).await.status(), 202);
    let claim = on_journal(82, "alice", "/mentor evidence first-pr");
    assert_eq!(app.deliver("issue_comment", "j-e", &claim, SECRET).await.status(), 202);
    settle(&app).await;
    let replies = fake.comments(JOURNAL, journal.number).join("\n");
    assert!(
        replies.contains("Reminders for @bob and @alice are paused until 2026-12-01 (2w)."),
        "{replies}"
    );
    assert!(replies.contains("`/mentor evidence` works on pull requests"), "{replies}");
    let snoozes = app.store.snoozes_of("codertocat").await.unwrap();
    assert_eq!(snoozes.len(), 1, "{snoozes:?}");
    app.stop().await;
}

/// The scheduler's lease: one holder at a time; it is renewed by its holder, taken over once it runs out, and
/// free at once when given up.
#[tokio::test]
async fn one_replica_at_a_time_holds_the_scheduler_lease() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let store = mentor_app::store::Store::connect(&db.url).await.unwrap();
        let t0 = chrono::Utc::now();
        let ttl = Duration::from_secs(10);
        assert!(store.acquire_lease("scheduler", "a", t0, ttl).await.unwrap());
        assert!(!store.acquire_lease("scheduler", "b", t0, ttl).await.unwrap(), "held by a");
        assert!(
            store
                .acquire_lease("scheduler", "a", t0 + chrono::Duration::seconds(5), ttl)
                .await
                .unwrap(),
            "renewed"
        );
        assert!(
            !store
                .acquire_lease("scheduler", "b", t0 + chrono::Duration::seconds(12), ttl)
                .await
                .unwrap(),
            "a renewed it"
        );
        assert!(
            store
                .acquire_lease("scheduler", "b", t0 + chrono::Duration::seconds(16), ttl)
                .await
                .unwrap(),
            "ran out"
        );
        store.release_lease("scheduler", "a").await.unwrap();
        assert!(
            !store
                .acquire_lease("scheduler", "a", t0 + chrono::Duration::seconds(17), ttl)
                .await
                .unwrap(),
            "only b may give it up"
        );
        store.release_lease("scheduler", "b").await.unwrap();
        assert!(
            store
                .acquire_lease("scheduler", "a", t0 + chrono::Duration::seconds(17), ttl)
                .await
                .unwrap(),
            "given up"
        );
        store.close().await;
    }
}
