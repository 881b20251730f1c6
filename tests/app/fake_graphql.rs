//! The fake GitHub's GraphQL endpoint (`POST /graphql`): every query is validated against GitHub's schema
//! (`app/graphql/schema.graphql`, with apollo-compiler) and rejected the way GitHub does (HTTP 200, an `errors`
//! list); valid queries Mentor sends are answered from the fake's merged pull requests.

use std::sync::OnceLock;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::{Value, json};

use crate::util::root;

/// A merged pull request the fake serves over GraphQL.
#[derive(Clone, Debug)]
pub struct FakePull {
    pub number: u64,
    pub title: String,
    pub author: String,
    pub merged_at: String,
    pub labels: Vec<String>,
    /// (path, additions, deletions)
    pub files: Vec<(String, u64, u64)>,
    pub merge_message: String,
    pub reviews: Vec<FakePullReview>,
    /// (id, author, body, created_at)
    pub comments: Vec<(u64, String, String, String)>,
}

/// A review of a [`FakePull`].
#[derive(Clone, Debug)]
pub struct FakePullReview {
    pub id: u64,
    pub author: String,
    pub state: String,
    pub body: String,
    pub submitted_at: String,
    /// (id, author, body, created_at)
    pub comments: Vec<(u64, String, String, String)>,
}

fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = root().join("app/graphql/schema.graphql");
        let sdl = std::fs::read_to_string(&path).unwrap();
        // GitHub's SDL defines a few fields twice on `EnterpriseOwnerInfo`: accept it as GitHub serves it.
        match Schema::parse_and_validate(sdl, &path) {
            Ok(valid) => valid,
            Err(with_errors) => Valid::assume_valid(with_errors.partial),
        }
    })
}

/// Checks `query` against GitHub's schema; the error lists each problem with its line and column.
pub fn validate_query(query: &str) -> Result<(), Vec<Value>> {
    match ExecutableDocument::parse_and_validate(schema(), query, "query.graphql") {
        Ok(_) => Ok(()),
        Err(e) => {
            Err(e.errors.iter().map(|d| serde_json::to_value(d.to_json()).unwrap()).collect())
        }
    }
}

fn author(login: &str) -> Value {
    json!({ "__typename": if login.ends_with("[bot]") { "Bot" } else { "User" }, "login": login })
}

fn comment(repo: &str, number: u64, (id, who, body, at): &(u64, String, String, String)) -> Value {
    json!({ "fullDatabaseId": id.to_string(), "url": format!("https://github.com/{repo}/pull/{number}#issuecomment-{id}"),
            "body": body, "createdAt": at, "authorAssociation": "MEMBER", "author": author(who) })
}

fn cursor(index: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{index}"))
}

fn index_of(cursor: &str) -> Option<usize> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.decode(cursor).ok()?;
    String::from_utf8(text).ok()?.strip_prefix("cursor:v2:")?.parse().ok()
}

/// Returns one pull request as `PullParts` asks for it.
fn pull(repo: &str, p: &FakePull) -> Value {
    let page = |total: usize, shown: usize| json!({ "hasNextPage": total > shown, "endCursor": cursor(shown.saturating_sub(1)) });
    let files: Vec<Value> = p
        .files
        .iter()
        .take(100)
        .map(|(path, a, d)| json!({"path": path, "additions": a, "deletions": d}))
        .collect();
    let reviews: Vec<Value> = p
        .reviews
        .iter()
        .take(25)
        .map(|r| {
            json!({
                "fullDatabaseId": r.id.to_string(), "url": format!("https://github.com/{repo}/pull/{}#pullrequestreview-{}", p.number, r.id),
                "state": r.state, "body": r.body, "submittedAt": r.submitted_at, "authorAssociation": "MEMBER",
                "author": author(&r.author),
                "comments": { "totalCount": r.comments.len(), "nodes": r.comments.iter().take(25).map(|c| {
                    let mut v = comment(repo, p.number, c);
                    v.as_object_mut().unwrap().remove("authorAssociation");
                    v
                }).collect::<Vec<_>>() },
            })
        })
        .collect();
    let (additions, deletions) = p.files.iter().fold((0, 0), |(a, d), f| (a + f.1, d + f.2));
    json!({
        "number": p.number, "title": p.title, "url": format!("https://github.com/{repo}/pull/{}", p.number),
        "isDraft": false, "mergedAt": p.merged_at, "updatedAt": p.merged_at,
        "additions": additions, "deletions": deletions, "changedFiles": p.files.len(),
        "author": author(&p.author),
        "labels": { "nodes": p.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>() },
        "mergeCommit": { "oid": format!("{:040x}", p.number), "message": p.merge_message },
        "files": { "totalCount": p.files.len(), "pageInfo": page(p.files.len(), files.len()), "nodes": files },
        "reviews": { "totalCount": p.reviews.len(), "pageInfo": page(p.reviews.len(), reviews.len()), "nodes": reviews },
        "comments": { "totalCount": p.comments.len(), "nodes": p.comments.iter().take(25).map(|c| comment(repo, p.number, c)).collect::<Vec<_>>() },
    })
}

/// Answers a GraphQL request `body` against `pulls` (the repository's merged pull requests, any order); returns
/// the JSON answer and, for a rejected query, why.
pub fn answer(
    body: &[u8],
    pulls: &std::collections::HashMap<String, Vec<FakePull>>,
    remaining: &mut i64,
) -> (Value, Option<String>) {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (json!({"message": "Problems parsing JSON"}), Some("not JSON".into()));
    };
    let query = request["query"].as_str().unwrap_or_default();
    if let Err(errors) = validate_query(query) {
        let why = format!("invalid query: {errors:?}");
        return (json!({ "errors": errors }), Some(why));
    }
    let vars = &request["variables"];
    match request["operationName"].as_str() {
        Some("MergedPulls") => {
            let owner = vars["owner"].as_str().unwrap_or_default();
            let name = vars["name"].as_str().unwrap_or_default();
            let repo = format!("{owner}/{name}").to_ascii_lowercase();
            let first = vars["first"].as_u64().unwrap_or(0) as usize;
            if first == 0 || first > 100 {
                let msg = format!(
                    "Requesting {first} records on the `pullRequests` connection exceeds the `first` limit of 100 records."
                );
                return (
                    json!({"errors": [{"type": "EXCESSIVE_PAGINATION", "message": msg}]}),
                    Some(msg),
                );
            }
            let start = vars["after"].as_str().and_then(index_of).map_or(0, |i| i + 1);
            *remaining -= 1;
            let rate =
                json!({"cost": 1, "remaining": *remaining, "resetAt": "2030-01-01T00:00:00Z"});
            let Some(all) = pulls.get(&repo) else {
                let msg =
                    format!("Could not resolve to a Repository with the name '{owner}/{name}'.");
                return (
                    json!({"data": {"rateLimit": rate, "repository": null}, "errors": [{"type": "NOT_FOUND", "path": ["repository"], "message": msg}]}),
                    None,
                );
            };
            let mut sorted: Vec<&FakePull> = all.iter().collect();
            sorted.sort_by(|a, b| b.merged_at.cmp(&a.merged_at).then(b.number.cmp(&a.number)));
            let end = (start + first).min(sorted.len());
            let nodes: Vec<Value> =
                sorted.get(start..end).unwrap_or_default().iter().map(|p| pull(&repo, p)).collect();
            (
                json!({"data": {"rateLimit": rate, "repository": {"isPrivate": true, "pullRequests": {
                    "pageInfo": {"hasNextPage": end < sorted.len(), "endCursor": if end > start { Some(cursor(end - 1)) } else { None }},
                    "nodes": nodes,
                }}}}),
                None,
            )
        }
        other => {
            let msg = format!("the fake GitHub does not answer the operation {other:?}");
            (json!({"errors": [{"message": msg}]}), Some(msg))
        }
    }
}
