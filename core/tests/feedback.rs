//! Feedback features end to end through the public API: `/mentor` commands decided against a config and fed into
//! touchpoints and evidence reports, Conventional Comments tallies, and templates rendered for a pair.

use chrono::{DateTime, Utc};
use mentor_core::activity::{Activity, ActivityKind, PullRequestFacts, Source};
use mentor_core::command::{self, Action, CommandContext, Decision};
use mentor_core::conventional::{FeedbackMix, LabelKind, classify};
use mentor_core::evidence::{self, EvidenceStatus, MilestoneStatus, RuleKind, Vantage};
use mentor_core::identity::Roster;
use mentor_core::template::{self, PullRequest, TemplateSet};
use mentor_core::touchpoint::{self, TouchpointKind};
use mentor_core::{Config, Login};

const CONFIG: &str = r#"
sprints: { length: 1w, start: 2026-11-02, timezone: UTC }
people:
  bob: { name: Bob B }
  alice: { name: Alice A }
  mei: {}
  priya: {}
  carlos: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-11-01 }
  - { mentor: mei, mentee: priya, track: frontend, since: 2026-11-01 }
  - { mentor: bob, mentee: carlos, track: backend, since: 2026-01-01, until: 2026-06-30, status: ended }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, evidence: { merged_pr: { paths: ["src/**"] } } }
      - { id: design-review, title: Lead a design review, stage: practice, evidence: { merged_pr: { labels: [design] } } }
  frontend:
    milestones:
      - { id: first-ui, title: Ship a first UI change, stage: discovery, evidence: { merged_pr: {} } }
touchpoints: { minutes: { checkin: 25 } }
"#;

fn config() -> Config {
    mentor_core::config::parse("test.yml", CONFIG).expect("valid config")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-05T12:00:00Z").unwrap().with_timezone(&Utc)
}

fn pr(author: &str) -> PullRequestFacts {
    PullRequestFacts { number: 42, author: Some(Login::new(author)), ..Default::default() }
}

struct Call<'a> {
    config: &'a Config,
    templates: &'a TemplateSet,
    public: bool,
    maintainer: bool,
}

impl Call<'_> {
    /// Parses `line` and decides it as `actor` on a PR by `author`.
    fn run(&self, actor: &str, author: &str, line: &str) -> Decision {
        let commands = command::parse_commands(line);
        assert_eq!(commands.len(), 1, "{line}");
        let command = commands[0].clone().expect("parses");
        let actor = Login::new(actor);
        let pr = pr(author);
        let comment = Source {
            repo: "acme/api".into(),
            id: "comment/9".into(),
            url: Some("https://github.com/acme/api/pull/42#issuecomment-9".into()),
        };
        let ctx = CommandContext {
            config: self.config,
            templates: self.templates,
            actor: &actor,
            actor_is_maintainer: self.maintainer,
            pr: &pr,
            pr_url: Some("https://github.com/acme/api/pull/42"),
            comment: &comment,
            public_repo: self.public,
            now: now(),
        };
        command::decide(&command, &ctx)
    }
}

fn text(decision: &Decision) -> &str {
    match decision {
        Decision::Reply(t) | Decision::Denied(t) | Decision::Invalid(t) => t,
        Decision::Evidence { reply, .. } | Decision::Touchpoint { reply, .. } => reply,
        other => panic!("no text in {other:?}"),
    }
}

#[test]
fn who_may_run_what() {
    let config = config();
    let templates = template::resolve(template::builtin(), Vec::new());
    let call = Call { config: &config, templates: &templates, public: false, maintainer: false };

    assert!(
        matches!(call.run("anyone", "alice", "/mentor help"), Decision::Reply(t) if t.contains("`/mentor checkin [duration] [note…]`"))
    );
    assert_eq!(call.run("renovate[bot]", "alice", "/mentor help"), Decision::Ignored);

    // template: the mentee's mentor, or a maintainer.
    assert_eq!(
        call.run("bob", "alice", "/mentor template review-guide"),
        Decision::Template {
            id: "review-guide".into(),
            mentor: Login::new("bob"),
            mentee: Login::new("alice")
        }
    );
    let denied = call.run("mei", "alice", "/mentor template review-guide");
    assert!(matches!(denied, Decision::Denied(_)), "{denied:?}");
    assert!(
        text(&denied).starts_with(
            "only @alice's mentor or a maintainer can post templates here\n\nAsk @bob"
        )
    );
    let as_maintainer = Call { maintainer: true, ..call };
    assert!(matches!(
        as_maintainer.run("mei", "alice", "/mentor template first-pr"),
        Decision::Template { .. }
    ));
    let call = Call { maintainer: false, ..as_maintainer };
    let unknown = call.run("bob", "alice", "/mentor template nope");
    assert_eq!(
        text(&unknown),
        "unknown template `nope`\n\nKnown templates: `checkin`, `design-review`, `first-pr`, `review-guide`."
    );
    // carlos's pair has ended: he is not a mentee any more.
    assert!(
        matches!(call.run("bob", "carlos", "/mentor template review-guide"), Decision::Invalid(t) if t.starts_with("@carlos is not a mentee"))
    );

    // evidence: only the PR's author, a mentee with that milestone.
    assert!(
        matches!(call.run("bob", "alice", "/mentor evidence first-pr"), Decision::Denied(t) if t.starts_with("only @alice, who opened this pull request"))
    );
    assert!(
        matches!(call.run("bob", "bob", "/mentor evidence first-pr"), Decision::Invalid(t) if t.starts_with("@bob is not a mentee"))
    );
    let wrong = call.run("alice", "alice", "/mentor evidence first-ui");
    assert_eq!(
        text(&wrong),
        "unknown milestone `first-ui` on track `backend`\n\nValid milestones: `first-pr`, `design-review`."
    );

    // confirm/reject: only the author's mentor.
    assert!(
        matches!(call.run("mei", "alice", "/mentor confirm first-pr"), Decision::Denied(t) if t.contains("Ask @bob to run `/mentor confirm first-pr`"))
    );
    assert!(matches!(call.run("alice", "alice", "/mentor confirm first-pr"), Decision::Denied(_)));
    assert!(matches!(call.run("bob", "alice", "/mentor reject nope"), Decision::Invalid(_)));

    // checkin: either member of the pair, on the other's PR.
    assert!(matches!(call.run("bob", "alice", "/mentor checkin 20m"), Decision::Touchpoint { .. }));
    assert!(matches!(call.run("alice", "bob", "/mentor checkin"), Decision::Touchpoint { .. }));
    assert!(
        matches!(call.run("mei", "alice", "/mentor checkin 20m"), Decision::Denied(t) if t.starts_with("@mei and @alice are not a mentoring pair"))
    );
    assert!(
        matches!(call.run("alice", "alice", "/mentor checkin 20m"), Decision::Denied(t) if t.contains("Ask @bob to run `/mentor checkin` here"))
    );
}

#[test]
fn claims_confirmations_and_rejections_replace_each_other_in_the_report() {
    let config = config();
    let templates = template::resolve(template::builtin(), Vec::new());
    let call = Call { config: &config, templates: &templates, public: false, maintainer: false };
    let pair = &config.pairs[0];
    let row = |d: Decision| match d {
        Decision::Evidence { evidence, .. } => evidence,
        other => panic!("{other:?}"),
    };

    let claim = call.run("alice", "alice", "/mentor evidence design-review");
    assert!(
        text(&claim).contains("@bob can confirm it with `/mentor confirm design-review`"),
        "{}",
        text(&claim)
    );
    let claim = row(claim);
    assert_eq!(
        (claim.status, claim.rule, claim.source.as_str()),
        (EvidenceStatus::Claimed, RuleKind::Claim, "acme/api#42")
    );
    assert_eq!(claim.url.as_deref(), Some("https://github.com/acme/api/pull/42"));

    // The key is the one the automatic rule gives the same merged PR, so rows replace each other.
    let merged = Activity {
        kind: ActivityKind::PullRequestMerged,
        actor: Login::new("alice"),
        at: now(),
        source: Source { repo: "acme/api".into(), id: "pr/42".into(), url: None },
        pr: Some(PullRequestFacts { labels: Some(vec!["design".into()]), ..pr("alice") }),
        trailers: Vec::new(),
    };
    let auto = evidence::collect(&config, pair, &merged);
    let auto_design = auto.iter().find(|e| e.milestone == "design-review").expect("auto row");
    assert_eq!(auto_design.key, claim.key);

    let status = |rows: &[mentor_core::Evidence]| {
        let report = evidence::report(&config, pair, rows, Vantage::GitHub, now());
        report.milestones.iter().find(|m| m.id == "design-review").map(|m| m.status)
    };
    assert_eq!(status(std::slice::from_ref(&claim)), Some(MilestoneStatus::Undecided));
    let confirm = row(call.run("bob", "alice", "/mentor confirm design-review"));
    assert_eq!(
        (confirm.status, confirm.key.as_str()),
        (EvidenceStatus::Confirmed, claim.key.as_str())
    );
    assert_eq!(status(&[claim.clone(), confirm.clone()]), Some(MilestoneStatus::Met));
    let reject =
        row(call.run("bob", "alice", "/mentor reject design-review needs a written design doc"));
    assert_eq!(reject.reason, "rejected by bob: needs a written design doc");
    assert_eq!(status(&[claim, confirm, reject]), Some(MilestoneStatus::Open));
}

#[test]
fn checkins_become_touchpoints_with_their_minutes() {
    let config = config();
    let roster = Roster::new(&config);
    let templates = template::resolve(template::builtin(), Vec::new());
    let call = Call { config: &config, templates: &templates, public: false, maintainer: false };
    let activity = |d: Decision| match d {
        Decision::Touchpoint { activity, reply } => {
            assert!(reply.starts_with("Logged a "), "{reply}");
            activity
        }
        other => panic!("{other:?}"),
    };

    let a = activity(call.run("bob", "alice", "/mentor checkin 45m talked about retries"));
    assert_eq!(a.source.id, "comment/9#L1");
    let t = touchpoint::derive(&config, &roster, &a);
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].kind, t[0].minutes, t[0].mentor.as_str(), t[0].mentee.as_str()),
        (TouchpointKind::Checkin, 45, "bob", "alice")
    );

    // No duration: the configured default, from the mentee's side.
    let a = activity(call.run("alice", "bob", "/mentor checkin"));
    let t = touchpoint::derive(&config, &roster, &a);
    assert_eq!((t[0].minutes, t[0].mentor.as_str()), (25, "bob"));
}

#[test]
fn public_repositories_get_terse_replies() {
    let config = config();
    let templates = template::resolve(template::builtin(), Vec::new());
    let call = Call { config: &config, templates: &templates, public: true, maintainer: false };
    let claim = call.run("alice", "alice", "/mentor evidence first-pr");
    assert!(
        !text(&claim).contains("Ship a first change") && !text(&claim).contains("@bob"),
        "{}",
        text(&claim)
    );
    let unknown = call.run("alice", "alice", "/mentor evidence nope");
    assert!(!text(&unknown).contains("first-pr"), "milestone list leaked: {}", text(&unknown));
    let checkin = call.run("bob", "alice", "/mentor checkin 30m");
    assert_eq!(text(&checkin), "Logged a 30-minute check-in.");
}

#[test]
fn several_commands_in_one_comment_are_decided_one_by_one() {
    let body = "Thanks for the walkthrough!\n\n/mentor checkin 1h\n/mentor confirm first-pr\n\n```\n/mentor reject first-pr\n```\n/mentor frob\n";
    let parsed = command::parse_commands(body);
    let lines: Vec<usize> =
        parsed.iter().map(|r| r.as_ref().map_or_else(|e| e.line, |c| c.line)).collect();
    assert_eq!(lines, [3, 4, 9]);
    assert!(
        matches!(&parsed[1], Ok(c) if c.action == Action::Confirm { milestone: "first-pr".into() })
    );
    assert!(
        parsed[2].as_ref().unwrap_err().to_string().starts_with("unknown command `/mentor frob`")
    );
}

#[test]
fn review_feedback_is_tallied_without_text() {
    let reviews = [
        "**praise:** the retry split reads well.\n\nissue (blocking): the token is logged at debug level.\n\n> nit: quoted, not counted\n",
        "LGTM",
        "question: why a 30s timeout?\n```\ntodo: in code\n```",
        "",
    ];
    let mut mix = FeedbackMix::default();
    for body in reviews {
        mix.add_text(body);
    }
    assert_eq!((mix.praise, mix.issue, mix.question, mix.todo, mix.nitpick), (1, 1, 1, 0, 0));
    assert_eq!((mix.blocking, mix.unlabeled, mix.labelled()), (1, 1, 3));
    assert_eq!(
        classify("suggestion (non-blocking): x").map(|l| (l.kind, l.blocking)),
        Some((LabelKind::Suggestion, Some(false)))
    );
}

#[test]
fn review_guide_renders_for_the_pair_from_github_json() {
    let config = config();
    let pair = &config.pairs[0];
    let json = r#"{"number": 42, "title": "Retry webhooks", "html_url": "https://github.com/acme/api/pull/42",
        "user": {"login": "alice"}, "additions": 30, "deletions": 4, "changed_files": 3, "draft": true,
        "labels": [], "base": {"repo": {"full_name": "acme/api", "private": true}}}"#;
    let mut pr = PullRequest::from_github_json(json).unwrap();
    pr.changed_paths = Some(vec!["src/retry.rs".into()]);
    let in_play = template::milestones_in_play(&config, pair, &pr, &[], now());
    let set = template::resolve(template::builtin(), Vec::new());
    assert_eq!(
        set.for_mentee_pr(config.templates.on_mentee_pr.as_deref(), &pr, &in_play)
            .unwrap()
            .map(|t| t.id.as_str()),
        None
    );
    assert_eq!(
        set.for_mentee_pr(Some("review-guide"), &pr, &in_play).unwrap().map(|t| t.id.as_str()),
        Some("first-pr")
    );
    let ctx = template::context(&config, pair, &pr, in_play, &[], !pr.private, now());
    let guide = set.render("review-guide", &ctx).unwrap();
    assert!(
        guide.contains("@bob, Alice A (@alice) opened this pull request: +30 / -4 in 3 files."),
        "{guide}"
    );
    assert!(guide.contains("It is still a draft"), "{guide}");
    assert!(guide.contains("- `first-pr` Ship a first change (discovery): counts when merged: it changes `src/retry.rs` (matches `src/**`)"), "{guide}");
}

#[test]
fn snooze_pauses_the_actors_pair_and_names_it_only_in_private() {
    let config = config();
    let templates = template::resolve(template::builtin(), Vec::new());
    let call = Call { config: &config, templates: &templates, public: false, maintainer: false };
    let pair = (Login::new("bob"), Login::new("alice"));
    // The mentor on the mentee's PR, and the mentee on her own PR: the same pair, paused for a week.
    for (actor, author) in [("bob", "alice"), ("alice", "alice")] {
        match call.run(actor, author, "/mentor snooze 7d") {
            Decision::Snooze { pairs, until, reply } => {
                assert_eq!(pairs, vec![pair.clone()], "{actor}");
                assert_eq!(until, now() + chrono::Duration::days(7));
                assert_eq!(
                    reply,
                    "Reminders for @bob and @alice are paused until 2026-11-12 (1w)."
                );
            }
            other => panic!("{actor}: {other:?}"),
        }
    }
    // Someone outside the pair, or a pair that ended, cannot.
    assert!(
        matches!(call.run("mei", "alice", "/mentor snooze 7d"), Decision::Denied(t) if t.starts_with("@mei is not in a mentoring pair with @alice"))
    );
    assert!(matches!(call.run("bob", "carlos", "/mentor snooze 7d"), Decision::Denied(_)));
    // A public repository names no pair.
    let public = Call { public: true, ..call };
    assert!(
        matches!(public.run("bob", "alice", "/mentor snooze 2w"), Decision::Snooze { reply, .. } if reply == "Reminders for your pair are paused until 2026-11-19 (2w).")
    );
    // Durations outside 1h..90d, or none, are refused with the usage.
    for line in
        ["/mentor snooze", "/mentor snooze 10m", "/mentor snooze 100d", "/mentor snooze soon"]
    {
        let parsed = command::parse_commands(line);
        let err = parsed[0].clone().unwrap_err().to_string();
        assert!(err.ends_with("Usage: `/mentor snooze <duration>`"), "{line}: {err}");
    }
    assert!(matches!(
        command::parse_commands("/mentor snooze `3d`")[0].clone().unwrap().action,
        Action::Snooze { .. }
    ));
}
