//! The review guide: one comment (or PR review, for a `kind: review` template) on each mentee pull request,
//! kept up to date.
//!
//! When a configured pair's mentee opens a pull request (or marks it ready for review), the template picked by
//! `TemplateSet::for_mentee_pr` is rendered and planned as one outbox comment with the marker
//! `review-guide:<repo>#<number>`. Later label, title and push changes render it again; the outbox edits the
//! comment only when the text changed, and never adds a second one. Repository templates
//! (`.github/mentorship/templates/<id>.md`) override the built-ins; they are cached with the config they were read
//! for, so a push that invalidates the config reloads them too. The privacy rule (no milestones in a public
//! repository unless `privacy.milestones_in_public`) is applied by `mentor_core::template::context` from the
//! payload's `repository.private`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::payload::Payload;
use chrono::{DateTime, Utc};
use mentor_core::Config;
use mentor_core::evidence::{MilestoneStatus, Vantage};
use mentor_core::template::{self, PullRequest, TemplateSet};

use crate::failure::Failure;
use crate::github::{GitHubApi, GitHubError};
use crate::outbox;
use crate::store::{PlannedWrite, Store};

/// Where repository templates live (one `<id>.md` per template).
pub const TEMPLATES_DIR: &str = ".github/mentorship/templates";

/// `pull_request` actions that post the guide (when it is not there yet).
const POSTING: &[&str] = &["opened", "reopened", "ready_for_review"];
/// `pull_request` actions that only refresh a guide already planned.
const REFRESHING: &[&str] = &["labeled", "unlabeled", "edited", "synchronize"];

/// Returns true for the `pull_request` actions the guide reacts to.
pub fn is_guide_action(action: &str) -> bool {
    POSTING.contains(&action) || REFRESHING.contains(&action)
}

/// What planning a guide produced.
#[derive(Debug, Default)]
pub struct GuidePlan {
    /// The comment to plan, if any.
    pub write: Option<PlannedWrite>,
    /// A problem for the operator (a template error); nothing is posted then.
    pub problem: Option<String>,
}

/// A repo's template set and the config it was loaded for.
type CachedTemplates = (Arc<Config>, Arc<TemplateSet>);

/// Template sets by repo, each with the config it was loaded for.
#[derive(Default)]
pub struct Guides {
    cache: Mutex<HashMap<String, CachedTemplates>>,
}

/// Returns the marker of the guide on PR `number` of `repo`.
pub fn marker(repo: &str, number: u64) -> String {
    format!("review-guide:{}#{number}", repo.to_ascii_lowercase())
}

impl Guides {
    /// Returns the built-ins merged with `repo`'s template files, loaded once per config in force.
    pub async fn templates(
        &self,
        github: &dyn GitHubApi,
        installation_id: u64,
        repo: &str,
        config: &Arc<Config>,
    ) -> Result<Arc<TemplateSet>, TemplatesError> {
        let key = repo.to_ascii_lowercase();
        if let Some((for_config, set)) =
            self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key)
            && Arc::ptr_eq(for_config, config)
        {
            return Ok(set.clone());
        }
        let builtins = template::builtin();
        let mut ids: Vec<String> = builtins.iter().map(|t| t.id.clone()).collect();
        if let Some(id) = &config.templates.on_mentee_pr
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
        let mut overrides = Vec::new();
        for id in ids {
            let path = format!("{TEMPLATES_DIR}/{id}.md");
            if let Some(text) = github.file_text(installation_id, repo, &path).await? {
                let mut t = template::parse_template(&format!("{repo}:{path}"), &text)
                    .map_err(|e| TemplatesError::Invalid(e.to_string()))?;
                t.origin = template::Origin::Repository;
                overrides.push(t);
            }
        }
        let set = Arc::new(template::resolve(builtins, overrides));
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (config.clone(), set.clone()));
        Ok(set)
    }

    /// Plans the guide for a `pull_request` delivery, or says why there is none.
    #[allow(clippy::too_many_arguments)]
    pub async fn plan(
        &self,
        github: &dyn GitHubApi,
        store: &Store,
        config: &Arc<Config>,
        installation_id: u64,
        repo: &str,
        action: &str,
        payload: &Payload,
        now: DateTime<Utc>,
    ) -> Result<GuidePlan, Failure> {
        let Some(raw) = &payload.pull_request else {
            return Ok(GuidePlan {
                problem: Some("review guide: the payload has no `pull_request`".into()),
                ..GuidePlan::default()
            });
        };
        let mut pr = PullRequest {
            repo: repo.to_owned(),
            private: !payload.is_public(),
            number: raw.number,
            title: raw.title.clone().unwrap_or_default(),
            url: raw.html_url.clone().unwrap_or_default(),
            author: raw.user.login(),
            draft: raw.draft.unwrap_or(false),
            additions: raw.additions.unwrap_or(0),
            deletions: raw.deletions.unwrap_or(0),
            changed_files: raw.changed_files.unwrap_or(0),
            labels: raw.labels.iter().flatten().map(|l| l.name.clone()).collect(),
            changed_paths: None,
        };
        if pr.draft || raw.state.as_deref() == Some("closed") {
            return Ok(GuidePlan::default());
        }
        // The pair in force today (never the first in the file, nor one that has ended).
        let Some(pair) = config.pair_in_force(&pr.author, config.sprints.local_date(now)) else {
            return Ok(GuidePlan::default());
        };
        let marker = marker(repo, pr.number);
        let known = store.outbox_has(&marker).await.map_err(|e| Failure::database(&e))?;
        if !known && !POSTING.contains(&action) {
            return Ok(GuidePlan::default());
        }
        let set = match self.templates(github, installation_id, repo, config).await {
            Ok(set) => set,
            Err(TemplatesError::GitHub(e)) => return Err(e.into()),
            Err(TemplatesError::Invalid(problem)) => {
                tracing::error!(%repo, %problem, "review guide not posted: a template is broken");
                return Ok(GuidePlan {
                    problem: Some(format!("review guide not posted: {problem}")),
                    ..GuidePlan::default()
                });
            }
        };
        let files = github.pull_request_files(installation_id, repo, pr.number).await?;
        pr.changed_paths = Some(files.into_iter().map(|f| f.path).collect());
        let rows = store
            .evidence_of(
                &crate::config_source::org_of(repo).unwrap_or_default(),
                pair.mentee.as_str(),
            )
            .await
            .map_err(|e| Failure::database(&e))?;
        let report = mentor_core::evidence::report(config, pair, &rows, Vantage::GitHub, now);
        let met: Vec<String> = report
            .milestones
            .iter()
            .filter(|m| m.status == MilestoneStatus::Met)
            .map(|m| m.id.clone())
            .collect();
        // GitHub says `private: true` for private and internal repositories alike; absent means public.
        let public = payload.is_public();
        let in_play = template::milestones_in_play(config, pair, &pr, &met, now);
        let chosen = set.for_mentee_pr(config.templates.on_mentee_pr.as_deref(), &pr, &in_play);
        let rendered = chosen.and_then(|t| {
            t.map(|t| {
                let ctx = template::context(config, pair, &pr, in_play.clone(), &met, public, now);
                template::render(t, &ctx).map(|text| (t.kind, text))
            })
            .transpose()
        });
        match rendered {
            Ok(None) => Ok(GuidePlan::default()),
            Ok(Some((kind, text))) => {
                let body = outbox::with_marker(&text, &marker);
                let write = outbox::template_write(kind, pr.number, body);
                Ok(GuidePlan {
                    write: Some(outbox::plan(marker, installation_id, repo, &write)),
                    problem: None,
                })
            }
            Err(e) => {
                tracing::error!(%repo, pr = pr.number, error = %e, "review guide not posted: template error");
                Ok(GuidePlan {
                    problem: Some(format!("review guide not posted: {e}")),
                    ..GuidePlan::default()
                })
            }
        }
    }
}

/// Why repository templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    /// GitHub could not be asked.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// A template file is broken.
    #[error("{0}")]
    Invalid(String),
}
