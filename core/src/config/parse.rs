//! Parsing and validating the text of `mentorship.yml` into a [`Config`].
//!
//! Two passes. First the YAML is read into the `raw` shape with `serde-saphyr`; a syntax error, a wrong type, an
//! unknown key or a duplicate key stops there, and is reported with its position. Then every value is checked
//! and turned into the model; these checks never stop early, so the user sees every problem in one run, sorted
//! into file order. Resolving `_extends` and reading files are left to the callers.

mod raw;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};
use sha2::{Digest, Sha256};

use super::{
    Capacity, CommitTrailerRule, Config, ConfigError, ConfigErrors, EvidenceRules, MergedPrRule,
    Milestone, Pair, PairStatus, PairingSettings, PathGlobs, Person, PrivacySettings,
    ReviewGivenRule, Stage, TemplateSettings, Tier, TouchpointSettings, Track,
};
use crate::duration::Duration;
use crate::login::Login;
use crate::sprint::{SprintCalendar, SprintError};
use raw::{
    Entries, RawCommitTrailer, RawConfig, RawEvidence, RawMergedPr, RawMilestone, RawPair,
    RawPairing, RawPerson, RawPrivacy, RawReviewGiven, RawSprints, RawTemplates, RawTouchpoints,
    RawTrack,
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

    let mut check = Check { file, errors: Vec::new() };
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
        let people = self.people(raw.people.unwrap_or(Entries(Vec::new())));
        let tracks = self.tracks(raw.tracks.unwrap_or(Entries(Vec::new())));
        let pairs = self.pairs(raw.pairs.unwrap_or_default(), &people, &tracks);
        let touchpoints = self.touchpoints(raw.touchpoints);
        let templates = self.templates(raw.templates);
        let privacy = self.privacy(raw.privacy);
        let pairing = self.pairing(raw.pairing);
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
            hash: hex::encode(Sha256::digest(text.as_bytes())),
        }
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
            let person = Person {
                login: login.clone(),
                name: raw.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                tier,
                capacity,
                emails,
                skills: raw.skills.unwrap_or_default(),
            };
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
                milestones.push(milestone);
            }
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
        let ((mentor, _), (mentee, _)) = (mentor?, mentee?);
        if mentor == mentee {
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
        settings.milestones_in_public =
            raw.milestones_in_public.unwrap_or(settings.milestones_in_public);
        settings
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
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) if text.len() == 10 => Some(day),
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
