//! An org's program from several files: the org `.github` repository's config merged with every repository's.
//!
//! People merge by login, pairs by (mentor, mentee, track), tracks by id and their milestones by id; org-wide
//! sections (`sprints`, `touchpoints`, `privacy`, `pairing`, `tiers`, `nudges`, `checkins`, `matching`, `velocity`) are taken from the file that writes them.
//! The same key defined the same way twice is one key (a repository that `_extends` the org file repeats it);
//! defined differently, it is a [`ConfigError`] naming both places, never a silent pick. `templates` are
//! repository-scoped: the merged config keeps the first file's, and callers overlay a repository's own.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{Config, ConfigError, ConfigErrors, Pair, Person, Place};
use crate::login::Login;

/// Org-wide sections: written in one file, they hold for the whole org.
const ORG_SECTIONS: [&str; 9] = [
    "sprints",
    "touchpoints",
    "privacy",
    "pairing",
    "tiers",
    "nudges",
    "checkins",
    "matching",
    "velocity",
];

/// Merges `files` (the org `.github` file first if there is one, then the others in a stable order) into one
/// program, or returns every conflict between them.
pub fn merge_org(files: Vec<Config>) -> Result<Config, ConfigErrors> {
    let mut files = files.into_iter();
    let Some(mut merged) = files.next() else {
        return Err(ConfigErrors(vec![ConfigError {
            file: String::new(),
            line: 0,
            column: 0,
            message: "no config file to merge".into(),
        }]));
    };
    let mut errors = Vec::new();
    let mut hashes = vec![merged.hash.clone()];
    for other in files {
        hashes.push(other.hash.clone());
        merge_people(&mut merged, &other, &mut errors);
        merge_tracks(&mut merged, &other, &mut errors);
        merge_pairs(&mut merged, &other, &mut errors);
        merge_sections(&mut merged, &other, &mut errors);
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(ConfigErrors(errors));
    }
    merged.hash = hex::encode(Sha256::digest(hashes.join("\n").as_bytes()));
    Ok(merged)
}

/// Returns a conflict found at `here`, naming `there`.
fn conflict(here: &Place, there: &Place, what: String, detail: Option<String>) -> ConfigError {
    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
    ConfigError {
        file: here.file.clone(),
        line: here.line,
        column: 1,
        message: format!(
            "{what} is defined differently in {there}{detail}\n\nDefine it in one file (the org's `.github` \
             repository), or the same way in both."
        ),
    }
}

/// Returns where `file` wrote something Mentor has no line for (a config built without origins).
fn somewhere(config: &Config) -> Place {
    config.origins.sections.values().next().cloned().unwrap_or_default()
}

fn merge_people(merged: &mut Config, other: &Config, errors: &mut Vec<ConfigError>) {
    for (login, person) in &other.people {
        let here = other.origins.people.get(login).cloned().unwrap_or_else(|| somewhere(other));
        match merged.people.get(login) {
            None => {
                merged.people.insert(login.clone(), person.clone());
                merged.origins.people.insert(login.clone(), here);
            }
            Some(existing) if existing == person => {}
            Some(existing) => {
                let there = merged.origins.people.get(login).cloned().unwrap_or_default();
                errors.push(conflict(
                    &here,
                    &there,
                    format!("person `{login}`"),
                    person_difference(existing, person),
                ));
            }
        }
    }
}

/// Says which fields of a person differ, the earlier value first.
fn person_difference(a: &Person, b: &Person) -> Option<String> {
    let mut parts = Vec::new();
    if a.tier != b.tier {
        parts.push(format!("tier {:?} there, {:?} here", a.tier, b.tier).to_lowercase());
    }
    if a.capacity != b.capacity {
        parts.push("capacity differs".to_string());
    }
    if a.name != b.name {
        parts.push("name differs".to_string());
    }
    if a.emails != b.emails {
        parts.push("emails differ".to_string());
    }
    if a.skills != b.skills {
        parts.push("skills differ".to_string());
    }
    if a.wants != b.wants || a.team != b.team || a.level != b.level {
        parts.push("wants, team or level differ".to_string());
    }
    if a.avoid != b.avoid || a.tz != b.tz {
        parts.push("avoid or tz differ".to_string());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn merge_tracks(merged: &mut Config, other: &Config, errors: &mut Vec<ConfigError>) {
    for (id, track) in &other.tracks {
        let here = other.origins.tracks.get(id).cloned().unwrap_or_else(|| somewhere(other));
        let Some(existing) = merged.tracks.get_mut(id) else {
            merged.tracks.insert(id.clone(), track.clone());
            merged.origins.tracks.insert(id.clone(), here);
            for m in &track.milestones {
                let key = (id.clone(), m.id.clone());
                if let Some(place) = other.origins.milestones.get(&key) {
                    merged.origins.milestones.insert(key, place.clone());
                }
            }
            continue;
        };
        // Milestones by id: new ones are added after the track's own, the same id must mean the same milestone.
        for m in &track.milestones {
            let key = (id.clone(), m.id.clone());
            let at = other.origins.milestones.get(&key).cloned().unwrap_or_else(|| here.clone());
            match existing.milestones.iter().find(|e| e.id == m.id) {
                None => {
                    existing.milestones.push(m.clone());
                    merged.origins.milestones.insert(key, at);
                }
                Some(e) if e == m => {}
                Some(_) => {
                    let there = merged.origins.milestones.get(&key).cloned().unwrap_or_default();
                    errors.push(conflict(
                        &at,
                        &there,
                        format!("milestone `{}` of track `{id}`", m.id),
                        None,
                    ));
                }
            }
        }
    }
}

fn merge_pairs(merged: &mut Config, other: &Config, errors: &mut Vec<ConfigError>) {
    type Key = (Login, Login, String);
    let key = |p: &Pair| (p.mentor.clone(), p.mentee.clone(), p.track.clone());
    let group = |config: &Config| {
        let mut groups: BTreeMap<Key, Vec<(Pair, Place)>> = BTreeMap::new();
        for (i, p) in config.pairs.iter().enumerate() {
            let place = config.origins.pairs.get(i).cloned().unwrap_or_else(|| somewhere(config));
            groups.entry(key(p)).or_default().push((p.clone(), place));
        }
        groups
    };
    let existing = group(merged);
    for (k, pairs) in group(other) {
        match existing.get(&k) {
            None => {
                for (pair, place) in pairs {
                    merged.pairs.push(pair);
                    merged.origins.pairs.push(place);
                }
            }
            Some(mine) if mine.iter().map(|(p, _)| p).eq(pairs.iter().map(|(p, _)| p)) => {}
            Some(mine) => {
                let (mentor, mentee, track) = &k;
                let detail = match (mine.first(), pairs.first()) {
                    (Some((a, _)), Some((b, _))) if a.since != b.since || a.until != b.until => {
                        Some(format!(
                            "since {} until {} there, since {} until {} here",
                            a.since,
                            a.until.map_or("-".to_string(), |d| d.to_string()),
                            b.since,
                            b.until.map_or("-".to_string(), |d| d.to_string())
                        ))
                    }
                    _ => None,
                };
                errors.push(conflict(
                    &pairs[0].1,
                    &mine[0].1,
                    format!("pair `{mentor}` → `{mentee}` on track `{track}`"),
                    detail,
                ));
            }
        }
    }
}

fn merge_sections(merged: &mut Config, other: &Config, errors: &mut Vec<ConfigError>) {
    for section in ORG_SECTIONS {
        let Some(here) = other.origins.sections.get(section) else { continue };
        let same = match section {
            "sprints" => merged.sprints == other.sprints,
            "touchpoints" => merged.touchpoints == other.touchpoints,
            "privacy" => merged.privacy == other.privacy,
            "pairing" => merged.pairing == other.pairing,
            "nudges" => merged.nudges == other.nudges,
            "checkins" => merged.checkins == other.checkins,
            "matching" => merged.matching == other.matching,
            "velocity" => merged.velocity == other.velocity,
            _ => merged.tiers == other.tiers,
        };
        match merged.origins.sections.get(section) {
            // Written in both: the same settings are fine, different ones are a conflict.
            Some(there) if !same => {
                errors.push(conflict(here, there, format!("section `{section}`"), None))
            }
            Some(_) => {}
            None => {
                match section {
                    "sprints" => merged.sprints = other.sprints.clone(),
                    "touchpoints" => merged.touchpoints = other.touchpoints.clone(),
                    "privacy" => merged.privacy = other.privacy.clone(),
                    "pairing" => merged.pairing = other.pairing.clone(),
                    "nudges" => merged.nudges = other.nudges.clone(),
                    "checkins" => merged.checkins = other.checkins.clone(),
                    "matching" => merged.matching = other.matching.clone(),
                    "velocity" => merged.velocity = other.velocity.clone(),
                    _ => merged.tiers = other.tiers,
                }
                merged.origins.sections.insert(section.to_string(), here.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn file(label: &str, text: &str) -> Config {
        parse(label, text).unwrap_or_else(|e| panic!("{e}"))
    }

    const ORG: &str = "\
sprints: { length: 2w, start: 2026-01-05, timezone: UTC }
people:
  bob: { tier: senior }
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery }
templates: { on_mentee_pr: org-guide }
";

    #[test]
    fn files_merge_by_login_pair_and_id_and_the_same_definition_twice_is_one() {
        let api = "\
people:
  bob: { tier: senior }
  alice: {}
  dave: {}
  carol: {}
pairs:
  - { mentor: dave, mentee: carol, track: backend, since: 2026-09-01 }
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery }
      - { id: api, title: An API change, stage: practice }
templates: { on_mentee_pr: api-guide }
";
        let merged = merge_org(vec![file("org", ORG), file("api", api)]).unwrap();
        assert_eq!(merged.people.len(), 4);
        assert_eq!(merged.pairs.len(), 2, "bob → alice is one pair");
        assert_eq!(merged.origins.pairs.len(), 2);
        let milestones: Vec<&str> =
            merged.tracks["backend"].milestones.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(milestones, ["first-pr", "api"]);
        assert_eq!(merged.origins.milestones[&("backend".into(), "api".into())].file, "api");
        assert_eq!(
            merged.templates.on_mentee_pr.as_deref(),
            Some("org-guide"),
            "templates stay per repo"
        );
        assert_eq!(merged.sprints.length_days(), 14);
        // Stable for the same inputs, different for others.
        let again = merge_org(vec![file("org", ORG), file("api", api)]).unwrap();
        assert_eq!(again.hash, merged.hash);
        assert_ne!(merge_org(vec![file("org", ORG)]).unwrap().hash, merged.hash);
    }

    #[test]
    fn the_same_key_defined_differently_names_both_places() {
        let web = "\
people:
  bob: { tier: principal }
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-10-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship something else, stage: discovery }
sprints: { length: 1w }
";
        let errors = merge_org(vec![file("org.yml", ORG), file("web.yml", web)]).unwrap_err();
        let text = errors.to_string();
        assert!(
            text.contains("web.yml:2:1: person `bob` is defined differently in org.yml:3 (tier senior there, principal here)"),
            "{text}"
        );
        assert!(
            text.contains("web.yml:5:1: pair `bob` → `alice` on track `backend` is defined differently in org.yml:6 (since 2026-09-01 until - there, since 2026-10-01 until - here)"),
            "{text}"
        );
        assert!(text.contains("web.yml:9:1: milestone `first-pr` of track `backend`"), "{text}");
        assert!(
            text.contains("web.yml:10:1: section `sprints` is defined differently in org.yml:1"),
            "{text}"
        );
        assert_eq!(errors.0.len(), 4, "{text}");
    }

    #[test]
    fn org_wide_sections_come_from_the_file_that_writes_them() {
        let org = "people:\n  bob: {}\n";
        let repo = "privacy: { min_group_size: 9 }\ntouchpoints: { stale_after: 7d }\n";
        let merged = merge_org(vec![file("org", org), file("repo", repo)]).unwrap();
        assert_eq!(merged.privacy.min_group_size, 9);
        assert_eq!(merged.touchpoints.stale_after.to_chrono(), chrono::Duration::days(7));
        assert_eq!(merged.origins.sections["privacy"].file, "repo");
    }
}
