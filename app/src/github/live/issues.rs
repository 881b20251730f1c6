//! Issues and comments: writes, and reading back what the App wrote (comments, issues) to find its markers.

use super::*;

/// The fields of a comment or issue Mentor reads back.
#[derive(Deserialize)]
pub(super) struct Posted {
    pub(super) id: u64,
    #[serde(default)]
    pub(super) number: Option<u64>,
    #[serde(default)]
    pub(super) body: Option<String>,
    #[serde(default)]
    pub(super) pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) performed_via_github_app: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) user: Option<PostedUser>,
}

#[derive(Deserialize)]
pub(super) struct PostedUser {
    #[serde(rename = "type", default)]
    pub(super) kind: Option<String>,
}

impl LiveGitHub {
    /// Sends a write as an installation and returns the reply, turning any non-2xx answer into an error.
    pub(super) async fn write(
        &self,
        installation_id: u64,
        method: Method,
        path: &str,
        body: serde_json::Value,
        retry_failures: bool,
    ) -> Result<Reply, GitHubError> {
        let what = format!("{method} {path}");
        let reply = self
            .send_with(
                Identity::Installation(installation_id),
                method,
                &self.url(path),
                ACCEPT_JSON,
                Some(&body),
                retry_failures,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(GitHubError::Permanent(format!(
                "{what}: {}{}",
                reply.status,
                github_message(&reply.body).map(|m| format!(": {m}")).unwrap_or_default()
            )));
        }
        Ok(reply)
    }

    pub(super) async fn comments(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PostedText>, GitHubError> {
        let path = format!("{}/issues/{number}/comments", repo_path(repo)?);
        let items: Vec<Posted> =
            self.get_all(installation_id, &path, "list of issue comments").await?;
        Ok(items
            .into_iter()
            .filter(|c| {
                c.performed_via_github_app.is_some()
                    || c.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
            })
            .map(|c| PostedText { id: c.id, body: c.body.unwrap_or_default() })
            .collect())
    }

    pub(super) async fn issues_by_app(
        &self,
        installation_id: u64,
        repo: &str,
    ) -> Result<Vec<PostedText>, GitHubError> {
        let path = format!("{}/issues", repo_path(repo)?);
        let items: Vec<Posted> = self
            .get_all_with(installation_id, &path, "&state=all&direction=asc", "list of issues")
            .await?;
        Ok(items
            .into_iter()
            // The issues list includes pull requests; only issues a bot (the App) opened can be Mentor's.
            .filter(|i| i.pull_request.is_none())
            .filter(|i| {
                i.performed_via_github_app.is_some()
                    || i.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
            })
            .filter_map(|i| Some(PostedText { id: i.number?, body: i.body.unwrap_or_default() }))
            .collect())
    }
}
