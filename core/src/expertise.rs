//! Code-derived expertise: who changed and reviewed which areas of the code, recency weighted.
//!
//! Callers turn their history into [`Contribution`]s (the CLI from a clone's commits and `Reviewed-by:`
//! trailers, the app from stored pull requests and reviews) and map paths to areas with [`Areas`] (CODEOWNERS
//! sections when the repository has them, else top-level directories). This module only counts: it never reads
//! files or the clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use globset::{GlobBuilder, GlobMatcher};

use crate::login::Login;

/// How far back contributions count.
pub const WINDOW_DAYS: i64 = 365;

/// Contributions lose half their weight every this many days.
pub const HALF_LIFE_DAYS: f64 = 120.0;

/// What someone did in an area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContributionKind {
    /// Authored a change there.
    Changed,
    /// Reviewed a change there (counts half).
    Reviewed,
}

/// One contribution: `login` changed or reviewed something in `area` at `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// Who.
    pub login: Login,
    /// Which area ([`Areas::area_of`]).
    pub area: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Changed or reviewed.
    pub kind: ContributionKind,
}

/// Maps paths to areas: CODEOWNERS sections or rules when present, else the top-level directory.
#[derive(Clone, Debug, Default)]
pub struct Areas {
    rules: Vec<(GlobMatcher, String)>,
}

impl Areas {
    /// Returns the areas of a repository with `codeowners` (the text of its CODEOWNERS file, if any).
    ///
    /// With `[Section]` headers, a path's area is the section of the last rule matching it; without, it is
    /// the last matching rule's pattern (`/services/billing/` → `services/billing`). A catch-all rule (`*`)
    /// names no area, and a path no rule names falls back to its top-level directory.
    pub fn new(codeowners: Option<&str>) -> Areas {
        let mut rules = Vec::new();
        let Some(text) = codeowners else { return Areas { rules } };
        let mut section: Option<String> = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let header = line.trim_start_matches('^');
            if header.starts_with('[') {
                if let Some(end) = header.find(']') {
                    section = Some(header[1..end].trim().to_lowercase());
                }
                continue;
            }
            let Some(pattern) = line.split_whitespace().next() else { continue };
            let name = pattern.trim_matches('/').trim_end_matches("/**").trim_end_matches("/*");
            if name.is_empty() || name == "*" || name == "**" {
                continue;
            }
            // Outside sections, a rule names an area only by a path: `*.js` owns files, not a part of the code.
            if section.is_none() && name.contains(['*', '?', '[']) {
                continue;
            }
            let area = section.clone().unwrap_or_else(|| name.to_lowercase());
            if let Some(glob) = codeowners_glob(pattern) {
                rules.push((glob, area));
            }
        }
        Areas { rules }
    }

    /// Returns the area of `path`, or `None` for a file at the root that no rule names.
    pub fn area_of(&self, path: &str) -> Option<String> {
        let path = path.trim_start_matches('/');
        if let Some((_, area)) = self.rules.iter().rev().find(|(g, _)| g.is_match(path)) {
            return Some(area.clone());
        }
        let (top, rest) = path.split_once('/')?;
        (!rest.is_empty() && !top.is_empty()).then(|| top.to_lowercase())
    }
}

/// Compiles a CODEOWNERS pattern with gitignore rules: `/x` is anchored, `x/` is a directory, a bare name
/// matches at any depth.
fn codeowners_glob(pattern: &str) -> Option<GlobMatcher> {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body = pattern.trim_start_matches('/');
    let dir = body.ends_with('/');
    let body = body.trim_end_matches('/');
    let mut glob = if anchored { body.to_string() } else { format!("**/{body}") };
    if dir || !body.contains('.') {
        // A directory (or what reads like one) owns everything below it.
        glob = format!("{{{glob},{glob}/**}}");
    }
    GlobBuilder::new(&glob).literal_separator(true).build().ok().map(|g| g.compile_matcher())
}

/// Recency-weighted expertise per person and area.
#[derive(Clone, Debug, Default)]
pub struct Expertise {
    scores: BTreeMap<Login, BTreeMap<String, f64>>,
    best: BTreeMap<String, f64>,
}

impl Expertise {
    /// Sums `contributions` from the [`WINDOW_DAYS`] before `now`, ignoring bots and anything later than `now`.
    pub fn from_contributions(contributions: &[Contribution], now: DateTime<Utc>) -> Expertise {
        let mut scores: BTreeMap<Login, BTreeMap<String, f64>> = BTreeMap::new();
        for c in contributions {
            if c.login.is_bot() || c.at > now {
                continue;
            }
            let age_days = (now - c.at).num_seconds() as f64 / 86_400.0;
            if age_days > WINDOW_DAYS as f64 {
                continue;
            }
            let kind = match c.kind {
                ContributionKind::Changed => 1.0,
                ContributionKind::Reviewed => 0.5,
            };
            let weight = kind * 0.5_f64.powf(age_days / HALF_LIFE_DAYS);
            *scores.entry(c.login.clone()).or_default().entry(c.area.clone()).or_default() +=
                weight;
        }
        let mut best: BTreeMap<String, f64> = BTreeMap::new();
        for areas in scores.values() {
            for (area, score) in areas {
                let slot = best.entry(area.clone()).or_default();
                *slot = slot.max(*score);
            }
        }
        Expertise { scores, best }
    }

    /// Returns the expertise stored activity shows (the app's view, which keeps no changed paths): a touchpoint
    /// credits its mentor with reviewing, a piece of evidence its mentee with changing, the repository of its
    /// source (see [`repo_area`]).
    pub fn from_activity(
        touchpoints: &[crate::Touchpoint],
        evidence: &[crate::Evidence],
        now: DateTime<Utc>,
    ) -> Expertise {
        let reviews = touchpoints.iter().filter_map(|t| {
            Some(Contribution {
                login: t.mentor.clone(),
                area: repo_area(&t.source)?,
                at: t.at,
                kind: ContributionKind::Reviewed,
            })
        });
        let changes = evidence.iter().filter_map(|e| {
            Some(Contribution {
                login: e.mentee.clone(),
                area: repo_area(&e.source)?,
                at: e.at,
                kind: ContributionKind::Changed,
            })
        });
        Expertise::from_contributions(&reviews.chain(changes).collect::<Vec<_>>(), now)
    }

    /// Returns `login`'s expertise in `area` relative to the most expert person there: 0 (none) to 1.
    pub fn level(&self, login: &Login, area: &str) -> f64 {
        let best = self.best.get(area).copied().unwrap_or(0.0);
        if best <= 0.0 {
            return 0.0;
        }
        self.scores.get(login).and_then(|a| a.get(area)).map_or(0.0, |s| s / best)
    }

    /// Returns the areas `login` worked in, most expert first (ties by name).
    pub fn areas_of(&self, login: &Login) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = self
            .scores
            .get(login)
            .map(|a| a.keys().map(|k| (k.clone(), self.level(login, k))).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Returns every known area.
    pub fn all_areas(&self) -> BTreeSet<&str> {
        self.best.keys().map(String::as_str).collect()
    }
}

/// Returns the area of a stored activity's source label (`acme/billing#42` → `billing`): the repository, which
/// is all the app knows of where a reviewed or merged pull request changed code.
pub fn repo_area(source: &str) -> Option<String> {
    let repo = source.split(['#', '@']).next()?.trim();
    let name = repo.rsplit('/').next()?.trim().to_lowercase();
    (!name.is_empty() && repo.contains('/')).then_some(name)
}

/// Returns true when `want` (a mentee's `wants` entry) names `area`: the area itself, one of its path
/// segments, or a prefix of it (`services` names `services/billing`).
pub fn want_names_area(want: &str, area: &str) -> bool {
    let want = want.trim_matches('/');
    area == want
        || area.strip_prefix(want).is_some_and(|rest| rest.starts_with('/'))
        || area.split('/').any(|segment| segment == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn areas_come_from_codeowners_sections_rules_or_top_directories() {
        let plain = Areas::new(None);
        assert_eq!(plain.area_of("services/billing/x.rs").as_deref(), Some("services"));
        assert_eq!(plain.area_of("README.md"), None);

        let rules = Areas::new(Some("* @all\n*.js @web\n/services/billing/ @pay\ndocs/ @docs\n"));
        assert_eq!(rules.area_of("web/app.js").as_deref(), Some("web"));
        assert_eq!(rules.area_of("services/billing/src/a.rs").as_deref(), Some("services/billing"));
        assert_eq!(rules.area_of("services/auth/a.rs").as_deref(), Some("services"));
        assert_eq!(rules.area_of("docs/x.md").as_deref(), Some("docs"));

        let sections =
            Areas::new(Some("[Databases]\n/db/ @dba\n/migrations/ @dba\n^[API]\n/api/ @api\n"));
        assert_eq!(sections.area_of("migrations/0001.sql").as_deref(), Some("databases"));
        assert_eq!(sections.area_of("api/v1.rs").as_deref(), Some("api"));
    }

    #[test]
    fn recent_changes_outweigh_old_ones_and_bots_and_old_history_are_ignored() {
        let now = at("2026-12-01T00:00:00Z");
        let c = |login: &str, area: &str, when: &str, kind| Contribution {
            login: Login::new(login),
            area: area.into(),
            at: at(when),
            kind,
        };
        let expertise = Expertise::from_contributions(
            &[
                c("new", "db", "2026-11-20T00:00:00Z", ContributionKind::Changed),
                c("old", "db", "2026-03-01T00:00:00Z", ContributionKind::Changed),
                c("ancient", "db", "2024-01-01T00:00:00Z", ContributionKind::Changed),
                c("dependabot[bot]", "db", "2026-11-30T00:00:00Z", ContributionKind::Changed),
                c("rev", "db", "2026-11-20T00:00:00Z", ContributionKind::Reviewed),
            ],
            now,
        );
        assert_eq!(expertise.level(&Login::new("new"), "db"), 1.0);
        assert!(expertise.level(&Login::new("old"), "db") < 0.5);
        assert!((expertise.level(&Login::new("rev"), "db") - 0.5).abs() < 1e-9);
        assert_eq!(expertise.level(&Login::new("ancient"), "db"), 0.0);
        assert_eq!(expertise.level(&Login::new("dependabot[bot]"), "db"), 0.0);
    }

    #[test]
    fn stored_sources_map_to_their_repository() {
        assert_eq!(repo_area("acme/Billing#42").as_deref(), Some("billing"));
        assert_eq!(repo_area("abc1234"), None);
    }

    #[test]
    fn wants_name_areas_by_segment_or_prefix() {
        assert!(want_names_area("billing", "services/billing"));
        assert!(want_names_area("services", "services/billing"));
        assert!(!want_names_area("bill", "services/billing"));
    }
}
