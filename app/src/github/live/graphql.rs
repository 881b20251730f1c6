//! GitHub's GraphQL API (`{api}/graphql`; GitHub Enterprise Server `https://host/api/graphql`): the typed queries
//! of [`crate::github::graphql`], sent with the installation's token. GitHub answers most query errors with HTTP
//! 200 and an `errors` list: rate limiting there is transient, anything else permanent, with GitHub's messages.

use graphql_client::GraphQLQuery as _;

use super::*;
use crate::github::graphql::{MergedPulls, merged_pulls};

impl LiveGitHub {
    /// Returns the GraphQL endpoint for this API URL.
    fn graphql_url(&self) -> String {
        match self.api_url.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{}/graphql", self.api_url),
        }
    }

    pub(super) async fn merged_pulls(
        &self,
        installation_id: u64,
        repo: &str,
        first: u32,
        after: Option<String>,
    ) -> Result<merged_pulls::ResponseData, GitHubError> {
        let (owner, name) = repo.split_once('/').ok_or_else(|| {
            GitHubError::Permanent(format!("{repo:?} is not an owner/name repository"))
        })?;
        let query = MergedPulls::build_query(merged_pulls::Variables {
            owner: owner.to_owned(),
            name: name.to_owned(),
            first: i64::from(first),
            after,
        });
        let body = serde_json::to_value(&query)
            .map_err(|e| GitHubError::Permanent(format!("encoding a GraphQL query: {e}")))?;
        let reply = self
            .send_with(
                Identity::Installation(installation_id),
                Method::POST,
                &self.graphql_url(),
                "application/vnd.github+json",
                Some(&body),
                true,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(GitHubError::Permanent(format!("{}: 404", self.graphql_url())));
        }
        let response: graphql_client::Response<merged_pulls::ResponseData> =
            serde_json::from_str(&reply.body).map_err(|e| {
                GitHubError::Permanent(format!("GitHub's GraphQL answer could not be read: {e}"))
            })?;
        if let Some(errors) = response.errors.filter(|e| !e.is_empty()) {
            let text = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
            let limited = errors.iter().any(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("type"))
                    .is_some_and(|t| t == "RATE_LIMITED")
            }) || text.contains("rate limit");
            return Err(if limited {
                GitHubError::Transient(format!("GraphQL {repo}: {text}"))
            } else {
                GitHubError::Permanent(format!("GraphQL {repo}: {text}"))
            });
        }
        response.data.ok_or_else(|| {
            GitHubError::Permanent(format!("GraphQL {repo}: an answer without data"))
        })
    }
}
