//! What Mentor writes back to GitHub for one delivery: the review guide, replies to `/mentor` commands and the
//! growth journal. Everything is returned as planned outbox writes (plus the evidence and touchpoints commands
//! make), stored by the worker in the same transaction as the delivery's other effects.

use chrono::Utc;
use mentor_core::{Evidence, Touchpoint};
use serde_json::Value;

use crate::config_source::ConfigSourceError;
use crate::store::{Outcome, PlannedWrite};
use crate::worker::{Failure, Worker};

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
}

/// Plans the writes for `event` with `payload`; `outcome` holds what the delivery already produced.
pub(crate) async fn plan(
    worker: &Worker,
    event: &str,
    payload: &Value,
    outcome: &Outcome,
) -> Result<Response, Failure> {
    let mut response = Response::default();
    let action = payload.get("action").and_then(Value::as_str).unwrap_or_default();
    let wanted = match event {
        "pull_request" => crate::guide::is_guide_action(action),
        _ => false,
    };
    if !wanted {
        return Ok(response);
    }
    let (Some(installation_id), Some(repo)) = (
        payload.pointer("/installation/id").and_then(Value::as_u64),
        payload.pointer("/repository/full_name").and_then(Value::as_str),
    ) else {
        return Ok(response);
    };
    let config = worker.configs.config_for(installation_id, repo).await.map_err(|e| match &e {
        ConfigSourceError::Unreachable { transient: true, .. } => Failure::Transient(e.to_string()),
        _ => Failure::Permanent(e.to_string()),
    })?;
    let Some(config) = config else { return Ok(response) };
    let now = Utc::now();
    let _ = outcome;
    if event == "pull_request" {
        let guide = worker
            .guides
            .plan(
                worker.github.as_ref(),
                &worker.store,
                &config,
                installation_id,
                repo,
                action,
                payload,
                now,
            )
            .await?;
        response.writes.extend(guide.write);
        response.problem = guide.problem;
    }
    Ok(response)
}
