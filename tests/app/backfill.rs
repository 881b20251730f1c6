//! History through GitHub's GraphQL API: the merged-pull-request query is typed from GitHub's schema at build
//! time, and the fake GitHub validates every query it receives against the same schema.

use crate::fake_graphql::{FakePull, FakePullReview, validate_query};
use crate::outbox::live;
use crate::util::*;

fn pull(number: u64, merged_at: &str) -> FakePull {
    FakePull {
        number,
        title: format!("Change {number}"),
        author: "alice".into(),
        merged_at: merged_at.into(),
        labels: vec!["backend".into()],
        files: vec![("src/lib.rs".into(), 10, 2)],
        merge_message: format!("Change {number}\n\nMentored-by: bob <bob@example.com>\n"),
        reviews: vec![FakePullReview {
            id: 100 + number,
            author: "bob".into(),
            state: "APPROVED".into(),
            body: "praise: tidy".into(),
            submitted_at: merged_at.into(),
            comments: vec![(
                500 + number,
                "bob".into(),
                "nitpick: a typo".into(),
                merged_at.into(),
            )],
        }],
        comments: vec![(900 + number, "bob".into(), "Thanks!".into(), merged_at.into())],
    }
}

#[test]
fn the_apps_queries_are_valid_against_githubs_schema_and_bad_ones_are_named() {
    let query = std::fs::read_to_string(root().join("app/graphql/merged_pulls.graphql")).unwrap();
    assert_eq!(validate_query(&query), Ok(()));
    let errors = validate_query("query { repository(owner: \"a\", name: \"b\") { pullRequests(first: 1) { nodes { nope } } } }")
        .unwrap_err();
    let text = serde_json::to_string(&errors).unwrap();
    assert!(text.contains("nope") && text.contains("PullRequest"), "{text}");
}

#[tokio::test]
async fn merged_pulls_pages_through_a_repositorys_history_over_graphql() {
    // Parsing GitHub's 1.2 MB schema takes a while in a debug build: do it before the client's timeouts run.
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    let fake = crate::fake_github::FakeGitHub::start().await;
    fake.add_installation(1, "acme", &["acme/api"]);
    for (n, at) in
        [(1, "2026-10-01T10:00:00Z"), (2, "2026-10-05T10:00:00Z"), (3, "2026-10-09T10:00:00Z")]
    {
        fake.add_merged_pull("acme/api", pull(n, at));
    }
    let github = live(&fake);
    use mentor_app::github::graphql::{MergedPulls, merged_pulls, query};
    let vars = |name: &str, first: i64, after: Option<String>| merged_pulls::Variables {
        owner: "acme".into(),
        name: name.into(),
        first,
        after,
    };
    let first = query::<MergedPulls>(&*github, 1, vars("api", 2, None)).await.unwrap();
    let repo = first.repository.unwrap();
    let page = repo.pull_requests;
    let nodes: Vec<_> = page.nodes.unwrap().into_iter().flatten().collect();
    assert_eq!(nodes.iter().map(|p| p.number).collect::<Vec<_>>(), [3, 2], "newest first");
    assert!(page.page_info.has_next_page);
    let p = &nodes[0];
    assert_eq!(p.merged_at.map(|t| t.to_rfc3339()), Some("2026-10-09T10:00:00+00:00".into()));
    let reviews: Vec<_> = p.reviews.as_ref().unwrap().nodes.iter().flatten().flatten().collect();
    assert_eq!(reviews[0].full_database_id.as_deref(), Some("103"));
    assert_eq!(reviews[0].comments.total_count, 1);
    assert!(p.merge_commit.as_ref().unwrap().message.contains("Mentored-by: bob"));
    assert_eq!(first.rate_limit.unwrap().cost, 1);

    let second =
        query::<MergedPulls>(&*github, 1, vars("api", 2, page.page_info.end_cursor)).await.unwrap();
    let page = second.repository.unwrap().pull_requests;
    assert_eq!(
        page.nodes.unwrap().into_iter().flatten().map(|p| p.number).collect::<Vec<_>>(),
        [1]
    );
    assert!(!page.page_info.has_next_page);
    assert_eq!(fake.count("/graphql"), 2);
    assert!(fake.requests().iter().all(|r| r.rejected.is_none()), "{:#?}", fake.requests());

    // GitHub's errors come back as errors: a repository the installation cannot see, too big a page.
    let missing = query::<MergedPulls>(&*github, 1, vars("nope", 2, None)).await.unwrap_err();
    assert!(missing.to_string().contains("Could not resolve to a Repository"), "{missing}");
    let too_many = query::<MergedPulls>(&*github, 1, vars("api", 500, None)).await.unwrap_err();
    assert!(too_many.to_string().contains("exceeds the `first` limit of 100"), "{too_many}");
}
