//! Org and team membership, read with the installation token (the App asks for members: read), for roles.

use super::*;

/// `GET /orgs/{org}/memberships/{username}` and the team variant: the fields Mentor reads.
#[derive(Deserialize)]
struct Membership {
    state: String,
    #[serde(default)]
    role: Option<String>,
}

impl LiveGitHub {
    /// Returns the membership at `path` (`state` active only), None when GitHub says there is none (404).
    async fn membership(
        &self,
        installation_id: u64,
        path: &str,
    ) -> Result<Option<Membership>, GitHubError> {
        let reply = self
            .send(
                Identity::Installation(installation_id),
                Method::GET,
                &self.url(path),
                ACCEPT_JSON,
            )
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let m: Membership = self.json(&reply, "membership")?;
        Ok((m.state == "active").then_some(m))
    }

    pub(super) async fn org_role(
        &self,
        installation_id: u64,
        org: &str,
        user: &str,
    ) -> Result<Option<String>, GitHubError> {
        let path = format!("/orgs/{}/memberships/{}", encode_segment(org), encode_segment(user));
        Ok(self.membership(installation_id, &path).await?.and_then(|m| m.role))
    }

    pub(super) async fn in_team(
        &self,
        installation_id: u64,
        org: &str,
        team: &str,
        user: &str,
    ) -> Result<bool, GitHubError> {
        let path = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            encode_segment(org),
            encode_segment(team),
            encode_segment(user)
        );
        Ok(self.membership(installation_id, &path).await?.is_some())
    }
}
