//! Reading code expertise from a clone: who changed and reviewed which areas in the last twelve months.
//!
//! Each non-merge commit credits its author (and `Co-authored-by:` co-authors) with a change, and its
//! `Reviewed-by:` trailers with a review, in every area its diff against the first parent touches. Areas come
//! from the CODEOWNERS file at the revision read (sections or rules), else top-level directories; counting and
//! recency weighting are the core's ([`mentor_core::expertise`]).

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Utc};
use git2::Repository;
use mentor_core::Config;
use mentor_core::expertise::{Areas, Contribution, ContributionKind, WINDOW_DAYS};
use mentor_core::identity::Roster;
use mentor_core::trailer::{self, TrailerOptions};

/// Where GitHub looks for CODEOWNERS, in its order.
const CODEOWNERS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// Returns the contributions of configured people in the [`WINDOW_DAYS`] before `now`, reachable from `rev`.
pub fn contributions(
    repo: &Repository,
    config: &Config,
    rev: &str,
    now: DateTime<Utc>,
    options: &TrailerOptions,
) -> anyhow::Result<Vec<Contribution>> {
    if rev == "HEAD" && repo.head().is_err() {
        // A clone without commits yet: nobody has expertise.
        return Ok(Vec::new());
    }
    let tip = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve revision {rev:?} to a commit"))?;
    let areas = Areas::new(codeowners(repo, &tip).as_deref());
    let roster = Roster::new(config);
    let cutoff = now - chrono::Duration::days(WINDOW_DAYS);
    let mut walk = repo.revwalk().context("cannot walk history")?;
    walk.set_sorting(git2::Sort::TIME).context("cannot walk history")?;
    walk.push(tip.id()).context("cannot walk history")?;
    let mut out = Vec::new();
    for oid in walk {
        let oid = oid.context("cannot walk history")?;
        let commit = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        let at = DateTime::<Utc>::from_timestamp(commit.time().seconds(), 0).unwrap_or_default();
        if at < cutoff {
            // Time-sorted: everything after this is older still.
            break;
        }
        if commit.parent_count() > 1 || at > now {
            continue;
        }
        let mut people: Vec<(mentor_core::Login, ContributionKind)> = Vec::new();
        let author = commit.author();
        if let Some(login) = author_login(config, &roster, &author) {
            people.push((login, ContributionKind::Changed));
        }
        let message = String::from_utf8_lossy(commit.message_bytes());
        if message.trim_end().contains("\n\n") {
            for t in trailer::parse(&message, options) {
                let kind = if t.key.eq_ignore_ascii_case("Reviewed-by") {
                    ContributionKind::Reviewed
                } else if t.key.eq_ignore_ascii_case("Co-authored-by") {
                    ContributionKind::Changed
                } else {
                    continue;
                };
                if let Some(login) = roster.login_for_ident(&t.value)
                    && !people.iter().any(|(l, _)| *l == login)
                {
                    people.push((login, kind));
                }
            }
        }
        if people.is_empty() {
            continue;
        }
        let touched = touched_areas(repo, &commit, &areas)?;
        for (login, kind) in people {
            for area in &touched {
                out.push(Contribution { login: login.clone(), area: area.clone(), at, kind });
            }
        }
    }
    Ok(out)
}

/// Returns the configured login of a commit's author: by email (`people.*.emails`, GitHub noreply), else an
/// author name that is exactly a configured login.
fn author_login(
    config: &Config,
    roster: &Roster,
    author: &git2::Signature<'_>,
) -> Option<mentor_core::Login> {
    roster.login_for_email(&String::from_utf8_lossy(author.email_bytes())).or_else(|| {
        let name = mentor_core::Login::new(String::from_utf8_lossy(author.name_bytes()).trim());
        config.people.contains_key(&name).then_some(name)
    })
}

/// Returns the CODEOWNERS text at `commit`, if the tree has one.
fn codeowners(repo: &Repository, commit: &git2::Commit<'_>) -> Option<String> {
    let tree = commit.tree().ok()?;
    CODEOWNERS.iter().find_map(|path| {
        let entry = tree.get_path(std::path::Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    })
}

/// Returns the areas `commit` changes, against its first parent (or the empty tree).
fn touched_areas(
    repo: &Repository,
    commit: &git2::Commit<'_>,
    areas: &Areas,
) -> anyhow::Result<BTreeSet<String>> {
    let oid = commit.id();
    let tree = commit.tree().with_context(|| format!("cannot read the tree of {oid}"))?;
    let parent_tree = commit.parent(0).ok().and_then(|p| p.tree().ok());
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
        .with_context(|| format!("cannot diff {oid} against its first parent"))?;
    let mut out = BTreeSet::new();
    for delta in diff.deltas() {
        if let Some(path) = delta.new_file().path().or_else(|| delta.old_file().path())
            && let Some(area) = areas.area_of(&path.to_string_lossy().replace('\\', "/"))
        {
            out.insert(area);
        }
    }
    Ok(out)
}
