//! Reading local history with git2: walk from a revision, hand each commit's facts to the core's
//! [`HistoryPlan`], and compute only the diffs the config's rules need, in parallel.
//!
//! Speed matters here (a 50 000-commit clone must scan faster than `git log --name-only`): the walk reads each
//! commit object once, skips the diff for every commit no rule looks at, and spreads the remaining diffs over
//! all cores, each worker with its own repository handle (git2 handles are not `Sync`).

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use git2::{Oid, Repository};
use mentor_core::Activity;
use mentor_core::history::{Classified, DiffNeeds, HistoryPlan, LocalCommit};

use crate::cache::HistoryCache;
use crate::progress::Progress;

/// What a scan found.
pub struct HistoryScan {
    /// Activities, oldest first.
    pub activities: Vec<Activity>,
    /// True when the clone is shallow, so older history is missing.
    pub shallow: bool,
    /// Commits read in this run (0 when everything came from the cache).
    pub commits_read: usize,
}

/// Scans history reachable from `rev` under `plan`, reusing and refreshing the cache for `config_hash`.
pub fn scan(
    repo: &Repository,
    plan: &HistoryPlan,
    config_hash: &str,
    rev: &str,
    use_cache: bool,
    progress: &mut Progress,
) -> anyhow::Result<HistoryScan> {
    let tip = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve revision {rev:?} to a commit"))?
        .id();
    let cache_path = HistoryCache::path(repo);
    let cached = if use_cache { HistoryCache::load(&cache_path, config_hash) } else { None };
    // A cache is reusable only if its tip is still in the history we read (no rewrite in between).
    let reusable = cached.and_then(|c| {
        let old = Oid::from_str(&c.tip).ok()?;
        (old == tip || repo.graph_descendant_of(tip, old).unwrap_or(false)).then_some((old, c))
    });

    let mut walk = repo.revwalk().context("cannot walk history")?;
    walk.push(tip).context("cannot walk history")?;
    let mut activities = Vec::new();
    if let Some((old, cache)) = reusable {
        walk.hide(old).context("cannot walk history")?;
        activities = cache.activities;
    }

    progress.set_message("reading history");
    // Diffs are the expensive part: workers compute them while this thread keeps walking, so walking and
    // diffing overlap and every core is busy.
    let path = repo.path().to_path_buf();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (work_tx, work_rx) = std::sync::mpsc::channel::<(Classified, Oid)>();
    let work_rx = std::sync::Mutex::new(work_rx);
    let mut commits_read = 0usize;
    let diffed: Vec<anyhow::Result<Activity>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let work_rx = &work_rx;
                let path = &path;
                scope.spawn(move || -> Vec<anyhow::Result<Activity>> {
                    let handle = match Repository::open(path) {
                        Ok(h) => h,
                        Err(e) => return vec![Err(anyhow::anyhow!("cannot open repository: {e}"))],
                    };
                    let mut done = Vec::new();
                    loop {
                        // A poisoned lock means another worker panicked; stop taking work.
                        let next = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok((classified, oid)) = next else { break };
                        done.push(with_diff(&handle, classified, oid));
                    }
                    done
                })
            })
            .collect();
        let walked = (|| -> anyhow::Result<()> {
            for oid in walk {
                let oid = oid.context("cannot walk history")?;
                let commit =
                    repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
                commits_read += 1;
                progress.inc(1);
                let Some(classified) = classify(repo, plan, &commit)? else { continue };
                if classified.needs == DiffNeeds::default() {
                    activities.push(classified.activity);
                } else if work_tx.send((classified, oid)).is_err() {
                    anyhow::bail!("history workers stopped early");
                }
            }
            Ok(())
        })();
        drop(work_tx);
        let mut results: Vec<anyhow::Result<Activity>> = handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| vec![Err(anyhow::anyhow!("a history worker panicked"))])
            })
            .collect();
        if let Err(e) = walked {
            results.push(Err(e));
        }
        results
    });
    for activity in diffed {
        activities.push(activity?);
    }
    progress.finish();

    activities.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.source.id.cmp(&b.source.id)));
    activities.dedup_by(|a, b| a.source == b.source && a.kind == b.kind);
    if use_cache {
        // The cache is an optimisation: failing to write it must not fail the command.
        let _ =
            HistoryCache::new(config_hash, &tip.to_string(), activities.clone()).store(&cache_path);
    }
    Ok(HistoryScan { activities, shallow: repo.is_shallow(), commits_read })
}

/// Classifies one commit from its object alone (plus the merged branch's tip for merge commits).
fn classify(
    repo: &Repository,
    plan: &HistoryPlan,
    commit: &git2::Commit<'_>,
) -> anyhow::Result<Option<Classified>> {
    let message = String::from_utf8_lossy(commit.message_bytes());
    let author = commit.author();
    let email = String::from_utf8_lossy(author.email_bytes());
    let parents = commit.parent_count();
    let merged_author;
    let merged_author_email = if parents >= 2 && message.starts_with("Merge pull request #") {
        // The PR's author is whoever wrote the merged branch, not whoever pressed the button.
        let parent = commit.parent_id(1).context("merge commit without a second parent")?;
        merged_author = match repo.find_commit(parent) {
            Ok(p) => String::from_utf8_lossy(p.author().email_bytes()).into_owned(),
            // In a shallow clone the merged branch may be cut off; fall back to the merge's author.
            Err(_) => email.to_string(),
        };
        Some(merged_author.as_str())
    } else {
        None
    };
    let at = DateTime::<Utc>::from_timestamp(author.when().seconds(), 0).unwrap_or_default();
    let sha = commit.id().to_string();
    Ok(plan.classify(&LocalCommit {
        sha: &sha,
        author_email: &email,
        at,
        message: &message,
        parents,
        merged_author_email,
    }))
}

/// Fills in changed paths and line counts against the first parent.
fn with_diff(repo: &Repository, classified: Classified, oid: Oid) -> anyhow::Result<Activity> {
    let Classified { mut activity, needs } = classified;
    let commit = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
    let tree = commit.tree().with_context(|| format!("cannot read the tree of {oid}"))?;
    // A root commit, or a parent missing from a shallow clone, diffs against the empty tree.
    let parent_tree = commit.parent(0).ok().and_then(|p| p.tree().ok());
    let mut opts = git2::DiffOptions::new();
    // Line counts need no context, and binary files count as no lines, as in `git diff --numstat`.
    opts.context_lines(0).interhunk_lines(0);
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))
        .with_context(|| format!("cannot diff {oid} against its first parent"))?;
    let mut paths = Vec::with_capacity(diff.deltas().len());
    for delta in diff.deltas() {
        if let Some(p) = delta.new_file().path().or_else(|| delta.old_file().path()) {
            paths.push(path_text(p));
        }
    }
    let lines = if needs.lines {
        let stats = diff.stats().with_context(|| format!("cannot count changed lines of {oid}"))?;
        Some((stats.insertions() + stats.deletions()) as u64)
    } else {
        None
    };
    if let Some(pr) = activity.pr.as_mut() {
        pr.changed_paths = Some(paths);
        pr.changed_lines = lines;
    }
    Ok(activity)
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
