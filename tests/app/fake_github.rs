//! A fake GitHub REST API on loopback that is as strict as GitHub about what it accepts.
//!
//! It serves installation tokens, file contents, PR files and PR reviews (lists paginated with `Link` headers
//! like GitHub; reviews can also be created and edited), records every request, and rejects what GitHub would reject: a method+path that is not in GitHub's
//! REST operations (`tests/fixtures/github/openapi-paths.json`, from its OpenAPI description), `/app/...`
//! calls without a valid RS256 App JWT, other calls without a live installation token, and requests without
//! `Accept` or `User-Agent`. Faults can be queued per path: a 500, a 401, a 403 with an exhausted primary rate
//! limit, a 429 with `Retry-After`. It can sit under a GitHub Enterprise prefix (`/api/v3`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

/// The App id the fake expects as the JWT's `iss`.
pub const APP_ID: u64 = 4242;

/// Returns the test App's private key (PEM), see `tests/fixtures/GITHUB-APP-TEST-KEY.md`.
pub fn private_key_pem() -> String {
    std::fs::read_to_string(fixture("github-app-test-key.pem")).unwrap()
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name)
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// HTTP method.
    pub method: Method,
    /// Path as sent, including any Enterprise prefix.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// The status the fake answered with.
    pub status: StatusCode,
    /// Why the fake rejected the request, if it did.
    pub rejected: Option<String>,
    /// All `User-Agent` values sent.
    pub user_agents: Vec<String>,
    /// All `X-GitHub-Api-Version` values sent.
    pub api_versions: Vec<String>,
    /// How many `Authorization` headers were sent.
    pub authorizations: usize,
}

/// A failure to inject into the next request whose path contains a given text.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// 500 Internal Server Error.
    ServerError,
    /// 401 Bad credentials (as if the installation token had been revoked).
    Unauthorized,
    /// 403 with `x-ratelimit-remaining: 0` and a reset this many seconds ahead (rounded up to a whole second).
    RateLimitReset(u64),
    /// 429 with `Retry-After` of this many seconds.
    RetryAfter(u64),
    /// A normal answer that uses up the primary rate limit until this many seconds ahead (rounded up to a whole
    /// second); until then every request is answered 403 like GitHub does.
    SpendQuota(u64),
    /// 422 Validation Failed (a write GitHub refuses for good).
    Unprocessable,
    /// An answer with this status and GitHub's message (a 502 or 504 for a GraphQL query over the time limit).
    Status(u16),
    /// The request is carried out (a comment is created) but the answer comes this many milliseconds late, so
    /// the client times out not knowing whether it happened.
    SlowAnswer(u64),
}

/// A comment as the fake stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeComment {
    /// Comment id.
    pub id: u64,
    /// Repository (lowercased).
    pub repo: String,
    /// Issue or PR number.
    pub number: u64,
    /// Body.
    pub body: String,
    /// Author login.
    pub user: String,
}

/// An issue as the fake stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeIssue {
    /// Repository (lowercased).
    pub repo: String,
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
}

/// The login the App's writes appear under.
pub const APP_LOGIN: &str = "mentor-app[bot]";
const REACTIONS: &[&str] = &["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];

#[derive(Default)]
struct Data {
    /// (repo lowercased, path) → file text.
    files: HashMap<(String, String), String>,
    /// (repo lowercased, PR number) → file objects.
    pr_files: HashMap<(String, u64), Vec<Value>>,
    /// Merged pull requests served over GraphQL, by repository (lowercase).
    pulls: HashMap<String, Vec<crate::fake_graphql::FakePull>>,
    /// GraphQL points left (each query costs 1 here).
    graphql_budget: crate::fake_graphql::GraphqlBudget,
    /// GraphQL operations asked, with their variables, in order.
    graphql_calls: Vec<(String, Value)>,
    /// (repo lowercased, PR number) → review objects.
    pr_reviews: HashMap<(String, u64), Vec<Value>>,
    /// (repo lowercased, sha) → commit message.
    commits: HashMap<(String, String), String>,
    faults: VecDeque<(String, Fault)>,
    requests: Vec<Recorded>,
    /// token → (installation id, expiry).
    tokens: HashMap<String, (u64, SystemTime)>,
    issued: u64,
    /// Resets announced by injected `RateLimitReset` and `SpendQuota` faults.
    resets: Vec<SystemTime>,
    /// Set by `SpendQuota`: the primary rate limit is exhausted until then.
    exhausted_until: Option<SystemTime>,
    /// Comments on issues and PRs, in creation order.
    comments: Vec<FakeComment>,
    /// Issues, in creation order.
    issues: Vec<FakeIssue>,
    /// Reactions as (repo, `issue_comment`/`review_comment`, comment id, content).
    reactions: Vec<(String, String, u64, String)>,
    /// Repositories marked public (every other repository is private).
    public: Vec<String>,
    next_id: u64,
    /// Set by a `SlowAnswer` fault: delay the answer being built by this much.
    delay: Option<Duration>,
    /// The login the browser is signed in to GitHub as (the authorize page signs it in at once).
    web_login: Option<String>,
    /// Show the "Authorize" page instead of redirecting back at once (a user who has not authorized the App yet).
    consent: bool,
    /// Apps registered through the manifest flow whose code was not converted yet, by code.
    manifest_codes: HashMap<String, Value>,
    /// Every App registered through the manifest flow, as the conversion answers it.
    apps: Vec<Value>,
    /// Authorization codes issued: code → (PKCE challenge, redirect_uri, login); each works once.
    codes: HashMap<String, (String, String, String)>,
    /// User-to-server tokens issued by the code exchange: token → login.
    user_tokens: HashMap<String, String>,
    /// Org memberships: (org, login) lowercased → role (`admin` or `member`).
    memberships: HashMap<(String, String), String>,
    /// Team memberships: (org, team slug, login) lowercased.
    team_members: Vec<(String, String, String)>,
    /// Installations added with `add_installation`: id → (account login lowercased, its repositories). An
    /// installation not listed here is the default one, which owns every repository the fake knows.
    installations: HashMap<u64, (String, Vec<String>)>,
}

impl Data {
    /// Returns the repositories installation `id` can see (`owner/name` as first put, sorted).
    fn repositories_of(&self, id: u64) -> Vec<String> {
        if let Some((_, repos)) = self.installations.get(&id) {
            return repos.clone();
        }
        let mut repos: Vec<String> = self
            .files
            .keys()
            .map(|(r, _)| r.clone())
            .chain(self.pr_files.keys().map(|(r, _)| r.clone()))
            .chain(self.pr_reviews.keys().map(|(r, _)| r.clone()))
            .chain(self.commits.keys().map(|(r, _)| r.clone()))
            .filter(|r| {
                !self
                    .installations
                    .values()
                    .any(|(account, _)| r.starts_with(&format!("{account}/")))
            })
            .collect();
        repos.sort();
        repos.dedup();
        repos
    }
}

struct Shared {
    prefix: String,
    base: String,
    token_lifetime: Duration,
    data: Mutex<Data>,
}

/// A running fake GitHub; dropped with the test's runtime.
#[derive(Clone)]
pub struct FakeGitHub {
    shared: Arc<Shared>,
}

impl FakeGitHub {
    /// Starts a fake github.com API on 127.0.0.1 with tokens valid for an hour.
    pub async fn start() -> FakeGitHub {
        FakeGitHub::start_with("", Duration::from_secs(3600)).await
    }

    /// Starts a fake under `prefix` (`/api/v3` for GitHub Enterprise) issuing tokens valid for `token_lifetime`.
    pub async fn start_with(prefix: &str, token_lifetime: Duration) -> FakeGitHub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            prefix: prefix.to_owned(),
            base,
            token_lifetime,
            data: Mutex::new(Data::default()),
        });
        let app = axum::Router::new().fallback(handle).with_state(Arc::clone(&shared));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeGitHub { shared }
    }

    /// Returns the API root to configure the client with (`http://127.0.0.1:PORT[/api/v3]`).
    pub fn api_url(&self) -> String {
        format!("{}{}", self.shared.base, self.shared.prefix)
    }

    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.shared.data.lock().unwrap()
    }

    /// Adds installation `id` of account `account` that sees exactly `repos`: its tokens work on the account's
    /// repositories only, as GitHub's do (another account's repository answers 404).
    pub fn add_installation(&self, id: u64, account: &str, repos: &[&str]) {
        let repos = repos.iter().map(|r| r.to_ascii_lowercase()).collect();
        self.data().installations.insert(id, (account.to_ascii_lowercase(), repos));
    }

    /// Makes `login` an active member of `org` with `role` (`admin` for an owner, `member`).
    pub fn set_membership(&self, org: &str, login: &str, role: &str) {
        let key = (org.to_ascii_lowercase(), login.to_ascii_lowercase());
        self.data().memberships.insert(key, role.to_owned());
    }

    /// Makes `login` an active member of team `team` (slug) of `org`.
    pub fn add_team_member(&self, org: &str, team: &str, login: &str) {
        let row = (org.to_ascii_lowercase(), team.to_ascii_lowercase(), login.to_ascii_lowercase());
        self.data().team_members.push(row);
    }

    /// Makes the browser signed in to GitHub as `login`: the authorize page then sends it straight back with a code,
    /// as GitHub does for a user who already authorized the App.
    pub fn sign_in_as(&self, login: &str) {
        self.data().web_login = Some(login.to_owned());
    }

    /// Serves `pull` as a merged pull request of `repo` over GraphQL.
    pub fn add_merged_pull(&self, repo: &str, pull: crate::fake_graphql::FakePull) {
        self.data().pulls.entry(repo.to_ascii_lowercase()).or_default().push(pull);
    }

    /// Sets the GraphQL points left until `reset_in` from now (then GitHub's 5,000 again).
    pub fn set_graphql_budget(&self, remaining: i64, reset_in: Duration) {
        let mut data = self.data();
        data.graphql_budget = crate::fake_graphql::GraphqlBudget {
            remaining,
            reset_at: SystemTime::now() + reset_in,
            spent: data.graphql_budget.spent,
        };
    }

    /// Returns the GraphQL operations asked so far, with their variables.
    pub fn graphql_calls(&self) -> Vec<(String, Value)> {
        self.data().graphql_calls.clone()
    }

    /// Returns the GraphQL points spent so far (GitHub's `rateLimit.cost`, summed).
    pub fn graphql_points(&self) -> i64 {
        self.data().graphql_budget.spent
    }

    /// Returns the Apps registered through the manifest flow (what `POST /app-manifests/{code}/conversions`
    /// answered or would answer).
    pub fn registered_apps(&self) -> Vec<Value> {
        self.data().apps.clone()
    }

    /// Makes the authorize step a page with an "Authorize" link (to the callback with the code and state), as GitHub
    /// shows a user who has not authorized the App yet; a browser test can read the link, follow it, then replay it.
    pub fn ask_before_authorizing(&self) {
        self.data().consent = true;
    }

    /// Serves `text` as `path` of `repo`'s default branch.
    pub fn put_file(&self, repo: &str, path: &str, text: &str) {
        self.data().files.insert((repo.to_ascii_lowercase(), path.to_owned()), text.to_owned());
    }

    /// Serves `files` as (path, additions, deletions) of PR `number`.
    pub fn put_pr_files(&self, repo: &str, number: u64, files: &[(&str, u64, u64)]) {
        let files = files
            .iter()
            .map(|(path, a, d)| {
                json!({"sha": "0", "filename": path, "status": "modified", "additions": a, "deletions": d,
                       "changes": a + d, "blob_url": "", "raw_url": "", "contents_url": ""})
            })
            .collect();
        self.data().pr_files.insert((repo.to_ascii_lowercase(), number), files);
    }

    /// Serves commit `sha` of `repo` with `message`.
    pub fn put_commit(&self, repo: &str, sha: &str, message: &str) {
        self.data().commits.insert((repo.to_ascii_lowercase(), sha.to_owned()), message.to_owned());
    }

    /// Serves reviews of PR `number` as (login, user type, STATE).
    pub fn put_pr_reviews(&self, repo: &str, number: u64, reviews: &[(&str, &str, &str)]) {
        let reviews = reviews
            .iter()
            .enumerate()
            .map(|(i, (login, kind, state))| {
                json!({"id": i + 1, "user": {"login": login, "type": kind}, "body": "", "state": state,
                       "html_url": "", "commit_id": "0"})
            })
            .collect();
        self.data().pr_reviews.insert((repo.to_ascii_lowercase(), number), reviews);
    }

    /// Makes the next request whose path contains `path_part` (or whose `METHOD /path` starts with it) fail with
    /// `fault`.
    pub fn inject(&self, path_part: &str, fault: Fault) {
        self.data().faults.push_back((path_part.to_owned(), fault));
    }

    /// Returns every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.data().requests.clone()
    }

    /// Returns how many requests so far had a path containing `path_part`.
    pub fn count(&self, path_part: &str) -> usize {
        self.data().requests.iter().filter(|r| r.path.contains(path_part)).count()
    }

    /// Returns the installation tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.data().issued
    }

    /// Returns the resets announced by `RateLimitReset` faults so far.
    pub fn announced_resets(&self) -> Vec<SystemTime> {
        self.data().resets.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.data().requests.clear();
    }

    /// Returns the requests recorded since the last call and forgets them (a long run's memory stays flat).
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.data().requests)
    }

    /// Returns how many injected faults still wait for a request they match.
    pub fn pending_faults(&self) -> usize {
        self.data().faults.len()
    }

    /// Drops the injected faults no request has met yet.
    pub fn clear_faults(&self) {
        self.data().faults.clear();
    }

    /// Returns every review of every pull request as (repo, PR number, login, body).
    pub fn all_reviews(&self) -> Vec<(String, u64, String, String)> {
        let text = |r: &Value, p: &str| {
            r.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned()
        };
        self.data()
            .pr_reviews
            .iter()
            .flat_map(|((repo, number), rs)| {
                rs.iter().map(|r| (repo.clone(), *number, text(r, "/user/login"), text(r, "/body")))
            })
            .collect()
    }

    /// Returns every issue of every repository.
    pub fn all_issues(&self) -> Vec<FakeIssue> {
        self.data().issues.clone()
    }

    /// Returns the bodies of the comments on issue or PR `number` of `repo`, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<String> {
        let repo = repo.to_ascii_lowercase();
        self.data()
            .comments
            .iter()
            .filter(|c| c.repo == repo && c.number == number)
            .map(|c| c.body.clone())
            .collect()
    }

    /// Returns every comment of every repository.
    pub fn all_comments(&self) -> Vec<FakeComment> {
        self.data().comments.clone()
    }

    /// Adds an issue written earlier by the App to `repo`; returns its number.
    pub fn add_issue(&self, repo: &str, title: &str, body: &str) -> u64 {
        let mut data = self.data();
        let repo = repo.to_ascii_lowercase();
        let number = data.issues.iter().filter(|i| i.repo == repo).count() as u64 + 1;
        data.issues.push(FakeIssue { repo, number, title: title.into(), body: body.into() });
        number
    }

    /// Adds a comment as `user` (a mentor, or the App itself to play a write whose answer was lost); returns its id.
    pub fn add_comment(&self, repo: &str, number: u64, user: &str, body: &str) -> u64 {
        let mut data = self.data();
        data.next_id += 1;
        let id = 1000 + data.next_id;
        data.comments.push(FakeComment {
            id,
            repo: repo.to_ascii_lowercase(),
            number,
            body: body.to_owned(),
            user: user.to_owned(),
        });
        id
    }

    /// Returns the reviews of PR `number` of `repo` as (login, STATE, body), oldest first.
    pub fn reviews(&self, repo: &str, number: u64) -> Vec<(String, String, String)> {
        let key = (repo.to_ascii_lowercase(), number);
        let text = |r: &Value, p: &str| {
            r.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned()
        };
        self.data()
            .pr_reviews
            .get(&key)
            .map(|rs| {
                rs.iter()
                    .map(|r| (text(r, "/user/login"), text(r, "/state"), text(r, "/body")))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Returns the ids of the reviews of PR `number` of `repo`, oldest first.
    pub fn review_ids(&self, repo: &str, number: u64) -> Vec<u64> {
        let key = (repo.to_ascii_lowercase(), number);
        self.data()
            .pr_reviews
            .get(&key)
            .map(|rs| rs.iter().filter_map(|r| r["id"].as_u64()).collect())
            .unwrap_or_default()
    }

    /// Adds a COMMENTED review of PR `number` as `user` (the App itself plays a write whose answer was lost);
    /// returns its id.
    pub fn add_review(&self, repo: &str, number: u64, user: &str, body: &str) -> u64 {
        let mut data = self.data();
        data.next_id += 1;
        let id = 1000 + data.next_id;
        let review = review_json(id, user, "COMMENTED", body);
        data.pr_reviews.entry((repo.to_ascii_lowercase(), number)).or_default().push(review);
        id
    }

    /// Returns the issues of `repo`.
    pub fn issues(&self, repo: &str) -> Vec<FakeIssue> {
        let repo = repo.to_ascii_lowercase();
        self.data().issues.iter().filter(|i| i.repo == repo).cloned().collect()
    }

    /// Returns the reactions as (repo, `issue_comment`/`review_comment`, comment id, content).
    pub fn reactions(&self) -> Vec<(String, String, u64, String)> {
        self.data().reactions.clone()
    }

    /// Makes `repo` public (repositories are private unless said otherwise).
    pub fn set_public(&self, repo: &str) {
        self.data().public.push(repo.to_ascii_lowercase());
    }
}

fn comment_json(c: &FakeComment) -> Value {
    json!({"id": c.id, "node_id": "IC_x", "body": c.body, "html_url": "", "issue_url": "",
           "user": {"login": c.user, "type": if c.user.ends_with("[bot]") { "Bot" } else { "User" }},
           "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

fn review_json(id: u64, user: &str, state: &str, body: &str) -> Value {
    json!({"id": id, "node_id": "PRR_x", "body": body, "state": state, "html_url": "", "commit_id": "0",
           "user": {"login": user, "type": if user.ends_with("[bot]") { "Bot" } else { "User" }}})
}

fn issue_json(i: &FakeIssue) -> Value {
    json!({"id": 5000 + i.number, "number": i.number, "title": i.title, "body": i.body, "state": "open",
           "user": {"login": APP_LOGIN, "type": "Bot"}, "performed_via_github_app": {"id": APP_ID}})
}

/// Reads a JSON object body and the string fields GitHub requires of it.
fn fields(body: &[u8], required: &[&str]) -> Result<serde_json::Map<String, Value>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("Problems parsing JSON: {e}"))?;
    let Value::Object(map) = value else { return Err("the body is not a JSON object".into()) };
    for f in required {
        if !map.get(*f).is_some_and(Value::is_string) {
            return Err(format!("`{f}` is missing or not a string"));
        }
    }
    // GitHub refuses an issue, comment or review body over 65,536 characters (not bytes).
    if map.get("body").and_then(Value::as_str).is_some_and(|b| b.chars().count() > 65_536) {
        return Err("Validation Failed: body is too long (maximum is 65536 characters)".into());
    }
    Ok(map)
}

/// GitHub's REST paths as (segments, methods), loaded once per test binary from the vendored list of GitHub's
/// operations (`tests/fixtures/github/openapi-paths.json`, see its SOURCE.md).
fn openapi() -> &'static Vec<(Vec<String>, Vec<Method>)> {
    static PATHS: OnceLock<Vec<(Vec<String>, Vec<Method>)>> = OnceLock::new();
    PATHS.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Doc {
            paths: HashMap<String, HashMap<String, String>>,
        }
        let path = fixture("github/openapi-paths.json");
        let text = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "the fake GitHub needs GitHub's REST operations at {} ({e}); regenerate it as \
                 tests/fixtures/github/SOURCE.md says",
                path.display()
            )
        });
        let doc: Doc = serde_json::from_slice(&text).unwrap();
        assert!(doc.paths.len() > 500, "{} lists only {} paths", path.display(), doc.paths.len());
        doc.paths
            .into_iter()
            .map(|(template, ops)| {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods = ops
                    .keys()
                    .filter_map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
                    .collect();
                (segments, methods)
            })
            .collect()
    })
}

/// Returns the OpenAPI template matching `path`, and whether it allows `method`.
fn match_openapi(method: &Method, path: &str) -> Option<(String, bool)> {
    let parts: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, String, bool)> = None;
    for (template, methods) in openapi() {
        // A trailing `{path}` (contents API) spans the rest of the path, slashes included.
        let greedy = template.last().is_some_and(|s| s == "{path}");
        let fits =
            if greedy { parts.len() >= template.len() } else { parts.len() == template.len() };
        if !fits {
            continue;
        }
        let mut literal = 0;
        let ok = template.iter().zip(&parts).all(|(t, p)| {
            if t.starts_with('{') {
                !p.is_empty()
            } else {
                literal += 1;
                t == p
            }
        });
        // Prefer the most literal template (`/repos/{o}/{r}/pulls/{n}/files` over looser ones).
        if ok && best.as_ref().is_none_or(|(l, _, _)| literal > *l) {
            best = Some((literal, template.join("/"), methods.contains(method)));
        }
    }
    best.map(|(_, template, allowed)| (template, allowed))
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        axum::Json(json!({"message": text, "documentation_url": "https://docs.github.com/rest"})),
    )
        .into_response()
}

fn checked_jwt(headers: &HeaderMap) -> Result<(), String> {
    static KEY: OnceLock<jsonwebtoken::DecodingKey> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let pem = std::fs::read(fixture("github-app-test-key.pub.pem")).unwrap();
        jsonwebtoken::DecodingKey::from_rsa_pem(&pem).unwrap()
    });
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let jwt = auth
        .strip_prefix("Bearer ")
        .ok_or("an /app endpoint needs `Authorization: Bearer <JWT>`")?;
    // `iss` is the App id as a JSON number (GitHub documents App ids as integers, and answers "'Issuer' claim
    // ('iss') must be an Integer" when it is neither an App id nor a client id) or as a string (GitHub's
    // examples); jsonwebtoken's own issuer check reads strings only, so `iss` is checked below.
    #[derive(serde::Deserialize)]
    struct Claims {
        iat: u64,
        exp: u64,
        iss: Value,
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp"]);
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Claims>(jwt, key, &validation)
        .map_err(|e| format!("JWT rejected: {e}"))?
        .claims;
    let now = now_secs();
    if claims.iat > now {
        return Err("JWT iat is in the future".to_owned());
    }
    if claims.exp > now + 600 {
        return Err("JWT exp is more than 10 minutes ahead".to_owned());
    }
    if claims.iss != json!(APP_ID) && claims.iss != json!(APP_ID.to_string()) {
        return Err("JWT iss is not the App id".to_owned());
    }
    Ok(())
}

/// The client id and secret of the test App's user-authorization flow.
pub const CLIENT_ID: &str = "Iv1.fakeclientid";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "fake-client-secret";

fn checked_user_token(data: &Data, headers: &HeaderMap) -> Result<String, String> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("token "))
        .ok_or("GET /user needs a user token")?;
    data.user_tokens.get(token).cloned().ok_or_else(|| "unknown user token".to_owned())
}

/// `GET /login/oauth/authorize` (signs the browser's user in at once and redirects back with a code) and `POST
/// /login/oauth/access_token` (exchanges it, checking the client, the redirect URI and PKCE), answering errors the
/// way GitHub does: HTTP 200 with an `error` field.
fn web_sign_in(
    shared: &Shared,
    method: &Method,
    endpoint: &str,
    query: Option<&str>,
    body: &[u8],
) -> (Response, Option<String>) {
    let pairs = |text: &str| -> HashMap<String, String> { url_pairs(text).into_iter().collect() };
    let mut data = shared.data.lock().unwrap();
    match (method.as_str(), endpoint) {
        ("GET", "authorize") => {
            let q = pairs(query.unwrap_or_default());
            let field = |k: &str| q.get(k).cloned().unwrap_or_default();
            if field("client_id") != CLIENT_ID {
                return (
                    message(StatusCode::NOT_FOUND, "Not Found"),
                    Some("unknown client_id".into()),
                );
            }
            if field("code_challenge_method") != "S256" || field("code_challenge").is_empty() {
                let why = "sign-in without an S256 PKCE challenge".to_owned();
                return (message(StatusCode::BAD_REQUEST, &why), Some(why));
            }
            let Some(login) = data.web_login.clone() else {
                let why = "nobody is signed in to the fake GitHub (call sign_in_as)".to_owned();
                return (message(StatusCode::UNAUTHORIZED, &why), Some(why));
            };
            data.issued += 1;
            let code = format!("code{}", data.issued);
            let redirect = field("redirect_uri");
            data.codes
                .insert(code.clone(), (field("code_challenge"), redirect.clone(), login.clone()));
            let to = format!("{redirect}?code={code}&state={}", encode_query(&field("state")));
            if data.consent {
                let to = to.replace('&', "&amp;");
                let page = format!(
                    "<!doctype html><html lang=\"en\"><head><title>Authorize application</title>\
                     <link rel=\"icon\" href=\"data:,\"></head><body><main><h1>Authorize Mentor</h1>\
                     <p>Signed in as @{login}.</p><a id=\"authorize\" href=\"{to}\">Authorize</a></main></body></html>"
                );
                return (axum::response::Html(page).into_response(), None);
            }
            let mut r = StatusCode::FOUND.into_response();
            r.headers_mut().insert("location", HeaderValue::from_str(&to).unwrap());
            (r, None)
        }
        ("POST", "access_token") => {
            let form = pairs(std::str::from_utf8(body).unwrap_or_default());
            let field = |k: &str| form.get(k).cloned().unwrap_or_default();
            let error = |code: &str, text: &str| {
                let reply = json!({"error": code, "error_description": text,
                                   "error_uri": "https://docs.github.com/apps/troubleshooting-oauth-app-access-token-request-errors"});
                (axum::Json(reply).into_response(), Some(format!("{code}: {text}")))
            };
            if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
                return error(
                    "incorrect_client_credentials",
                    "The client_id and/or client_secret passed are incorrect.",
                );
            }
            let Some((challenge, redirect, login)) = data.codes.remove(&field("code")) else {
                return error("bad_verification_code", "The code passed is incorrect or expired.");
            };
            if field("redirect_uri") != redirect {
                return error(
                    "redirect_uri_mismatch",
                    "The redirect_uri MUST match the registered callback URL for this application.",
                );
            }
            use sha2::Digest as _;
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(field("code_verifier").as_bytes()));
            if computed != challenge {
                return error(
                    "bad_verification_code",
                    "The code_verifier does not match the code_challenge.",
                );
            }
            data.issued += 1;
            let token = format!("gho_fake{}", data.issued);
            data.user_tokens.insert(token.clone(), login);
            (
                axum::Json(json!({"access_token": token, "token_type": "bearer", "scope": ""}))
                    .into_response(),
                None,
            )
        }
        _ => (
            message(StatusCode::NOT_FOUND, "Not Found"),
            Some(format!("{method} /login/oauth/{endpoint}")),
        ),
    }
}

/// Splits `a=1&b=2` into decoded pairs.
fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_query(k), decode_query(v))
        })
        .collect()
}

fn decode_query(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_query(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn checked_token(data: &Data, headers: &HeaderMap) -> Result<u64, String> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let token = auth
        .strip_prefix("token ")
        .or_else(|| auth.strip_prefix("Bearer "))
        .ok_or("needs `Authorization: token <installation token>`")?;
    match data.tokens.get(token) {
        Some((id, expires)) if *expires > SystemTime::now() => Ok(*id),
        Some(_) => Err("installation token expired".to_owned()),
        None => Err("unknown token".to_owned()),
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().map(str::to_owned);
    let all = |name: &str| -> Vec<String> {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect()
    };
    let user_agents = all("user-agent");
    let api_versions = all("x-github-api-version");
    let authorizations = headers.get_all("authorization").iter().count();
    let (response, rejected) = answer(&shared, &method, &path, query.as_deref(), &headers, &body);
    let delay = shared.data.lock().unwrap().delay.take();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut data = shared.data.lock().unwrap();
    data.requests.push(Recorded {
        method,
        path,
        query,
        status: response.status(),
        rejected,
        user_agents,
        api_versions,
        authorizations,
    });
    response
}

/// Decides the answer; the second value is why the request was rejected, if it was.
fn answer(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> (Response, Option<String>) {
    let reject = |status: StatusCode, why: String| (message(status, &why), Some(why));
    // GitHub's web pages (App registration from a manifest, sign-in) live on the web host, not under the API.
    if path == "/settings/apps/new"
        || (path.starts_with("/organizations/") && path.ends_with("/settings/apps/new"))
    {
        return web_manifest(shared, method, path, query, body);
    }
    if let Some(web) = path.strip_prefix("/login/oauth/") {
        return web_sign_in(shared, method, web, query, body);
    }
    let Some(api_path) = path.strip_prefix(shared.prefix.as_str()).filter(|p| p.starts_with('/'))
    else {
        return reject(
            StatusCode::NOT_FOUND,
            format!("{path} is outside the API prefix {:?}", shared.prefix),
        );
    };
    // GraphQL is not part of the REST description: its queries are checked against GitHub's schema instead.
    if api_path == "/graphql" && *method == Method::POST {
        if headers.get("user-agent").is_none() {
            return reject(
                StatusCode::FORBIDDEN,
                "requests without a User-Agent are rejected".to_owned(),
            );
        }
        let mut data = shared.data.lock().unwrap();
        let installation = match checked_token(&data, headers) {
            Ok(id) => id,
            Err(why) => return reject(StatusCode::UNAUTHORIZED, why),
        };
        // GitHub gives up on a query that takes more than 10 seconds with a 502 (or 504).
        if let Some(i) = data.faults.iter().position(|(part, _)| part == "/graphql") {
            let (_, fault) = data.faults.remove(i).unwrap();
            if let Fault::Status(code) = fault {
                let status = StatusCode::from_u16(code).unwrap();
                return (message(status, "We couldn't respond to your request in time."), None);
            }
        }
        // An installation sees its own repositories only (the default one every repository the fake knows); one
        // of them without merged pull requests has none.
        let mut repos = data.repositories_of(installation);
        if !data.installations.contains_key(&installation) {
            repos.extend(data.pulls.keys().cloned());
        }
        let visible: HashMap<String, Vec<crate::fake_graphql::FakePull>> = repos
            .into_iter()
            .map(|r| {
                let pulls = data.pulls.get(&r).cloned().unwrap_or_default();
                (r, pulls)
            })
            .collect();
        let Data { graphql_budget, graphql_calls, .. } = &mut *data;
        let (reply, rejected) =
            crate::fake_graphql::answer(body, &visible, graphql_budget, graphql_calls);
        return (axum::Json(reply).into_response(), rejected);
    }
    match match_openapi(method, api_path) {
        None => {
            return reject(
                StatusCode::NOT_FOUND,
                format!("{api_path} is not in GitHub's OpenAPI description"),
            );
        }
        Some((template, false)) => {
            return reject(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not an operation of {template}"),
            );
        }
        Some(_) => {}
    }
    if headers.get("user-agent").is_none() {
        return reject(
            StatusCode::FORBIDDEN,
            "requests without a User-Agent are rejected".to_owned(),
        );
    }
    if headers.get("accept").is_none() {
        return reject(StatusCode::BAD_REQUEST, "no Accept header".to_owned());
    }
    let mut data = shared.data.lock().unwrap();
    // The manifest conversion takes no credentials: the code is the secret, and works once.
    if let Some(code) =
        api_path.strip_prefix("/app-manifests/").and_then(|r| r.strip_suffix("/conversions"))
    {
        return match data.manifest_codes.remove(code) {
            Some(app) => ((StatusCode::CREATED, axum::Json(app)).into_response(), None),
            None => (
                message(StatusCode::NOT_FOUND, "Not Found"),
                Some(format!("unknown manifest code {code}")),
            ),
        };
    }
    let credentials = if api_path.starts_with("/app/") {
        checked_jwt(headers)
    } else if api_path == "/user" {
        checked_user_token(&data, headers).map(drop)
    } else {
        checked_token(&data, headers).map(drop)
    };
    if let Err(why) = credentials {
        return reject(StatusCode::UNAUTHORIZED, why);
    }
    // An installation token works on its own account's repositories only; GitHub answers 404 for any other.
    if let (Ok(id), Some(rest)) = (checked_token(&data, headers), api_path.strip_prefix("/repos/"))
    {
        let owner = rest.split('/').next().unwrap_or_default().to_ascii_lowercase();
        if let Some((account, _)) = data.installations.get(&id)
            && *account != owner
        {
            let why = format!(
                "the token of installation {id} ({account}) was used on a repository of {owner}"
            );
            return (message(StatusCode::NOT_FOUND, "Not Found"), Some(why));
        }
    }
    if let Some(until) = data.exhausted_until.filter(|u| *u > SystemTime::now()) {
        let reset = until.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let mut r = message(StatusCode::FORBIDDEN, "API rate limit exceeded for installation.");
        let h = r.headers_mut();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_str(&reset.to_string()).unwrap());
        return (r, None);
    }
    let mut spend = None;
    // A fault's text may start with a method (`POST /repos/…`) to hit only that operation.
    let operation = format!("{method} {api_path}");
    if let Some(i) = data.faults.iter().position(|(part, _)| {
        api_path.contains(part.as_str()) || operation.starts_with(part.as_str())
    }) {
        let (_, fault) = data.faults.remove(i).unwrap();
        let response = match fault {
            Fault::SpendQuota(seconds) => {
                let reset = UNIX_EPOCH + Duration::from_secs(now_secs() + seconds.max(1) + 1);
                data.resets.push(reset);
                spend = Some(reset);
                None
            }
            Fault::ServerError => {
                Some(message(StatusCode::INTERNAL_SERVER_ERROR, "injected server error"))
            }
            Fault::Unauthorized => {
                // As if the token had been revoked: it stops working for good.
                let auth =
                    headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
                let token = auth.rsplit(' ').next().unwrap_or_default().to_owned();
                data.tokens.remove(&token);
                Some(message(StatusCode::UNAUTHORIZED, "Bad credentials"))
            }
            Fault::RateLimitReset(seconds) => {
                let reset = now_secs() + seconds.max(1) + 1;
                data.resets.push(UNIX_EPOCH + Duration::from_secs(reset));
                let mut r =
                    message(StatusCode::FORBIDDEN, "API rate limit exceeded for installation.");
                let h = r.headers_mut();
                h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
                h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                h.insert("x-ratelimit-reset", HeaderValue::from_str(&reset.to_string()).unwrap());
                Some(r)
            }
            Fault::Unprocessable => Some(message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation Failed: body is too long (maximum is 65536 characters)",
            )),
            Fault::Status(code) => {
                Some(message(StatusCode::from_u16(code).unwrap(), "injected status"))
            }
            Fault::SlowAnswer(ms) => {
                data.delay = Some(Duration::from_millis(ms));
                None
            }
            Fault::RetryAfter(seconds) => {
                let mut r = message(
                    StatusCode::TOO_MANY_REQUESTS,
                    "You have exceeded a secondary rate limit.",
                );
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_str(&seconds.to_string()).unwrap());
                Some(r)
            }
        };
        if let Some(response) = response {
            return (response, None);
        }
    }
    let parts: Vec<&str> = api_path.trim_start_matches('/').split('/').collect();
    let response = match (method.as_str(), parts.as_slice()) {
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            let Ok(id) = id.parse::<u64>() else {
                return reject(StatusCode::NOT_FOUND, "bad id".to_owned());
            };
            data.issued += 1;
            let token = format!("ghs_fake{}_{}", id, data.issued);
            let expires = SystemTime::now() + shared.token_lifetime;
            data.tokens.insert(token.clone(), (id, expires));
            let expires_at = chrono::DateTime::<chrono::Utc>::from(expires)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            (
                StatusCode::CREATED,
                axum::Json(json!({"token": token, "expires_at": expires_at, "permissions": {}})),
            )
                .into_response()
        }
        ("GET", ["repos", owner, repo, "contents", rest @ ..]) => {
            let key = (format!("{owner}/{repo}").to_ascii_lowercase(), rest.join("/"));
            match data.files.get(&key) {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(text) => {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                    // GitHub wraps base64 content at 60 columns.
                    let wrapped: Vec<String> = encoded
                        .as_bytes()
                        .chunks(60)
                        .map(|c| String::from_utf8(c.to_vec()).unwrap())
                        .collect();
                    axum::Json(json!({"type": "file", "encoding": "base64", "content": wrapped.join("\n") + "\n",
                                      "name": rest.last(), "path": key.1, "size": text.len()}))
                    .into_response()
                }
            }
        }
        ("GET", ["orgs", org, "memberships", user]) => {
            let key = (org.to_ascii_lowercase(), user.to_ascii_lowercase());
            match data.memberships.get(&key) {
                Some(role) => axum::Json(json!({"state": "active", "role": role,
                    "organization": {"login": org}, "user": {"login": user}}))
                .into_response(),
                None => message(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        ("GET", ["orgs", org, "teams", team, "memberships", user]) => {
            let row =
                (org.to_ascii_lowercase(), team.to_ascii_lowercase(), user.to_ascii_lowercase());
            if data.team_members.contains(&row) {
                axum::Json(json!({"state": "active", "role": "member", "url": ""})).into_response()
            } else {
                message(StatusCode::NOT_FOUND, "Not Found")
            }
        }
        ("GET", ["user"]) => {
            let login = checked_user_token(&data, headers).unwrap_or_default();
            axum::Json(json!({"login": login, "id": 1, "node_id": "U_fake", "type": "User",
                              "site_admin": false, "html_url": format!("https://github.com/{login}")}))
            .into_response()
        }
        ("GET", ["installation", "repositories"]) => {
            let Ok(id) = checked_token(&data, headers) else {
                return reject(StatusCode::UNAUTHORIZED, "needs an installation token".to_owned());
            };
            let items: Vec<Value> = data
                .repositories_of(id)
                .iter()
                .enumerate()
                .map(|(i, full)| {
                    let (owner, name) = full.split_once('/').unwrap_or((full, full));
                    json!({"id": i + 1, "node_id": "R_fake", "name": name, "full_name": full,
                           "owner": {"login": owner, "id": 1, "type": "Organization"},
                           "private": !data.public.contains(full), "default_branch": "main"})
                })
                .collect();
            // GitHub wraps this list in an object: `{"total_count", "repositories": [page]}`.
            let (slice, link) = page_of(shared, api_path, query, &items);
            let mut response =
                axum::Json(json!({"total_count": items.len(), "repositories": slice}))
                    .into_response();
            if let Some(link) = link {
                response.headers_mut().insert("link", link);
            }
            response
        }
        ("GET", ["repos", owner, repo, "commits", sha]) => {
            let key = (format!("{owner}/{repo}").to_ascii_lowercase(), (*sha).to_owned());
            match data.commits.get(&key) {
                None => message(StatusCode::NOT_FOUND, "No commit found for SHA"),
                Some(text) => {
                    axum::Json(json!({"sha": sha, "commit": {"message": text}})).into_response()
                }
            }
        }
        ("GET", ["repos", owner, repo, "pulls", number, list @ ("files" | "reviews")]) => {
            let key = (format!("{owner}/{repo}").to_ascii_lowercase(), number.parse().unwrap_or(0));
            let items =
                if *list == "files" { data.pr_files.get(&key) } else { data.pr_reviews.get(&key) };
            match items {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(items) => page(shared, api_path, query, items),
            }
        }
        ("POST", ["repos", owner, repo, "pulls", number, "reviews"]) => {
            let fields = match fields(body, &["body"]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            let state = match fields.get("event").map(|e| e.as_str()) {
                None => "PENDING",
                Some(Some("COMMENT")) => "COMMENTED",
                Some(Some("APPROVE")) => "APPROVED",
                Some(Some("REQUEST_CHANGES")) => "CHANGES_REQUESTED",
                Some(other) => {
                    return reject(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("`event` {other:?} is not APPROVE, REQUEST_CHANGES or COMMENT"),
                    );
                }
            };
            data.next_id += 1;
            let id = 1000 + data.next_id;
            let review =
                review_json(id, APP_LOGIN, state, fields["body"].as_str().unwrap_or_default());
            let key = (format!("{owner}/{repo}").to_ascii_lowercase(), number.parse().unwrap_or(0));
            data.pr_reviews.entry(key).or_default().push(review.clone());
            axum::Json(review).into_response()
        }
        ("PUT", ["repos", owner, repo, "pulls", number, "reviews", id]) => {
            let fields = match fields(body, &["body"]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            let key = (format!("{owner}/{repo}").to_ascii_lowercase(), number.parse().unwrap_or(0));
            let id: u64 = id.parse().unwrap_or(0);
            let found = data
                .pr_reviews
                .get_mut(&key)
                .and_then(|rs| rs.iter_mut().find(|r| r["id"].as_u64() == Some(id)));
            match found {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(r) => {
                    r["body"] = fields["body"].clone();
                    axum::Json(r.clone()).into_response()
                }
            }
        }
        ("GET", ["repos", owner, repo]) => {
            let full = format!("{owner}/{repo}");
            let private = !data.public.contains(&full.to_ascii_lowercase());
            axum::Json(json!({"id": 1, "full_name": full, "private": private,
                              "visibility": if private { "private" } else { "public" }}))
            .into_response()
        }
        ("GET", ["repos", owner, repo, "issues", number, "comments"]) => {
            let repo = format!("{owner}/{repo}").to_ascii_lowercase();
            let number: u64 = number.parse().unwrap_or(0);
            let items: Vec<Value> = data
                .comments
                .iter()
                .filter(|c| c.repo == repo && c.number == number)
                .map(comment_json)
                .collect();
            page(shared, api_path, query, &items)
        }
        ("POST", ["repos", owner, repo, "issues", number, "comments"]) => {
            let fields = match fields(body, &["body"]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            data.next_id += 1;
            let comment = FakeComment {
                id: 1000 + data.next_id,
                repo: format!("{owner}/{repo}").to_ascii_lowercase(),
                number: number.parse().unwrap_or(0),
                body: fields["body"].as_str().unwrap_or_default().to_owned(),
                user: APP_LOGIN.to_owned(),
            };
            let json = comment_json(&comment);
            data.comments.push(comment);
            (StatusCode::CREATED, axum::Json(json)).into_response()
        }
        ("PATCH", ["repos", owner, repo, "issues", "comments", id]) => {
            let fields = match fields(body, &["body"]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            let repo = format!("{owner}/{repo}").to_ascii_lowercase();
            let id: u64 = id.parse().unwrap_or(0);
            match data.comments.iter_mut().find(|c| c.repo == repo && c.id == id) {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(c) => {
                    c.body = fields["body"].as_str().unwrap_or_default().to_owned();
                    axum::Json(comment_json(c)).into_response()
                }
            }
        }
        (
            "POST",
            ["repos", owner, repo, kind @ ("issues" | "pulls"), "comments", id, "reactions"],
        ) => {
            let fields = match fields(body, &["content"]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            let content = fields["content"].as_str().unwrap_or_default().to_owned();
            if !REACTIONS.contains(&content.as_str()) {
                return reject(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("`{content}` is not a reaction"),
                );
            }
            let on = if *kind == "issues" { "issue_comment" } else { "review_comment" };
            let entry = (
                format!("{owner}/{repo}").to_ascii_lowercase(),
                on.to_owned(),
                id.parse().unwrap_or(0),
                content.clone(),
            );
            // GitHub answers 200 with the existing reaction instead of adding the same one twice.
            let status = if data.reactions.contains(&entry) {
                StatusCode::OK
            } else {
                data.reactions.push(entry);
                StatusCode::CREATED
            };
            (status, axum::Json(json!({"id": 1, "content": content}))).into_response()
        }
        ("GET", ["repos", owner, repo, "issues"]) => {
            let repo = format!("{owner}/{repo}").to_ascii_lowercase();
            let items: Vec<Value> =
                data.issues.iter().filter(|i| i.repo == repo).map(issue_json).collect();
            page(shared, api_path, query, &items)
        }
        ("POST", ["repos", owner, repo, "issues"]) => {
            let fields = match fields(body, &["title"]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            let repo = format!("{owner}/{repo}").to_ascii_lowercase();
            let number = data.issues.iter().filter(|i| i.repo == repo).count() as u64 + 1;
            let issue = FakeIssue {
                repo,
                number,
                title: fields["title"].as_str().unwrap_or_default().to_owned(),
                body: fields.get("body").and_then(Value::as_str).unwrap_or_default().to_owned(),
            };
            let json = issue_json(&issue);
            data.issues.push(issue);
            (StatusCode::CREATED, axum::Json(json)).into_response()
        }
        ("PATCH", ["repos", owner, repo, "issues", number]) => {
            let fields = match fields(body, &[]) {
                Ok(f) => f,
                Err(why) => return reject(StatusCode::UNPROCESSABLE_ENTITY, why),
            };
            let repo = format!("{owner}/{repo}").to_ascii_lowercase();
            let number: u64 = number.parse().unwrap_or(0);
            match data.issues.iter_mut().find(|i| i.repo == repo && i.number == number) {
                None => message(StatusCode::NOT_FOUND, "Not Found"),
                Some(i) => {
                    if let Some(t) = fields.get("title").and_then(Value::as_str) {
                        i.title = t.to_owned();
                    }
                    if let Some(b) = fields.get("body").and_then(Value::as_str) {
                        i.body = b.to_owned();
                    }
                    axum::Json(issue_json(i)).into_response()
                }
            }
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found (not served by the fake)"),
    };
    let mut response = response;
    let (remaining, reset) = match spend {
        Some(until) => {
            data.exhausted_until = Some(until);
            (0, until.duration_since(UNIX_EPOCH).unwrap().as_secs())
        }
        None => (4999, now_secs() + 3600),
    };
    let h = response.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from_str(&reset.to_string()).unwrap());
    (response, None)
}

/// Serves one page of `items` the way GitHub does (`per_page` ≤ 100, default 30; `page` from 1; `Link` header).
fn page(shared: &Shared, api_path: &str, query: Option<&str>, items: &[Value]) -> Response {
    let (slice, link) = page_of(shared, api_path, query, items);
    let mut response = axum::Json(Value::Array(slice)).into_response();
    if let Some(link) = link {
        response.headers_mut().insert("link", link);
    }
    response
}

/// Returns the page of `items` the query asks for and its `Link` header, if any.
fn page_of(
    shared: &Shared,
    api_path: &str,
    query: Option<&str>,
    items: &[Value],
) -> (Vec<Value>, Option<HeaderValue>) {
    let param = |name: &str| -> Option<usize> {
        query?
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
    };
    let per_page = param("per_page").unwrap_or(30).clamp(1, 100);
    let page = param("page").unwrap_or(1).max(1);
    let slice: Vec<Value> =
        items.iter().skip((page - 1) * per_page).take(per_page).cloned().collect();
    let last = items.len().div_ceil(per_page).max(1);
    let link = |p: usize, rel: &str| {
        format!(
            "<{}{}{api_path}?per_page={per_page}&page={p}>; rel=\"{rel}\"",
            shared.base, shared.prefix
        )
    };
    let mut links = Vec::new();
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    (slice, (!links.is_empty()).then(|| HeaderValue::from_str(&links.join(", ")).unwrap()))
}

/// `POST /settings/apps/new?state=…` and `POST /organizations/{org}/settings/apps/new?state=…` with a `manifest`
/// form field: checks the manifest as GitHub does (the fields it requires, known permissions and events), registers
/// the App for the signed-in user (or the org) and sends the browser to the manifest's `redirect_url` with a
/// one-time code and the state.
fn web_manifest(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> (Response, Option<String>) {
    let reject = |status: StatusCode, why: String| (message(status, &why), Some(why));
    if method != Method::POST {
        return reject(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} {path}: the manifest is POSTed"),
        );
    }
    let form: HashMap<String, String> =
        url_pairs(std::str::from_utf8(body).unwrap_or_default()).into_iter().collect();
    let state: HashMap<String, String> = url_pairs(query.unwrap_or_default()).into_iter().collect();
    let Some(manifest) = form.get("manifest").and_then(|m| serde_json::from_str::<Value>(m).ok())
    else {
        return reject(StatusCode::UNPROCESSABLE_ENTITY, "no JSON `manifest` form field".into());
    };
    for field in
        ["url", "hook_attributes", "redirect_url", "default_permissions", "default_events", "name"]
    {
        if manifest.get(field).is_none() {
            return reject(StatusCode::UNPROCESSABLE_ENTITY, format!("manifest without `{field}`"));
        }
    }
    const PERMISSIONS: [&str; 6] =
        ["metadata", "contents", "pull_requests", "issues", "members", "checks"];
    for (key, level) in manifest["default_permissions"].as_object().into_iter().flatten() {
        if !PERMISSIONS.contains(&key.as_str())
            || !["read", "write"].contains(&level.as_str().unwrap_or_default())
        {
            return reject(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("permission {key}: {level} is not one GitHub knows"),
            );
        }
    }
    let events = std::fs::read_dir(fixture("webhooks"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    for event in manifest["default_events"].as_array().into_iter().flatten() {
        let event = event.as_str().unwrap_or_default();
        if !events.iter().any(|e| e == event) {
            return reject(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown event {event}"));
        }
    }
    let hook = manifest["hook_attributes"]["url"].as_str().unwrap_or_default();
    if !hook.starts_with("https://") && !hook.starts_with("http://") {
        return reject(StatusCode::UNPROCESSABLE_ENTITY, format!("hook url {hook:?} is not a URL"));
    }
    let mut data = shared.data.lock().unwrap();
    let Some(user) = data.web_login.clone() else {
        let why = "nobody is signed in to the fake GitHub (call sign_in_as)".to_owned();
        return (message(StatusCode::UNAUTHORIZED, &why), Some(why));
    };
    let (owner, kind) = match path.strip_prefix("/organizations/").and_then(|r| r.split('/').next())
    {
        Some(org) => (org.to_owned(), "Organization"),
        None => (user, "User"),
    };
    data.issued += 1;
    let id = 1000 + data.issued;
    let name = manifest["name"].as_str().unwrap_or("app").to_owned();
    let slug: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let pem = std::fs::read_to_string(fixture("github-app-test-key.pem")).unwrap();
    let app = serde_json::json!({
        "id": id, "slug": slug, "node_id": format!("A_{id}"), "name": name,
        "owner": {"login": owner, "id": 1, "type": kind},
        "description": manifest["description"], "external_url": manifest["url"],
        "html_url": format!("https://github.com/apps/{slug}"),
        "created_at": "2026-11-17T12:00:00Z", "updated_at": "2026-11-17T12:00:00Z",
        "permissions": manifest["default_permissions"], "events": manifest["default_events"],
        "client_id": format!("Iv1.fake{id}"), "client_secret": format!("secret{id}"),
        "webhook_secret": format!("whsec{id}"), "pem": pem,
        "manifest": manifest,
    });
    data.apps.push(app.clone());
    let code = format!("mcode{id}");
    data.manifest_codes.insert(code.clone(), app);
    let redirect = manifest["redirect_url"].as_str().unwrap_or_default();
    let to = format!(
        "{redirect}?code={code}&state={}",
        encode_query(state.get("state").map(String::as_str).unwrap_or_default())
    );
    let mut r = StatusCode::FOUND.into_response();
    r.headers_mut().insert("location", HeaderValue::from_str(&to).unwrap());
    (r, None)
}
