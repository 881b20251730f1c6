//! GitHub's GraphQL API (`{api}/graphql`; GitHub Enterprise Server `https://host/api/graphql`), sent with the
//! installation's token. GitHub answers most query errors with HTTP 200 and an `errors` list: rate limiting there
//! is transient, anything else permanent, with GitHub's messages. A 502 or 504 (GitHub's 10-second limit) is not
//! retried here: the caller asks again for a smaller page.

use super::*;

impl LiveGitHub {
    /// Returns the GraphQL endpoint for this API URL.
    fn graphql_url(&self) -> String {
        match self.api_url.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{}/graphql", self.api_url),
        }
    }

    pub(super) async fn graphql(
        &self,
        installation_id: u64,
        request: serde_json::Value,
    ) -> Result<serde_json::Value, GitHubError> {
        let operation = request["operationName"].as_str().unwrap_or("query").to_owned();
        let reply = self
            .send_with(
                Identity::Installation(installation_id),
                Method::POST,
                &self.graphql_url(),
                "application/vnd.github+json",
                Some(&request),
                false,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(GitHubError::Permanent(format!(
                "{}: 404 (is this GitHub's API URL?)",
                self.graphql_url()
            )));
        }
        let mut response: serde_json::Value = serde_json::from_str(&reply.body).map_err(|e| {
            GitHubError::Permanent(format!("GitHub's GraphQL answer could not be read: {e}"))
        })?;
        if let Some(errors) = response["errors"].as_array().filter(|e| !e.is_empty()) {
            let text = errors
                .iter()
                .map(|e| e["message"].as_str().unwrap_or("(no message)"))
                .collect::<Vec<_>>()
                .join("; ");
            // `type` is at the top level on github.com, under `extensions` elsewhere.
            let limited = errors
                .iter()
                .any(|e| e["type"] == "RATE_LIMITED" || e["extensions"]["type"] == "RATE_LIMITED")
                || text.contains("rate limit");
            return Err(if limited {
                GitHubError::Transient(format!("GraphQL {operation}: {text}"))
            } else {
                GitHubError::Permanent(format!("GraphQL {operation}: {text}"))
            });
        }
        match response.get_mut("data").map(serde_json::Value::take) {
            Some(data) if !data.is_null() => Ok(data),
            _ => {
                Err(GitHubError::Permanent(format!("GraphQL {operation}: an answer without data")))
            }
        }
    }
}
