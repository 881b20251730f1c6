//! Reads for reports: touchpoints and evidence of one org.

use anyhow::Context;
use mentor_core::{Evidence, Touchpoint};

use super::Store;

impl Store {
    /// Returns every stored touchpoint.
    pub async fn touchpoints(&self) -> anyhow::Result<Vec<Touchpoint>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar("SELECT data FROM touchpoints ORDER BY at, key")
            .fetch_all(p)
            .await?);
        rows.iter()
            .map(|d| serde_json::from_str(d).context("decoding a stored touchpoint"))
            .collect()
    }

    /// Returns the evidence of `mentee`, oldest first.
    pub async fn evidence_of(&self, mentee: &str) -> anyhow::Result<Vec<Evidence>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar("SELECT data FROM evidence WHERE mentee = $1 ORDER BY at, key")
                .bind(mentee)
                .fetch_all(p)
                .await?);
        rows.iter().map(|d| serde_json::from_str(d).context("decoding stored evidence")).collect()
    }
}
