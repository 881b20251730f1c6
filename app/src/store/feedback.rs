//! Feedback counts stored on touchpoints (Conventional Comments labels of the review or comment).

use anyhow::Context;
use futures_util::TryStreamExt;
use mentor_core::conventional::FeedbackMix;

use super::Store;

impl Store {
    /// Returns the summed feedback mix `mentee` received in `org` and how many touchpoints carried one.
    ///
    /// The rows are streamed and summed one at a time ([`FeedbackMix::merge`]), so the memory this takes does not
    /// grow with the touchpoints a mentee has.
    pub async fn feedback_of(&self, org: &str, mentee: &str) -> anyhow::Result<(FeedbackMix, u32)> {
        let mut total = FeedbackMix::default();
        let mut carried = 0u32;
        on_reader!(self, p => {
            let mut rows = sqlx::query_scalar::<_, String>(
                "SELECT feedback FROM touchpoints WHERE org = $1 AND mentee = $2 AND feedback IS NOT NULL",
            )
            .bind(org)
            .bind(mentee)
            .fetch(p);
            while let Some(row) = rows.try_next().await? {
                let mix: FeedbackMix =
                    serde_json::from_str(&row).context("decoding stored feedback counts")?;
                total.merge(&mix);
                carried = carried.saturating_add(1);
            }
        });
        Ok((total, carried))
    }
}
