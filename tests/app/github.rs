//! `LiveGitHub`, `ConfigSource` and `enrich` against the strict fake GitHub of `fake_github.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mentor_app::config_source::{ConfigSource, ConfigSourceError, enrich};
use mentor_app::github::{
    ChangedFile, GitHubApi, GitHubError, GitHubSettings, LiveGitHub, Patience,
};
use mentor_core::{Activity, ActivityKind, Login, PullRequestFacts, Source};

use crate::fake_github::{APP_ID, FakeGitHub, Fault, private_key_pem};

const INSTALLATION: u64 = 77;
const CONFIG: &str = ".github/mentorship.yml";

/// The live client for the test App, talking to `api_url`, with the default patience.
fn client_at(api_url: String) -> LiveGitHub {
    LiveGitHub::new(GitHubSettings {
        api_url,
        app_id: APP_ID,
        private_key_pem: private_key_pem().into(),
    })
    .unwrap()
}

fn client(fake: &FakeGitHub) -> LiveGitHub {
    client_at(fake.api_url()).with_patience(Patience {
        max_wait: Duration::from_secs(5),
        rate_limit_retries: 3,
        server_error_retries: 2,
        backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
    })
}

/// Asserts that the fake accepted every request (a rejection means the client sent something GitHub refuses).
fn assert_all_accepted(fake: &FakeGitHub) {
    for r in fake.requests() {
        assert_eq!(r.rejected, None, "{} {} was rejected", r.method, r.path);
    }
}

#[tokio::test]
async fn github_one_token_serves_several_calls() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "people: {}\n");
    fake.put_pr_files("acme/api", 1, &[("src/a.rs", 1, 2)]);
    let github = client(&fake);
    // Concurrent calls on a cold cache still share one token.
    let (a, b, c) = tokio::join!(
        github.file_text(INSTALLATION, "acme/api", CONFIG),
        github.file_text(INSTALLATION, "acme/api", CONFIG),
        github.pull_request_files(INSTALLATION, "acme/api", 1),
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    for _ in 0..3 {
        assert_eq!(
            github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap().as_deref(),
            Some("people: {}\n")
        );
    }
    let files = github.pull_request_files(INSTALLATION, "acme/api", 1).await.unwrap();
    assert_eq!(
        files,
        vec![ChangedFile { path: "src/a.rs".to_owned(), additions: 1, deletions: 2 }]
    );
    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(fake.count("/access_tokens"), 1);
    assert_all_accepted(&fake);
    // Every request, the App's token exchange included, carries exactly one of each header octocrab or Mentor set.
    for r in fake.requests() {
        assert_eq!(r.user_agents, vec![format!("mentor-app/{}", env!("CARGO_PKG_VERSION"))]);
        assert_eq!(r.api_versions, vec!["2022-11-28".to_owned()], "{} {}", r.method, r.path);
        assert_eq!(r.authorizations, 1, "{} {}", r.method, r.path);
    }
}

#[tokio::test]
async fn github_token_close_to_expiry_is_replaced_before_use() {
    // Tokens that live 4 minutes are inside the 5-minute safety margin: every call needs a new one.
    let fake = FakeGitHub::start_with("", Duration::from_secs(240)).await;
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let github = client(&fake);
    github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap();
    github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap();
    assert_eq!(fake.tokens_issued(), 2);
    assert_all_accepted(&fake);
}

#[tokio::test]
async fn github_revoked_token_is_refreshed_on_401() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let github = client(&fake);
    github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap();
    fake.inject("/contents/", Fault::Unauthorized);
    assert_eq!(
        github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap().as_deref(),
        Some("x: 1\n")
    );
    assert_eq!(fake.tokens_issued(), 2);
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.path.contains("/contents/"))
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(statuses, vec![200, 401, 200]);

    // A token refused twice in a row is refreshed once only; the error names the call, never a token.
    fake.inject("/contents/", Fault::Unauthorized);
    fake.inject("/contents/", Fault::Unauthorized);
    let err = github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap_err();
    assert!(matches!(&err, GitHubError::Permanent(m) if m.contains("401")), "{err}");
    assert!(!err.to_string().contains("ghs_"), "{err}");
    assert_eq!(fake.tokens_issued(), 3);
    assert_eq!(fake.count("/contents/"), 5);
}

#[tokio::test]
async fn github_lists_follow_every_page() {
    let fake = FakeGitHub::start().await;
    let names: Vec<String> = (0..150).map(|i| format!("src/f{i}.rs")).collect();
    let files: Vec<(&str, u64, u64)> = names.iter().map(|n| (n.as_str(), 2, 1)).collect();
    fake.put_pr_files("acme/api", 9, &files);
    let github = client(&fake);
    let got = github.pull_request_files(INSTALLATION, "acme/api", 9).await.unwrap();
    assert_eq!(got.len(), 150);
    assert_eq!(got[149].path, "src/f149.rs");
    let queries: Vec<Option<String>> = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/files"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(
        queries,
        vec![Some("per_page=100".to_owned()), Some("per_page=100&page=2".to_owned())]
    );
    assert_all_accepted(&fake);
}

#[tokio::test]
async fn github_waits_for_an_exhausted_rate_limit_to_reset() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let github = client(&fake);
    fake.inject("/contents/", Fault::RateLimitReset(1));
    let text = github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap();
    assert_eq!(text.as_deref(), Some("x: 1\n"));
    let reset = fake.announced_resets()[0];
    assert!(SystemTime::now() >= reset, "retried before the announced reset");
    assert_eq!(fake.count("/contents/"), 2);
}

#[tokio::test]
async fn github_waits_before_calling_when_the_last_answer_spent_the_quota() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let github = client(&fake);
    fake.inject("/contents/", Fault::SpendQuota(1));
    github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap();
    github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap();
    assert!(SystemTime::now() >= fake.announced_resets()[0]);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses,
        vec![201, 200, 200],
        "the second call must wait instead of hitting the limit"
    );
}

#[tokio::test]
async fn github_honours_retry_after_on_secondary_limits() {
    let fake = FakeGitHub::start().await;
    fake.put_pr_reviews("acme/api", 3, &[("bob", "User", "APPROVED")]);
    let github = client(&fake);
    fake.inject("/reviews", Fault::RetryAfter(1));
    let start = Instant::now();
    let reviews = github.pull_request_reviews(INSTALLATION, "acme/api", 3).await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1), "{:?}", start.elapsed());
    assert_eq!(reviews.len(), 1);
    assert_eq!(fake.count("/reviews"), 2);
}

#[tokio::test]
async fn github_rate_limit_beyond_patience_is_transient_at_once() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let github = client(&fake);
    fake.inject("/contents/", Fault::RetryAfter(3600));
    let start = Instant::now();
    let err = github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(matches!(&err, GitHubError::Transient(m) if m.contains("rate limited")), "{err}");
}

#[tokio::test]
async fn github_server_errors_are_retried_then_transient() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let github = client(&fake);
    fake.inject("/contents/", Fault::ServerError);
    assert_eq!(
        github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap().as_deref(),
        Some("x: 1\n")
    );
    assert_eq!(fake.count("/contents/"), 2);

    for _ in 0..3 {
        fake.inject("/contents/", Fault::ServerError);
    }
    let err = github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap_err();
    assert!(matches!(&err, GitHubError::Transient(m) if m.contains("500")), "{err}");
    assert_eq!(fake.count("/contents/"), 5);
}

#[tokio::test]
async fn github_unreachable_server_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let github = client_at(url)
        .with_patience(Patience { backoff: Duration::from_millis(10), ..Patience::default() });
    let err = github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap_err();
    assert!(
        matches!(&err, GitHubError::Transient(m) if m.contains("POST /app/installations/77/access_tokens") && m.contains("onnect")),
        "{err}"
    );
}

/// Answers installation 77's token exchange once (wiremock) with `reply` plus an `expires_at` an hour ahead.
async fn mount_token(server: &wiremock::MockServer, mut reply: serde_json::Value) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    reply["expires_at"] = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339().into();
    Mock::given(method("POST"))
        .and(path("/app/installations/77/access_tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(reply))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn github_redirects_are_followed_with_the_token_on_the_same_host() {
    // A renamed repository answers 301 with its new location, as GitHub does. (wiremock, not the fake: the fake
    // serves no redirects.)
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    mount_token(&server, serde_json::json!({"token": "ghs_moved", "permissions": {}})).await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/old"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("location", format!("{}/repositories/1", server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/1"))
        .and(header("authorization", "token ghs_moved"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"private": false, "visibility": "public"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let github = client_at(server.uri());
    assert!(!github.repository_is_private(INSTALLATION, "acme/old").await.unwrap());
}

#[tokio::test]
async fn a_token_reply_with_only_the_required_fields_is_accepted() {
    // GitHub's schema (`installation-token`) requires only `token` and `expires_at`; octocrab's model also wants
    // `permissions`, which once failed every delivery against a server that left it out.
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    mount_token(&server, serde_json::json!({"token": "ghs_min"})).await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/api"))
        .and(header("authorization", "token ghs_min"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"private": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let github = client_at(server.uri());
    assert!(github.repository_is_private(INSTALLATION, "acme/api").await.unwrap());
}

#[tokio::test]
async fn github_missing_files_are_none_and_client_errors_permanent() {
    let fake = FakeGitHub::start().await;
    let github = client(&fake);
    assert_eq!(github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap(), None);
    let err = github.pull_request_files(INSTALLATION, "acme/api", 404).await.unwrap_err();
    assert!(matches!(err, GitHubError::Permanent(_)), "{err}");
    assert!(matches!(
        github.file_text(INSTALLATION, "not-a-repo", CONFIG).await.unwrap_err(),
        GitHubError::Permanent(_)
    ));
    assert_all_accepted(&fake);
}

#[tokio::test]
async fn github_enterprise_paths_keep_the_api_prefix() {
    let fake = FakeGitHub::start_with("/api/v3", Duration::from_secs(3600)).await;
    assert!(fake.api_url().ends_with("/api/v3"));
    fake.put_file("acme/api", CONFIG, "x: 1\n");
    let names: Vec<String> = (0..120).map(|i| format!("f{i}")).collect();
    let files: Vec<(&str, u64, u64)> = names.iter().map(|n| (n.as_str(), 1, 0)).collect();
    fake.put_pr_files("acme/api", 5, &files);
    let github = client(&fake);
    assert_eq!(
        github.file_text(INSTALLATION, "acme/api", CONFIG).await.unwrap().as_deref(),
        Some("x: 1\n")
    );
    assert_eq!(github.pull_request_files(INSTALLATION, "acme/api", 5).await.unwrap().len(), 120);
    let requests = fake.requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    for r in &requests {
        assert!(r.path.starts_with("/api/v3/"), "{}", r.path);
    }
    assert_all_accepted(&fake);
}

#[tokio::test]
async fn github_fake_rejects_what_github_would() {
    let fake = FakeGitHub::start().await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", fake.api_url()));
    let unknown = get("/repos/acme/api/no-such-endpoint")
        .header("user-agent", "t")
        .header("accept", "application/vnd.github+json")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let no_agent = get("/repos/acme/api/pulls/1/files").header("accept", "x").send().await.unwrap();
    assert_eq!(no_agent.status(), 403);
    let no_token = get("/repos/acme/api/pulls/1/files")
        .header("user-agent", "t")
        .header("accept", "x")
        .send()
        .await;
    assert_eq!(no_token.unwrap().status(), 401);
    let forged_jwt = http
        .post(format!("{}/app/installations/1/access_tokens", fake.api_url()))
        .header("user-agent", "t")
        .header("accept", "x")
        .header("authorization", "Bearer e30.e30.sig")
        .send()
        .await
        .unwrap();
    assert_eq!(forged_jwt.status(), 401);
    let wrong_method = http
        .delete(format!("{}/repos/acme/api/pulls/1/files", fake.api_url()))
        .header("user-agent", "t")
        .header("accept", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(fake.requests().iter().all(|r| r.rejected.is_some()));
}

/// GitHub refuses a comment or issue body over 65,536 characters (characters, not bytes) with a 422, which the
/// client reports as permanent: what the journal's length limit guards against.
#[tokio::test]
async fn github_fake_refuses_a_body_longer_than_github_allows() {
    let fake = FakeGitHub::start().await;
    fake.add_installation(INSTALLATION, "acme", &["acme/api"]);
    let github = client(&fake);
    let longest = "é".repeat(65_536);
    github.create_issue_comment(INSTALLATION, "acme/api", 1, &longest).await.unwrap();
    github.create_issue(INSTALLATION, "acme/api", "t", &longest).await.unwrap();
    let over = format!("{longest}x");
    let err = github.create_issue_comment(INSTALLATION, "acme/api", 1, &over).await.unwrap_err();
    assert!(matches!(err, GitHubError::Permanent(_)), "{err}");
    assert!(err.to_string().contains("body is too long (maximum is 65536 characters)"), "{err}");
    let err = github.create_issue(INSTALLATION, "acme/api", "t", &over).await.unwrap_err();
    assert!(err.to_string().contains("body is too long"), "{err}");
    assert_eq!(fake.all_comments().len(), 1);
    assert_eq!(fake.issues("acme/api").len(), 1);
}

// ---- config source ----

const PEOPLE_AND_TRACKS: &str = "\
sprints: { length: 2w, start: 2026-01-05, timezone: Europe/Berlin }
people:
  bob: { tier: senior }
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, evidence: { merged_pr: { paths: [\"src/**\"] } } }
templates: { on_mentee_pr: org-guide }
";

fn source(fake: &FakeGitHub) -> ConfigSource {
    ConfigSource::new(Arc::new(client(fake)))
}

/// The problems `configs` reports for the org `acme`, one line each.
fn acme_problems(configs: &ConfigSource) -> Vec<String> {
    configs
        .states()
        .into_iter()
        .find(|(org, _)| org == "acme")
        .map(|(_, state)| state.problems)
        .unwrap_or_default()
}

#[tokio::test]
async fn github_org_config_comes_from_the_org_github_repo_and_each_repo_keeps_its_templates() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/.github", CONFIG, PEOPLE_AND_TRACKS);
    fake.put_file(
        "acme/api",
        CONFIG,
        "_extends: .github\ntemplates: { on_mentee_pr: api-guide }\n",
    );
    let configs = source(&fake);
    let web = configs.config_for(INSTALLATION, "acme/web").await.unwrap().expect("org config");
    assert_eq!(web.templates.on_mentee_pr.as_deref(), Some("org-guide"));
    assert!(web.person(&Login::new("alice")).is_some());
    let api = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    assert_eq!(
        api.templates.on_mentee_pr.as_deref(),
        Some("api-guide"),
        "templates are per repository"
    );
    assert_eq!(api.pairs.len(), 1, "the same pair from two files is one pair");
    // The app found the repositories itself: one listing, then each repository's file once.
    let mut paths: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.path.contains("/contents/") || r.path.starts_with("/installation/"))
        .map(|r| r.path.clone())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/installation/repositories",
            "/repos/acme/.github/contents/.github/mentorship.yml",
            "/repos/acme/api/contents/.github/mentorship.yml",
            // Seen in a delivery: asked too, though the installation does not list it.
            "/repos/acme/web/contents/.github/mentorship.yml",
        ]
    );
    let state = configs.states();
    assert_eq!(state.len(), 1);
    assert_eq!(state[0].1.repos, ["acme/.github", "acme/api"]);
    assert!(state[0].1.problems.is_empty(), "{:?}", state[0].1.problems);

    // Cached: asking again costs nothing.
    fake.clear_requests();
    configs.config_for(INSTALLATION, "acme/web").await.unwrap();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn github_org_config_merges_repos_and_reports_a_conflict_naming_both_files() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/.github", CONFIG, PEOPLE_AND_TRACKS);
    // A team that keeps its own pairs in its repository, standalone.
    fake.put_file(
        "acme/api",
        CONFIG,
        "people:\n  dave: { tier: senior }\n  carol: {}\npairs:\n  - { mentor: dave, mentee: carol, track: api, since: 2026-09-01 }\n\
         tracks:\n  api:\n    milestones:\n      - { id: first-api, title: First API change, stage: discovery }\n",
    );
    let configs = source(&fake);
    let merged = configs.org_config(INSTALLATION, "acme").await.unwrap().unwrap();
    assert_eq!(merged.config.people.len(), 4);
    assert_eq!(merged.config.pairs.len(), 2);
    assert!(merged.config.track("api").is_some() && merged.config.track("backend").is_some());

    // bob defined differently in a third repository: a problem naming both places, and the org keeps its last
    // good merged config (never a silent pick).
    fake.put_file("acme/web", CONFIG, "people:\n  bob: { tier: principal }\n");
    configs.invalidate_org("acme");
    let kept = configs.org_config(INSTALLATION, "acme").await.unwrap().unwrap();
    assert_eq!(kept.config.hash, merged.config.hash);
    let problems = acme_problems(&configs);
    assert!(
        problems.iter().any(|p| p.contains("bob")
            && p.contains("acme/.github:.github/mentorship.yml:")
            && p.contains("acme/web:.github/mentorship.yml:")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn github_extends_problems_are_reported_and_the_rest_of_the_org_still_counts() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/.github", CONFIG, PEOPLE_AND_TRACKS);
    fake.put_file("acme/web", CONFIG, "_extends: acme/shared\n");
    fake.put_file(
        "acme/shared",
        CONFIG,
        "_extends: .github\ntemplates: { on_mentee_pr: shared }\n",
    );
    fake.put_file("acme/loop", CONFIG, "_extends: loop\n");
    fake.put_file("acme/dangling", CONFIG, "_extends: nowhere\n");
    // A flow-style base cannot be merged section by section: say so instead of dropping it.
    fake.put_file("acme/flowy", CONFIG, "_extends: flowbase\n");
    fake.put_file("acme/flowbase", CONFIG, "# org\n{sprints: {length: 2w}}\n");
    // An installation token is only used on its own account's repositories.
    fake.put_file("acme/foreign", CONFIG, "_extends: other/base\n");
    let configs = source(&fake);
    let web = configs.config_for(INSTALLATION, "acme/web").await.unwrap().unwrap();
    assert_eq!(web.templates.on_mentee_pr.as_deref(), Some("shared"), "a chain of two hops");
    assert_eq!(web.pairs.len(), 1);
    let problems = acme_problems(&configs).join("\n");
    assert!(problems.contains("loops back"), "{problems}");
    assert!(
        problems.contains("acme/nowhere:.github/mentorship.yml, which does not exist"),
        "{problems}"
    );
    assert!(
        problems.contains("acme/flowbase:.github/mentorship.yml:2:1: content outside"),
        "{problems}"
    );
    assert!(problems.contains("names a repository of another account"), "{problems}");
    assert!(
        !fake.requests().iter().any(|r| r.path.starts_with("/repos/other/")),
        "nothing was read from another account"
    );
}

#[tokio::test]
async fn github_broken_config_keeps_the_last_good_one_in_force() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, PEOPLE_AND_TRACKS);
    let configs = source(&fake);
    let good = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();

    fake.put_file("acme/api", CONFIG, &format!("{PEOPLE_AND_TRACKS}surprise: true\n"));
    // Without an invalidation the cached config is used as is.
    fake.clear_requests();
    configs.config_for(INSTALLATION, "acme/api").await.unwrap();
    assert!(fake.requests().is_empty());

    configs.invalidate("acme/api");
    let still = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    assert_eq!(still.hash, good.hash);
    let problems = acme_problems(&configs);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("acme/api:.github/mentorship.yml:12:"), "{}", problems[0]);

    // The failure is cached too: the broken file is not fetched again on the next event.
    fake.clear_requests();
    configs.config_for(INSTALLATION, "acme/api").await.unwrap();
    assert!(fake.requests().is_empty());

    // A fixed file replaces the good one and clears the problem.
    fake.put_file("acme/api", CONFIG, &PEOPLE_AND_TRACKS.replace("org-guide", "fixed"));
    configs.invalidate("acme/api");
    let fixed = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    assert_eq!(fixed.templates.on_mentee_pr.as_deref(), Some("fixed"));
    assert!(acme_problems(&configs).is_empty());
}

#[tokio::test]
async fn github_unreachable_github_keeps_the_last_good_config_in_force() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, PEOPLE_AND_TRACKS);
    let configs = source(&fake);
    let good = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    configs.invalidate("acme/api");
    for _ in 0..3 {
        fake.inject("/contents/", Fault::ServerError);
    }
    let still = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    assert_eq!(still.hash, good.hash);
    let problems = acme_problems(&configs);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("cannot read the mentorship config of acme/"), "{problems:?}");

    // Without a good config to fall back on, the failure is an error the worker can retry.
    let fresh = source(&fake);
    for _ in 0..6 {
        fake.inject("/contents/", Fault::ServerError);
    }
    let err = fresh.config_for(INSTALLATION, "acme/api").await.unwrap_err();
    assert!(matches!(err, ConfigSourceError::Unreachable { transient: true, .. }), "{err}");
}

#[tokio::test]
async fn github_org_push_invalidates_repos_that_read_the_org_file() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/.github", CONFIG, PEOPLE_AND_TRACKS);
    fake.put_file("acme/api", CONFIG, "_extends: .github\n");
    let configs = source(&fake);
    configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    configs.config_for(INSTALLATION, "acme/web").await.unwrap().unwrap();
    fake.put_file("acme/.github", CONFIG, &PEOPLE_AND_TRACKS.replace("org-guide", "v2"));
    configs.invalidate("acme/.github");
    for repo in ["acme/api", "acme/web"] {
        let config = configs.config_for(INSTALLATION, repo).await.unwrap().unwrap();
        assert_eq!(config.templates.on_mentee_pr.as_deref(), Some("v2"), "{repo}");
    }
}

#[tokio::test]
async fn github_broken_config_without_a_good_one_is_an_error_naming_the_file() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, "people: [\n");
    let configs = source(&fake);
    let err = configs.config_for(INSTALLATION, "acme/api").await.unwrap_err();
    assert!(err.to_string().contains("acme/api:.github/mentorship.yml:"), "{err}");
}

/// When the installation's repositories cannot be listed, the repositories seen in deliveries still count, and the
/// failure is a problem the operator sees.
#[tokio::test]
async fn github_repositories_seen_in_deliveries_count_when_the_listing_fails() {
    let fake = FakeGitHub::start().await;
    fake.put_file("acme/api", CONFIG, PEOPLE_AND_TRACKS);
    for _ in 0..3 {
        fake.inject("/installation/repositories", Fault::ServerError);
    }
    let configs = source(&fake);
    let api = configs.config_for(INSTALLATION, "acme/api").await.unwrap().unwrap();
    assert_eq!(api.pairs.len(), 1);
    let problems = acme_problems(&configs);
    assert!(
        problems.iter().any(|p| p.contains("cannot list the installation's repositories")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn github_installation_tokens_work_only_on_their_own_accounts_repositories() {
    let fake = FakeGitHub::start().await;
    let many: Vec<String> = (0..150).map(|i| format!("acme/r{i:03}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    fake.add_installation(1, "acme", &many);
    fake.add_installation(2, "globex", &["globex/app"]);
    fake.put_file("acme/r007", CONFIG, PEOPLE_AND_TRACKS);
    fake.put_file("globex/app", CONFIG, PEOPLE_AND_TRACKS);
    let github = client(&fake);
    // The listing is paged like GitHub's (100 per page), and each installation sees its own account.
    let acme = github.installation_repositories(1).await.unwrap();
    assert_eq!(acme.len(), 150);
    assert_eq!(fake.count("/installation/repositories"), 2, "two pages");
    assert_eq!(github.installation_repositories(2).await.unwrap(), ["globex/app"]);

    // The config source reads each org with its own installation's token and never crosses accounts.
    let configs = source(&fake);
    assert!(configs.org_config(1, "acme").await.unwrap().is_some());
    assert!(configs.org_config(2, "globex").await.unwrap().is_some());
    let crossed: Vec<_> = fake.requests().into_iter().filter(|r| r.rejected.is_some()).collect();
    assert!(crossed.is_empty(), "{crossed:?}");

    // What GitHub answers a token used on another account's repository: 404, as if it did not exist.
    fake.clear_requests();
    assert_eq!(github.file_text(1, "globex/app", CONFIG).await.unwrap(), None);
    let rejected = fake.requests().into_iter().find_map(|r| r.rejected).unwrap();
    assert!(
        rejected.contains("installation 1 (acme) was used on a repository of globex"),
        "{rejected}"
    );
}

#[tokio::test]
async fn github_org_and_team_memberships_are_read_with_the_installation_token() {
    let fake = FakeGitHub::start().await;
    fake.add_installation(1, "acme", &["acme/api"]);
    fake.set_membership("acme", "olga", "admin");
    fake.set_membership("acme", "mona", "member");
    fake.add_team_member("acme", "eng-managers", "mona");
    let github = client(&fake);
    assert_eq!(github.org_role(1, "acme", "olga").await.unwrap().as_deref(), Some("admin"));
    assert_eq!(github.org_role(1, "acme", "mona").await.unwrap().as_deref(), Some("member"));
    assert_eq!(github.org_role(1, "acme", "zed").await.unwrap(), None, "404: not a member");
    assert!(github.team_member(1, "acme", "eng-managers", "mona").await.unwrap());
    assert!(!github.team_member(1, "acme", "eng-managers", "olga").await.unwrap());
    assert!(fake.requests().iter().all(|r| r.rejected.is_none()), "{:?}", fake.requests());
}

// ---- enrich ----

fn merged_pr(author: &str, facts: PullRequestFacts) -> Activity {
    Activity {
        kind: ActivityKind::PullRequestMerged,
        actor: Login::new(author),
        at: chrono::Utc::now(),
        source: Source {
            repo: "acme/api".to_owned(),
            id: format!("pr/{}", facts.number),
            url: None,
        },
        pr: Some(PullRequestFacts { author: Some(Login::new(author)), ..facts }),
        trailers: Vec::new(),
    }
}

fn parse(text: &str) -> mentor_core::Config {
    mentor_core::config::parse("test.yml", text).unwrap()
}

#[tokio::test]
async fn github_enrich_fetches_files_only_when_a_rule_needs_them() {
    let fake = FakeGitHub::start().await;
    fake.put_pr_files("acme/api", 7, &[("src/a.rs", 10, 5), ("README.md", 1, 0)]);
    let github = client(&fake);
    let config = parse(PEOPLE_AND_TRACKS);

    // alice's track has a `paths` rule and the payload had no paths: fetch them.
    let mut activity = merged_pr(
        "alice",
        PullRequestFacts { number: 7, changed_lines: Some(16), ..Default::default() },
    );
    enrich(&github, &config, INSTALLATION, "acme/api", &mut activity).await.unwrap();
    let pr = activity.pr.as_ref().unwrap();
    assert_eq!(pr.changed_paths, Some(vec!["src/a.rs".to_owned(), "README.md".to_owned()]));
    assert_eq!(pr.changed_lines, Some(16), "payload line counts are kept");
    assert_eq!(pr.reviewers, None, "no rule needs reviewers");
    assert_eq!(fake.count("/files"), 1);
    assert_eq!(fake.count("/reviews"), 0);

    // bob mentors nobody's track as a mentee: nothing to fetch.
    fake.clear_requests();
    let mut by_bob = merged_pr("bob", PullRequestFacts { number: 7, ..Default::default() });
    enrich(&github, &config, INSTALLATION, "acme/api", &mut by_bob).await.unwrap();
    assert!(fake.requests().is_empty());
    assert_eq!(by_bob.pr.unwrap().changed_paths, None);

    // Other activities are never enriched.
    let mut opened = merged_pr("alice", PullRequestFacts { number: 7, ..Default::default() });
    opened.kind = ActivityKind::PullRequestOpened;
    enrich(&github, &config, INSTALLATION, "acme/api", &mut opened).await.unwrap();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn github_enrich_reads_the_landed_commits_trailers_like_the_cli() {
    let fake = FakeGitHub::start().await;
    fake.put_pr_files("acme/api", 9, &[("src/a.rs", 1, 1)]);
    let sha = "0123456789abcdef0123456789abcdef01234567";
    fake.put_commit(
        "acme/api",
        sha,
        "Add a thing (#9)\n\nCo-authored-by: Bob Builder <bob@example.com>\nMilestone: first-pr\n",
    );
    let github = client(&fake);
    let config = parse(PEOPLE_AND_TRACKS);
    let facts =
        PullRequestFacts { number: 9, merge_commit: Some(sha.to_owned()), ..Default::default() };
    let mut activity = merged_pr("alice", facts);
    enrich(&github, &config, INSTALLATION, "acme/api", &mut activity).await.unwrap();
    assert_eq!(
        activity.trailers,
        vec![
            mentor_core::Trailer::new("Co-authored-by", "Bob Builder <bob@example.com>"),
            mentor_core::Trailer::new("Milestone", "first-pr"),
        ]
    );
    assert_eq!(fake.count("/commits/"), 1);

    // An unknown commit leaves the activity without trailers, and someone outside the program is not looked up.
    fake.clear_requests();
    let facts =
        PullRequestFacts { number: 9, merge_commit: Some("f".repeat(40)), ..Default::default() };
    let mut unknown = merged_pr("alice", facts);
    enrich(&github, &config, INSTALLATION, "acme/api", &mut unknown).await.unwrap();
    assert!(unknown.trailers.is_empty());
    let facts =
        PullRequestFacts { number: 9, merge_commit: Some(sha.to_owned()), ..Default::default() };
    let mut stranger = merged_pr("stranger", facts);
    enrich(&github, &config, INSTALLATION, "acme/api", &mut stranger).await.unwrap();
    assert!(stranger.trailers.is_empty());
    assert_eq!(fake.count("/commits/"), 1);
}

#[tokio::test]
async fn github_enrich_counts_distinct_human_reviewers_other_than_the_author() {
    let fake = FakeGitHub::start().await;
    fake.put_pr_reviews(
        "acme/api",
        8,
        &[
            ("bob", "User", "COMMENTED"),
            ("Bob", "User", "APPROVED"),
            ("alice", "User", "COMMENTED"),
            ("dana", "User", "DISMISSED"),
            ("mei", "User", "PENDING"),
            ("ci[bot]", "Bot", "APPROVED"),
            ("helper", "Bot", "APPROVED"),
            ("carlos", "User", "CHANGES_REQUESTED"),
        ],
    );
    let github = client(&fake);
    let config = parse(&PEOPLE_AND_TRACKS.replace(
        "merged_pr: { paths: [\"src/**\"] }",
        "merged_pr: { labels: [design], min_reviewers: 2 }",
    ));
    let mut activity = merged_pr("alice", PullRequestFacts { number: 8, ..Default::default() });
    enrich(&github, &config, INSTALLATION, "acme/api", &mut activity).await.unwrap();
    let pr = activity.pr.unwrap();
    assert_eq!(pr.reviewers, Some(vec![Login::new("bob"), Login::new("carlos")]));
    assert_eq!(pr.changed_paths, None);
    assert_eq!(fake.count("/files"), 0);
    assert_eq!(fake.count("/reviews"), 1);
}
