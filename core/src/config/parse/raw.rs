//! The YAML shape of `mentorship.yml`, exactly as written, before validation.
//!
//! These structs mirror the file key for key (snake_case) and reject unknown keys, so a typo is an error at its
//! position instead of a silently ignored setting. Values whose position a later check needs are wrapped in
//! [`Spanned`]; everything is optional here so that [`super::parse`] can report every missing or wrong value
//! itself, in file order, instead of stopping at the first one. Turning this shape into the model is
//! `parse.rs`'s job.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// A mapping read in file order as a list of entries, so that keys keep their positions and duplicates that only
/// differ in case (logins) can be reported instead of being merged.
pub(super) struct Entries<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Deserializes a key that is present as `Some`, even when its value is null.
///
/// `merged_pr:` with nothing after it means "any merged PR"; a plain `Option` would read it as absent and drop
/// the rule.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// The whole file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(rename = "_extends")]
    pub extends: Option<Spanned<String>>,
    pub sprints: Option<RawSprints>,
    pub people: Option<Entries<Spanned<String>, Option<RawPerson>>>,
    pub pairs: Option<Vec<Spanned<RawPair>>>,
    pub tracks: Option<Entries<Spanned<String>, Option<RawTrack>>>,
    pub touchpoints: Option<RawTouchpoints>,
    pub templates: Option<RawTemplates>,
    pub privacy: Option<RawPrivacy>,
    pub pairing: Option<RawPairing>,
    pub tiers: Option<RawTiers>,
    pub nudges: Option<Spanned<RawNudges>>,
    pub checkins: Option<Spanned<RawCheckins>>,
    pub matching: Option<RawMatching>,
    pub velocity: Option<Entries<Spanned<String>, Spanned<u32>>>,
}

/// `tiers:`: default capacity per tier.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTiers {
    pub peer: Option<RawTier>,
    pub senior: Option<RawTier>,
    pub principal: Option<RawTier>,
}

/// `tiers.<tier>`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTier {
    pub capacity: Option<RawCapacity>,
}

/// `sprints:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSprints {
    pub length: Option<Spanned<String>>,
    pub start: Option<Spanned<String>>,
    pub timezone: Option<Spanned<String>>,
}

/// One entry under `people:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    pub name: Option<String>,
    pub tier: Option<Spanned<String>>,
    pub capacity: Option<RawCapacity>,
    pub emails: Option<Vec<Spanned<String>>>,
    pub skills: Option<Spanned<RawSkills>>,
    pub wants: Option<Vec<Spanned<String>>>,
    pub team: Option<Spanned<String>>,
    pub level: Option<Spanned<String>>,
    pub avoid: Option<Vec<Spanned<String>>>,
    pub tz: Option<Spanned<String>>,
}

/// `people.<login>.skills`: a skill matrix (`{ rust: 4 }`, levels 1–5) or a plain list (`[rust]`, each at the
/// middle level).
pub(super) enum RawSkills {
    /// `[rust, sql]`.
    List(Vec<String>),
    /// `{ rust: 4, sql: 2 }`, in file order.
    Matrix(Vec<(String, i64)>),
}

impl<'de> Deserialize<'de> for RawSkills {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SkillsVisitor;

        impl<'de> Visitor<'de> for SkillsVisitor {
            type Value = RawSkills;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a skill matrix like `{ rust: 4, databases: 2 }` or a list of skills")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawSkills, A::Error> {
                let mut out = Vec::new();
                while let Some(skill) = seq.next_element::<String>()? {
                    out.push(skill);
                }
                Ok(RawSkills::List(out))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSkills, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, i64>()? {
                    out.push(entry);
                }
                Ok(RawSkills::Matrix(out))
            }
        }

        deserializer.deserialize_any(SkillsVisitor)
    }
}

/// `people.<login>.capacity`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapacity {
    pub mentees: Option<u32>,
    pub minutes_per_sprint: Option<u32>,
}

/// One entry under `pairs:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPair {
    pub mentor: Option<Spanned<String>>,
    pub mentee: Option<Spanned<String>>,
    pub track: Option<Spanned<String>>,
    pub since: Option<Spanned<String>>,
    pub until: Option<Spanned<String>>,
    pub objectives: Option<Vec<String>>,
    pub rationale: Option<String>,
    pub status: Option<Spanned<String>>,
    pub checkins: Option<Spanned<RawCheckins>>,
}

/// `tracks.<id>`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrack {
    pub milestones: Option<Vec<Spanned<RawMilestone>>>,
}

/// One entry under `tracks.<id>.milestones`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMilestone {
    pub id: Option<Spanned<String>>,
    pub title: Option<String>,
    pub stage: Option<Spanned<String>>,
    pub due: Option<Spanned<String>>,
    pub evidence: Option<RawEvidence>,
}

/// `evidence:` of a milestone; a key written with no value (`merged_pr:`) is a rule with every default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvidence {
    #[serde(default, deserialize_with = "present")]
    pub merged_pr: Option<Spanned<Option<RawMergedPr>>>,
    #[serde(default, deserialize_with = "present")]
    pub review_given: Option<Spanned<Option<RawReviewGiven>>>,
    #[serde(default, deserialize_with = "present")]
    pub commit_trailer: Option<Spanned<Option<RawCommitTrailer>>>,
}

/// `evidence.merged_pr`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMergedPr {
    pub paths: Option<Vec<Spanned<String>>>,
    pub labels: Option<Vec<String>>,
    pub min_reviewers: Option<u32>,
    pub min_changed_lines: Option<Spanned<u64>>,
    pub max_changed_lines: Option<Spanned<u64>>,
    pub count: Option<Spanned<u32>>,
}

/// `evidence.review_given`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReviewGiven {
    pub count: Option<Spanned<u32>>,
    pub min_comments: Option<u32>,
}

/// `evidence.commit_trailer`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommitTrailer {
    pub key: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
}

/// `touchpoints:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTouchpoints {
    pub minutes: Option<RawMinutes>,
    pub stale_after: Option<Spanned<String>>,
}

/// `touchpoints.minutes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMinutes {
    pub review: Option<u32>,
    pub review_comment: Option<u32>,
    pub comment: Option<u32>,
    pub pairing_commit: Option<u32>,
    pub checkin: Option<u32>,
}

/// `templates:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplates {
    pub on_mentee_pr: Option<Spanned<String>>,
}

/// `privacy:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrivacy {
    pub journal_repo: Option<Spanned<String>>,
    pub min_group_size: Option<u32>,
    pub managers: Option<Vec<String>>,
    pub admins: Option<Vec<String>>,
    pub milestones_in_public: Option<bool>,
}

/// `pairing:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPairing {
    pub co_authored_by: Option<bool>,
    pub session: Option<Spanned<String>>,
}

/// `nudges:`: `off` (or `false`), `on` (or `true`) for the defaults, or the settings.
pub(super) enum RawNudges {
    /// A word or a boolean: `Ok(true)` on, `Ok(false)` off, `Err(word)` anything else.
    Switch(Result<bool, String>),
    /// A mapping.
    Settings(RawNudgeSettings),
}

impl<'de> Deserialize<'de> for RawNudges {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NudgesVisitor;

        impl<'de> Visitor<'de> for NudgesVisitor {
            type Value = RawNudges;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`off`, `on` or a mapping of nudge settings")
            }

            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawNudges, E> {
                Ok(RawNudges::Switch(Ok(v)))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawNudges, E> {
                Ok(RawNudges::Switch(match v.trim() {
                    "off" | "false" | "no" => Ok(false),
                    "on" | "true" | "yes" => Ok(true),
                    other => Err(other.to_owned()),
                }))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawNudges, A::Error> {
                RawNudgeSettings::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawNudges::Settings)
            }
        }

        deserializer.deserialize_any(NudgesVisitor)
    }
}

/// `nudges:` as a mapping.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNudgeSettings {
    pub after: Option<Spanned<String>>,
    pub escalate_after: Option<Spanned<String>>,
    pub to: Option<Vec<Spanned<String>>>,
    pub quiet: Option<RawQuiet>,
}

/// `nudges.quiet`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuiet {
    pub days: Option<Vec<Spanned<String>>>,
}

/// `checkins:` (top level: the default; in a pair: that pair's).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCheckins {
    pub every: Option<Spanned<String>>,
    pub length: Option<Spanned<String>>,
    pub weekday: Option<Spanned<String>>,
    pub time: Option<Spanned<String>>,
}

/// `matching:`: how `mentor match` scores and constrains pairs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatching {
    pub weights: Option<RawWeights>,
    pub rotation: Option<RawRotation>,
    pub tiers: Option<RawTierRules>,
    pub minutes_per_mentee: Option<u32>,
    pub track: Option<Spanned<String>>,
}

/// `matching.weights`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeights {
    pub skills: Option<Spanned<i64>>,
    pub code: Option<Spanned<i64>>,
    pub tz: Option<Spanned<i64>>,
    pub team: Option<Spanned<i64>>,
}

/// `matching.rotation`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRotation {
    pub no_repeat: Option<u32>,
    pub max_length: Option<Spanned<String>>,
}

/// `matching.tiers`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTierRules {
    pub peer: Option<RawTierRule>,
    pub senior: Option<RawTierRule>,
    pub principal: Option<RawTierRule>,
}

/// `matching.tiers.<tier>`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTierRule {
    pub mentees_min_level: Option<Spanned<String>>,
}
