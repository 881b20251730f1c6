//! `.github/mentorship.yml`: the validated program model and its parser.
//!
//! [`parse`] turns the text of one file into a [`Config`] or a list of [`ConfigError`]s that each name the file,
//! line and column. Fetching the file (from a clone, or from GitHub) and resolving `_extends` is left to the
//! callers; this module only sees text. The schema is documented in the README and in `DESIGN.md`.

pub mod extends;
pub mod matching;
mod merge;
mod parse;
pub mod reminders;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use globset::{GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::duration::Duration;
use crate::login::Login;
use crate::sprint::SprintCalendar;

pub use matching::{Level, MatchingSettings, TimeZone};
pub use merge::merge_org;
pub use parse::parse;
pub use reminders::{CheckinSettings, NudgeSettings};

/// The whole mentorship program of an org or repository, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// `_extends`: the repository whose `.github/mentorship.yml` this file inherits from, if any.
    pub extends: Option<String>,
    /// The sprint calendar every instant is mapped onto.
    pub sprints: SprintCalendar,
    /// Everyone in the program, by login.
    pub people: BTreeMap<Login, Person>,
    /// Mentor/mentee pairs, in file order.
    pub pairs: Vec<Pair>,
    /// Tracks by id.
    pub tracks: BTreeMap<String, Track>,
    /// Minutes credited per touchpoint kind, and when a pair counts as stale.
    pub touchpoints: TouchpointSettings,
    /// Which templates the app posts on its own.
    pub templates: TemplateSettings,
    /// Where private data may go and who may see aggregates.
    pub privacy: PrivacySettings,
    /// How pairing sessions (`mentor pair start`) credit the mentor in commits.
    pub pairing: PairingSettings,
    /// Default capacity per tier (a person's own `capacity` overrides it field by field).
    pub tiers: TierDefaults,
    /// Reminders for quiet pairs.
    pub nudges: NudgeSettings,
    /// The default check-in schedule of a pair, if any.
    pub checkins: Option<CheckinSettings>,
    /// How `mentor match` scores and constrains pairs.
    pub matching: MatchingSettings,
    /// `velocity:` — story points per sprint by team, for the audit's velocity adjustment.
    pub velocity: BTreeMap<String, u32>,
    /// A stable hash of the file's text, used to key caches.
    pub hash: String,
    /// Where each person, pair, track, milestone and top-level section was written.
    pub origins: Origins,
}

/// A place in a config file: `file:line`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The file's label (`owner/repo:.github/mentorship.yml`, or a local path).
    pub file: String,
    /// 1-based line.
    pub line: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Where a config's parts were written, so a conflict between two files can name both places.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    /// Each person's key, by login.
    pub people: BTreeMap<Login, Place>,
    /// Each pair, in the order of [`Config::pairs`].
    pub pairs: Vec<Place>,
    /// Each track's key, by id.
    pub tracks: BTreeMap<String, Place>,
    /// Each milestone, by (track id, milestone id).
    pub milestones: BTreeMap<(String, String), Place>,
    /// Each top-level section written (`sprints`, `privacy`, …), by key.
    pub sections: BTreeMap<String, Place>,
}

impl Origins {
    /// Rewrites every place with `f` (used to point lines of a merged text back at their files).
    pub fn relocate(&mut self, mut f: impl FnMut(&mut Place)) {
        self.people.values_mut().for_each(&mut f);
        self.pairs.iter_mut().for_each(&mut f);
        self.tracks.values_mut().for_each(&mut f);
        self.milestones.values_mut().for_each(&mut f);
        self.sections.values_mut().for_each(&mut f);
    }
}

/// One person in the program.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Their GitHub login.
    pub login: Login,
    /// Display name used in commit trailers; defaults to the login.
    pub name: Option<String>,
    /// Seniority.
    pub tier: Tier,
    /// How much mentoring they can take on per sprint.
    pub capacity: Capacity,
    /// Commit emails that map local history to this login (compared case-insensitively).
    pub emails: Vec<String>,
    /// Skill matrix for matching: skill → level 1–5 (a plain list gives each skill level 3).
    pub skills: BTreeMap<String, u8>,
    /// What a mentee wants to learn (skills or code areas), for matching.
    pub wants: Vec<String>,
    /// The person's team, for matching (cross-team exposure) and the audit's equity and velocity.
    pub team: Option<String>,
    /// Career level, for tier rules and the audit's equity.
    pub level: Option<Level>,
    /// People never paired with this one, either way.
    pub avoid: Vec<Login>,
    /// Where they work from, for time-zone overlap.
    pub tz: Option<TimeZone>,
}

/// Seniority tier of a person.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The default.
    #[default]
    Peer,
    /// A senior engineer.
    Senior,
    /// A principal engineer.
    Principal,
}

/// `tiers:` — the capacity a person of each tier has unless their own `capacity` says otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierDefaults {
    /// `tiers.peer.capacity`.
    pub peer: Capacity,
    /// `tiers.senior.capacity`.
    pub senior: Capacity,
    /// `tiers.principal.capacity`.
    pub principal: Capacity,
}

impl TierDefaults {
    /// Returns the default capacity of `tier`.
    pub fn of(&self, tier: Tier) -> Capacity {
        match tier {
            Tier::Peer => self.peer,
            Tier::Senior => self.senior,
            Tier::Principal => self.principal,
        }
    }
}

/// Mentoring capacity of a person per sprint; `None` means no limit was set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacity {
    /// Maximum number of mentees at once.
    pub mentees: Option<u32>,
    /// Minutes of mentoring per sprint.
    pub minutes_per_sprint: Option<u32>,
}

/// A mentor/mentee pair on a track.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// The mentor's login.
    pub mentor: Login,
    /// The mentee's login.
    pub mentee: Login,
    /// The track id the mentee follows.
    pub track: String,
    /// First day of the pairing; milestone due dates count from here.
    pub since: NaiveDate,
    /// Last day of the pairing, if it ended or will end.
    pub until: Option<NaiveDate>,
    /// What the pair agreed to work on.
    pub objectives: Vec<String>,
    /// Why these two were paired (kept for audit).
    pub rationale: Option<String>,
    /// Whether the pair is running.
    pub status: PairStatus,
    /// The pair's own check-in schedule (else the config's `checkins`).
    pub checkins: Option<CheckinSettings>,
}

/// Lifecycle state of a pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairStatus {
    /// The default: the pair meets and counts toward load.
    #[default]
    Active,
    /// Temporarily on hold: no stale warnings.
    Paused,
    /// Finished: kept for history only.
    Ended,
}

/// An ordered list of milestones.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    /// The track id (its key under `tracks:`).
    pub id: String,
    /// Milestones in file order.
    pub milestones: Vec<Milestone>,
}

/// One step of a track, proven by evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Milestone {
    /// Unique within its track.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Learning stage.
    pub stage: Stage,
    /// Due this long after the pair's `since`, if set.
    pub due: Option<Duration>,
    /// How evidence is recognised; a milestone is met when any listed rule is satisfied.
    pub evidence: EvidenceRules,
}

/// Learning stage of a milestone, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Getting to know the ground.
    Discovery,
    /// Doing it with help.
    Practice,
    /// Giving feedback to others.
    Feedback,
    /// Doing it unaided and teaching it.
    Mastery,
}

impl Stage {
    /// Every stage, in the order a track moves through them.
    pub const ALL: [Stage; 4] =
        [Stage::Discovery, Stage::Practice, Stage::Feedback, Stage::Mastery];

    /// Returns the stage as written in the config and JSON: `discovery`, `practice`, `feedback` or `mastery`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Discovery => "discovery",
            Stage::Practice => "practice",
            Stage::Feedback => "feedback",
            Stage::Mastery => "mastery",
        }
    }
}

/// The evidence rules of a milestone; each present rule is an alternative way to meet it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvidenceRules {
    /// The mentee's merged pull requests that match.
    pub merged_pr: Option<MergedPrRule>,
    /// Reviews the mentee gave.
    pub review_given: Option<ReviewGivenRule>,
    /// The mentee's commits carrying a trailer.
    pub commit_trailer: Option<CommitTrailerRule>,
}

/// `merged_pr`: merged pull requests authored by the mentee.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedPrRule {
    /// The PR must change at least one path matching these globs (empty: any path).
    pub paths: PathGlobs,
    /// The PR must carry every one of these labels (needs GitHub data).
    pub labels: Vec<String>,
    /// The PR must have at least this many distinct approving or commenting reviewers (needs GitHub data).
    pub min_reviewers: Option<u32>,
    /// Additions plus deletions must be at least this.
    pub min_changed_lines: Option<u64>,
    /// Additions plus deletions must be at most this.
    pub max_changed_lines: Option<u64>,
    /// How many matching PRs meet the milestone (default 1).
    pub count: u32,
}

/// `review_given`: reviews the mentee submitted on others' pull requests.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewGivenRule {
    /// How many qualifying reviews meet the milestone (default 1).
    pub count: u32,
    /// A review qualifies with at least this many comments (default 0).
    pub min_comments: u32,
}

/// `commit_trailer`: a commit by the mentee carrying `key: value`.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitTrailerRule {
    /// Trailer key, compared case-insensitively (e.g. `Milestone`).
    pub key: String,
    /// Trailer value, compared exactly after trimming; defaults to the milestone id.
    pub value: String,
}

/// A set of path globs with their source text (for messages).
#[derive(Clone, Debug)]
pub struct PathGlobs {
    patterns: Vec<String>,
    set: GlobSet,
}

impl PathGlobs {
    /// Compiles `patterns` (gitignore-like globs where `**` crosses directories), or names the bad pattern.
    pub fn new(patterns: Vec<String>) -> Result<PathGlobs, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for p in &patterns {
            builder.add(globset::GlobBuilder::new(p).literal_separator(true).build()?);
        }
        Ok(PathGlobs { set: builder.build()?, patterns })
    }

    /// Returns the patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Returns true when no pattern was given (every path matches).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Returns true if `path` matches any pattern, or if there are no patterns.
    pub fn matches(&self, path: &str) -> bool {
        self.patterns.is_empty() || self.set.is_match(path)
    }
}

impl PartialEq for PathGlobs {
    fn eq(&self, other: &PathGlobs) -> bool {
        self.patterns == other.patterns
    }
}

impl Default for PathGlobs {
    fn default() -> PathGlobs {
        PathGlobs { patterns: Vec::new(), set: GlobSet::empty() }
    }
}

/// `touchpoints:` — minutes per kind and the stale threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct TouchpointSettings {
    /// Minutes credited per touchpoint kind.
    pub minutes: TouchpointMinutes,
    /// A pair with no touchpoint for this long is stale (default 14d).
    pub stale_after: Duration,
}

/// Minutes credited for each touchpoint kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TouchpointMinutes {
    /// A submitted review (default 30).
    pub review: u32,
    /// One inline review comment (default 5).
    pub review_comment: u32,
    /// A PR conversation comment (default 5).
    pub comment: u32,
    /// A commit made while pairing (default 20).
    pub pairing_commit: u32,
    /// A `/mentor checkin` without an explicit duration (default 30).
    pub checkin: u32,
}

impl Default for TouchpointSettings {
    fn default() -> TouchpointSettings {
        TouchpointSettings {
            minutes: TouchpointMinutes {
                review: 30,
                review_comment: 5,
                comment: 5,
                pairing_commit: 20,
                checkin: 30,
            },
            stale_after: Duration::from_days(14),
        }
    }
}

/// `templates:` — automatic template posting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateSettings {
    /// Template posted on a mentee's new PR; `None` turns the review guide off.
    pub on_mentee_pr: Option<String>,
}

/// `privacy:` — where private data may be written and who sees aggregates.
#[derive(Clone, Debug, PartialEq)]
pub struct PrivacySettings {
    /// `owner/name` of the private repository that holds growth journals; `None` turns journals off.
    pub journal_repo: Option<String>,
    /// Aggregate views hide groups smaller than this (default 5).
    pub min_group_size: u32,
    /// Teams (`@org/team`) or logins allowed to read load.
    pub managers: Vec<String>,
    /// Logins that administer the program besides the org's owners (every page and API answer of the org).
    pub admins: Vec<Login>,
    /// Whether milestone names may appear in comments on public repositories (default false).
    pub milestones_in_public: bool,
}

impl Default for PrivacySettings {
    fn default() -> PrivacySettings {
        PrivacySettings {
            journal_repo: None,
            min_group_size: 5,
            managers: Vec::new(),
            admins: Vec::new(),
            milestones_in_public: false,
        }
    }
}

/// `pairing:` — what `mentor pair start` adds to commits.
#[derive(Clone, Debug, PartialEq)]
pub struct PairingSettings {
    /// Also add `Co-authored-by:` for the mentor, so GitHub credits both (default false).
    pub co_authored_by: bool,
    /// Session length when `--for` is not given (default 2h).
    pub session: Duration,
}

impl Default for PairingSettings {
    fn default() -> PairingSettings {
        PairingSettings { co_authored_by: false, session: Duration::from_seconds(2 * 3_600) }
    }
}

/// One problem in a config file, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name as given to [`parse`].
    pub file: String,
    /// 1-based line (0 when the position is unknown).
    pub line: u64,
    /// 1-based column (0 when the position is unknown).
    pub column: u64,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// Every problem found in a config file, in file order (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// What a person may see of one org's program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Roles {
    /// An org owner or listed in `privacy.admins`: everything.
    pub admin: bool,
    /// Listed in `privacy.managers` (or a member of a team listed there): load, never growth data.
    pub manager: bool,
    /// The mentor of a pair: their own load and their mentees' growth.
    pub mentor: bool,
    /// The mentee of a pair: their own growth.
    pub mentee: bool,
}

impl Roles {
    /// Returns true when the person has no role (the org is then not found for them).
    pub fn is_none(&self) -> bool {
        !(self.admin || self.manager || self.mentor || self.mentee)
    }
}

impl Config {
    /// Returns the roles `login` has by this config alone: admins and managers listed by login, mentors and
    /// mentees from the pairs. Org owners and members of manager teams are known only to GitHub: callers add
    /// those (`owner`, `in_manager_team`).
    pub fn roles_of(&self, login: &Login, owner: bool, in_manager_team: bool) -> Roles {
        Roles {
            admin: owner || self.privacy.admins.contains(login),
            manager: in_manager_team
                || self
                    .privacy
                    .managers
                    .iter()
                    .any(|m| !m.contains('/') && Login::new(m.trim_start_matches('@')) == *login),
            mentor: self.pairs.iter().any(|p| &p.mentor == login),
            mentee: self.pairs.iter().any(|p| &p.mentee == login),
        }
    }

    /// Whether `viewer` (with `roles` in this org) may see `mentee`'s growth (milestones, evidence, feedback mix):
    /// the mentee, a mentor they were ever paired with, or an admin. Managers may not: growth data is the pair's.
    pub fn may_see_growth(&self, viewer: &Login, roles: Roles, mentee: &Login) -> bool {
        roles.admin
            || viewer == mentee
            || self.pairs.iter().any(|p| &p.mentor == viewer && &p.mentee == mentee)
    }

    /// Whether `viewer` (with `roles` in this org) may see `mentor`'s load and mentees: the mentor, a manager or an
    /// admin.
    pub fn may_see_load_of(&self, viewer: &Login, roles: Roles, mentor: &Login) -> bool {
        roles.admin || roles.manager || viewer == mentor
    }

    /// Returns how long a pair is quiet before it is nudged (`nudges.after`, else `touchpoints.stale_after`).
    pub fn nudge_after(&self) -> Duration {
        self.nudges.after.unwrap_or(self.touchpoints.stale_after)
    }

    /// Returns how long a pair is quiet before it is escalated (`nudges.escalate_after`, else twice
    /// [`Config::nudge_after`]).
    pub fn escalate_after(&self) -> Duration {
        self.nudges.escalate_after.unwrap_or_else(|| {
            Duration::from_seconds(self.nudge_after().seconds().saturating_mul(2))
        })
    }

    /// Returns whom an escalation mentions: `nudges.to`, else `privacy.managers`, each as `@name`.
    pub fn escalation_to(&self) -> Vec<String> {
        let names =
            if self.nudges.to.is_empty() { &self.privacy.managers } else { &self.nudges.to };
        names.iter().map(|n| format!("@{}", n.trim().trim_start_matches('@'))).collect()
    }

    /// Returns the check-in schedule of `pair`: its own, else the config's default.
    pub fn checkins_of<'a>(&'a self, pair: &'a Pair) -> Option<&'a CheckinSettings> {
        pair.checkins.as_ref().or(self.checkins.as_ref())
    }

    /// Returns the manager teams of `privacy.managers` (`@org/team` → (org, team slug)).
    pub fn manager_teams(&self) -> Vec<(String, String)> {
        self.privacy
            .managers
            .iter()
            .filter_map(|m| m.trim_start_matches('@').split_once('/'))
            .map(|(o, t)| (o.to_ascii_lowercase(), t.to_ascii_lowercase()))
            .collect()
    }

    /// Returns the person with `login`, if configured.
    pub fn person(&self, login: &Login) -> Option<&Person> {
        self.people.get(login)
    }

    /// Returns the capacity `login` has: their own `capacity` fields, else their tier's (`tiers:`); unlimited
    /// where neither says.
    pub fn effective_capacity(&self, login: &Login) -> Capacity {
        let Some(person) = self.person(login) else { return Capacity::default() };
        let tier = self.tiers.of(person.tier);
        Capacity {
            mentees: person.capacity.mentees.or(tier.mentees),
            minutes_per_sprint: person.capacity.minutes_per_sprint.or(tier.minutes_per_sprint),
        }
    }

    /// Returns the track with `id`, if configured.
    pub fn track(&self, id: &str) -> Option<&Track> {
        self.tracks.get(id)
    }

    /// Returns the pairs where `mentee` is the mentee, in file order.
    pub fn pairs_of_mentee<'a>(&'a self, mentee: &'a Login) -> impl Iterator<Item = &'a Pair> + 'a {
        self.pairs.iter().filter(move |p| &p.mentee == mentee)
    }

    /// Returns the pairs of `mentee` in force on `day` (see [`Pair::in_force`]), in file order.
    pub fn pairs_in_force<'a>(
        &'a self,
        mentee: &'a Login,
        day: NaiveDate,
    ) -> impl Iterator<Item = &'a Pair> + 'a {
        self.pairs_of_mentee(mentee).filter(move |p| p.in_force(day))
    }

    /// Returns the pair in force for `mentee` on `day`: the one rule every caller uses (review guide, commands,
    /// evidence reports). Of several, the latest-starting wins (the first in the file on a tie).
    pub fn pair_in_force<'a>(&'a self, mentee: &'a Login, day: NaiveDate) -> Option<&'a Pair> {
        self.pairs_in_force(mentee, day).fold(None, |best: Option<&Pair>, p| match best {
            Some(b) if b.since >= p.since => Some(b),
            _ => Some(p),
        })
    }

    /// Returns the pair whose milestones `mentee`'s evidence is reported against on `day`: the pair in force
    /// that day ([`Config::pair_in_force`]), else the mentee's most recent pair.
    pub fn current_pair_of<'a>(&'a self, mentee: &'a Login, day: NaiveDate) -> Option<&'a Pair> {
        self.pair_in_force(mentee, day)
            .or_else(|| self.pairs_of_mentee(mentee).max_by_key(|p| p.since))
    }

    /// Returns the pair of `mentor` and `mentee` that is in effect on `day`, if any.
    pub fn pair_on(&self, mentor: &Login, mentee: &Login, day: NaiveDate) -> Option<&Pair> {
        self.pairs.iter().find(|p| &p.mentor == mentor && &p.mentee == mentee && p.covers(day))
    }
}

impl Pair {
    /// Returns true if the pair is in force on `day`: `day` is within `since..=until` and its status is not
    /// `ended` (a paused pair is still in force: it keeps its mentor, it only gets no stale warnings).
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.covers(day) && self.status != PairStatus::Ended
    }

    /// Returns true if `day` falls within `since..=until` and the pair has not ended before it.
    pub fn covers(&self, day: NaiveDate) -> bool {
        day >= self.since && self.until.is_none_or(|u| day <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        parse(
            "mentorship.yml",
            "\
people:
  bob: {}
  dave: {}
  erin: {}
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: t, since: 2026-01-01, status: ended }
  - { mentor: dave, mentee: alice, track: t, since: 2026-03-01, status: paused }
  - { mentor: erin, mentee: alice, track: t, since: 2026-02-01 }
tracks:
  t:
    milestones:
      - { id: m, title: M, stage: discovery }
",
        )
        .unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_pair_in_force_is_never_an_ended_one_and_the_latest_start_wins() {
        let config = config();
        let alice = Login::new("alice");
        // bob's pair is first in the file but has ended; dave's (paused, still in force) started last.
        let pair = config.pair_in_force(&alice, day("2026-04-01")).unwrap();
        assert_eq!(pair.mentor.as_str(), "dave");
        // Before dave's pair started, erin's is the one in force.
        assert_eq!(
            config.pair_in_force(&alice, day("2026-02-15")).unwrap().mentor.as_str(),
            "erin"
        );
        // Before any ran: none in force; reports fall back to the most recent pair.
        assert!(config.pair_in_force(&alice, day("2025-12-01")).is_none());
        assert_eq!(
            config.current_pair_of(&alice, day("2025-12-01")).unwrap().mentor.as_str(),
            "dave"
        );
        assert_eq!(config.pairs_in_force(&alice, day("2026-04-01")).count(), 2);
    }

    #[test]
    fn effective_capacity_takes_the_tier_default_field_by_field() {
        let config = parse(
            "mentorship.yml",
            "\
tiers:
  principal: { capacity: { mentees: 2, minutes_per_sprint: 120 } }
people:
  pat: { tier: principal, capacity: { minutes_per_sprint: 300 } }
  sam: { tier: senior }
",
        )
        .unwrap();
        let pat = config.effective_capacity(&Login::new("pat"));
        assert_eq!(pat, Capacity { mentees: Some(2), minutes_per_sprint: Some(300) });
        assert_eq!(config.effective_capacity(&Login::new("sam")), Capacity::default());
        assert_eq!(config.effective_capacity(&Login::new("nobody")), Capacity::default());
        let bad = parse("m.yml", "tiers:\n  principle: {}\n").unwrap_err().to_string();
        assert!(bad.starts_with("m.yml:2:3: unknown key `principle`"), "{bad}");
    }
}
