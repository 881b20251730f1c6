//! The fixed inputs the targets render and merge against: a small program config and a pull request.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use mentor_core::Login;
use mentor_core::config::Config;
use mentor_core::template::{self, PullRequest};

/// A program with two people, one pair and a track whose milestones exercise every `merged_pr` filter.
pub const CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-11-02, timezone: Europe/Berlin }
people:
  bob: { name: Bob Lindqvist }
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-11-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, due: 2w, evidence: { merged_pr: { paths: ["src/**"] } } }
      - { id: design-review, title: Lead a design review, stage: practice, evidence: { merged_pr: { labels: [design], min_reviewers: 2 } } }
      - { id: reviewer, title: Reviews, stage: feedback, evidence: { review_given: { count: 2 } } }
"#;

/// Returns the parsed [`CONFIG`].
pub fn config() -> &'static Config {
    static CONFIG_CELL: OnceLock<Config> = OnceLock::new();
    CONFIG_CELL.get_or_init(|| match mentor_core::config::parse("fuzz.yml", CONFIG) {
        Ok(config) => config,
        Err(e) => panic!("the fuzz config does not parse: {e}"),
    })
}

/// Returns the time every target treats as now.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_694_400, 0).unwrap_or_default()
}

/// Returns the render context of the pair in [`config`] for a labelled pull request, as the worker builds it.
pub fn render_context() -> &'static minijinja::Value {
    static CONTEXT: OnceLock<minijinja::Value> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let config = config();
        let pair = &config.pairs[0];
        let pr = PullRequest {
            repo: "acme/api".into(),
            private: true,
            number: 7,
            title: "Add retries".into(),
            url: "https://github.com/acme/api/pull/7".into(),
            author: Login::new("alice"),
            draft: false,
            additions: 40,
            deletions: 3,
            changed_files: 2,
            labels: vec!["design".into()],
            changed_paths: Some(vec!["src/lib.rs".into()]),
        };
        let in_play = template::milestones_in_play(config, pair, &pr, &[], now());
        let ctx = template::context(config, pair, &pr, in_play, &[], false, now());
        minijinja::Value::from_serialize(&ctx)
    })
}
