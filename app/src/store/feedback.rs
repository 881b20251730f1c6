//! Feedback counts stored on touchpoints (Conventional Comments labels of the review or comment).

use anyhow::Context;
use mentor_core::conventional::FeedbackMix;

use super::Store;

impl Store {
    /// Returns the summed feedback mix `mentee` received in `org` and how many touchpoints carried one.
    pub async fn feedback_of(&self, org: &str, mentee: &str) -> anyhow::Result<(FeedbackMix, u32)> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar(
            "SELECT feedback FROM touchpoints WHERE org = $1 AND mentee = $2 AND feedback IS NOT NULL ORDER BY at, key",
        )
        .bind(org)
        .bind(mentee)
        .fetch_all(p)
        .await?);
        let mut total = FeedbackMix::default();
        for row in &rows {
            let mix: FeedbackMix =
                serde_json::from_str(row).context("decoding stored feedback counts")?;
            total.merge(&mix);
        }
        Ok((total, rows.len() as u32))
    }
}
