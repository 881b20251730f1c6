//! Mentor's GraphQL queries, typed from GitHub's schema (`app/graphql/schema.graphql`) at compile time: a query
//! that asks for a field GitHub does not have does not build.

use graphql_client::GraphQLQuery;

/// GitHub's `DateTime` scalar (ISO 8601).
pub type DateTime = chrono::DateTime<chrono::Utc>;
/// GitHub's `URI` scalar.
#[allow(clippy::upper_case_acronyms)]
pub type URI = String;
/// GitHub's `BigInt` scalar (database ids), sent as a string.
pub type BigInt = String;
/// GitHub's `GitObjectID` scalar (a commit sha).
pub type GitObjectID = String;

/// A page of a repository's merged pull requests with their reviews, comments, labels, files and landed commit.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/merged_pulls.graphql",
    response_derives = "Debug, Clone",
    variables_derives = "Debug, Clone"
)]
pub struct MergedPulls;
