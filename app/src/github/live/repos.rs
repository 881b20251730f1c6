//! Repositories: file contents (config, templates), the installation's repositories, visibility, commits.

use super::*;

impl LiveGitHub {
    pub(super) async fn commit(
        &self,
        installation_id: u64,
        repo: &str,
        sha: &str,
    ) -> Result<Option<String>, GitHubError> {
        let api_path = format!("{}/commits/{}", repo_path(repo)?, encode_segment(sha));
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(&api_path),
                ACCEPT_JSON,
            )
            .await?;
        // 404: no such commit; 422: not a commit id GitHub accepts. Neither is worth a retry.
        if reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::UNPROCESSABLE_ENTITY
        {
            return Ok(None);
        }
        #[derive(Deserialize)]
        struct Inner {
            message: String,
        }
        #[derive(Deserialize)]
        struct Commit {
            commit: Inner,
        }
        let body: serde_json::Value = self.json(&reply, "commit answer")?;
        let commit: Commit = serde_json::from_value(body).map_err(|e| {
            GitHubError::Permanent(format!("GitHub sent an unexpected commit answer: {e}"))
        })?;
        Ok(Some(commit.commit.message))
    }

    pub(super) async fn contents(
        &self,
        installation_id: u64,
        repo: &str,
        path: &str,
    ) -> Result<Option<String>, GitHubError> {
        let repo_path = repo_path(repo)?;
        let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
        let api_path = format!("{repo_path}/contents/{}", encoded.join("/"));
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(&api_path),
                ACCEPT_JSON,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        #[derive(Deserialize)]
        struct Contents {
            #[serde(rename = "type")]
            kind: String,
            encoding: Option<String>,
            content: Option<String>,
        }
        let what = format!("{repo}:{path}");
        let body: serde_json::Value = self.json(&reply, "contents answer")?;
        if body.is_array() {
            return Err(GitHubError::Permanent(format!("{what} is a directory, not a file")));
        }
        let contents: Contents = serde_json::from_value(body).map_err(|e| {
            GitHubError::Permanent(format!("GitHub sent an unexpected contents answer: {e}"))
        })?;
        if contents.kind != "file" {
            return Err(GitHubError::Permanent(format!(
                "{what} is a {}, not a file",
                contents.kind
            )));
        }
        match (contents.encoding.as_deref(), contents.content) {
            (Some("base64"), Some(content)) => {
                // GitHub wraps the base64 text at 60 columns.
                let compact: String =
                    content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(compact).map_err(|e| {
                        GitHubError::Permanent(format!("{what}: invalid base64 content: {e}"))
                    })?;
                String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| GitHubError::Permanent(format!("{what} is not UTF-8 text")))
            }
            (encoding, _) => Err(GitHubError::Permanent(format!(
                "{what}: GitHub sent no inline content (encoding {})\n\nFiles over 1 MB are not read inline; \
                 keep the file smaller.",
                encoding.unwrap_or("none")
            ))),
        }
    }

    pub(super) async fn repositories(
        &self,
        installation_id: u64,
    ) -> Result<Vec<String>, GitHubError> {
        #[derive(Deserialize)]
        struct Page {
            repositories: Vec<Repository>,
        }
        #[derive(Deserialize)]
        struct Repository {
            full_name: String,
        }
        let path = "/installation/repositories";
        let mut url = self.url(&format!("{path}?per_page={PER_PAGE}"));
        let mut names = Vec::new();
        for _ in 0..MAX_PAGES {
            let reply = self
                .send(Identity::Installation(installation_id), Method::GET, &url, ACCEPT_JSON)
                .await?;
            let page: Page = self.json(&reply, "list of installation repositories")?;
            names.extend(page.repositories.into_iter().map(|r| r.full_name));
            match next_link(&reply.headers) {
                None => return Ok(names),
                // Credentials go only to the API we were configured with, never to a host a header names.
                Some(next) if next.starts_with(&format!("{}/", self.api_url)) => url = next,
                Some(next) => {
                    return Err(GitHubError::Permanent(format!(
                        "GET {path}: the next page link points outside {}: {next}",
                        self.api_url
                    )));
                }
            }
        }
        Err(GitHubError::Permanent(format!("GET {path}: more than {MAX_PAGES} pages")))
    }

    pub(super) async fn is_private(
        &self,
        installation_id: u64,
        repo: &str,
    ) -> Result<bool, GitHubError> {
        #[derive(Deserialize)]
        struct Repository {
            #[serde(default)]
            private: Option<bool>,
            #[serde(default)]
            visibility: Option<String>,
        }
        let path = repo_path(repo)?;
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(&path),
                ACCEPT_JSON,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(GitHubError::Permanent(format!(
                "GET {path}: 404 Not Found\n\nInstall the App on {repo} or fix the repository name."
            )));
        }
        let r: Repository = self.json(&reply, "repository")?;
        // Unknown visibility counts as public: Mentor never writes private things where it cannot tell.
        Ok(match (r.visibility.as_deref(), r.private) {
            (Some(v), _) => v != "public",
            (None, Some(p)) => p,
            (None, None) => false,
        })
    }
}
