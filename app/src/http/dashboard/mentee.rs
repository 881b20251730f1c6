//! `/orgs/{org}/mentees/{login}`: a mentee's growth — their track as a timeline by stage, each milestone's status,
//! due date and evidence (with links and why each matched), and the feedback mix they received (counts, never
//! text). Visible to the mentee, their mentors and admins; a manager gets 403 (growth data is the pair's). The
//! numbers are the JSON API's (`/api/v1/orgs/{org}/mentees/{login}/evidence` and `/feedback`). Each view is recorded
//! in the access log as a read of evidence and feedback by the signed-in login.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mentor_core::config::Stage;
use mentor_core::conventional::FeedbackMix;
use mentor_core::evidence::{EvidenceStatus, Vantage};
use mentor_core::{Login, MilestoneStatus};
use minijinja::context;

use super::{AppState, access};
use crate::http::auth::Viewer;

fn evidence_word(status: EvidenceStatus) -> &'static str {
    match status {
        EvidenceStatus::Auto => "matched",
        EvidenceStatus::Claimed => "claimed",
        EvidenceStatus::Confirmed => "confirmed",
        EvidenceStatus::Rejected => "rejected",
        EvidenceStatus::Undecided => "undecided",
    }
}

/// Returns the feedback mix as (label, count) rows in a fixed order.
pub(super) fn mix_rows(mix: &FeedbackMix) -> Vec<(&'static str, u32)> {
    vec![
        ("praise", mix.praise),
        ("suggestion", mix.suggestion),
        ("issue", mix.issue),
        ("question", mix.question),
        ("nitpick", mix.nitpick),
        ("todo", mix.todo),
        ("thought", mix.thought),
        ("chore", mix.chore),
        ("note", mix.note),
        ("unlabeled", mix.unlabeled),
    ]
}

/// `GET /orgs/{org}/mentees/{login}`.
pub(super) async fn page(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((org, login)): Path<(String, String)>,
) -> Response {
    let here = format!("/orgs/{org}/mentees/{login}");
    let access = match access(&state, &viewer, &org, &here).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let mentee = Login::new(login.trim_start_matches('@'));
    let config = Arc::clone(&access.config);
    if !config.may_see_growth(&access.login, access.roles, &mentee) {
        let hint = if access.roles.manager {
            format!("Managers see mentoring load instead: /orgs/{}/load.", access.org)
        } else {
            "Your own pages are listed on /me.".to_owned()
        };
        return access.forbidden(
            &state,
            "A mentee's milestones, evidence and feedback are for the mentee, their mentors and admins only.",
            &hint,
        );
    }
    let now = state.clock.now();
    let Some(pair) = config.current_pair_of(&mentee, config.sprints.local_date(now)) else {
        return access.no_such_person(&state, "a mentee", mentee.as_str());
    };
    let read = async {
        let rows = state.store.evidence_of(&access.org, mentee.as_str()).await?;
        let feedback = state.store.feedback_of(&access.org, mentee.as_str()).await?;
        anyhow::Ok((rows, feedback))
    };
    let (rows, (mix, feedback_touchpoints)) = match read.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "reading growth failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    // The access log: the page shows both, so both are recorded (one insert); a 403 above is not a read.
    let logged = state
        .store
        .record_access(
            &access.org,
            "session",
            access.login.as_str(),
            mentee.as_str(),
            &["evidence", "feedback"],
            "/orgs/{org}/mentees/{login}",
            chrono::Utc::now(),
        )
        .await;
    if let Err(e) = logged {
        tracing::error!(error = format!("{e:#}"), "recording the read in the access log failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    let report = mentor_core::evidence::report(&config, pair, &rows, Vantage::GitHub, now);
    let stages: Vec<minijinja::Value> = Stage::ALL
        .iter()
        .filter_map(|stage| {
            let milestones: Vec<minijinja::Value> = report
                .milestones
                .iter()
                .filter(|m| m.stage == *stage)
                .map(|m| {
                    let evidence: Vec<minijinja::Value> = m
                        .evidence
                        .iter()
                        .map(|e| {
                            context! {
                                source => e.source,
                                url => e.url,
                                day => e.at.date_naive().to_string(),
                                reason => e.reason,
                                status => evidence_word(e.status),
                            }
                        })
                        .collect();
                    context! {
                        id => m.id,
                        title => m.title,
                        due => m.due.map(|d| d.to_string()),
                        status => m.status.as_str(),
                        evidence,
                    }
                })
                .collect();
            (!milestones.is_empty()).then(|| context! { name => stage.as_str(), milestones })
        })
        .collect();
    let met = report.milestones.iter().filter(|m| m.status == MilestoneStatus::Met).count();
    let mix = mix_rows(&mix);
    let top = mix.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let mix: Vec<minijinja::Value> = mix
        .into_iter()
        .enumerate()
        .map(|(i, (label, count))| {
            context! { label, count, y => i * 22, width => (count * 300).div_ceil(top) }
        })
        .collect();
    state.pages.render(
        StatusCode::OK,
        "mentee.html",
        context! {
            viewer => access.login.as_str(),
            sign_in => true,
            org => access.org,
            mentee => mentee.as_str(),
            mentor => pair.mentor.as_str(),
            mentor_page => config.may_see_load_of(&access.login, access.roles, &pair.mentor),
            track => pair.track,
            since => pair.since.to_string(),
            until => pair.until.map(|d| d.to_string()),
            objectives => pair.objectives,
            stages,
            met,
            total => report.milestones.len(),
            mix,
            feedback_touchpoints,
        },
    )
}
