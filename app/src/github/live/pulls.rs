//! Pull requests: changed files and reviews.

use super::*;

impl LiveGitHub {
    pub(super) async fn files(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<ChangedFile>, GitHubError> {
        #[derive(Deserialize)]
        struct File {
            filename: String,
            additions: u64,
            deletions: u64,
        }
        let path = format!("{}/pulls/{number}/files", repo_path(repo)?);
        let files: Vec<File> = self.get_all(installation_id, &path, "list of PR files").await?;
        Ok(files
            .into_iter()
            .map(|f| ChangedFile {
                path: f.filename,
                additions: f.additions,
                deletions: f.deletions,
            })
            .collect())
    }

    pub(super) async fn reviews(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<ReviewInfo>, GitHubError> {
        #[derive(Deserialize)]
        struct User {
            login: String,
            #[serde(rename = "type")]
            kind: Option<String>,
        }
        #[derive(Deserialize)]
        struct Review {
            user: Option<User>,
            state: String,
        }
        let path = format!("{}/pulls/{number}/reviews", repo_path(repo)?);
        let reviews: Vec<Review> =
            self.get_all(installation_id, &path, "list of PR reviews").await?;
        Ok(reviews
            .into_iter()
            .filter_map(|r| {
                let state = match r.state.to_ascii_uppercase().as_str() {
                    "APPROVED" => ReviewState::Approved,
                    "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
                    "COMMENTED" => ReviewState::Commented,
                    "DISMISSED" => ReviewState::Dismissed,
                    // PENDING reviews are drafts nobody else can see yet.
                    _ => return None,
                };
                // A deleted account has no user; it cannot be anyone's reviewer any more.
                let user = r.user?;
                let reviewer = Login::new(&user.login);
                let is_bot = reviewer.is_bot() || user.kind.as_deref() == Some("Bot");
                Some(ReviewInfo { reviewer, state, is_bot })
            })
            .collect())
    }

    pub(super) async fn reviews_by_app(
        &self,
        installation_id: u64,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PostedText>, GitHubError> {
        let path = format!("{}/pulls/{number}/reviews", repo_path(repo)?);
        let items: Vec<Posted> = self.get_all(installation_id, &path, "list of PR reviews").await?;
        Ok(items
            .into_iter()
            .filter(|r| {
                r.performed_via_github_app.is_some()
                    || r.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
            })
            .map(|r| PostedText { id: r.id, body: r.body.unwrap_or_default() })
            .collect())
    }
}
