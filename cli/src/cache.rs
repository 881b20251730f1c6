//! The history cache: activities already extracted from commits, so a second run only reads new commits.
//!
//! Stored as JSON at `<git common dir>/mentor/history.json`, keyed by the config hash (rules decide which
//! commits matter) and the tip commit it covers. A cache that does not fit (other config, rewritten history,
//! unreadable file) is ignored and rebuilt; it never changes answers.

use std::path::{Path, PathBuf};

use anyhow::Context;
use mentor_core::Activity;
use serde::{Deserialize, Serialize};

/// Bumped when the stored shape or extraction rules change.
const VERSION: u32 = 1;

/// What a scan up to `tip` found.
#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryCache {
    version: u32,
    /// Hash of the config the activities were extracted under.
    pub config_hash: String,
    /// The commit the scan started from; everything reachable from it was read.
    pub tip: String,
    /// Activities found, any order.
    pub activities: Vec<Activity>,
}

impl HistoryCache {
    /// Returns a cache for `activities` read from `tip` under config `config_hash`.
    pub fn new(config_hash: &str, tip: &str, activities: Vec<Activity>) -> HistoryCache {
        HistoryCache {
            version: VERSION,
            config_hash: config_hash.to_string(),
            tip: tip.to_string(),
            activities,
        }
    }

    /// Returns the cache file's path for `repo`.
    pub fn path(repo: &git2::Repository) -> PathBuf {
        repo.commondir().join("mentor").join("history.json")
    }

    /// Loads the cache at `path` if it exists, is readable and was made under `config_hash`.
    pub fn load(path: &Path, config_hash: &str) -> Option<HistoryCache> {
        let bytes = std::fs::read(path).ok()?;
        let cache: HistoryCache = serde_json::from_slice(&bytes).ok()?;
        (cache.version == VERSION && cache.config_hash == config_hash).then_some(cache)
    }

    /// Writes the cache atomically (temp file + rename), so a crash never leaves half a file.
    pub fn store(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path.parent().context("cache path has no parent")?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let bytes = serde_json::to_vec(self).context("cannot encode the history cache")?;
        std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }
}
