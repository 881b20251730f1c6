//! Checks of the matching inputs: a person's `skills`, `wants`, `level`, `avoid` and `tz`, and the `matching:`
//! and `velocity:` sections (see [`crate::config::matching`]).

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::Check;
use super::raw::{Entries, RawMatching, RawSkills, RawTierRule, RawWeights};
use crate::config::matching::{
    LISTED_SKILL_LEVEL, Level, MAX_WEIGHT, MatchingSettings, TierRule, TierRules, TimeZone, Weights,
};
use crate::config::{Person, Track};
use crate::login::Login;

impl Check<'_> {
    /// Reads `people.<login>.skills`: a matrix of levels 1–5, or a list (each skill at the middle level).
    pub(super) fn skills(
        &mut self,
        login: &Login,
        raw: Option<Spanned<RawSkills>>,
    ) -> BTreeMap<String, u8> {
        let mut out = BTreeMap::new();
        let Some(raw) = raw else { return out };
        let at = raw.referenced;
        let entries: Vec<(String, i64)> = match raw.value {
            RawSkills::List(list) => {
                list.into_iter().map(|s| (s, i64::from(LISTED_SKILL_LEVEL))).collect()
            }
            RawSkills::Matrix(matrix) => matrix,
        };
        for (skill, level) in entries {
            let skill = skill.trim().to_lowercase();
            if skill.is_empty() {
                self.error(&at, format!("people.{login}.skills: a skill name is empty"));
                continue;
            }
            if !(1..=5).contains(&level) {
                self.error(
                    &at,
                    format!("people.{login}.skills.{skill}: {level} is out of range 1–5"),
                );
                continue;
            }
            if out.insert(skill.clone(), level as u8).is_some() {
                self.error(&at, format!("people.{login}.skills.{skill}: listed twice"));
            }
        }
        out
    }

    /// Reads `people.<login>.wants`: skills or code areas, lowercased, each once.
    pub(super) fn wants(
        &mut self,
        login: &Login,
        raw: Option<Vec<Spanned<String>>>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for want in raw.unwrap_or_default() {
            let text = want.value.trim().to_lowercase();
            if text.is_empty() {
                self.error(&want.referenced, format!("people.{login}.wants: an entry is empty"));
            } else if out.contains(&text) {
                self.error(&want.referenced, format!("people.{login}.wants.{text}: listed twice"));
            } else {
                out.push(text);
            }
        }
        out
    }

    /// Reads a level (`people.<login>.level`, `matching.tiers.<tier>.mentees_min_level`); `what` names the key.
    pub(super) fn level(&mut self, raw: &Spanned<String>, what: &str) -> Option<Level> {
        let level = Level::parse(&raw.value);
        if level.is_none() {
            let expected =
                Level::ALL.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ");
            self.error(
                &raw.referenced,
                format!("{what}: unknown level `{}`: expected one of {expected}", raw.value.trim()),
            );
        }
        level
    }

    /// Reads `people.<login>.tz`.
    pub(super) fn time_zone(&mut self, login: &Login, raw: &Spanned<String>) -> Option<TimeZone> {
        let tz = TimeZone::parse(&raw.value);
        if tz.is_none() {
            self.error(
                &raw.referenced,
                format!(
                    "people.{login}.tz: unknown time zone `{}`: expected an IANA name like `Europe/Berlin` or an offset like `UTC+2`",
                    raw.value.trim()
                ),
            );
        }
        tz
    }

    /// Resolves every `avoid` entry now that all people are known: each must name another configured person.
    pub(super) fn check_avoid(&mut self, people: &mut BTreeMap<Login, Person>) {
        for (login, avoid) in std::mem::take(&mut self.pending_avoid) {
            let other = Login::new(avoid.value.trim().trim_start_matches('@'));
            if other == login {
                self.error(
                    &avoid.referenced,
                    format!("people.{login}.avoid: `{other}` is the person themselves"),
                );
            } else if !people.contains_key(&other) {
                self.error(
                    &avoid.referenced,
                    format!("people.{login}.avoid: unknown person `{other}`: expected a login listed under `people`"),
                );
            } else if let Some(person) = people.get_mut(&login)
                && !person.avoid.contains(&other)
            {
                person.avoid.push(other);
            }
        }
    }

    /// Reads `matching:`.
    pub(super) fn matching(
        &mut self,
        raw: Option<RawMatching>,
        tracks: &BTreeMap<String, Track>,
    ) -> MatchingSettings {
        let mut settings = MatchingSettings::default();
        let Some(raw) = raw else { return settings };
        if let Some(weights) = raw.weights {
            settings.weights = self.weights(weights);
        }
        if let Some(rotation) = raw.rotation {
            settings.rotation.no_repeat = rotation.no_repeat.unwrap_or(settings.rotation.no_repeat);
            if let Some(max) = rotation.max_length
                && let Some(d) =
                    self.positive_duration(&max, "`matching.rotation.max_length`", "26w")
            {
                settings.rotation.max_length = d;
            }
        }
        if let Some(tiers) = raw.tiers {
            let mut rule = |raw: Option<RawTierRule>, tier: &str| TierRule {
                mentees_min_level: raw.and_then(|r| r.mentees_min_level).and_then(|l| {
                    self.level(&l, &format!("matching.tiers.{tier}.mentees_min_level"))
                }),
            };
            settings.tiers = TierRules {
                peer: rule(tiers.peer, "peer"),
                senior: rule(tiers.senior, "senior"),
                principal: rule(tiers.principal, "principal"),
            };
        }
        if let Some(minutes) = raw.minutes_per_mentee {
            settings.minutes_per_mentee = minutes;
        }
        if let Some(track) = raw.track {
            let id = track.value.trim().to_string();
            if tracks.contains_key(&id) {
                settings.track = Some(id);
            } else {
                self.error(
                    &track.referenced,
                    format!("matching.track: unknown track `{id}`: expected a track listed under `tracks`"),
                );
            }
        }
        settings
    }

    fn weights(&mut self, raw: RawWeights) -> Weights {
        let defaults = Weights::default();
        let mut weight = |raw: Option<Spanned<i64>>, default: i32, key: &str| match raw {
            None => default,
            Some(w) if (-i64::from(MAX_WEIGHT)..=i64::from(MAX_WEIGHT)).contains(&w.value) => {
                w.value as i32
            }
            Some(w) => {
                self.error(
                    &w.referenced,
                    format!(
                        "matching.weights.{key}: {} is out of range -{MAX_WEIGHT}–{MAX_WEIGHT}",
                        w.value
                    ),
                );
                default
            }
        };
        Weights {
            skills: weight(raw.skills, defaults.skills, "skills"),
            code: weight(raw.code, defaults.code, "code"),
            tz: weight(raw.tz, defaults.tz, "tz"),
            team: weight(raw.team, defaults.team, "team"),
        }
    }

    /// Reads `velocity:` (story points per sprint, by team).
    pub(super) fn velocity(
        &mut self,
        raw: Option<Entries<Spanned<String>, Spanned<u32>>>,
    ) -> BTreeMap<String, u32> {
        let mut out = BTreeMap::new();
        for (team, points) in raw.map(|e| e.0).unwrap_or_default() {
            let name = team.value.trim().to_string();
            if out.insert(name.clone(), points.value).is_some() {
                self.error(&team.referenced, format!("velocity.{name}: listed twice"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Level, TimeZone, parse};
    use crate::login::Login;

    #[test]
    fn matching_inputs_are_read() {
        let config = parse(
            "m.yml",
            "\
people:
  ana: { skills: { Rust: 4, databases: 2 }, wants: [api-design], team: core, level: junior, tz: Europe/Berlin, avoid: [bo] }
  bo: { skills: [go], tz: UTC-5 }
matching:
  weights: { skills: 5, team: 0 }
  rotation: { no_repeat: 3, max_length: 12w }
  tiers: { principal: { mentees_min_level: senior } }
  minutes_per_mentee: 90
velocity: { core: 40 }
",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let ana = &config.people[&Login::new("ana")];
        assert_eq!(ana.skills.get("rust"), Some(&4));
        assert_eq!(ana.wants, ["api-design"]);
        assert_eq!(ana.team.as_deref(), Some("core"));
        assert_eq!(ana.level, Some(Level::Junior));
        assert_eq!(ana.avoid, [Login::new("bo")]);
        assert!(matches!(ana.tz, Some(TimeZone::Named(_))));
        assert_eq!(config.people[&Login::new("bo")].skills.get("go"), Some(&3));
        let m = &config.matching;
        assert_eq!((m.weights.skills, m.weights.code, m.weights.tz, m.weights.team), (5, 2, 1, 0));
        assert_eq!(m.rotation.no_repeat, 3);
        assert_eq!(m.rotation.max_length.seconds(), 12 * 7 * 86_400);
        assert_eq!(m.tiers.principal.mentees_min_level, Some(Level::Senior));
        assert_eq!(m.minutes_per_mentee, 90);
        assert_eq!(config.velocity.get("core"), Some(&40));
    }

    #[test]
    fn bad_matching_inputs_name_the_key() {
        let err = parse(
            "m.yml",
            "\
people:
  alice: { skills: { rust: 7 }, level: guru, tz: Mars/Base, avoid: [zed] }
matching:
  weights: { skills: 500 }
  tiers: { principal: { mentees_min_level: boss } }
",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("people.alice.skills.rust: 7 is out of range 1–5"), "{err}");
        assert!(err.contains("people.alice.level: unknown level `guru`"), "{err}");
        assert!(err.contains("people.alice.tz: unknown time zone `Mars/Base`"), "{err}");
        assert!(err.contains("people.alice.avoid: unknown person `zed`"), "{err}");
        assert!(err.contains("matching.weights.skills: 500 is out of range"), "{err}");
        assert!(
            err.contains("matching.tiers.principal.mentees_min_level: unknown level `boss`"),
            "{err}"
        );
        let unknown = parse("m.yml", "matching:\n  weight: {}\n").unwrap_err().to_string();
        assert!(unknown.starts_with("m.yml:2:3: unknown key `weight`"), "{unknown}");
    }
}
