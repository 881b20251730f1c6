//! Mentor's GraphQL queries, typed from GitHub's schema (`app/graphql/schema.graphql`) at compile time: a query
//! that asks for a field GitHub does not have does not build. [`query`] sends one through [`GitHubApi::graphql`].

use graphql_client::GraphQLQuery;

use super::{GitHubApi, GitHubError};

/// GitHub's `DateTime` scalar (ISO 8601).
pub type DateTime = chrono::DateTime<chrono::Utc>;
/// GitHub's `URI` scalar.
#[allow(clippy::upper_case_acronyms)]
pub type URI = String;
/// GitHub's `BigInt` scalar (database ids), sent as a string.
pub type BigInt = String;
/// GitHub's `GitObjectID` scalar (a commit sha).
pub type GitObjectID = String;
/// GitHub's `ID` scalar (a node id).
#[allow(clippy::upper_case_acronyms)]
pub type ID = String;

/// A page of a repository's merged pull requests with their reviews, comments, labels, files and landed commit.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/merged_pulls.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct MergedPulls;

/// The next pages of one pull request's files, reviews and conversation comments.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/merged_pulls.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct PullRest;

/// The next page of one review's inline comments.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/merged_pulls.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct ReviewComments;

/// Sends query `Q` with `variables` as installation `installation_id` and decodes its answer.
pub async fn query<Q: GraphQLQuery>(
    github: &dyn GitHubApi,
    installation_id: u64,
    variables: Q::Variables,
) -> Result<Q::ResponseData, GitHubError> {
    send::<Q, Q::ResponseData>(github, installation_id, variables).await
}

/// Sends query `Q` with `variables` and decodes its answer into `T`: a caller's own minimal structs for the fields
/// it reads (the query itself is still checked against GitHub's schema when `Q` is built).
pub async fn send<Q: GraphQLQuery, T: serde::de::DeserializeOwned>(
    github: &dyn GitHubApi,
    installation_id: u64,
    variables: Q::Variables,
) -> Result<T, GitHubError> {
    let request = serde_json::to_value(Q::build_query(variables))
        .map_err(|e| GitHubError::Permanent(format!("encoding a GraphQL query: {e}")))?;
    let data = github.graphql(installation_id, request).await?;
    serde_json::from_value(data).map_err(|e| {
        GitHubError::Permanent(format!("GitHub's GraphQL answer does not fit the query: {e}"))
    })
}
