//! Parsing and validating the text of `mentorship.yml` into a [`Config`].
//!
//! Two passes. First the YAML is read into the `raw` shape with `serde-saphyr`; a syntax error, a wrong type, an
//! unknown key or a duplicate key stops there, and is reported with its position. Then every value is checked
//! and turned into the model; these checks never stop early, so the user sees every problem in one run, sorted
//! into file order. Resolving `_extends` and reading files are left to the callers.

mod matching;
mod raw;
mod reminders;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};
use sha2::{Digest, Sha256};

use super::{
    Capacity, CommitTrailerRule, Config, ConfigError, ConfigErrors, EvidenceRules, MergedPrRule,
    Milestone, Origins, Pair, PairStatus, PairingSettings, PathGlobs, Person, Place,
    PrivacySettings, ReviewGivenRule, Stage, TemplateSettings, Tier, TierDefaults,
    TouchpointSettings, Track,
};
use crate::duration::Duration;
use crate::login::Login;
use crate::sprint::{SprintCalendar, SprintError};
use raw::{
    Entries, RawCommitTrailer, RawConfig, RawEvidence, RawMergedPr, RawMilestone, RawPair,
    RawPairing, RawPerson, RawPrivacy, RawReviewGiven, RawSprints, RawTemplates, RawTier, RawTiers,
    RawTouchpoints, RawTrack,
};

/// Sprint length when `sprints.length` is not given; matches [`SprintCalendar::default`].
const DEFAULT_SPRINT_DAYS: i64 = 14;

/// Parses and validates the text of `file`.
///
/// Returns the validated [`Config`], or every problem found, each with `file`, line and column, in file order.
/// `file` is only used to label errors.
pub fn parse(file: &str, text: &str) -> Result<Config, ConfigErrors> {
    let mut options = serde_saphyr::Options::default();
    // Positions are all we need: snippets would copy the input into every error for nothing.
    options.with_snippet = false;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    let raw: RawConfig = serde_saphyr::from_str_with_options(text, options)
        .map_err(|err| ConfigErrors(vec![structural_error(file, &err)]))?;

    let mut check =
        Check { file, errors: Vec::new(), origins: Origins::default(), pending_avoid: Vec::new() };
    let config = check.config(raw, text);
    if check.errors.is_empty() {
        Ok(config)
    } else {
        // Sections are validated in dependency order (people and tracks before pairs); users read top-down.
        check.errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(check.errors))
    }
}

/// Turns a `serde-saphyr` error into one [`ConfigError`] with a message written for someone editing the file.
fn structural_error(file: &str, err: &serde_saphyr::Error) -> ConfigError {
    use serde_saphyr::Error as E;

    let err = err.without_snippet();
    let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
    let message = match err {
        E::SerdeUnknownField { field, expected, .. } => {
            format!("unknown key `{field}`: expected one of {}", quoted_list(expected.iter().copied()))
        }
        E::DuplicateMappingKey { key: Some(key), .. } => {
            format!("duplicate key `{key}`: each key may appear only once in a mapping")
        }
        E::DuplicateMappingKey { key: None, .. } => {
            "duplicate key: each key may appear only once in a mapping".to_string()
        }
        E::Unexpected { expected, .. } => format!("wrong type: expected {}", describe_expected(expected)),
        E::InvalidScalar { ty, .. } => format!("wrong type: expected {}", describe_scalar(ty)),
        E::NullIntoString { .. } => "missing value: expected text".to_string(),
        E::SerdeInvalidType { unexpected, expected, .. } => {
            format!("wrong type: expected {expected}, found {unexpected}")
        }
        E::SerdeInvalidValue { unexpected, expected, .. } => {
            format!("invalid value {unexpected}: expected {expected}")
        }
        E::MultipleDocuments { .. } => {
            "more than one YAML document: keep the whole config in one document, without `---` separators"
                .to_string()
        }
        E::Eof { .. } => "invalid YAML: unexpected end of file".to_string(),
        other => format!("invalid YAML: {}", lowercase_first(&UserMessageFormatter.format_message(other))),
    };
    ConfigError { file: file.to_string(), line, column, message }
}

/// Names what the YAML reader expected, in the user's words.
fn describe_expected(expected: &str) -> String {
    match expected {
        "mapping start" => "a mapping (`key: value` lines or `{ key: value }`)".to_string(),
        "sequence start" => "a list (`- item` lines or `[a, b]`)".to_string(),
        "string scalar" => "a single value (text), not a list or mapping".to_string(),
        other => other.to_string(),
    }
}

/// Names the scalar type a field needs, in the user's words.
fn describe_scalar(ty: &str) -> String {
    match ty {
        "u8" | "u16" | "u32" | "u64" => format!("a whole number from 0 to {}", max_of(ty)),
        "boolean" | "bool" => "true or false".to_string(),
        other => format!("a value of type {other}"),
    }
}

/// Returns the largest value of an unsigned integer type named by `ty`.
fn max_of(ty: &str) -> u64 {
    match ty {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        _ => u64::MAX,
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Formats `items` as "`a`, `b`, `c`".
fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// The validation pass: turns the raw shape into the model while recording every problem.
struct Check<'f> {
    file: &'f str,
    errors: Vec<ConfigError>,
    origins: Origins,
    /// Each person's `avoid` entries with their positions, checked once every person is known.
    pending_avoid: Vec<(Login, Spanned<String>)>,
}

/// An accepted pair with where it was written, for overlap checks.
struct PlacedPair {
    pair: Pair,
    line: u64,
}

impl Check<'_> {
    /// Records `message` at `at`.
    fn error(&mut self, at: &Location, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            line: at.line(),
            column: at.column(),
            message: message.into(),
        });
    }

    fn config(&mut self, raw: RawConfig, text: &str) -> Config {
        let extends = raw.extends.and_then(|e| {
            let base = e.value.trim().to_string();
            if base.is_empty() {
                self.error(
                    &e.referenced,
                    "empty `_extends`: expected a repository like `.github` or `acme/.github`",
                );
                None
            } else {
                Some(base)
            }
        });
        let sprints = self.sprints(raw.sprints);
        let mut people = self.people(raw.people.unwrap_or(Entries(Vec::new())));
        self.check_avoid(&mut people);
        let tracks = self.tracks(raw.tracks.unwrap_or(Entries(Vec::new())));
        let pairs = self.pairs(raw.pairs.unwrap_or_default(), &people, &tracks);
        let touchpoints = self.touchpoints(raw.touchpoints);
        let templates = self.templates(raw.templates);
        let privacy = self.privacy(raw.privacy);
        let pairing = self.pairing(raw.pairing);
        let tiers = self.tiers(raw.tiers);
        let nudges = self.nudges(raw.nudges);
        let checkins = self.checkins(raw.checkins, "checkins");
        let matching = self.matching(raw.matching, &tracks);
        let velocity = self.velocity(raw.velocity);
        Config {
            extends,
            sprints,
            people,
            pairs,
            tracks,
            touchpoints,
            templates,
            privacy,
            pairing,
            tiers,
            nudges,
            checkins,
            matching,
            velocity,
            hash: hex::encode(Sha256::digest(text.as_bytes())),
            origins: self.section_origins(text),
        }
    }

    /// Returns the origins recorded so far, with the line of every top-level section of `text`.
    fn section_origins(&mut self, text: &str) -> Origins {
        let mut origins = std::mem::take(&mut self.origins);
        for (i, line) in text.lines().enumerate() {
            if let Some(key) = super::extends::top_level_key(line) {
                origins.sections.entry(key).or_insert(self.place(i as u64 + 1));
            }
        }
        origins
    }

    fn place(&self, line: u64) -> Place {
        Place { file: self.file.to_string(), line }
    }

    fn sprints(&mut self, raw: Option<RawSprints>) -> SprintCalendar {
        let Some(raw) = raw else { return SprintCalendar::default() };
        let mut ok = true;
        let length = match raw.length {
            None => Duration::from_days(DEFAULT_SPRINT_DAYS),
            Some(length) => match self.duration(&length) {
                Some(d) => {
                    // Checked alone so that a bad length and a bad zone are both reported.
                    if let Err(err @ SprintError::Length(_)) =
                        SprintCalendar::new(d, NaiveDate::MIN, "UTC")
                    {
                        self.error(&length.referenced, err.to_string());
                        ok = false;
                    }
                    d
                }
                None => {
                    ok = false;
                    Duration::from_days(DEFAULT_SPRINT_DAYS)
                }
            },
        };
        let start = match raw.start {
            None => default_sprint_start(),
            Some(start) => self.date(&start).unwrap_or_else(|| {
                ok = false;
                default_sprint_start()
            }),
        };
        let timezone = match raw.timezone {
            None => "UTC".to_string(),
            Some(tz) => {
                let name = tz.value.trim().to_string();
                if let Err(err) = SprintCalendar::new(Duration::from_days(1), start, &name) {
                    self.error(&tz.referenced, err.to_string());
                    ok = false;
                }
                name
            }
        };
        if !ok {
            return SprintCalendar::default();
        }
        SprintCalendar::new(length, start, &timezone).unwrap_or_default()
    }

    fn people(
        &mut self,
        raw: Entries<Spanned<String>, Option<RawPerson>>,
    ) -> BTreeMap<Login, Person> {
        let mut people = BTreeMap::new();
        // Where each login and each email was first written, to name it when it comes back.
        let mut seen: HashMap<Login, (String, u64)> = HashMap::new();
        let mut email_owner: HashMap<String, Login> = HashMap::new();
        for (key, person) in raw.0 {
            let login = Login::new(&key.value);
            if login.is_bot() {
                self.error(
                    &key.referenced,
                    format!(
                        "`{}` is a bot account: bots cannot be mentors or mentees",
                        key.value.trim()
                    ),
                );
            } else if !is_valid_login(login.as_str()) {
                self.error(
                    &key.referenced,
                    format!(
                        "invalid login `{}`: expected a GitHub login (letters, digits, `-` and `_`)",
                        key.value.trim()
                    ),
                );
            }
            if let Some((first, line)) = seen.get(&login) {
                self.error(
                    &key.referenced,
                    format!(
                        "person `{}` is listed twice (also as `{first}` on line {line}): logins are case-insensitive",
                        key.value.trim()
                    ),
                );
                continue;
            }
            seen.insert(login.clone(), (key.value.trim().to_string(), key.referenced.line()));

            let raw = person.unwrap_or(RawPerson {
                name: None,
                tier: None,
                capacity: None,
                emails: None,
                skills: None,
                wants: None,
                team: None,
                level: None,
                avoid: None,
                tz: None,
            });
            let tier = raw.tier.map_or(Tier::default(), |t| match t.value.trim() {
                "peer" => Tier::Peer,
                "senior" => Tier::Senior,
                "principal" => Tier::Principal,
                other => {
                    self.error(
                        &t.referenced,
                        format!("unknown tier `{other}`: expected `peer`, `senior` or `principal`"),
                    );
                    Tier::default()
                }
            });
            let mut emails = Vec::new();
            for email in raw.emails.unwrap_or_default() {
                let address = email.value.trim().to_string();
                if !is_plausible_email(&address) {
                    self.error(
                        &email.referenced,
                        format!(
                            "invalid email `{address}`: expected an address like `bob@example.com`"
                        ),
                    );
                    continue;
                }
                let folded = address.to_lowercase();
                match email_owner.get(&folded) {
                    Some(owner) if owner == &login => self.error(
                        &email.referenced,
                        format!("email `{address}` is listed twice for `{login}`"),
                    ),
                    Some(owner) => self.error(
                        &email.referenced,
                        format!(
                            "email `{address}` is listed for both `{owner}` and `{login}`: a commit email must map to one person"
                        ),
                    ),
                    None => {
                        email_owner.insert(folded, login.clone());
                        emails.push(address);
                    }
                }
            }
            let capacity = raw.capacity.map_or(Capacity::default(), |c| Capacity {
                mentees: c.mentees,
                minutes_per_sprint: c.minutes_per_sprint,
            });
            let skills = self.skills(&login, raw.skills);
            let wants = self.wants(&login, raw.wants);
            let team = raw.team.map(|t| t.value.trim().to_string()).filter(|t| !t.is_empty());
            let level = raw.level.and_then(|l| self.level(&l, &format!("people.{login}.level")));
            let tz = raw.tz.and_then(|t| self.time_zone(&login, &t));
            for avoid in raw.avoid.unwrap_or_default() {
                self.pending_avoid.push((login.clone(), avoid));
            }
            let person = Person {
                login: login.clone(),
                name: raw.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                tier,
                capacity,
                emails,
                skills,
                wants,
                team,
                level,
                avoid: Vec::new(),
                tz,
            };
            self.origins.people.insert(login.clone(), self.place(key.referenced.line()));
            people.insert(login, person);
        }
        people
    }

    fn tracks(
        &mut self,
        raw: Entries<Spanned<String>, Option<RawTrack>>,
    ) -> BTreeMap<String, Track> {
        let mut tracks = BTreeMap::new();
        for (key, track) in raw.0 {
            let id = key.value.trim().to_string();
            if !is_valid_id(&id) {
                self.error(
                    &key.referenced,
                    format!("invalid track id `{id}`: expected one word of letters, digits, `-` or `_`, like `backend`"),
                );
            }
            let mut milestones: Vec<Milestone> = Vec::new();
            let mut first_line: HashMap<String, u64> = HashMap::new();
            for raw in track.and_then(|t| t.milestones).unwrap_or_default() {
                let Some((milestone, at)) = self.milestone(raw) else { continue };
                if let Some(line) = first_line.get(&milestone.id) {
                    self.error(
                        &at,
                        format!(
                            "duplicate milestone id `{}` in track `{id}` (first on line {line}): ids must be unique within a track",
                            milestone.id
                        ),
                    );
                    continue;
                }
                first_line.insert(milestone.id.clone(), at.line());
                self.origins
                    .milestones
                    .insert((id.clone(), milestone.id.clone()), self.place(at.line()));
                milestones.push(milestone);
            }
            self.origins.tracks.insert(id.clone(), self.place(key.referenced.line()));
            tracks.insert(id.clone(), Track { id, milestones });
        }
        tracks
    }

    /// Validates one milestone; returns it with the position of its id, or `None` if it cannot be built.
    fn milestone(&mut self, raw: Spanned<RawMilestone>) -> Option<(Milestone, Location)> {
        let at = raw.referenced;
        let raw = raw.value;
        let id = match raw.id {
            None => {
                self.error(
                    &at,
                    "milestone is missing `id`: expected a short unique name, like `first-pr`",
                );
                None
            }
            Some(id) => {
                let text = id.value.trim().to_string();
                if is_valid_id(&text) {
                    Some((text, id.referenced))
                } else {
                    self.error(
                        &id.referenced,
                        format!("invalid milestone id `{text}`: expected one word of letters, digits, `-` or `_`, like `first-pr`"),
                    );
                    None
                }
            }
        };
        let title = raw.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if title.is_none() {
            self.error(&at, "milestone is missing `title`: expected a short description, like `Ship a first change`");
        }
        let stage = match raw.stage {
            None => {
                self.error(
                    &at,
                    "milestone is missing `stage`: expected `discovery`, `practice`, `feedback` or `mastery`",
                );
                None
            }
            Some(stage) => match stage.value.trim() {
                "discovery" => Some(Stage::Discovery),
                "practice" => Some(Stage::Practice),
                "feedback" => Some(Stage::Feedback),
                "mastery" => Some(Stage::Mastery),
                other => {
                    self.error(
                        &stage.referenced,
                        format!(
                            "unknown stage `{other}`: expected `discovery`, `practice`, `feedback` or `mastery`"
                        ),
                    );
                    None
                }
            },
        };
        let due = raw.due.and_then(|d| self.duration(&d));
        let evidence_id = id.as_ref().map_or("", |(id, _)| id.as_str()).to_string();
        let evidence = raw.evidence.map(|e| self.evidence(e, &evidence_id)).unwrap_or_default();
        let (id, id_at) = id?;
        Some((Milestone { id, title: title?, stage: stage?, due, evidence }, id_at))
    }

    fn evidence(&mut self, raw: RawEvidence, milestone_id: &str) -> EvidenceRules {
        EvidenceRules {
            merged_pr: raw
                .merged_pr
                .and_then(|r| self.merged_pr(r.value.unwrap_or_default(), &r.referenced)),
            review_given: raw.review_given.map(|r| self.review_given(r.value.unwrap_or_default())),
            commit_trailer: raw.commit_trailer.and_then(|r| {
                self.commit_trailer(r.value.unwrap_or_default(), &r.referenced, milestone_id)
            }),
        }
    }

    fn merged_pr(&mut self, raw: RawMergedPr, at: &Location) -> Option<MergedPrRule> {
        let mut patterns = Vec::new();
        let mut globs_ok = true;
        for path in raw.paths.unwrap_or_default() {
            // Compiled one by one so the error names the pattern and points at it.
            if let Err(err) = PathGlobs::new(vec![path.value.clone()]) {
                self.error(
                    &path.referenced,
                    format!("invalid glob `{}`: {}", path.value, err.kind()),
                );
                globs_ok = false;
            }
            patterns.push(path.value);
        }
        let paths = if globs_ok {
            match PathGlobs::new(patterns) {
                Ok(globs) => globs,
                Err(err) => {
                    self.error(at, format!("invalid `paths`: {err}"));
                    PathGlobs::default()
                }
            }
        } else {
            PathGlobs::default()
        };
        if let (Some(min), Some(max)) = (&raw.min_changed_lines, &raw.max_changed_lines)
            && min.value > max.value
        {
            self.error(
                &min.referenced,
                format!(
                    "`min_changed_lines` ({}) is greater than `max_changed_lines` ({}): no pull request can match",
                    min.value, max.value
                ),
            );
        }
        let count = self.count(raw.count);
        Some(MergedPrRule {
            paths,
            labels: raw.labels.unwrap_or_default(),
            min_reviewers: raw.min_reviewers,
            min_changed_lines: raw.min_changed_lines.map(|m| m.value),
            max_changed_lines: raw.max_changed_lines.map(|m| m.value),
            count,
        })
    }

    fn review_given(&mut self, raw: RawReviewGiven) -> ReviewGivenRule {
        ReviewGivenRule {
            count: self.count(raw.count),
            min_comments: raw.min_comments.unwrap_or(0),
        }
    }

    /// Returns a rule's `count` (default 1), rejecting 0, which would meet the milestone with no evidence at all.
    fn count(&mut self, raw: Option<Spanned<u32>>) -> u32 {
        match raw {
            None => 1,
            Some(c) if c.value == 0 => {
                self.error(
                    &c.referenced,
                    "`count` is 0: expected at least 1 (omit it for the default of 1)",
                );
                1
            }
            Some(c) => c.value,
        }
    }

    fn commit_trailer(
        &mut self,
        raw: RawCommitTrailer,
        at: &Location,
        milestone_id: &str,
    ) -> Option<CommitTrailerRule> {
        let key = match raw.key {
            None => {
                self.error(
                    at,
                    "`commit_trailer` is missing `key`: expected a trailer key, like `Milestone`",
                );
                return None;
            }
            Some(key) => {
                let text = key.value.trim().to_string();
                if text.is_empty() || !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    self.error(
                        &key.referenced,
                        format!("invalid trailer key `{text}`: expected letters, digits and `-`, like `Milestone`"),
                    );
                    return None;
                }
                text
            }
        };
        let value = match raw.value {
            None => milestone_id.to_string(),
            Some(value) => {
                let text = value.value.trim().to_string();
                if text.is_empty() {
                    self.error(
                        &value.referenced,
                        "empty trailer `value`: omit it to use the milestone id, or give the text to match",
                    );
                    return None;
                }
                text
            }
        };
        Some(CommitTrailerRule { key, value })
    }

    fn pairs(
        &mut self,
        raw: Vec<Spanned<RawPair>>,
        people: &BTreeMap<Login, Person>,
        tracks: &BTreeMap<String, Track>,
    ) -> Vec<Pair> {
        let mut placed: Vec<PlacedPair> = Vec::new();
        for raw in raw {
            let at = raw.referenced;
            let Some(pair) = self.pair(raw.value, &at, people, tracks) else { continue };
            if let Some(earlier) = placed.iter().find(|p| {
                p.pair.mentor == pair.mentor
                    && p.pair.mentee == pair.mentee
                    && p.pair.track == pair.track
                    && overlaps(&p.pair, &pair)
            }) {
                self.error(
                    &at,
                    format!(
                        "pair `{}` → `{}` on track `{}` overlaps the same pair on line {}: end the earlier one with `until` before this one's `since`",
                        pair.mentor, pair.mentee, pair.track, earlier.line
                    ),
                );
                continue;
            }
            placed.push(PlacedPair { pair, line: at.line() });
        }
        self.origins.pairs = placed.iter().map(|p| self.place(p.line)).collect();
        placed.into_iter().map(|p| p.pair).collect()
    }

    fn pair(
        &mut self,
        raw: RawPair,
        at: &Location,
        people: &BTreeMap<Login, Person>,
        tracks: &BTreeMap<String, Track>,
    ) -> Option<Pair> {
        let mentor = self.pair_person(raw.mentor, "mentor", at, people);
        let mentee = self.pair_person(raw.mentee, "mentee", at, people);
        if let (Some((mentor, _)), Some((mentee, mentee_at))) = (&mentor, &mentee)
            && mentor == mentee
        {
            self.error(
                mentee_at,
                format!("`{mentor}` is both mentor and mentee: a pair needs two different people"),
            );
        }
        let track = match raw.track {
            None => {
                self.error(
                    at,
                    "pair is missing `track`: expected the id of a track under `tracks`",
                );
                None
            }
            Some(track) => {
                let id = track.value.trim().to_string();
                if tracks.contains_key(&id) {
                    Some(id)
                } else {
                    let known = if tracks.is_empty() {
                        "no tracks are defined under `tracks`".to_string()
                    } else {
                        format!(
                            "expected one of {}",
                            quoted_list(tracks.keys().map(String::as_str))
                        )
                    };
                    self.error(&track.referenced, format!("unknown track `{id}`: {known}"));
                    None
                }
            }
        };
        let since = match raw.since {
            None => {
                self.error(at, "pair is missing `since`: expected the first day of the pairing, like `2026-09-01`");
                None
            }
            Some(since) => self.date(&since),
        };
        let until = match raw.until {
            None => Some(None),
            Some(until) => match self.date(&until) {
                None => None,
                Some(day) => {
                    if let Some(since) = since
                        && day < since
                    {
                        self.error(
                            &until.referenced,
                            format!("`until` {day} is before `since` {since}: a pair cannot end before it starts"),
                        );
                        None
                    } else {
                        Some(Some(day))
                    }
                }
            },
        };
        let status = match raw.status {
            None => Some(PairStatus::default()),
            Some(status) => match status.value.trim() {
                "active" => Some(PairStatus::Active),
                "paused" => Some(PairStatus::Paused),
                "ended" => Some(PairStatus::Ended),
                other => {
                    self.error(
                        &status.referenced,
                        format!("unknown status `{other}`: expected `active`, `paused` or `ended`"),
                    );
                    None
                }
            },
        };
        let has_checkins = raw.checkins.is_some();
        let checkins = self.checkins(raw.checkins, "the pair's `checkins`");
        let ((mentor, _), (mentee, _)) = (mentor?, mentee?);
        if mentor == mentee || (has_checkins && checkins.is_none()) {
            return None;
        }
        Some(Pair {
            mentor,
            mentee,
            track: track?,
            since: since?,
            until: until?,
            objectives: raw.objectives.unwrap_or_default(),
            rationale: raw.rationale.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
            status: status?,
            checkins,
        })
    }

    /// Resolves a pair's `mentor` or `mentee` (`role`) against `people`.
    fn pair_person(
        &mut self,
        raw: Option<Spanned<String>>,
        role: &str,
        pair_at: &Location,
        people: &BTreeMap<Login, Person>,
    ) -> Option<(Login, Location)> {
        let Some(raw) = raw else {
            self.error(
                pair_at,
                format!("pair is missing `{role}`: expected a login listed under `people`"),
            );
            return None;
        };
        let login = Login::new(&raw.value);
        if !people.contains_key(&login) {
            self.error(
                &raw.referenced,
                format!(
                    "unknown {role} `{}`: expected a login listed under `people`",
                    raw.value.trim()
                ),
            );
            return None;
        }
        Some((login, raw.referenced))
    }

    fn touchpoints(&mut self, raw: Option<RawTouchpoints>) -> TouchpointSettings {
        let mut settings = TouchpointSettings::default();
        let Some(raw) = raw else { return settings };
        if let Some(m) = raw.minutes {
            let d = settings.minutes;
            settings.minutes.review = m.review.unwrap_or(d.review);
            settings.minutes.review_comment = m.review_comment.unwrap_or(d.review_comment);
            settings.minutes.comment = m.comment.unwrap_or(d.comment);
            settings.minutes.pairing_commit = m.pairing_commit.unwrap_or(d.pairing_commit);
            settings.minutes.checkin = m.checkin.unwrap_or(d.checkin);
        }
        if let Some(stale) = raw.stale_after
            && let Some(d) = self.positive_duration(&stale, "`stale_after`", "14d")
        {
            settings.stale_after = d;
        }
        settings
    }

    fn templates(&mut self, raw: Option<RawTemplates>) -> TemplateSettings {
        let on_mentee_pr = raw.and_then(|t| t.on_mentee_pr).and_then(|id| {
            let text = id.value.trim().to_string();
            if is_valid_id(&text) {
                Some(text)
            } else {
                self.error(
                    &id.referenced,
                    format!("invalid template id `{text}`: expected a template name, like `review-guide`"),
                );
                None
            }
        });
        TemplateSettings { on_mentee_pr }
    }

    fn privacy(&mut self, raw: Option<RawPrivacy>) -> PrivacySettings {
        let mut settings = PrivacySettings::default();
        let Some(raw) = raw else { return settings };
        if let Some(repo) = raw.journal_repo {
            let text = repo.value.trim().to_string();
            if is_owner_name(&text) {
                settings.journal_repo = Some(text);
            } else {
                self.error(
                    &repo.referenced,
                    format!("invalid `journal_repo` `{text}`: expected `owner/name` of a private repository, like `acme/mentorship`"),
                );
            }
        }
        settings.min_group_size = raw.min_group_size.unwrap_or(settings.min_group_size);
        settings.managers = raw.managers.unwrap_or_default();
        settings.admins = raw
            .admins
            .unwrap_or_default()
            .iter()
            .map(|a| Login::new(a.trim_start_matches('@')))
            .collect();
        settings.milestones_in_public =
            raw.milestones_in_public.unwrap_or(settings.milestones_in_public);
        settings
    }

    fn tiers(&mut self, raw: Option<RawTiers>) -> TierDefaults {
        let Some(raw) = raw else { return TierDefaults::default() };
        let capacity = |t: Option<RawTier>| {
            t.and_then(|t| t.capacity).map_or(Capacity::default(), |c| Capacity {
                mentees: c.mentees,
                minutes_per_sprint: c.minutes_per_sprint,
            })
        };
        TierDefaults {
            peer: capacity(raw.peer),
            senior: capacity(raw.senior),
            principal: capacity(raw.principal),
        }
    }

    fn pairing(&mut self, raw: Option<RawPairing>) -> PairingSettings {
        let mut settings = PairingSettings::default();
        let Some(raw) = raw else { return settings };
        settings.co_authored_by = raw.co_authored_by.unwrap_or(settings.co_authored_by);
        if let Some(session) = raw.session
            && let Some(d) = self.positive_duration(&session, "pairing `session`", "2h")
        {
            settings.session = d;
        }
        settings
    }

    /// Parses a duration like `2w`, recording the [`crate::duration::DurationError`] text at its position.
    fn duration(&mut self, raw: &Spanned<String>) -> Option<Duration> {
        match raw.value.parse::<Duration>() {
            Ok(d) => Some(d),
            Err(err) => {
                self.error(&raw.referenced, err.to_string());
                None
            }
        }
    }

    /// Parses a duration that must be longer than zero; `what` and `example` word the error.
    fn positive_duration(
        &mut self,
        raw: &Spanned<String>,
        what: &str,
        example: &str,
    ) -> Option<Duration> {
        let d = self.duration(raw)?;
        if d.seconds() == 0 {
            self.error(
                &raw.referenced,
                format!("{what} is 0: expected a duration longer than zero, like `{example}`"),
            );
            return None;
        }
        Some(d)
    }

    /// Parses a `YYYY-MM-DD` date.
    fn date(&mut self, raw: &Spanned<String>) -> Option<NaiveDate> {
        let text = raw.value.trim();
        // chrono accepts `2026-9-1`; requiring the full width keeps dates sortable and unambiguous.
        let shaped = text.len() == 10
            && text
                .char_indices()
                .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) if shaped => Some(day),
            Err(_) if shaped => {
                self.error(&raw.referenced, format!("invalid date `{text}`: there is no such day"));
                None
            }
            _ => {
                self.error(
                    &raw.referenced,
                    format!("invalid date `{text}`: expected YYYY-MM-DD, like `2026-09-01`"),
                );
                None
            }
        }
    }
}

/// The sprint start when `sprints.start` is not given; matches [`SprintCalendar::default`].
fn default_sprint_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
}

/// Returns true if two pairs' date ranges share at least one day.
fn overlaps(a: &Pair, b: &Pair) -> bool {
    a.until.is_none_or(|u| b.since <= u) && b.until.is_none_or(|u| a.since <= u)
}

/// GitHub logins are letters, digits and hyphens; managed-user logins add `_shortcode`.
fn is_valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Ids of tracks, milestones and templates appear in trailers and URLs, so they are one word.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn is_plausible_email(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Returns true for `owner/name` with GitHub's allowed characters on both sides.
fn is_owner_name(text: &str) -> bool {
    let part = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match text.split_once('/') {
        Some((owner, name)) => part(owner) && part(name),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from DESIGN.md, verbatim.
    const DESIGN_EXAMPLE: &str = r#"_extends: .github            # optional: inherit the org-wide file from the org's `.github` repo (Probot convention)
sprints: { length: 2w, start: 2026-01-05, timezone: Europe/Berlin }
people:
  bob:   { tier: senior, capacity: { mentees: 3, minutes_per_sprint: 240 }, emails: [bob@example.com] }
  alice: { emails: [alice@example.com] }
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01, rationale: "API design depth; same domain" }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, due: 2w, evidence: { merged_pr: { paths: ["src/**"] } } }
      - { id: design-review, title: Lead a design review, stage: practice, due: 8w,
          evidence: { merged_pr: { labels: [design], min_reviewers: 2 } } }
      - { id: reviewer, title: Give five substantive reviews, stage: feedback, evidence: { review_given: { count: 5, min_comments: 3 } } }
touchpoints: { minutes: { review: 30, review_comment: 5, comment: 5, pairing_commit: 20, checkin: 30 }, stale_after: 14d }
templates: { on_mentee_pr: review-guide }
privacy: { journal_repo: acme/mentorship, min_group_size: 5, managers: ["@acme/eng-managers"] }
"#;

    /// A small valid base that error tests append to or tweak.
    const BASE: &str = "\
people:
  bob: { emails: [bob@example.com] }
  alice: {}
tracks:
  backend:
    milestones:
      - { id: first-pr, title: First PR, stage: discovery }
";

    fn errors(text: &str) -> Vec<(u64, u64, String)> {
        match parse("m.yml", text) {
            Ok(_) => panic!("expected errors for:\n{text}"),
            Err(ConfigErrors(errors)) => {
                assert!(!errors.is_empty(), "error list must never be empty");
                errors.into_iter().map(|e| (e.line, e.column, e.message)).collect()
            }
        }
    }

    /// Asserts exactly one error at `line`:`column` whose message contains `needle`.
    #[track_caller]
    fn assert_one(text: &str, line: u64, column: u64, needle: &str) {
        let errs = errors(text);
        assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
        let (l, c, m) = &errs[0];
        assert_eq!((*l, *c), (line, column), "wrong position for {m:?}");
        assert!(m.contains(needle), "{m:?} should contain {needle:?}");
        assert!(!m.ends_with('.'), "{m:?} should not end with a period");
        assert!(
            m.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{m:?} should start lowercase"
        );
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn design_example_parses_into_the_model() {
        let config = parse("mentorship.yml", DESIGN_EXAMPLE).unwrap();
        assert_eq!(config.extends.as_deref(), Some(".github"));
        assert_eq!(config.sprints.length_days(), 14);
        assert_eq!(config.sprints.timezone(), chrono_tz::Europe::Berlin);
        assert_eq!(config.sprints.sprint_on(day("2026-01-20")).id, day("2026-01-19"));

        let bob = config.person(&Login::new("Bob")).unwrap();
        assert_eq!(bob.tier, Tier::Senior);
        assert_eq!(bob.capacity, Capacity { mentees: Some(3), minutes_per_sprint: Some(240) });
        assert_eq!(bob.emails, ["bob@example.com"]);
        let alice = config.person(&Login::new("alice")).unwrap();
        assert_eq!(alice.tier, Tier::Peer);
        assert_eq!(alice.capacity, Capacity::default());

        assert_eq!(config.pairs.len(), 1);
        let pair = &config.pairs[0];
        assert_eq!((pair.mentor.as_str(), pair.mentee.as_str()), ("bob", "alice"));
        assert_eq!(pair.track, "backend");
        assert_eq!(pair.since, day("2026-09-01"));
        assert_eq!(pair.until, None);
        assert_eq!(pair.rationale.as_deref(), Some("API design depth; same domain"));
        assert_eq!(pair.status, PairStatus::Active);

        let track = config.track("backend").unwrap();
        let ids: Vec<_> = track.milestones.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["first-pr", "design-review", "reviewer"]);
        let first = &track.milestones[0];
        assert_eq!(first.title, "Ship a first change");
        assert_eq!(first.stage, Stage::Discovery);
        assert_eq!(first.due, Some(Duration::from_days(14)));
        let rule = first.evidence.merged_pr.as_ref().unwrap();
        assert!(rule.paths.matches("src/lib/a.rs"));
        assert!(!rule.paths.matches("docs/a.md"));
        assert_eq!(rule.count, 1);
        let design = track.milestones[1].evidence.merged_pr.as_ref().unwrap();
        assert_eq!(design.labels, ["design"]);
        assert_eq!(design.min_reviewers, Some(2));
        assert!(design.paths.is_empty());
        let reviewer = &track.milestones[2];
        assert_eq!(reviewer.due, None);
        let review = reviewer.evidence.review_given.as_ref().unwrap();
        assert_eq!((review.count, review.min_comments), (5, 3));

        assert_eq!(config.touchpoints, TouchpointSettings::default());
        assert_eq!(config.templates.on_mentee_pr.as_deref(), Some("review-guide"));
        assert_eq!(config.privacy.journal_repo.as_deref(), Some("acme/mentorship"));
        assert_eq!(config.privacy.managers, ["@acme/eng-managers"]);
        assert_eq!(config.pairing, PairingSettings::default());
        assert_eq!(config.hash, hex::encode(Sha256::digest(DESIGN_EXAMPLE.as_bytes())));
        assert_eq!(config.hash.len(), 64);
    }

    #[test]
    fn empty_file_gives_every_default() {
        for text in ["", "# nothing yet\n", "people:\ntracks:\n"] {
            let config = parse("m.yml", text).unwrap();
            assert_eq!(config.sprints, SprintCalendar::default());
            assert!(
                config.people.is_empty() && config.pairs.is_empty() && config.tracks.is_empty()
            );
            assert_eq!(config.touchpoints, TouchpointSettings::default());
            assert_eq!(config.templates, TemplateSettings::default());
            assert_eq!(config.privacy, PrivacySettings::default());
            assert_eq!(config.pairing, PairingSettings::default());
            assert_eq!(config.extends, None);
        }
        let partial = parse("m.yml", "sprints: { timezone: Europe/Berlin }\n").unwrap();
        assert_eq!(partial.sprints.length_days(), 14);
        assert_eq!(partial.sprints.sprint_on(day("2024-01-01")).id, day("2024-01-01"));
    }

    #[test]
    fn every_setting_is_read() {
        let text = "\
people:
  Bob:
    name: Bob Builder
    tier: principal
    emails: [Bob@Example.com]
    skills: { rust: 4, sql: 2 }
  alice:
pairs:
  - mentor: BOB
    mentee: '@alice'
    track: backend
    since: 2026-01-01
    until: 2026-06-30
    objectives: [ship, review]
    status: ended
tracks:
  backend:
    milestones:
      - id: tagged
        title: Tagged commit
        stage: mastery
        evidence:
          commit_trailer: { key: Milestone }
          merged_pr:
          review_given:
      - id: sized
        title: Sized
        stage: practice
        evidence:
          merged_pr: { min_changed_lines: 10, max_changed_lines: 400, count: 3 }
          commit_trailer: { key: Proves, value: sized-change }
touchpoints: { minutes: { review: 45 }, stale_after: 3w }
privacy: { min_group_size: 3, milestones_in_public: true }
pairing: { co_authored_by: true, session: 90m }
";
        let config = parse("m.yml", text).unwrap();
        let bob = config.person(&Login::new("bob")).unwrap();
        assert_eq!(bob.login.as_str(), "bob");
        assert_eq!(bob.name.as_deref(), Some("Bob Builder"));
        assert_eq!(bob.tier, Tier::Principal);
        assert_eq!(bob.skills.get("rust"), Some(&4));
        assert_eq!(bob.skills.get("sql"), Some(&2));
        assert!(config.person(&Login::new("ALICE")).is_some());

        let pair = &config.pairs[0];
        assert_eq!((pair.mentor.as_str(), pair.mentee.as_str()), ("bob", "alice"));
        assert_eq!(pair.until, Some(day("2026-06-30")));
        assert_eq!(pair.objectives, ["ship", "review"]);
        assert_eq!(pair.status, PairStatus::Ended);

        let track = config.track("backend").unwrap();
        let tagged = &track.milestones[0].evidence;
        let trailer = tagged.commit_trailer.as_ref().unwrap();
        assert_eq!((trailer.key.as_str(), trailer.value.as_str()), ("Milestone", "tagged"));
        // A rule key with no value is the rule with every default, not an absent rule.
        let any_pr = tagged.merged_pr.as_ref().unwrap();
        assert!(any_pr.paths.is_empty() && any_pr.labels.is_empty() && any_pr.count == 1);
        let any_review = tagged.review_given.as_ref().unwrap();
        assert_eq!((any_review.count, any_review.min_comments), (1, 0));
        let sized = &track.milestones[1].evidence;
        let pr = sized.merged_pr.as_ref().unwrap();
        assert_eq!(
            (pr.min_changed_lines, pr.max_changed_lines, pr.count),
            (Some(10), Some(400), 3)
        );
        let trailer = sized.commit_trailer.as_ref().unwrap();
        assert_eq!((trailer.key.as_str(), trailer.value.as_str()), ("Proves", "sized-change"));

        assert_eq!(config.touchpoints.minutes.review, 45);
        assert_eq!(config.touchpoints.minutes.review_comment, 5);
        assert_eq!(config.touchpoints.stale_after, Duration::from_days(21));
        assert_eq!(config.privacy.min_group_size, 3);
        assert!(config.privacy.milestones_in_public);
        assert!(config.pairing.co_authored_by);
        assert_eq!(config.pairing.session, Duration::from_minutes(90));
    }

    #[test]
    fn yaml_syntax_error_has_its_position() {
        let errs = errors("people:\n  bob: { tier: senior\n");
        assert_eq!(errs.len(), 1);
        let (line, column, message) = &errs[0];
        assert_eq!((*line, *column), (2, 8));
        assert!(message.starts_with("invalid YAML: "), "{message}");
        assert_one("privacy:\n  journal_repo: 'acme/x\n", 2, 17, "invalid YAML");
    }

    #[test]
    fn unknown_keys_name_the_allowed_ones() {
        assert_one(
            "sprint: { length: 2w }\n",
            1,
            1,
            "unknown key `sprint`: expected one of `_extends`, `sprints`",
        );
        assert_one(
            "people:\n  bob: { tier: senior, capcity: {} }\n",
            2,
            24,
            "unknown key `capcity`: expected one of `name`, `tier`, `capacity`, `emails`, `skills`, `wants`, `team`, `level`, `avoid`, `tz`",
        );
        let milestone_key = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ merged_pr: {{ path: [a] }} }} }}\n"
        );
        assert_one(&milestone_key, 8, 70, "unknown key `path`: expected one of `paths`, `labels`");
    }

    #[test]
    fn wrong_types_say_what_was_expected() {
        assert_one("people: [bob]\n", 1, 9, "wrong type: expected a mapping");
        assert_one(
            "people:\n  bob: { emails: bob@example.com }\n",
            2,
            18,
            "wrong type: expected a list",
        );
        assert_one(
            "people:\n  bob: { capacity: { mentees: -1 } }\n",
            2,
            31,
            "expected a whole number",
        );
        assert_one("pairing: { co_authored_by: maybe }\n", 1, 28, "expected true or false");
        assert_one("people:\n  bob: { tier: [senior] }\n", 2, 16, "expected a single value");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        assert_one("people:\n  bob: {}\n  bob: {}\n", 3, 3, "duplicate key `bob`");
        assert_one("pairing: { session: 2h, session: 3h }\n", 1, 25, "duplicate key `session`");
    }

    #[test]
    fn logins_differing_only_in_case_are_the_same_person() {
        assert_one(
            "people:\n  bob: {}\n  Bob: {}\n",
            3,
            3,
            "person `Bob` is listed twice (also as `bob` on line 2)",
        );
    }

    #[test]
    fn duplicate_milestone_ids_within_a_track() {
        let text = format!("{BASE}      - {{ id: first-pr, title: Again, stage: practice }}\n");
        assert_one(
            &text,
            8,
            15,
            "duplicate milestone id `first-pr` in track `backend` (first on line 7)",
        );
        // The same id in two tracks is fine.
        let other = format!(
            "{BASE}  frontend:\n    milestones:\n      - {{ id: first-pr, title: F, stage: discovery }}\n"
        );
        assert!(parse("m.yml", &other).is_ok());
    }

    #[test]
    fn pairs_must_name_known_people_and_tracks() {
        let text = format!(
            "{BASE}pairs:\n  - {{ mentor: carol, mentee: alice, track: backend, since: 2026-01-01 }}\n  - {{ mentor: bob, mentee: dave, track: backend, since: 2026-01-01 }}\n  - {{ mentor: bob, mentee: alice, track: frontend, since: 2026-01-01 }}\n"
        );
        let errs = errors(&text);
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert_eq!((errs[0].0, errs[0].1), (9, 15));
        assert!(
            errs[0].2.contains("unknown mentor `carol`: expected a login listed under `people`"),
            "{}",
            errs[0].2
        );
        assert_eq!((errs[1].0, errs[1].1), (10, 28));
        assert!(errs[1].2.contains("unknown mentee `dave`"), "{}", errs[1].2);
        assert_eq!((errs[2].0, errs[2].1), (11, 42));
        assert!(
            errs[2].2.contains("unknown track `frontend`: expected one of `backend`"),
            "{}",
            errs[2].2
        );
    }

    #[test]
    fn missing_pair_fields_point_at_the_pair() {
        let text = format!("{BASE}pairs:\n  - mentor: bob\n    track: backend\n");
        let errs = errors(&text);
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert_eq!((errs[0].0, errs[0].1), (9, 5));
        assert!(errs[0].2.contains("pair is missing `mentee`"));
        assert_eq!((errs[1].0, errs[1].1), (9, 5));
        assert!(errs[1].2.contains("pair is missing `since`"));
    }

    #[test]
    fn a_pair_needs_two_different_people() {
        let text = format!(
            "{BASE}pairs:\n  - {{ mentor: bob, mentee: Bob, track: backend, since: 2026-01-01 }}\n"
        );
        assert_one(&text, 9, 28, "`bob` is both mentor and mentee");
    }

    #[test]
    fn the_same_pair_may_not_overlap_itself() {
        let text = format!(
            "{BASE}pairs:\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-01-01, until: 2026-03-31 }}\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-03-31 }}\n"
        );
        assert_one(
            &text,
            10,
            5,
            "pair `bob` → `alice` on track `backend` overlaps the same pair on line 9",
        );
        // Back to back is fine, and so is the same pair on another track.
        let ok = format!(
            "{BASE}  frontend: {{}}\npairs:\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-01-01, until: 2026-03-30 }}\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-03-31 }}\n  - {{ mentor: bob, mentee: alice, track: frontend, since: 2026-01-01 }}\n"
        );
        let config = parse("m.yml", &ok).unwrap();
        assert_eq!(config.pairs.len(), 3);
    }

    #[test]
    fn malformed_durations_use_the_duration_error() {
        let text = format!("{BASE}      - {{ id: x, title: X, stage: practice, due: 2 weeks }}\n");
        assert_one(
            &text,
            8,
            50,
            "invalid duration \"2 weeks\": expected a whole number and a unit",
        );
        assert_one("touchpoints: { stale_after: soon }\n", 1, 29, "invalid duration \"soon\"");
        assert_one("sprints: { length: fortnight }\n", 1, 20, "invalid duration \"fortnight\"");
    }

    #[test]
    fn malformed_globs_name_the_pattern() {
        let text = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ merged_pr: {{ paths: [\"ok/**\", \"src/[\"] }} }} }}\n"
        );
        assert_one(&text, 8, 87, "invalid glob `src/[`");
    }

    #[test]
    fn bad_dates_and_reversed_ranges() {
        let text = format!(
            "{BASE}pairs:\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-13-01 }}\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-9-1 }}\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-05-01, until: 2026-04-30 }}\n"
        );
        let errs = errors(&text);
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert_eq!((errs[0].0, errs[0].1), (9, 58));
        assert!(errs[0].2.contains("invalid date `2026-13-01`: there is no such day"));
        assert_eq!((errs[1].0, errs[1].1), (10, 58));
        assert!(errs[1].2.contains("invalid date `2026-9-1`"));
        assert_eq!((errs[2].0, errs[2].1), (11, 77));
        assert!(errs[2].2.contains("`until` 2026-04-30 is before `since` 2026-05-01"));
        assert_one(
            "sprints: { start: Monday }\n",
            1,
            19,
            "invalid date `Monday`: expected YYYY-MM-DD",
        );
    }

    #[test]
    fn sprint_calendar_errors_use_the_sprint_error() {
        assert_one(
            "sprints: { length: 36h }\n",
            1,
            20,
            "sprint length 36h is not a whole number of days",
        );
        assert_one("sprints: { length: 0d }\n", 1, 20, "is not a whole number of days");
        assert_one(
            "sprints: { timezone: Mars/Olympus }\n",
            1,
            22,
            "unknown time zone \"Mars/Olympus\"",
        );
        // Both problems are reported, not only the first.
        let errs = errors("sprints:\n  length: 90m\n  timezone: Berlin\n");
        assert_eq!(errs.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(), [(2, 11), (3, 13)]);
    }

    #[test]
    fn stages_tiers_and_statuses_are_checked() {
        let text = format!("{BASE}      - {{ id: x, title: X, stage: expert }}\n");
        assert_one(
            &text,
            8,
            35,
            "unknown stage `expert`: expected `discovery`, `practice`, `feedback` or `mastery`",
        );
        assert_one("people:\n  bob: { tier: staff }\n", 2, 16, "unknown tier `staff`");
        let status = format!(
            "{BASE}pairs:\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-01-01, status: done }}\n"
        );
        assert_one(&status, 9, 78, "unknown status `done`: expected `active`, `paused` or `ended`");
    }

    #[test]
    fn missing_milestone_fields_point_at_the_milestone() {
        let text = format!("{BASE}      - title: Nameless\n        stage: practice\n");
        assert_one(&text, 8, 9, "milestone is missing `id`");
        let text = format!("{BASE}      - {{ id: x }}\n");
        let errs = errors(&text);
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert!(errs.iter().all(|e| (e.0, e.1) == (8, 9)));
        assert!(errs[0].2.contains("missing `title`") && errs[1].2.contains("missing `stage`"));
    }

    #[test]
    fn min_changed_lines_above_max() {
        let text = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ merged_pr: {{ min_changed_lines: 500, max_changed_lines: 50 }} }} }}\n"
        );
        assert_one(
            &text,
            8,
            89,
            "`min_changed_lines` (500) is greater than `max_changed_lines` (50)",
        );
    }

    #[test]
    fn count_of_zero_is_rejected() {
        let text = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ merged_pr: {{ count: 0 }} }} }}\n"
        );
        assert_one(&text, 8, 77, "`count` is 0: expected at least 1");
        let text = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ review_given: {{ count: 0 }} }} }}\n"
        );
        assert_one(&text, 8, 80, "`count` is 0");
    }

    #[test]
    fn commit_trailer_needs_a_key() {
        let text = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ commit_trailer: {{ value: x }} }} }}\n"
        );
        assert_one(&text, 8, 73, "`commit_trailer` is missing `key`");
        let text = format!(
            "{BASE}      - {{ id: x, title: X, stage: practice, evidence: {{ commit_trailer: {{ key: \"My Key\" }} }} }}\n"
        );
        assert_one(&text, 8, 80, "invalid trailer key `My Key`");
    }

    #[test]
    fn bots_cannot_be_people() {
        assert_one(
            "people:\n  bob: {}\n  dependabot[bot]: {}\n",
            3,
            3,
            "`dependabot[bot]` is a bot account",
        );
    }

    #[test]
    fn journal_repo_must_be_owner_slash_name() {
        assert_one(
            "privacy: { journal_repo: mentorship }\n",
            1,
            26,
            "invalid `journal_repo` `mentorship`: expected `owner/name`",
        );
        assert_one("privacy: { journal_repo: acme/a/b }\n", 1, 26, "expected `owner/name`");
    }

    #[test]
    fn an_email_belongs_to_one_person() {
        let text = "people:\n  bob: { emails: [shared@example.com] }\n  alice: { emails: [Shared@Example.com] }\n";
        assert_one(text, 3, 21, "email `Shared@Example.com` is listed for both `bob` and `alice`");
        assert_one("people:\n  bob: { emails: [bob] }\n", 2, 19, "invalid email `bob`");
    }

    #[test]
    fn pairing_session_of_zero_is_rejected() {
        assert_one(
            "pairing: { session: 0h }\n",
            1,
            21,
            "pairing `session` is 0: expected a duration longer than zero",
        );
        assert_one("pairing: { session: 0 }\n", 1, 21, "invalid duration \"0\"");
        assert_one("touchpoints: { stale_after: 0d }\n", 1, 29, "`stale_after` is 0");
    }

    #[test]
    fn every_semantic_error_is_reported_in_file_order() {
        // Pairs come before people and tracks in this file, but are validated after them.
        let text = "\
pairs:
  - { mentor: zed, mentee: alice, track: backend, since: 2026-01-01 }
people:
  alice: { tier: junior }
  ci[bot]: {}
tracks:
  backend:
    milestones:
      - { id: a, title: A, stage: later, due: 1y }
pairing: { session: 0m }
";
        let errs = errors(text);
        let positions: Vec<_> = errs.iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(positions, [(2, 15), (4, 18), (5, 3), (9, 35), (9, 47), (10, 21)], "{errs:#?}");
        let display =
            ConfigErrors(parse("cfg/m.yml", text).unwrap_err().0.into_iter().take(2).collect())
                .to_string();
        assert_eq!(
            display,
            "cfg/m.yml:2:15: unknown mentor `zed`: expected a login listed under `people`\ncfg/m.yml:4:18: unknown tier `junior`: expected `peer`, `senior` or `principal`"
        );
    }

    #[test]
    fn multiple_documents_are_rejected() {
        assert_one("people: {}\n---\npeople: {}\n", 3, 1, "more than one YAML document");
    }
}
