//! What activities yield under a config: each is enriched with the facts the config's rules need
//! ([`config_source::enrich`]), then the pure core derives its touchpoints and the evidence for the pairs whose
//! mentee did it. The worker (webhooks) and the backfill (history) both call [`activities`], so a pull request
//! counts the same however Mentor learns of it.

use mentor_core::identity::Roster;
use mentor_core::{Activity, Config, Evidence, Touchpoint};

use crate::config_source;
use crate::failure::Failure;
use crate::github::GitHubApi;

/// Returns the touchpoints and evidence `activities` in `repo` yield under `config`.
pub async fn activities(
    github: &dyn GitHubApi,
    config: &Config,
    installation_id: u64,
    repo: &str,
    activities: Vec<Activity>,
) -> Result<(Vec<Touchpoint>, Vec<Evidence>), Failure> {
    let roster = Roster::new(config);
    let (mut touchpoints, mut evidence) = (Vec::new(), Vec::new());
    for mut activity in activities {
        config_source::enrich(github, config, installation_id, repo, &mut activity).await?;
        touchpoints.extend(mentor_core::touchpoint::derive(config, &roster, &activity));
        for pair in config.pairs.iter().filter(|p| p.mentee == activity.actor) {
            evidence.extend(mentor_core::evidence::collect(config, pair, &activity));
        }
    }
    Ok((touchpoints, evidence))
}
