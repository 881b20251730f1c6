//! Webhook payloads → core [`Activity`]s: the only place that knows GitHub's payload shapes.
//!
//! Payloads are decoded into the minimal typed [`Payload`] (only the fields Mentor uses; unknown fields and
//! actions tolerated, which octocrab's typed webhook events are not), so a new action or field never breaks a
//! delivery. A field Mentor needs that is missing or has the wrong type is a [`NormalizeError`] naming it, so the
//! delivery fails visibly instead of being dropped.
//!
//! What each event means (and why some actions are deliberately not relevant):
//! - `pull_request` `opened` (non-draft), `reopened`, `ready_for_review` → `PullRequestOpened`; `closed` →
//!   `PullRequestMerged` (labels, title, merge commit, additions+deletions) or `PullRequestClosed`. `edited`,
//!   `labeled`, `unlabeled` and `synchronize` are *not* relevant: the `closed` payload carries the final labels,
//!   title and line counts, so intermediate facts are never needed, and re-emitting `PullRequestOpened` on every
//!   push would make consumers re-plan opened-PR actions for nothing.
//! - `pull_request_review` `submitted` → `ReviewSubmitted` (comments 0: the payload does not say). `edited` and
//!   `dismissed` are not relevant: an edit must not count the review twice, and a dismissal does not undo the
//!   mentoring that happened. `pending` reviews are not submitted yet and give `Nothing`.
//! - `pull_request_review_comment` `created` → `ReviewComment`; `issue_comment` `created` on a PR (the issue has a
//!   `pull_request` key) → `IssueComment`; a comment on a plain issue is `Nothing`.
//! - `pull_request_review_thread` is not relevant: resolving a thread adds no interaction beyond the comments in it,
//!   which were counted when created.
//! - `installation` `created`/`deleted` and `installation_repositories` `added`/`removed` → `Installation`.
//! - `push` to the default branch touching `.github/mentorship.yml` or `.github/mentorship/templates/**` →
//!   `ConfigChanged`. Who pushed does not matter here (a bot may update the config); other pushes are `Nothing`.
//!
//! Bots (`[bot]` logins or `type: Bot`) never count: an activity whose actor is a bot gives `Nothing`. For PR
//! events the actor is the PR author, so a human's PR merged by a merge-queue bot still counts. A delivery
//! without `installation.id` comes from a plain repository webhook, not from the App: Mentor cannot act on it
//! (it has no installation to authenticate as), so it gives `Nothing` with that reason.

use mentor_core::{Activity, ActivityKind, PullRequestFacts, ReviewState, Source};

use crate::payload::{Payload, missing};

/// The config file Mentor reads, relative to a repository's root.
pub const CONFIG_PATH: &str = ".github/mentorship.yml";
/// The folder of template overrides, relative to a repository's root.
pub const TEMPLATES_DIR: &str = ".github/mentorship/templates/";

/// What one delivery means for Mentor.
#[derive(Clone, Debug, PartialEq)]
pub enum Normalized {
    /// Nothing to do (e.g. a comment on an issue that is not a PR, a bot actor); the reason is logged.
    Nothing {
        /// Why the delivery needs no work, for logs.
        reason: String,
    },
    /// Activities to derive touchpoints/evidence from.
    Activities {
        /// The App installation the delivery came through.
        installation_id: u64,
        /// `owner/name`.
        repo: String,
        /// What happened, in order.
        activities: Vec<Activity>,
    },
    /// `.github/mentorship.yml` (or templates) may have changed on the default branch: drop cached config for repo.
    ConfigChanged {
        /// The App installation the delivery came through.
        installation_id: u64,
        /// `owner/name`.
        repo: String,
    },
    /// The App was installed, uninstalled, suspended or unsuspended, or repositories were added or removed.
    Installation {
        /// The installation concerned.
        installation_id: u64,
        /// The installation's account (the org), lowercase.
        account: String,
        /// The action (`created`, `deleted`, `suspend`, `unsuspend`, `added`, `removed`).
        action: String,
        /// `owner/name` of repositories now visible to the App.
        repos_added: Vec<String>,
        /// `owner/name` of repositories no longer visible to the App.
        repos_removed: Vec<String>,
        /// True when the whole installation was removed.
        deleted: bool,
    },
}

/// A payload Mentor cannot read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// A field Mentor needs is absent or null.
    #[error(
        "{event} payload has no `{field}`\n\nGitHub always sends this field; check that the delivery body is complete."
    )]
    MissingField {
        /// The event name (`X-GitHub-Event`).
        event: String,
        /// Dotted path of the field, e.g. `pull_request.user.login`.
        field: String,
    },
    /// A field has a different type or format than GitHub documents.
    #[error("{event} payload field `{field}` is invalid: {message}")]
    InvalidField {
        /// The event name (`X-GitHub-Event`).
        event: String,
        /// Dotted path of the field.
        field: String,
        /// What serde found and expected (`invalid type: string "x", expected u64`).
        message: String,
    },
    /// The body is not one JSON document.
    #[error("{event} payload is not valid JSON: {message}")]
    Malformed {
        /// The event name (`X-GitHub-Event`).
        event: String,
        /// Where and what.
        message: String,
    },
}

/// Returns true if Mentor uses this event/action at all (else the webhook answers 202 and records it as ignored,
/// without keeping the payload). Cheap: called in the request path before the inbox write.
///
/// True exactly for the pairs that can yield something other than [`Normalized::Nothing`]; see the module
/// documentation for why the other actions of the same events are left out.
pub fn is_relevant(event: &str, action: Option<&str>) -> bool {
    matches!(
        (event, action),
        ("pull_request", Some("opened" | "reopened" | "ready_for_review" | "closed"))
            // Only the review guide (`guide`) uses these: they change labels, title or diff.
            | ("pull_request", Some("labeled" | "unlabeled" | "edited" | "synchronize"))
            | ("pull_request_review", Some("submitted"))
            | ("pull_request_review_comment", Some("created"))
            | ("issue_comment", Some("created"))
            | ("installation", Some("created" | "deleted" | "suspend" | "unsuspend"))
            | ("installation_repositories", Some("added" | "removed"))
            | ("push", None)
    )
}

/// Says what one decoded delivery means for Mentor; unknown actions give [`Normalized::Nothing`]. A payload
/// missing a field Mentor needs is an error naming the field (the delivery then fails visibly, it is not
/// dropped).
pub fn normalize(event: &str, payload: &Payload) -> Result<Normalized, NormalizeError> {
    let action = payload.action.as_deref();
    if !is_relevant(event, action) {
        return Ok(nothing(format!(
            "{event} {} is not used by Mentor",
            action.unwrap_or("(no action)")
        )));
    }
    match event {
        "installation" => return installation(event, payload),
        "installation_repositories" => return installation(event, payload),
        _ => {}
    }
    let Some(installation) = &payload.installation else {
        return Ok(nothing(format!(
            "{event} delivery has no installation: it comes from a repository webhook, not from the Mentor App"
        )));
    };
    let installation_id = installation.id;
    let repo = payload.repo(event)?.full_name.clone();
    let activity = match event {
        "pull_request" => pull_request(event, payload, action.unwrap_or_default(), &repo)?,
        "pull_request_review" => review(event, payload, &repo)?,
        "pull_request_review_comment" => review_comment(event, payload, &repo)?,
        "issue_comment" => issue_comment(event, payload, &repo)?,
        "push" => return push(event, payload, installation_id, repo),
        _ => return Ok(nothing(format!("{event} is not used by Mentor"))),
    };
    Ok(match activity {
        Err(reason) => nothing(reason),
        Ok(activity) => {
            Normalized::Activities { installation_id, repo, activities: vec![activity] }
        }
    })
}

/// An activity, or the reason there is none.
type Outcome = Result<Activity, String>;

fn nothing(reason: String) -> Normalized {
    Normalized::Nothing { reason }
}

/// Returns the required object `value` of `event`, or the error naming `field`.
fn required<'a, T>(
    event: &str,
    value: &'a Option<T>,
    field: &str,
) -> Result<&'a T, NormalizeError> {
    value.as_ref().ok_or_else(|| missing(event, field))
}

fn pull_request(
    event: &str,
    p: &Payload,
    action: &str,
    repo: &str,
) -> Result<Outcome, NormalizeError> {
    let pr = required(event, &p.pull_request, "pull_request")?;
    if pr.user.is_bot() {
        return Ok(Err(format!("pull request by bot {}", pr.user.login())));
    }
    let (kind, at, at_field) = match action {
        "labeled" | "unlabeled" | "edited" | "synchronize" => {
            return Ok(Err(format!("pull request {action}: only the review guide is refreshed")));
        }
        "closed" if pr.merged.unwrap_or(false) => {
            (ActivityKind::PullRequestMerged, pr.merged_at, "merged_at")
        }
        "closed" => (ActivityKind::PullRequestClosed, pr.closed_at, "closed_at"),
        "opened" if pr.draft.unwrap_or(false) => {
            return Ok(Err("draft pull request: it counts once it is ready for review".to_owned()));
        }
        "opened" => (ActivityKind::PullRequestOpened, pr.created_at, "created_at"),
        _ => (ActivityKind::PullRequestOpened, pr.updated_at, "updated_at"),
    };
    let at = at.ok_or_else(|| missing(event, &format!("pull_request.{at_field}")))?;
    let merged = kind == ActivityKind::PullRequestMerged;
    let facts = PullRequestFacts {
        merge_commit: if merged { pr.merge_commit_sha.clone() } else { None },
        ..pr_facts(pr)
    };
    Ok(Ok(Activity {
        kind,
        actor: pr.user.login(),
        at,
        source: Source {
            repo: repo.to_owned(),
            id: format!("pr/{}", facts.number),
            url: pr.html_url.clone(),
        },
        pr: Some(facts),
        trailers: Vec::new(),
    }))
}

fn review(event: &str, p: &Payload, repo: &str) -> Result<Outcome, NormalizeError> {
    let review = required(event, &p.review, "review")?;
    if review.user.is_bot() {
        return Ok(Err(format!("review by bot {}", review.user.login())));
    }
    let state = match review.state.to_ascii_lowercase().as_str() {
        "approved" => ReviewState::Approved,
        "changes_requested" => ReviewState::ChangesRequested,
        "commented" => ReviewState::Commented,
        "dismissed" => ReviewState::Dismissed,
        "pending" => return Ok(Err("pending review: not submitted yet".to_owned())),
        other => {
            return Err(NormalizeError::InvalidField {
                event: event.to_owned(),
                field: "review.state".to_owned(),
                message: format!("`{other}` is not a review state"),
            });
        }
    };
    let pr = required(event, &p.pull_request, "pull_request")?;
    let at = review.submitted_at.ok_or_else(|| missing(event, "review.submitted_at"))?;
    Ok(Ok(Activity {
        kind: ActivityKind::ReviewSubmitted { state, comments: 0 },
        actor: review.user.login(),
        at,
        source: Source {
            repo: repo.to_owned(),
            id: format!("review/{}", review.id),
            url: review.html_url.clone(),
        },
        pr: Some(pr_facts(pr)),
        trailers: Vec::new(),
    }))
}

fn review_comment(event: &str, p: &Payload, repo: &str) -> Result<Outcome, NormalizeError> {
    let comment = required(event, &p.comment, "comment")?;
    if comment.user.is_bot() {
        return Ok(Err(format!("review comment by bot {}", comment.user.login())));
    }
    let pr = required(event, &p.pull_request, "pull_request")?;
    if is_commands_only(comment) {
        return Ok(Err(COMMANDS_ONLY.to_owned()));
    }
    Ok(Ok(Activity {
        kind: ActivityKind::ReviewComment,
        actor: comment.user.login(),
        at: comment.created_at,
        source: Source {
            repo: repo.to_owned(),
            id: format!("review_comment/{}", comment.id),
            url: comment.html_url.clone(),
        },
        pr: Some(pr_facts(pr)),
        trailers: Vec::new(),
    }))
}

fn issue_comment(event: &str, p: &Payload, repo: &str) -> Result<Outcome, NormalizeError> {
    let issue = required(event, &p.issue, "issue")?;
    if !issue.is_pull_request() {
        return Ok(Err("comment on an issue that is not a pull request".to_owned()));
    }
    let comment = required(event, &p.comment, "comment")?;
    if comment.user.is_bot() {
        return Ok(Err(format!("comment by bot {}", comment.user.login())));
    }
    // The issue of a PR comment is the PR itself: same number, author, title and labels.
    let facts = PullRequestFacts {
        number: issue.number,
        author: Some(issue.user.login()),
        title: issue.title.clone(),
        labels: issue.labels.as_ref().map(|ls| ls.iter().map(|l| l.name.clone()).collect()),
        ..PullRequestFacts::default()
    };
    if is_commands_only(comment) {
        return Ok(Err(COMMANDS_ONLY.to_owned()));
    }
    Ok(Ok(Activity {
        kind: ActivityKind::IssueComment,
        actor: comment.user.login(),
        at: comment.created_at,
        source: Source {
            repo: repo.to_owned(),
            id: format!("comment/{}", comment.id),
            url: comment.html_url.clone(),
        },
        pr: Some(facts),
        trailers: Vec::new(),
    }))
}

/// Why a comment of `/mentor` commands only yields no comment activity.
const COMMANDS_ONLY: &str = "a comment of /mentor commands only: the commands' own touchpoints count (a check-in), not a comment";

/// Returns true when the comment holds nothing but `/mentor` commands (see `command::is_commands_only`).
fn is_commands_only(comment: &crate::payload::Comment) -> bool {
    comment.body.as_deref().is_some_and(mentor_core::command::is_commands_only)
}

fn push(
    event: &str,
    p: &Payload,
    installation_id: u64,
    repo: String,
) -> Result<Normalized, NormalizeError> {
    let git_ref = required(event, &p.git_ref, "ref")?;
    let default_branch = p
        .repo(event)?
        .default_branch
        .as_deref()
        .ok_or_else(|| missing(event, "repository.default_branch"))?;
    if git_ref.strip_prefix("refs/heads/") != Some(default_branch) {
        return Ok(nothing(format!(
            "push to {git_ref}, not to the default branch {default_branch}"
        )));
    }
    // `head_commit` is also listed in `commits`, except in some truncated payloads: look at both.
    let touched = p.commits.iter().flatten().chain(&p.head_commit).any(|c| {
        c.added.iter().chain(&c.modified).chain(&c.removed).any(|path| is_config_path(path))
    });
    if touched {
        Ok(Normalized::ConfigChanged { installation_id, repo })
    } else {
        Ok(nothing(format!(
            "push to {default_branch} does not touch {CONFIG_PATH} or {TEMPLATES_DIR}"
        )))
    }
}

/// Returns true for the config file and the template overrides beside it.
pub fn is_config_path(path: &str) -> bool {
    path == CONFIG_PATH || path.starts_with(TEMPLATES_DIR)
}

fn installation(event: &str, p: &Payload) -> Result<Normalized, NormalizeError> {
    let installation = required(event, &p.installation, "installation")?;
    let account = installation
        .account
        .as_ref()
        .map(|a| a.login.to_ascii_lowercase())
        .ok_or_else(|| missing(event, "installation.account"))?;
    let action = p.action.clone().unwrap_or_default();
    let names = |list: &Option<Vec<crate::payload::RepositoryRef>>| -> Vec<String> {
        list.iter().flatten().map(|r| r.full_name.clone()).collect()
    };
    let deleted = event == "installation" && action == "deleted";
    let (repos_added, repos_removed) = if event == "installation_repositories" {
        (names(&p.repositories_added), names(&p.repositories_removed))
    } else if deleted {
        (Vec::new(), names(&p.repositories))
    } else {
        (names(&p.repositories), Vec::new())
    };
    Ok(Normalized::Installation {
        installation_id: installation.id,
        account,
        action,
        repos_added,
        repos_removed,
        deleted,
    })
}

/// Facts every PR payload object carries; the merge commit is left to the caller (it means something only once
/// merged: before that GitHub sends the sha of a test merge).
fn pr_facts(pr: &crate::payload::PullRequest) -> PullRequestFacts {
    PullRequestFacts {
        number: pr.number,
        author: Some(pr.user.login()),
        title: pr.title.clone(),
        labels: pr.labels.as_ref().map(|ls| ls.iter().map(|l| l.name.clone()).collect()),
        reviewers: None,
        changed_paths: None,
        changed_lines: pr.additions.zip(pr.deletions).map(|(a, d)| a + d),
        merge_commit: None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use mentor_core::Login;
    use serde_json::{Value, json};

    use super::*;

    fn fixture(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    /// Decodes `payload` as the worker does, then normalizes it.
    fn normalize(event: &str, payload: &Value) -> Result<Normalized, NormalizeError> {
        super::normalize(event, &Payload::decode(event, &payload.to_string())?)
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn only_activity(n: Normalized) -> Activity {
        match n {
            Normalized::Activities { installation_id: 1, repo, mut activities } => {
                assert_eq!(repo, "Codertocat/Hello-World");
                assert_eq!(activities.len(), 1);
                activities.remove(0)
            }
            other => panic!("expected one activity, got {other:?}"),
        }
    }

    const PR_CLOSED: &str =
        include_str!("../../tests/fixtures/webhooks/pull_request/closed.payload.json");
    const PR_OPENED: &str =
        include_str!("../../tests/fixtures/webhooks/pull_request/opened.payload.json");
    const REVIEW: &str =
        include_str!("../../tests/fixtures/webhooks/pull_request_review/submitted.payload.json");
    const REVIEW_COMMENT: &str = include_str!(
        "../../tests/fixtures/webhooks/pull_request_review_comment/created.payload.json"
    );
    const ISSUE_COMMENT: &str = include_str!(
        "../../tests/fixtures/webhooks/issue_comment/created.with-installation.payload.json"
    );
    const PUSH: &str =
        include_str!("../../tests/fixtures/webhooks/push/with-new-branch.payload.json");

    fn pr_facts_of_fixture() -> PullRequestFacts {
        PullRequestFacts {
            number: 2,
            author: Some(Login::new("Codertocat")),
            title: Some("Update the README with new information.".to_owned()),
            labels: Some(vec!["bug".to_owned()]),
            reviewers: None,
            changed_paths: None,
            changed_lines: Some(2),
            merge_commit: None,
        }
    }

    #[test]
    fn merged_pull_request_carries_labels_lines_title_and_merge_commit() {
        let mut payload = fixture(PR_CLOSED);
        // The upstream example closes without merging; GitHub sets these three fields on a merge.
        payload["pull_request"]["merged"] = json!(true);
        payload["pull_request"]["merged_at"] = json!("2019-05-15T15:21:17Z");
        payload["pull_request"]["merge_commit_sha"] =
            json!("c4295bd74fb0f4fda03689c3df3f2803b658fd85");
        let activity = only_activity(normalize("pull_request", &payload).unwrap());
        assert_eq!(
            activity,
            Activity {
                kind: ActivityKind::PullRequestMerged,
                actor: Login::new("Codertocat"),
                at: at("2019-05-15T15:21:17Z"),
                source: Source {
                    repo: "Codertocat/Hello-World".to_owned(),
                    id: "pr/2".to_owned(),
                    url: Some("https://github.com/Codertocat/Hello-World/pull/2".to_owned()),
                },
                pr: Some(PullRequestFacts {
                    merge_commit: Some("c4295bd74fb0f4fda03689c3df3f2803b658fd85".to_owned()),
                    ..pr_facts_of_fixture()
                }),
                trailers: Vec::new(),
            }
        );
    }

    #[test]
    fn closed_unmerged_pull_request_is_closed_at_closed_at() {
        let activity = only_activity(normalize("pull_request", &fixture(PR_CLOSED)).unwrap());
        assert_eq!(activity.kind, ActivityKind::PullRequestClosed);
        assert_eq!(activity.at, at("2019-05-15T15:21:18Z"));
        assert_eq!(activity.pr.unwrap().merge_commit, None);
    }

    #[test]
    fn merged_pull_request_without_merged_at_names_the_field() {
        let mut payload = fixture(PR_CLOSED);
        payload["pull_request"]["merged"] = json!(true);
        let err = normalize("pull_request", &payload).unwrap_err();
        assert_eq!(
            err,
            NormalizeError::MissingField {
                event: "pull_request".to_owned(),
                field: "pull_request.merged_at".to_owned()
            }
        );
        assert!(
            err.to_string().starts_with("pull_request payload has no `pull_request.merged_at`")
        );
    }

    #[test]
    fn opened_pull_request_and_draft() {
        let activity = only_activity(normalize("pull_request", &fixture(PR_OPENED)).unwrap());
        assert_eq!(activity.kind, ActivityKind::PullRequestOpened);
        assert_eq!(activity.actor, Login::new("Codertocat"));
        assert_eq!(activity.at, at("2019-05-15T15:20:33Z"));
        assert_eq!(activity.pr, Some(pr_facts_of_fixture()));

        let mut draft = fixture(PR_OPENED);
        draft["pull_request"]["draft"] = json!(true);
        assert!(matches!(normalize("pull_request", &draft).unwrap(), Normalized::Nothing { .. }));
    }

    #[test]
    fn submitted_review_is_a_review_by_its_author_on_the_pr_of_its_author() {
        let mut payload = fixture(REVIEW);
        // Make reviewer and PR author differ so the test can tell them apart.
        payload["review"]["user"]["login"] = json!("Mentor-Bob");
        let activity = only_activity(normalize("pull_request_review", &payload).unwrap());
        assert_eq!(
            activity,
            Activity {
                kind: ActivityKind::ReviewSubmitted { state: ReviewState::Commented, comments: 0 },
                actor: Login::new("mentor-bob"),
                at: at("2019-05-15T15:20:38Z"),
                source: Source {
                    repo: "Codertocat/Hello-World".to_owned(),
                    id: "review/237895671".to_owned(),
                    url: Some(
                        "https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671".to_owned()
                    ),
                },
                pr: Some(PullRequestFacts { changed_lines: None, ..pr_facts_of_fixture() }),
                trailers: Vec::new(),
            }
        );
        payload["review"]["state"] = json!("APPROVED");
        let activity = only_activity(normalize("pull_request_review", &payload).unwrap());
        assert_eq!(
            activity.kind,
            ActivityKind::ReviewSubmitted { state: ReviewState::Approved, comments: 0 }
        );
    }

    #[test]
    fn review_comment_is_one_review_comment() {
        let activity = only_activity(
            normalize("pull_request_review_comment", &fixture(REVIEW_COMMENT)).unwrap(),
        );
        assert_eq!(
            activity,
            Activity {
                kind: ActivityKind::ReviewComment,
                actor: Login::new("Codertocat"),
                at: at("2019-05-15T15:20:37Z"),
                source: Source {
                    repo: "Codertocat/Hello-World".to_owned(),
                    id: "review_comment/284312630".to_owned(),
                    url: Some(
                        "https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630"
                            .to_owned()
                    ),
                },
                pr: Some(PullRequestFacts { changed_lines: None, ..pr_facts_of_fixture() }),
                trailers: Vec::new(),
            }
        );
    }

    #[test]
    fn issue_comment_counts_on_pull_requests_only() {
        let on_issue = fixture(ISSUE_COMMENT);
        assert_eq!(
            normalize("issue_comment", &on_issue).unwrap(),
            Normalized::Nothing {
                reason: "comment on an issue that is not a pull request".to_owned()
            }
        );
        let mut on_pr = on_issue;
        on_pr["issue"]["pull_request"] = json!({
            "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1",
            "html_url": "https://github.com/Codertocat/Hello-World/pull/1"
        });
        let activity = only_activity(normalize("issue_comment", &on_pr).unwrap());
        assert_eq!(
            activity,
            Activity {
                kind: ActivityKind::IssueComment,
                actor: Login::new("Codertocat"),
                at: at("2019-05-15T15:20:21Z"),
                source: Source {
                    repo: "Codertocat/Hello-World".to_owned(),
                    id: "comment/492700400".to_owned(),
                    url: Some(
                        "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400"
                            .to_owned()
                    ),
                },
                pr: Some(PullRequestFacts {
                    number: 1,
                    author: Some(Login::new("Codertocat")),
                    title: Some("Spelling error in the README file".to_owned()),
                    labels: Some(vec!["bug".to_owned()]),
                    ..PullRequestFacts::default()
                }),
                trailers: Vec::new(),
            }
        );
    }

    #[test]
    fn bot_actors_never_count() {
        let mut by_app = fixture(REVIEW_COMMENT);
        by_app["comment"]["user"]["login"] = json!("dependabot[bot]");
        assert!(matches!(
            normalize("pull_request_review_comment", &by_app).unwrap(),
            Normalized::Nothing { reason } if reason == "review comment by bot dependabot[bot]"
        ));
        let mut typed_bot = fixture(REVIEW);
        typed_bot["review"]["user"]["type"] = json!("Bot");
        assert!(matches!(
            normalize("pull_request_review", &typed_bot).unwrap(),
            Normalized::Nothing { .. }
        ));
        let mut bot_pr = fixture(PR_OPENED);
        bot_pr["pull_request"]["user"]["login"] = json!("renovate[bot]");
        assert!(matches!(normalize("pull_request", &bot_pr).unwrap(), Normalized::Nothing { .. }));
    }

    #[test]
    fn human_pr_merged_by_a_bot_still_counts() {
        let mut payload = fixture(PR_CLOSED);
        payload["pull_request"]["merged"] = json!(true);
        payload["pull_request"]["merged_at"] = json!("2019-05-15T15:21:17Z");
        payload["sender"]["login"] = json!("github-merge-queue[bot]");
        payload["sender"]["type"] = json!("Bot");
        let activity = only_activity(normalize("pull_request", &payload).unwrap());
        assert_eq!(activity.actor, Login::new("codertocat"));
    }

    #[test]
    fn push_to_default_branch_touching_config_changes_config() {
        let touching = |list: &str, path: &str, git_ref: &str| {
            let mut payload = fixture(PUSH);
            payload["ref"] = json!(git_ref);
            payload["commits"][0][list] = json!([path]);
            payload["head_commit"] = Value::Null;
            normalize("push", &payload).unwrap()
        };
        let changed = Normalized::ConfigChanged {
            installation_id: 1,
            repo: "Codertocat/Hello-World".to_owned(),
        };
        assert_eq!(touching("modified", ".github/mentorship.yml", "refs/heads/master"), changed);
        assert_eq!(touching("removed", ".github/mentorship.yml", "refs/heads/master"), changed);
        assert_eq!(
            touching("added", ".github/mentorship/templates/review-guide.md", "refs/heads/master"),
            changed
        );
        assert!(matches!(
            touching("modified", ".github/mentorship.yml", "refs/heads/feature"),
            Normalized::Nothing { reason } if reason == "push to refs/heads/feature, not to the default branch master"
        ));
        assert!(matches!(
            touching("modified", ".github/mentorship.yml", "refs/tags/v1"),
            Normalized::Nothing { .. }
        ));
        assert!(matches!(
            touching("modified", "src/main.rs", "refs/heads/master"),
            Normalized::Nothing { .. }
        ));
        // The unmodified fixture pushes README.md to master.
        assert!(matches!(normalize("push", &fixture(PUSH)).unwrap(), Normalized::Nothing { .. }));
    }

    #[test]
    fn installation_events_list_repositories() {
        let created = fixture(include_str!(
            "../../tests/fixtures/webhooks/installation/created.payload.json"
        ));
        assert_eq!(
            normalize("installation", &created).unwrap(),
            Normalized::Installation {
                installation_id: 957387,
                account: "codertocat".to_owned(),
                action: "created".to_owned(),
                repos_added: vec!["Codertocat/Hello-World".to_owned()],
                repos_removed: Vec::new(),
                deleted: false,
            }
        );
        let removed = fixture(include_str!(
            "../../tests/fixtures/webhooks/installation_repositories/removed.payload.json"
        ));
        let Normalized::Installation {
            installation_id: 2,
            repos_added,
            repos_removed,
            deleted: false,
            ..
        } = normalize("installation_repositories", &removed).unwrap()
        else {
            panic!("expected an installation change");
        };
        assert!(repos_added.is_empty());
        assert_eq!(repos_removed, vec!["octocat/Hello-World".to_owned()]);
    }

    #[test]
    fn delivery_without_installation_is_not_for_the_app() {
        let mut payload = fixture(REVIEW_COMMENT);
        payload.as_object_mut().unwrap().remove("installation");
        assert!(matches!(
            normalize("pull_request_review_comment", &payload).unwrap(),
            Normalized::Nothing { reason } if reason.contains("repository webhook")
        ));
    }

    #[test]
    fn wrong_types_name_the_field() {
        let mut payload = fixture(REVIEW_COMMENT);
        payload["comment"]["id"] = json!("not-a-number");
        let err = normalize("pull_request_review_comment", &payload).unwrap_err();
        assert_eq!(
            err.to_string(),
            "pull_request_review_comment payload field `comment.id` is invalid: invalid type: string \"not-a-number\", expected u64"
        );
        let mut payload = fixture(REVIEW_COMMENT);
        payload["comment"]["user"].as_object_mut().unwrap().remove("login");
        let err = normalize("pull_request_review_comment", &payload).unwrap_err();
        assert_eq!(
            err,
            NormalizeError::MissingField {
                event: "pull_request_review_comment".into(),
                field: "comment.user.login".into()
            }
        );
        let mut payload = fixture(REVIEW_COMMENT);
        payload["comment"]["created_at"] = json!("yesterday");
        let err = normalize("pull_request_review_comment", &payload).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "pull_request_review_comment payload field `comment.created_at` is invalid"
            ),
            "{err}"
        );
        let err =
            Payload::decode("pull_request_review", "{\"action\": \"submitted\", \"x\": [1, }")
                .unwrap_err();
        assert!(matches!(err, NormalizeError::Malformed { .. }), "{err}");
        assert!(Payload::decode("pull_request_review", "{} trailing").is_err());
    }

    /// A comment of `/mentor` commands only yields no comment activity (its command's touchpoint counts);
    /// with prose around the command, it is a comment as well.
    #[test]
    fn commands_only_comments_are_not_also_comments() {
        let mut payload = fixture(include_str!(
            "../../tests/fixtures/webhooks/issue_comment/created.with-installation.payload.json"
        ));
        payload["issue"]["pull_request"] =
            json!({"url": "https://api.github.com/repos/o/r/pulls/1"});
        payload["comment"]["body"] = json!("/mentor checkin 30m");
        assert!(matches!(
            normalize("issue_comment", &payload).unwrap(),
            Normalized::Nothing { reason } if reason.contains("/mentor commands only")
        ));
        payload["comment"]["body"] = json!("Great pairing today.\n/mentor checkin 30m");
        assert!(matches!(
            normalize("issue_comment", &payload).unwrap(),
            Normalized::Activities { .. }
        ));
    }

    #[test]
    fn relevance_table() {
        assert!(is_relevant("pull_request", Some("closed")));
        assert!(is_relevant("push", None));
        // The review guide is refreshed on these; they make no activity.
        assert!(is_relevant("pull_request", Some("synchronize")));
        assert!(is_relevant("pull_request", Some("labeled")));
        assert!(!is_relevant("pull_request", Some("assigned")));
        assert!(!is_relevant("pull_request_review", Some("edited")));
        assert!(!is_relevant("pull_request_review_thread", Some("resolved")));
        assert!(!is_relevant("issues", Some("opened")));
        assert!(!is_relevant("issue_comment", None));
        // Irrelevant deliveries still normalize, to Nothing, whatever their shape.
        assert!(matches!(
            normalize("pull_request", &json!({"action": "brand_new_action"})).unwrap(),
            Normalized::Nothing { .. }
        ));
    }

    /// Every upstream example payload either normalizes or is not relevant: nothing in GitHub's documented
    /// shapes makes Mentor fail.
    #[test]
    fn every_corpus_payload_normalizes_or_is_not_relevant() {
        // The whole upstream corpus, vendored (tests/fixtures/webhooks/SOURCE.md); a missing copy fails here.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/webhooks");
        assert!(dir.is_dir(), "{} is missing", dir.display());
        let (mut relevant, mut total) = (0, 0);
        for event_dir in std::fs::read_dir(&dir).unwrap() {
            let event_dir = event_dir.unwrap().path();
            if !event_dir.is_dir() {
                continue;
            }
            let event = event_dir.file_name().unwrap().to_str().unwrap().to_owned();
            for file in std::fs::read_dir(&event_dir).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let payload: Value =
                    serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
                let action = payload.get("action").and_then(Value::as_str);
                // Upstream names files after the action (for the events Mentor reads, at least); the payload's
                // own `action` is what GitHub sends, so the two must agree.
                let handled = [
                    "pull_request",
                    "pull_request_review",
                    "pull_request_review_comment",
                    "pull_request_review_thread",
                    "issue_comment",
                    "installation",
                    "installation_repositories",
                ];
                if let Some(action) = action.filter(|_| handled.contains(&event.as_str())) {
                    let name = file.file_name().unwrap().to_str().unwrap();
                    assert!(name.starts_with(action), "{}: action {action}", file.display());
                }
                total += 1;
                let result = normalize(&event, &payload);
                if let Err(e) = &result {
                    panic!("{}: {e}", file.display());
                }
                if is_relevant(&event, action) {
                    relevant += 1;
                } else {
                    assert!(matches!(result, Ok(Normalized::Nothing { .. })), "{}", file.display());
                }
            }
        }
        assert!(total > 250, "only {total} payloads found in {}", dir.display());
        assert!(relevant > 20, "only {relevant} relevant payloads");
    }
}
