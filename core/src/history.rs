//! Reading mentoring facts out of local git history: which commits landed pull requests, and what activity a
//! commit is.
//!
//! The CLI walks the repository with git2 and hands each commit's facts here as plain data ([`LocalCommit`]);
//! this module decides what they mean, so the rules stay in one place and are testable without git.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::activity::{Activity, ActivityKind, PullRequestFacts, Source};
use crate::config::Config;
use crate::identity::Roster;
use crate::login::Login;
use crate::trailer::{self, TrailerOptions};

/// How a pull request landed on the branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    /// A merge commit `Merge pull request #N from owner/branch`; the PR author wrote the merged branch.
    MergeCommit(u64),
    /// A squash (or rebase) commit whose subject ends in `(#N)`; the commit author is the PR author.
    Squash(u64),
}

impl Landing {
    /// Returns the PR number.
    pub fn number(self) -> u64 {
        match self {
            Landing::MergeCommit(n) | Landing::Squash(n) => n,
        }
    }
}

/// Returns how a commit with `subject` and `parents` parents landed a PR, if it did.
pub fn landing(subject: &str, parents: usize) -> Option<Landing> {
    let subject = subject.trim_end();
    if parents >= 2 {
        let rest = subject.strip_prefix("Merge pull request #")?;
        let (digits, tail) = rest.split_once(' ')?;
        if !tail.starts_with("from ") {
            return None;
        }
        return digits.parse().ok().map(Landing::MergeCommit);
    }
    if parents == 1 {
        let inner = subject.strip_suffix(')')?;
        let open = inner.rfind("(#")?;
        let digits = &inner[open + 2..];
        if open == 0 || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return digits.parse().ok().map(Landing::Squash);
    }
    None
}

/// The facts of one commit that Mentor reads from git.
#[derive(Clone, Debug)]
pub struct LocalCommit<'a> {
    /// Full commit id.
    pub sha: &'a str,
    /// Author email as recorded.
    pub author_email: &'a str,
    /// Author time.
    pub at: DateTime<Utc>,
    /// Full message.
    pub message: &'a str,
    /// Number of parents.
    pub parents: usize,
    /// For merge commits: author email of the merged branch's tip (the second parent).
    pub merged_author_email: Option<&'a str>,
}

/// What the scanner must compute for a commit beyond its own object: the diff against the first parent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffNeeds {
    /// Changed paths.
    pub paths: bool,
    /// Added plus deleted lines (needs a full patch: much slower than paths).
    pub lines: bool,
}

/// What Mentor needs from history under one config: who to look at and which diffs rules use.
#[derive(Clone, Debug)]
pub struct HistoryPlan {
    roster: Roster,
    repo: String,
    url_base: Option<String>,
    options: TrailerOptions,
    /// Mentees whose merged PRs need diffs, with what is needed.
    diff_mentees: Vec<(Login, DiffNeeds)>,
    people: HashSet<Login>,
}

/// A commit classified by [`HistoryPlan::classify`], before any diff is computed.
#[derive(Clone, Debug)]
pub struct Classified {
    /// The activity, with `changed_paths`/`changed_lines` still `None`.
    pub activity: Activity,
    /// What diff the rules need for it (none for most commits).
    pub needs: DiffNeeds,
}

impl HistoryPlan {
    /// Returns the plan for `config` in the repository named `repo` (`owner/name` for GitHub clones);
    /// `url_base` (`https://github.com/owner/name`) makes links.
    pub fn new(
        config: &Config,
        repo: &str,
        url_base: Option<&str>,
        options: TrailerOptions,
    ) -> HistoryPlan {
        let mut diff_mentees: Vec<(Login, DiffNeeds)> = Vec::new();
        for pair in &config.pairs {
            if diff_mentees.iter().any(|(l, _)| *l == pair.mentee) {
                continue;
            }
            let needs = crate::evidence::pr_fact_needs(config, &pair.mentee);
            diff_mentees
                .push((pair.mentee.clone(), DiffNeeds { paths: needs.paths, lines: needs.lines }));
        }
        HistoryPlan {
            roster: Roster::new(config),
            repo: repo.to_string(),
            url_base: url_base.map(|u| u.trim_end_matches('/').to_string()),
            options,
            diff_mentees,
            people: config.people.keys().cloned().collect(),
        }
    }

    /// Returns the configured login of `email`, if any.
    pub fn login(&self, email: &str) -> Option<Login> {
        self.roster.login_for_email(email)
    }

    /// Returns the activity `commit` is (a merged PR, or a configured person's commit with trailers), or `None`
    /// for the many commits that say nothing about mentoring.
    pub fn classify(&self, commit: &LocalCommit<'_>) -> Option<Classified> {
        let subject = commit.message.lines().next().unwrap_or("");
        let landed = landing(subject, commit.parents);
        let author_email = match landed {
            Some(Landing::MergeCommit(_)) => commit.merged_author_email?,
            _ => commit.author_email,
        };
        let actor = self.login(author_email)?;
        if !self.people.contains(&actor) {
            return None;
        }
        // Only a message with a body can have trailers; most one-line commits stop here.
        let trailers = if commit.message.trim_end().contains("\n\n") {
            trailer::parse(commit.message, &self.options)
        } else {
            Vec::new()
        };
        let (kind, source_id, pr, needs) = match landed {
            Some(l) => {
                let needs = self
                    .diff_mentees
                    .iter()
                    .find(|(m, _)| *m == actor)
                    .map(|(_, n)| *n)
                    .unwrap_or_default();
                let pr = PullRequestFacts {
                    number: l.number(),
                    author: Some(actor.clone()),
                    title: Some(pr_title(subject, commit.message, l)),
                    merge_commit: Some(commit.sha.to_string()),
                    ..PullRequestFacts::default()
                };
                (ActivityKind::PullRequestMerged, format!("pr/{}", l.number()), Some(pr), needs)
            }
            None if trailers.is_empty() || commit.parents > 1 => return None,
            None => {
                (ActivityKind::Commit, format!("commit/{}", commit.sha), None, DiffNeeds::default())
            }
        };
        let url = self.url_base.as_ref().map(|base| match &pr {
            Some(pr) => format!("{base}/pull/{}", pr.number),
            None => format!("{base}/commit/{}", commit.sha),
        });
        let activity = Activity {
            kind,
            actor,
            at: commit.at,
            source: Source { repo: self.repo.clone(), id: source_id, url },
            pr,
            trailers,
        };
        Some(Classified { activity, needs })
    }
}

/// Returns a PR's title as GitHub would show it: the squash subject without ` (#N)`, or a merge's body line.
fn pr_title(subject: &str, message: &str, landed: Landing) -> String {
    match landed {
        Landing::Squash(n) => {
            subject.trim_end().trim_end_matches(&format!("(#{n})")).trim_end().to_string()
        }
        Landing::MergeCommit(_) => message
            .lines()
            .skip(1)
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or(subject)
            .to_string(),
    }
}

/// Returns `owner/name` of a GitHub remote URL (`git@github.com:o/n.git`, `https://github.com/o/n`), if it is one.
pub fn github_repo_of_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))
        .or_else(|| url.strip_prefix("https://github.com/"))
        .or_else(|| url.strip_prefix("http://github.com/"))?;
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let (owner, name) = rest.split_once('/')?;
    (!owner.is_empty() && !name.is_empty() && !name.contains('/'))
        .then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_merge_commits_and_squashes() {
        assert_eq!(
            landing("Merge pull request #42 from acme/feature", 2),
            Some(Landing::MergeCommit(42))
        );
        assert_eq!(landing("Merge pull request #42 from acme/feature", 1), None);
        assert_eq!(landing("Merge branch 'main' into topic", 2), None);
        assert_eq!(landing("Add the thing (#17)", 1), Some(Landing::Squash(17)));
        assert_eq!(landing("Add the thing (#17) ", 1), Some(Landing::Squash(17)));
        assert_eq!(landing("Add the thing (#17)", 2), None);
        assert_eq!(landing("(#17)", 1), None);
        assert_eq!(landing("Add the thing (#x)", 1), None);
        assert_eq!(landing("Add the thing #17", 1), None);
    }

    #[test]
    fn github_urls() {
        assert_eq!(github_repo_of_url("git@github.com:acme/api.git").as_deref(), Some("acme/api"));
        assert_eq!(github_repo_of_url("https://github.com/acme/api").as_deref(), Some("acme/api"));
        assert_eq!(github_repo_of_url("https://gitlab.com/acme/api"), None);
    }

    #[test]
    fn pr_titles() {
        assert_eq!(pr_title("Add X (#3)", "Add X (#3)\n", Landing::Squash(3)), "Add X");
        assert_eq!(
            pr_title(
                "Merge pull request #3 from a/b",
                "Merge pull request #3 from a/b\n\nAdd X\n",
                Landing::MergeCommit(3)
            ),
            "Add X"
        );
    }
}
