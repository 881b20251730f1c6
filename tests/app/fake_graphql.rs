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
    if login == "ghost" {
        return Value::Null; // a deleted account: GitHub answers `author: null`
    }
    json!({ "__typename": if login.ends_with("[bot]") { "Bot" } else { "User" }, "login": login })
}

fn comment(repo: &str, number: u64, (id, who, body, at): &(u64, String, String, String)) -> Value {
    json!({ "fullDatabaseId": id.to_string(), "url": format!("https://github.com/{repo}/pull/{number}#issuecomment-{id}"),
            "body": body, "createdAt": at, "authorAssociation": "MEMBER", "author": author(who) })
}

fn review_comment(
    repo: &str,
    number: u64,
    (id, who, body, at): &(u64, String, String, String),
) -> Value {
    json!({ "fullDatabaseId": id.to_string(), "url": format!("https://github.com/{repo}/pull/{number}#discussion_r{id}"),
            "body": body, "createdAt": at, "author": author(who) })
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

/// Returns the page of `items` after cursor `after` (`first` of them) as a connection, with `totalCount`.
fn connection<T>(
    items: &[T],
    after: Option<&str>,
    first: usize,
    node: impl Fn(&T) -> Value,
) -> Value {
    let start = after.and_then(index_of).map_or(0, |i| i + 1).min(items.len());
    let end = (start + first).min(items.len());
    json!({
        "totalCount": items.len(),
        "pageInfo": { "hasNextPage": end < items.len(), "endCursor": if end > start { Some(cursor(end - 1)) } else { after.map(str::to_owned) } },
        "nodes": items[start..end].iter().map(node).collect::<Vec<_>>(),
    })
}

fn review(
    repo: &str,
    number: u64,
    r: &FakePullReview,
    comments_after: Option<&str>,
    first: usize,
) -> Value {
    json!({
        "id": format!("PRR_{}", r.id), "fullDatabaseId": r.id.to_string(),
        "url": format!("https://github.com/{repo}/pull/{number}#pullrequestreview-{}", r.id),
        "state": r.state, "body": r.body, "submittedAt": r.submitted_at, "authorAssociation": "MEMBER",
        "author": author(&r.author),
        "comments": connection(&r.comments, comments_after, first, |c| review_comment(repo, number, c)),
    })
}

fn file(f: &(String, u64, u64)) -> Value {
    json!({"path": f.0, "additions": f.1, "deletions": f.2})
}

/// Returns one pull request as `PullParts` asks for it.
fn pull(repo: &str, p: &FakePull) -> Value {
    let (additions, deletions) = p.files.iter().fold((0, 0), |(a, d), f| (a + f.1, d + f.2));
    json!({
        "number": p.number, "title": p.title, "url": format!("https://github.com/{repo}/pull/{}", p.number),
        "isDraft": false, "mergedAt": p.merged_at, "updatedAt": p.merged_at,
        "additions": additions, "deletions": deletions, "changedFiles": p.files.len(),
        "author": author(&p.author),
        "labels": { "nodes": p.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>() },
        "mergeCommit": { "oid": format!("{:040x}", p.number), "message": p.merge_message },
        "files": connection(&p.files, None, 100, file),
        "reviews": connection(&p.reviews, None, 25, |r| review(repo, p.number, r, None, 25)),
        "comments": connection(&p.comments, None, 25, |c| comment(repo, p.number, c)),
    })
}

/// The fake's GraphQL rate limit: points left and when they come back.
#[derive(Clone, Copy, Debug)]
pub struct GraphqlBudget {
    pub remaining: i64,
    pub reset_at: std::time::SystemTime,
    /// Points charged since the fake started (across resets).
    pub spent: i64,
}

impl Default for GraphqlBudget {
    fn default() -> GraphqlBudget {
        GraphqlBudget {
            remaining: 5000,
            reset_at: std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
            spent: 0,
        }
    }
}

fn reset_text(at: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Answers a GraphQL request `body` against `pulls` (the repository's merged pull requests, any order); returns
/// the JSON answer and, for a rejected query, why. Points are charged as GitHub does: the connections a query
/// may return, over 100, at least 1.
pub fn answer(
    body: &[u8],
    pulls: &std::collections::HashMap<String, Vec<FakePull>>,
    budget: &mut GraphqlBudget,
    calls: &mut Vec<(String, Value)>,
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
    let operation = request["operationName"].as_str().unwrap_or_default().to_owned();
    calls.push((operation.clone(), vars.clone()));
    let now = std::time::SystemTime::now();
    if now >= budget.reset_at {
        *budget = GraphqlBudget { spent: budget.spent, ..GraphqlBudget::default() };
    }
    if budget.remaining <= 0 {
        return (
            json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 1."}]}),
            None,
        );
    }
    let owner = vars["owner"].as_str().unwrap_or_default();
    let name = vars["name"].as_str().unwrap_or_default();
    let repo = format!("{owner}/{name}").to_ascii_lowercase();
    let not_found = || {
        let msg = format!("Could not resolve to a Repository with the name '{owner}/{name}'.");
        json!([{"type": "NOT_FOUND", "path": ["repository"], "message": msg}])
    };
    let mut charge = |cost: i64| {
        budget.remaining = (budget.remaining - cost).max(0);
        budget.spent += cost;
        json!({"cost": cost, "remaining": budget.remaining, "resetAt": reset_text(budget.reset_at)})
    };
    match operation.as_str() {
        "MergedPulls" => {
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
            // pullRequests, then per pull request labels, files, reviews and comments, and 25 review comment lists.
            let rate = charge(((1 + 29 * first as i64) as f64 / 100.0).round().max(1.0) as i64);
            let Some(all) = pulls.get(&repo) else {
                return (
                    json!({"data": {"rateLimit": rate, "repository": null}, "errors": not_found()}),
                    None,
                );
            };
            let mut sorted: Vec<&FakePull> = all.iter().collect();
            sorted.sort_by(|a, b| b.merged_at.cmp(&a.merged_at).then(b.number.cmp(&a.number)));
            let page = connection(&sorted, vars["after"].as_str(), first, |p| pull(&repo, p));
            (
                json!({"data": {"rateLimit": rate, "repository": {"isPrivate": true, "pullRequests": {
                    "pageInfo": page["pageInfo"], "nodes": page["nodes"],
                }}}}),
                None,
            )
        }
        "PullRest" => {
            let rate = charge(1);
            let number = vars["number"].as_u64().unwrap_or(0);
            let Some(p) = pulls.get(&repo).and_then(|all| all.iter().find(|p| p.number == number))
            else {
                return (
                    json!({"data": {"rateLimit": rate, "repository": null}, "errors": not_found()}),
                    None,
                );
            };
            (
                json!({"data": {"rateLimit": rate, "repository": {"pullRequest": {
                    "files": connection(&p.files, vars["files"].as_str(), 100, file),
                    "reviews": connection(&p.reviews, vars["reviews"].as_str(), 25, |r| review(&repo, number, r, None, 25)),
                    "comments": connection(&p.comments, vars["comments"].as_str(), 100, |c| comment(&repo, number, c)),
                }}}}),
                None,
            )
        }
        "ReviewComments" => {
            let rate = charge(1);
            let id = vars["id"].as_str().unwrap_or_default();
            let found = pulls.iter().find_map(|(repo, all)| {
                all.iter().find_map(|p| {
                    p.reviews.iter().find(|r| format!("PRR_{}", r.id) == id).map(|r| (repo, p, r))
                })
            });
            let Some((repo, p, r)) = found else {
                let msg = format!("Could not resolve to a node with the global id of '{id}'");
                return (
                    json!({"data": {"rateLimit": rate, "node": null}, "errors": [{"type": "NOT_FOUND", "path": ["node"], "message": msg}]}),
                    None,
                );
            };
            let mut node = review(repo, p.number, r, vars["after"].as_str(), 100);
            node["__typename"] = json!("PullRequestReview");
            (json!({"data": {"rateLimit": rate, "node": node}}), None)
        }
        other => {
            let msg = format!("the fake GitHub does not answer the operation {other:?}");
            (json!({"errors": [{"message": msg}]}), Some(msg))
        }
    }
}
