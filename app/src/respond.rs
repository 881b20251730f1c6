//! What Mentor writes back to GitHub for one delivery: the review guide, replies to `/mentor` commands and the
//! growth journal. Everything is returned as planned outbox writes (plus the evidence and touchpoints commands
//! make), stored by the worker in the same transaction as the delivery's other effects.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mentor_core::activity::{PullRequestFacts, Source};
use mentor_core::command::{self, CommandContext, Decision};
use mentor_core::config::Pair;
use mentor_core::conventional::FeedbackMix;
use mentor_core::evidence::{self, MilestoneStatus, Vantage};
use mentor_core::identity::Roster;
use mentor_core::template::{self, PullRequest, TemplateKind};
use mentor_core::{Config, Evidence, Login, Touchpoint, touchpoint};

use crate::github::ReactionTarget;
use crate::outbox::{self, Write};

use crate::config_source::ConfigSource;
use crate::failure::Failure;
use crate::github::GitHubApi;
use crate::guide::Guides;
use crate::payload::Payload;
use crate::store::Store;
use crate::store::{Outcome, PlannedWrite};

/// What responding to a delivery adds to its outcome.
#[derive(Debug, Default)]
pub struct Response {
    /// GitHub writes to plan.
    pub writes: Vec<PlannedWrite>,
    /// Evidence rows from commands.
    pub evidence: Vec<Evidence>,
    /// Touchpoints from commands.
    pub touchpoints: Vec<Touchpoint>,
    /// A problem for the operator, kept with the delivery.
    pub problem: Option<String>,
    /// Conventional Comments counts (FeedbackMix JSON) for touchpoints, by key.
    pub feedback: Vec<(String, String)>,
    /// Pairs whose reminders were paused.
    pub snoozes: Vec<crate::store::Snooze>,
}

/// What planning a response needs, handed in explicitly (the worker builds one per delivery; tests build their
/// own without a running worker).
pub struct Responder<'a> {
    /// The configs in force.
    pub configs: &'a ConfigSource,
    /// GitHub, for what the guide and the templates read.
    pub github: &'a dyn GitHubApi,
    /// The store, for stored evidence and planned writes.
    pub store: &'a Store,
    /// Template sets for review guides.
    pub guides: &'a Guides,
    /// The domain's now.
    pub now: DateTime<Utc>,
}

/// Plans the writes for `event` with `payload`; `outcome` holds what the delivery already produced.
pub async fn plan(
    deps: &Responder<'_>,
    event: &str,
    payload: &Payload,
    outcome: &Outcome,
) -> Result<Response, Failure> {
    let mut response = Response::default();
    let action = payload.action.as_deref().unwrap_or_default();
    let comment_body = payload.comment.as_ref().and_then(|c| c.body.as_deref());
    let wanted = match event {
        "pull_request" => crate::guide::is_guide_action(action),
        // Only new comments run commands: an edit or a redelivery never runs one twice.
        "issue_comment" | "pull_request_review_comment" => {
            action == "created" && comment_body.is_some_and(|b| b.contains("/mentor"))
        }
        _ => false,
    };
    response.feedback = feedback(event, payload, &outcome.touchpoints);
    // New evidence refreshes the growth journal.
    if !wanted && outcome.evidence.is_empty() {
        return Ok(response);
    }
    let (Some(installation_id), Some(repo)) = (
        payload.installation.as_ref().map(|i| i.id),
        payload.repository.as_ref().map(|r| r.full_name.as_str()),
    ) else {
        return Ok(response);
    };
    let config = deps.configs.config_for(installation_id, repo).await?;
    let Some(config) = config else { return Ok(response) };
    let now = deps.now;
    if wanted && event == "pull_request" {
        let guide = deps
            .guides
            .plan(deps.github, deps.store, &config, installation_id, repo, action, payload, now)
            .await?;
        response.writes.extend(guide.write);
        response.problem = guide.problem;
    } else if wanted {
        commands(deps, &config, installation_id, repo, event, payload, now, &mut response).await?;
    }
    if let Some(journal_repo) = &config.privacy.journal_repo {
        let org = crate::config_source::org_of(repo).unwrap_or_default();
        let new: Vec<&Evidence> = outcome.evidence.iter().chain(&response.evidence).collect();
        let mut changed: Vec<&Login> = new.iter().map(|e| &e.mentee).collect();
        changed.sort();
        changed.dedup();
        let writes = journal_writes(
            deps.store,
            &config,
            &org,
            installation_id,
            journal_repo,
            &changed,
            &new,
            now,
        )
        .await?;
        response.writes.extend(writes);
    }
    Ok(response)
}

/// Returns the Conventional Comments counts (FeedbackMix JSON) of a submitted review or a new review comment,
/// for each touchpoint it made, by key: the labels' counts, never the text.
pub fn feedback(
    event: &str,
    payload: &Payload,
    touchpoints: &[Touchpoint],
) -> Vec<(String, String)> {
    let action = payload.action.as_deref().unwrap_or_default();
    let body = match (event, action) {
        ("pull_request_review", "submitted") => {
            payload.review.as_ref().and_then(|r| r.body.as_deref())
        }
        ("pull_request_review_comment", "created") => {
            payload.comment.as_ref().and_then(|c| c.body.as_deref())
        }
        _ => None,
    };
    let Some(body) = body else { return Vec::new() };
    let mut mix = FeedbackMix::default();
    mix.add_text(body);
    let json = serde_json::to_string(&mix).unwrap_or_default();
    touchpoints.iter().map(|t| (t.key.clone(), json.clone())).collect()
}

/// Plans the growth journal of every pair of each of `mentees` in `org`, from the stored evidence with `new`
/// (not committed yet) replacing stored rows of the same key.
#[allow(clippy::too_many_arguments)]
pub async fn journal_writes(
    store: &Store,
    config: &Config,
    org: &str,
    installation_id: u64,
    journal_repo: &str,
    mentees: &[&Login],
    new: &[&Evidence],
    now: DateTime<Utc>,
) -> Result<Vec<PlannedWrite>, Failure> {
    let mut writes = Vec::new();
    for &mentee in mentees {
        let mut rows: Vec<Evidence> =
            store.evidence_of(org, mentee.as_str()).await.map_err(|e| Failure::database(&e))?;
        for &fresh in new.iter().filter(|e| &e.mentee == mentee) {
            rows.retain(|r| r.key != fresh.key);
            rows.push(fresh.clone());
        }
        for pair in config.pairs_of_mentee(mentee) {
            let marker = outbox::journal_marker(org, pair.mentor.as_str(), pair.mentee.as_str());
            let body =
                outbox::with_marker(&mentor_core::journal::body(config, pair, &rows, now), &marker);
            let write = Write::Issue { title: format!("Growth journal: @{}", pair.mentee), body };
            writes.push(outbox::plan(marker, installation_id, journal_repo, &write));
        }
    }
    Ok(writes)
}

/// Runs the `/mentor` commands of a new comment: evidence and check-ins become rows, the answers one reply
/// comment keyed by the comment's id (so a retry never replies twice), or a `+1` reaction when nothing needs
/// saying (a check-in).
#[allow(clippy::too_many_arguments)]
async fn commands(
    deps: &Responder<'_>,
    config: &Arc<Config>,
    installation_id: u64,
    repo: &str,
    event: &str,
    payload: &Payload,
    now: DateTime<Utc>,
    response: &mut Response,
) -> Result<(), Failure> {
    let Some(comment) = &payload.comment else { return Ok(()) };
    let Some(body) = comment.body.as_deref() else { return Ok(()) };
    if comment.user.is_bot() {
        return Ok(());
    }
    let comment_id = comment.id;
    let parsed = command::parse_commands(body);
    if parsed.is_empty() {
        return Ok(());
    }
    // The pull request commented on: the issue of a conversation comment (the PR itself), else the PR. On a growth
    // journal (an issue whose marker names the pair) the pair's mentee stands for the author, and only the
    // commands that make sense there run: a nudge there suggests `/mentor snooze`.
    let journal = payload
        .issue
        .as_ref()
        .filter(|i| event == "issue_comment" && !i.is_pull_request())
        .and_then(|i| crate::outbox::journal_pair(i.body.as_deref().unwrap_or_default()));
    let (kind, reaction, number, author, title, labels, pr_url) = if let Some((_, mentee)) =
        &journal
        && let Some(issue) = payload.issue.as_ref()
    {
        (
            "comment",
            ReactionTarget::IssueComment(comment_id),
            issue.number,
            mentee.clone(),
            issue.title.clone(),
            None,
            issue.html_url.as_deref(),
        )
    } else if event == "issue_comment" {
        let Some(issue) = payload.issue.as_ref().filter(|i| i.is_pull_request()) else {
            return Ok(());
        };
        (
            "comment",
            ReactionTarget::IssueComment(comment_id),
            issue.number,
            issue.user.login(),
            issue.title.clone(),
            issue.labels.as_ref(),
            issue.html_url.as_deref(),
        )
    } else {
        let Some(pr) = &payload.pull_request else { return Ok(()) };
        (
            "review_comment",
            ReactionTarget::ReviewComment(comment_id),
            pr.number,
            pr.user.login(),
            pr.title.clone(),
            pr.labels.as_ref(),
            pr.html_url.as_deref(),
        )
    };
    let facts = PullRequestFacts {
        number,
        author: Some(author),
        title,
        labels: labels.map(|ls| ls.iter().map(|l| l.name.clone()).collect()),
        ..PullRequestFacts::default()
    };
    let source = Source {
        repo: repo.to_owned(),
        id: format!("{kind}/{comment_id}"),
        url: comment.html_url.clone(),
    };
    let public = payload.is_public();
    let templates = match deps.guides.templates(deps.github, installation_id, repo, config).await {
        Ok(t) => t,
        Err(crate::guide::TemplatesError::GitHub(e)) => return Err(e.into()),
        Err(crate::guide::TemplatesError::Invalid(problem)) => {
            response.problem = Some(format!("templates: {problem}"));
            Arc::new(template::resolve(template::builtin(), Vec::new()))
        }
    };
    let actor = comment.user.login();
    // OWNER, MEMBER and COLLABORATOR maintain the repository (they may run any template).
    let maintainer = comment.by_maintainer();
    let ctx = CommandContext {
        config,
        templates: &templates,
        actor: &actor,
        actor_is_maintainer: maintainer,
        pr: &facts,
        pr_url,
        comment: &source,
        public_repo: public,
        now,
    };
    let roster = Roster::new(config);
    let mut replies = Vec::new();
    let mut acted = false;
    for (index, result) in parsed.into_iter().enumerate() {
        let decision = match result {
            Err(e) => {
                replies.push(e.to_string());
                continue;
            }
            Ok(cmd)
                if journal.is_some()
                    && !matches!(
                        cmd.action,
                        command::Action::Help | command::Action::Snooze { .. }
                    ) =>
            {
                replies.push(format!(
                    "`/mentor {}` works on pull requests; on a growth journal you can use `/mentor snooze <duration>` and `/mentor help`.",
                    cmd.action.verb()
                ));
                continue;
            }
            Ok(cmd) => command::decide(&cmd, &ctx),
        };
        match decision {
            Decision::Ignored => {}
            Decision::Reply(text) | Decision::Denied(text) | Decision::Invalid(text) => {
                replies.push(text)
            }
            Decision::Evidence { evidence, reply } => {
                response.evidence.push(evidence);
                replies.push(reply);
            }
            Decision::Snooze { pairs, until, reply } => {
                response.snoozes.extend(
                    pairs.into_iter().map(|(mentor, mentee)| crate::store::Snooze {
                        mentor,
                        mentee,
                        until,
                    }),
                );
                replies.push(reply);
            }
            Decision::Touchpoint { activity, .. } => {
                response.touchpoints.extend(touchpoint::derive(config, &roster, &activity));
                acted = true;
            }
            Decision::Template { id, mentor, mentee } => {
                let Some(pair) =
                    config.pairs.iter().find(|p| p.mentor == mentor && p.mentee == mentee)
                else {
                    continue;
                };
                let pr = PullRequest {
                    repo: repo.to_owned(),
                    private: !public,
                    number,
                    title: facts.title.clone().unwrap_or_default(),
                    url: pr_url.unwrap_or_default().to_owned(),
                    author: mentee.clone(),
                    draft: false,
                    additions: 0,
                    deletions: 0,
                    changed_files: 0,
                    labels: facts.labels.clone().unwrap_or_default(),
                    changed_paths: None,
                };
                let rows = deps
                    .store
                    .evidence_of(
                        &crate::config_source::org_of(repo).unwrap_or_default(),
                        mentee.as_str(),
                    )
                    .await
                    .map_err(|e| Failure::database(&e))?;
                let met = met_milestones(config, pair, &rows, now);
                let in_play = template::milestones_in_play(config, pair, &pr, &met, now);
                let ctx = template::context(config, pair, &pr, in_play, &met, public, now);
                match templates.render(&id, &ctx) {
                    Ok(text) => {
                        let post_as = templates.get(&id).map_or(TemplateKind::Comment, |t| t.kind);
                        let marker = format!(
                            "template:{}:{kind}/{comment_id}:{index}",
                            repo.to_ascii_lowercase()
                        );
                        let write = outbox::template_write(
                            post_as,
                            number,
                            outbox::with_marker(&text, &marker),
                        );
                        response.writes.push(outbox::plan(marker, installation_id, repo, &write));
                        acted = true;
                    }
                    Err(e) => replies.push(format!("template `{id}` could not be rendered: {e}")),
                }
            }
        }
    }
    if !replies.is_empty() {
        let marker = format!("reply:{}:{kind}/{comment_id}", repo.to_ascii_lowercase());
        let write =
            Write::Comment { number, body: outbox::with_marker(&replies.join("\n\n"), &marker) };
        response.writes.push(outbox::plan(marker, installation_id, repo, &write));
    } else if acted {
        let marker = format!("reaction:{}:{kind}/{comment_id}", repo.to_ascii_lowercase());
        let write = Write::Reaction { target: reaction, content: "+1".into() };
        response.writes.push(outbox::plan(marker, installation_id, repo, &write));
    }
    Ok(())
}

/// Returns the ids of `pair`'s milestones met by `rows`.
pub fn met_milestones(
    config: &Config,
    pair: &Pair,
    rows: &[Evidence],
    now: DateTime<Utc>,
) -> Vec<String> {
    evidence::report(config, pair, rows, Vantage::GitHub, now)
        .milestones
        .into_iter()
        .filter(|m| m.status == MilestoneStatus::Met)
        .map(|m| m.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A review's Conventional Comments counts go on the touchpoints the review made, with no GitHub call and
    /// no running worker: only the dependencies `plan` is handed.
    #[tokio::test]
    async fn a_reviews_feedback_counts_go_on_its_touchpoints() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&dir.path().join("t.db").to_string_lossy()).await.unwrap();
        let github = crate::demo::DemoGitHub::default();
        let configs = ConfigSource::new(Arc::new(crate::demo::DemoGitHub::default()));
        let guides = Guides::default();
        let deps = Responder {
            configs: &configs,
            github: &github,
            store: &store,
            guides: &guides,
            now: Utc::now(),
        };
        let payload = Payload::decode(
            "pull_request_review",
            r#"{"action": "submitted", "review": {"id": 1, "user": {"login": "bob"}, "state": "commented",
                "body": "nitpick (non-blocking): a typo in the doc comment"}}"#,
        )
        .unwrap();
        let touchpoint = Touchpoint {
            key: "review:acme/api#1:bob>alice".into(),
            kind: mentor_core::TouchpointKind::Review,
            mentor: Login::new("bob"),
            mentee: Login::new("alice"),
            minutes: 30,
            at: Utc::now(),
            source: "acme/api#1".into(),
            url: None,
        };
        let outcome = Outcome { touchpoints: vec![touchpoint], ..Outcome::default() };
        let response = plan(&deps, "pull_request_review", &payload, &outcome).await.unwrap();
        assert!(response.writes.is_empty());
        assert_eq!(response.feedback.len(), 1);
        let (key, mix) = &response.feedback[0];
        assert_eq!(key, "review:acme/api#1:bob>alice");
        let mix: FeedbackMix = serde_json::from_str(mix).unwrap();
        assert_eq!((mix.praise, mix.nitpick, mix.non_blocking), (0, 1, 1), "{mix:?}");
        store.close().await;
    }
}
