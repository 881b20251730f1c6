//! `/mentor …` commands typed in pull request comments: finding them in Markdown, and deciding what each does.
//!
//! Two pure steps, like the rest of core. [`parse_commands`] finds command lines in a comment body the way a
//! reader sees the rendered comment: a line that starts with `/mentor` (after optional spaces) is a command,
//! unless it sits in a fenced or indented code block, an inline code span, an HTML comment or block, or a block
//! quote (someone quoting a command is not running it). Each line yields a typed [`Command`] or a
//! [`CommandError`] whose text says what was wrong and how to write it, ready to post as a reply.
//!
//! [`decide`] then checks who may run the command against the config and returns a [`Decision`]: a reply, an
//! evidence row, a check-in activity for [`crate::touchpoint::derive`], or a denial. Posting replies, storing rows
//! and rendering templates is left to the app.

use std::fmt;
use std::ops::Range;

use chrono::{DateTime, Utc};
use pulldown_cmark::{Event, Parser, Tag};

use crate::activity::{Activity, ActivityKind, PullRequestFacts, Source};
use crate::config::{Config, Pair, Track};
use crate::duration::Duration;
use crate::evidence::{Evidence, EvidenceStatus, RuleKind, evidence_key};
use crate::login::Login;
use crate::template::TemplateSet;

/// The word every command line starts with.
pub const PREFIX: &str = "/mentor";

/// The longest check-in one command may log; anything longer is almost certainly a typo (`30h` for `30m`).
pub const MAX_CHECKIN: Duration = Duration::from_seconds(8 * 3_600);

/// The longest pause `/mentor snooze` may ask for; longer, the pair should be paused in the config instead.
pub const MAX_SNOOZE: Duration = Duration::from_days(90);

/// One parsed command and the line it was on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The 1-based line of the comment the command is on.
    pub line: usize,
    /// What the command asks for.
    pub action: Action,
}

/// What a command asks for, with its validated arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `/mentor help`: list the commands.
    Help,
    /// `/mentor template <id>`: post a template on this pull request.
    Template {
        /// The template id.
        id: String,
    },
    /// `/mentor evidence <milestone>`: the mentee claims this pull request as evidence.
    Evidence {
        /// The milestone id.
        milestone: String,
    },
    /// `/mentor confirm <milestone>`: the mentor confirms the mentee's claim.
    Confirm {
        /// The milestone id.
        milestone: String,
    },
    /// `/mentor reject <milestone> [reason…]`: the mentor rejects the mentee's claim.
    Reject {
        /// The milestone id.
        milestone: String,
        /// Why, as typed (rest of the line), if given.
        reason: Option<String>,
    },
    /// `/mentor checkin [duration] [note…]`: log a check-in between the pair.
    Checkin {
        /// How long; `None` credits the configured `touchpoints.minutes.checkin`.
        duration: Option<Duration>,
    },
    /// `/mentor snooze <duration>`: pause reminders (nudges) for the actor's pair.
    Snooze {
        /// How long, from 1h to [`MAX_SNOOZE`].
        duration: Duration,
    },
}

impl Action {
    /// Returns the verb of this action.
    pub fn verb(&self) -> Verb {
        match self {
            Action::Help => Verb::Help,
            Action::Template { .. } => Verb::Template,
            Action::Evidence { .. } => Verb::Evidence,
            Action::Confirm { .. } => Verb::Confirm,
            Action::Reject { .. } => Verb::Reject,
            Action::Checkin { .. } => Verb::Checkin,
            Action::Snooze { .. } => Verb::Snooze,
        }
    }
}

/// The command words, for usage lines and help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `help`.
    Help,
    /// `template`.
    Template,
    /// `evidence`.
    Evidence,
    /// `confirm`.
    Confirm,
    /// `reject`.
    Reject,
    /// `checkin`.
    Checkin,
    /// `snooze`.
    Snooze,
}

impl Verb {
    /// Every verb, in the order help lists them.
    pub const ALL: [Verb; 7] = [
        Verb::Help,
        Verb::Template,
        Verb::Evidence,
        Verb::Confirm,
        Verb::Reject,
        Verb::Checkin,
        Verb::Snooze,
    ];

    /// Returns the word as typed after `/mentor`.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Help => "help",
            Verb::Template => "template",
            Verb::Evidence => "evidence",
            Verb::Confirm => "confirm",
            Verb::Reject => "reject",
            Verb::Checkin => "checkin",
            Verb::Snooze => "snooze",
        }
    }

    /// Returns the usage line, like `/mentor checkin [duration] [note…]`.
    pub fn usage(self) -> &'static str {
        match self {
            Verb::Help => "/mentor help",
            Verb::Template => "/mentor template <id>",
            Verb::Evidence => "/mentor evidence <milestone>",
            Verb::Confirm => "/mentor confirm <milestone>",
            Verb::Reject => "/mentor reject <milestone> [reason…]",
            Verb::Checkin => "/mentor checkin [duration] [note…]",
            Verb::Snooze => "/mentor snooze <duration>",
        }
    }

    /// Returns what the command does and who may run it, for help.
    pub fn summary(self) -> &'static str {
        match self {
            Verb::Help => "list these commands",
            Verb::Template => "post a review template here (the mentee's mentor, or a maintainer)",
            Verb::Evidence => {
                "claim this pull request as evidence for one of your milestones (its author, a mentee)"
            }
            Verb::Confirm => "confirm the author's claim (the author's mentor)",
            Verb::Reject => "reject the author's claim, saying why (the author's mentor)",
            Verb::Checkin => {
                "log a check-in between the pair, like `/mentor checkin 30m` (either of the pair)"
            }
            Verb::Snooze => {
                "pause reminders for your pair, like `/mentor snooze 7d` (either of the pair)"
            }
        }
    }

    fn parse(word: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A command line that could not be parsed, with the line it was on.
///
/// Its text is Markdown, meant to be posted as a reply: the problem, a blank line, then the correct usage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct CommandError {
    /// The 1-based line of the comment.
    pub line: usize,
    /// What was wrong.
    pub kind: CommandErrorKind,
}

/// What was wrong with a command line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandErrorKind {
    /// `/mentor` alone.
    #[error("`/mentor` needs a command\n\n{}", command_list())]
    Missing,
    /// A word after `/mentor` that is not a command.
    #[error("unknown command `/mentor {0}`\n\n{list}", list = command_list())]
    Unknown(String),
    /// A required argument is missing.
    #[error("`/mentor {verb}` needs {what}\n\nUsage: `{}`", .verb.usage())]
    MissingArgument {
        /// The command.
        verb: Verb,
        /// What it needs, like "a milestone id like `first-pr`".
        what: &'static str,
    },
    /// An argument is not of the expected form.
    #[error("`/mentor {verb}` needs {what}, not `{value}`\n\nUsage: `{}`", .verb.usage())]
    InvalidArgument {
        /// The command.
        verb: Verb,
        /// What was typed.
        value: String,
        /// What it needs.
        what: &'static str,
    },
    /// Words after the last argument the command takes.
    #[error("`/mentor {verb}` does not take `{extra}`\n\nUsage: `{}`", .verb.usage())]
    Unexpected {
        /// The command.
        verb: Verb,
        /// The first extra word.
        extra: String,
    },
}

/// Returns the one-paragraph list of commands used in error hints.
fn command_list() -> String {
    let usages: Vec<String> = Verb::ALL.iter().map(|v| format!("`{}`", v.usage())).collect();
    format!("Known commands: {}. Write one command per line.", usages.join(", "))
}

/// Returns the reply to `/mentor help`.
pub fn help_text() -> String {
    let mut text = String::from(
        "Mentor commands: write one per line, at the start of the line, in a comment on a pull request.\n\n",
    );
    for verb in Verb::ALL {
        text.push_str(&format!("- `{}`: {}\n", verb.usage(), verb.summary()));
    }
    text.push_str(
        "\nCommands in code blocks, inline code and quotes are ignored, so you can quote them safely.",
    );
    text
}

/// Returns every command line of a comment `body`, in order, each parsed or with the reason it could not be.
///
/// Lines that only mention `/mentor` inside code, HTML comments or quotes are skipped, as are lines where it is
/// not the first word (`/mentorship` is not a command either).
pub fn parse_commands(body: &str) -> Vec<Result<Command, CommandError>> {
    let hidden = hidden_ranges(body);
    let mut out = Vec::new();
    let mut offset = 0;
    for (index, raw_line) in body.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let text = line.trim_start_matches([' ', '\t']);
        let Some(rest) = strip_prefix_word(text) else { continue };
        let at = line_start + (line.len() - text.len());
        if hidden.iter().any(|r| r.contains(&at)) {
            continue;
        }
        let number = index + 1;
        out.push(
            parse_line(rest)
                .map(|action| Command { line: number, action })
                .map_err(|kind| CommandError { line: number, kind }),
        );
    }
    out
}

/// Returns true when `body` holds `/mentor` commands and nothing else (blank lines aside): such a comment is
/// the command's own touchpoint (a check-in), not also a conversation comment. A command quoted or in a code
/// block is prose, as it is for [`parse_commands`].
pub fn is_commands_only(body: &str) -> bool {
    let hidden = hidden_ranges(body);
    let mut offset = 0;
    let mut commands = 0;
    for raw_line in body.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let text = line.trim_start_matches([' ', '\t']);
        if text.trim().is_empty() {
            continue;
        }
        let at = line_start + (line.len() - text.len());
        if strip_prefix_word(text).is_none() || hidden.iter().any(|r| r.contains(&at)) {
            return false;
        }
        commands += 1;
    }
    commands > 0
}

/// Returns the text after `/mentor` if `text` starts with it as a whole word (any case).
fn strip_prefix_word(text: &str) -> Option<&str> {
    let head = text.get(..PREFIX.len())?;
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let rest = &text[PREFIX.len()..];
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() => Some(rest),
        Some(_) => None,
    }
}

/// Returns byte ranges of `markdown` that a reader does not see as running text: code blocks, code spans, HTML
/// (comments included) and block quotes.
pub(crate) fn hidden_ranges(markdown: &str) -> Vec<Range<usize>> {
    let mut hidden = Vec::new();
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::BlockQuote(_) | Tag::HtmlBlock)
            | Event::Code(_)
            | Event::InlineHtml(_)
            | Event::Html(_) => hidden.push(range),
            _ => {}
        }
    }
    hidden
}

/// Splits off the first whitespace-separated word of `text`, returning it and the rest.
fn next_word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}

/// Returns `word` without surrounding backticks, which people add out of habit (`` `first-pr` ``).
fn unquote(word: &str) -> &str {
    word.trim_matches('`')
}

fn parse_line(rest: &str) -> Result<Action, CommandErrorKind> {
    let Some((word, rest)) = next_word(rest) else { return Err(CommandErrorKind::Missing) };
    let Some(verb) = Verb::parse(word) else {
        return Err(CommandErrorKind::Unknown(word.to_string()));
    };
    let no_more = |rest: &str| match next_word(rest) {
        Some((extra, _)) => Err(CommandErrorKind::Unexpected { verb, extra: extra.to_string() }),
        None => Ok(()),
    };
    match verb {
        Verb::Help => {
            no_more(rest)?;
            Ok(Action::Help)
        }
        Verb::Template => {
            let (id, rest) = id_argument(verb, rest, "a template id like `review-guide`")?;
            no_more(rest)?;
            Ok(Action::Template { id })
        }
        Verb::Evidence | Verb::Confirm => {
            let (milestone, rest) = id_argument(verb, rest, "a milestone id like `first-pr`")?;
            no_more(rest)?;
            Ok(if verb == Verb::Evidence {
                Action::Evidence { milestone }
            } else {
                Action::Confirm { milestone }
            })
        }
        Verb::Reject => {
            let (milestone, rest) = id_argument(verb, rest, "a milestone id like `first-pr`")?;
            let reason = rest.trim();
            Ok(Action::Reject {
                milestone,
                reason: (!reason.is_empty()).then(|| reason.to_string()),
            })
        }
        Verb::Checkin => {
            // The note after the duration is the pair's own business: it is accepted but never stored.
            let Some((word, _note)) = next_word(rest) else {
                return Ok(Action::Checkin { duration: None });
            };
            let what = "a duration from 1m to 8h, like `30m` or `1h`, before any note";
            let duration: Duration = unquote(word).parse().map_err(|_| {
                CommandErrorKind::InvalidArgument { verb, value: word.to_string(), what }
            })?;
            if duration.seconds() < 60 || duration > MAX_CHECKIN {
                return Err(CommandErrorKind::InvalidArgument {
                    verb,
                    value: word.to_string(),
                    what,
                });
            }
            Ok(Action::Checkin { duration: Some(duration) })
        }
        Verb::Snooze => {
            let what = "a duration from 1h to 90d, like `7d` or `2w`";
            let Some((word, rest)) = next_word(rest) else {
                return Err(CommandErrorKind::MissingArgument { verb, what });
            };
            let duration: Duration = unquote(word).parse().map_err(|_| {
                CommandErrorKind::InvalidArgument { verb, value: word.to_string(), what }
            })?;
            if duration.seconds() < 3_600 || duration > MAX_SNOOZE {
                return Err(CommandErrorKind::InvalidArgument {
                    verb,
                    value: word.to_string(),
                    what,
                });
            }
            no_more(rest)?;
            Ok(Action::Snooze { duration })
        }
    }
}

/// Reads an id argument (letters, digits, `-`, `_`, `.`) for `verb`.
fn id_argument<'a>(
    verb: Verb,
    rest: &'a str,
    what: &'static str,
) -> Result<(String, &'a str), CommandErrorKind> {
    let Some((word, rest)) = next_word(rest) else {
        return Err(CommandErrorKind::MissingArgument { verb, what });
    };
    let id = unquote(word);
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(CommandErrorKind::InvalidArgument { verb, value: word.to_string(), what });
    }
    Ok((id.to_string(), rest))
}

/// What [`decide`] needs to know about where a command was typed.
#[derive(Clone, Debug)]
pub struct CommandContext<'a> {
    /// The program.
    pub config: &'a Config,
    /// The templates available in this repository (built-ins plus overrides).
    pub templates: &'a TemplateSet,
    /// Who wrote the comment.
    pub actor: &'a Login,
    /// Whether `actor` maintains the repository (may post templates on any mentee's PR).
    pub actor_is_maintainer: bool,
    /// The pull request the comment is on; its `author` decides the pair.
    pub pr: &'a PullRequestFacts,
    /// A link to the pull request, for evidence rows.
    pub pr_url: Option<&'a str>,
    /// The comment itself (`repo` and an id like `comment/456`), which keys the check-in touchpoint.
    pub comment: &'a Source,
    /// Whether the repository is public: replies then name no milestone titles, pairs or track contents.
    pub public_repo: bool,
    /// The current instant.
    pub now: DateTime<Utc>,
}

/// What the app should do about one command.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Post this reply (help).
    Reply(String),
    /// Render template `id` for this pair on the pull request and post it.
    Template {
        /// The template id (exists in the set).
        id: String,
        /// The pair's mentor.
        mentor: Login,
        /// The pair's mentee (the pull request's author).
        mentee: Login,
    },
    /// Store this evidence row (claimed, confirmed or rejected) and post the reply.
    Evidence {
        /// The row; its key matches the automatic row of the same PR, so a confirmation replaces it.
        evidence: Evidence,
        /// A short acknowledgement to post.
        reply: String,
    },
    /// Record this check-in activity (feed it to [`crate::touchpoint::derive`]) and post the reply.
    Touchpoint {
        /// A [`ActivityKind::Checkin`] activity by the actor on the pull request.
        activity: Activity,
        /// A short acknowledgement to post.
        reply: String,
    },
    /// Pause reminders for these (mentor, mentee) pairs until `until`, and post the reply.
    Snooze {
        /// The pairs paused.
        pairs: Vec<(Login, Login)>,
        /// Until when.
        until: DateTime<Utc>,
        /// A short acknowledgement to post.
        reply: String,
    },
    /// The actor may not run this command here; post the reason.
    Denied(String),
    /// The command names something that does not exist (milestone, template, pair); post the reason.
    Invalid(String),
    /// Do nothing at all (commands from bots, including the app's own comments).
    Ignored,
}

/// Decides what `command` does when `ctx.actor` runs it on `ctx.pr`, checking who may run what.
///
/// - `help`: anyone.
/// - `template`: the mentor of the pull request's author, or a maintainer; the author must be a mentee.
/// - `evidence`: only the pull request's author, who must be a mentee with that milestone on their track.
/// - `confirm`, `reject`: only the author's mentor, for a milestone on the author's track.
/// - `checkin`: either member of a pair, on the other member's pull request.
/// - `snooze`: either member of a pair: on the other member's pull request that pair, on their own pull request
///   every pair they are in.
///
/// Pairs count when they cover today (in the sprint calendar's zone) and have not ended.
pub fn decide(command: &Command, ctx: &CommandContext<'_>) -> Decision {
    if ctx.actor.is_bot() {
        return Decision::Ignored;
    }
    let today = ctx.config.sprints.local_date(ctx.now);
    let running = |p: &&Pair| p.in_force(today);
    let Some(author) = ctx.pr.author.as_ref() else {
        return Decision::Invalid(
            "cannot tell who opened this pull request\n\nTry again in a moment; if it keeps failing, tell the Mentor operator.".to_string(),
        );
    };
    let verb = command.action.verb();
    let author_pairs: Vec<&Pair> = ctx.config.pairs_of_mentee(author).filter(running).collect();
    let not_a_mentee = || {
        Decision::Invalid(format!(
            "@{author} is not a mentee in the mentorship program right now, so `/mentor {verb}` does not apply to this pull request\n\nAdd a pair for them to `.github/mentorship.yml` first."
        ))
    };
    match &command.action {
        Action::Help => Decision::Reply(help_text()),
        Action::Template { id } => {
            let Some(pair) = author_pairs
                .iter()
                .find(|p| &p.mentor == ctx.actor)
                .or_else(|| author_pairs.first())
            else {
                return not_a_mentee();
            };
            if &pair.mentor != ctx.actor && !ctx.actor_is_maintainer {
                return Decision::Denied(format!(
                    "only @{author}'s mentor or a maintainer can post templates here\n\nAsk @{} to run `/mentor template {id}`.",
                    pair.mentor
                ));
            }
            if ctx.templates.get(id).is_none() {
                return Decision::Invalid(format!(
                    "unknown template `{id}`\n\nKnown templates: {}.",
                    quoted(ctx.templates.ids())
                ));
            }
            Decision::Template {
                id: id.clone(),
                mentor: pair.mentor.clone(),
                mentee: author.clone(),
            }
        }
        Action::Evidence { milestone } => {
            if ctx.actor != author {
                return Decision::Denied(format!(
                    "only @{author}, who opened this pull request, can claim it as evidence\n\nMentors confirm claims with `/mentor confirm <milestone>`."
                ));
            }
            if author_pairs.is_empty() {
                return not_a_mentee();
            }
            let Some((pair, track)) = pair_with_milestone(ctx.config, &author_pairs, milestone)
            else {
                return unknown_milestone(ctx, &author_pairs, milestone);
            };
            let row = evidence_row(
                ctx,
                pair,
                milestone,
                EvidenceStatus::Claimed,
                "claimed by the author with /mentor evidence".to_string(),
            );
            let reply = if ctx.public_repo {
                format!(
                    "Noted your claim for `{milestone}`. Your mentor can confirm it with `/mentor confirm {milestone}`."
                )
            } else {
                format!(
                    "Noted: @{author} claims this pull request as evidence for `{milestone}` ({}). @{} can confirm it with `/mentor confirm {milestone}` or reject it with `/mentor reject {milestone} <reason>`.",
                    milestone_title(track, milestone),
                    pair.mentor
                )
            };
            Decision::Evidence { evidence: row, reply }
        }
        Action::Confirm { milestone } | Action::Reject { milestone, .. } => {
            if author_pairs.is_empty() {
                return not_a_mentee();
            }
            let mine: Vec<&Pair> =
                author_pairs.iter().copied().filter(|p| &p.mentor == ctx.actor).collect();
            if mine.is_empty() {
                let mentors: Vec<String> =
                    author_pairs.iter().map(|p| format!("@{}", p.mentor)).collect();
                return Decision::Denied(format!(
                    "only @{author}'s mentor can {verb} evidence on this pull request\n\nAsk {} to run `/mentor {verb} {milestone}`.",
                    mentors.join(" or ")
                ));
            }
            let Some((pair, track)) = pair_with_milestone(ctx.config, &mine, milestone) else {
                return unknown_milestone(ctx, &mine, milestone);
            };
            let (status, reason, done) = match &command.action {
                Action::Reject { reason: Some(why), .. } => (
                    EvidenceStatus::Rejected,
                    format!("rejected by {}: {why}", ctx.actor),
                    "Rejected",
                ),
                Action::Reject { reason: None, .. } => {
                    (EvidenceStatus::Rejected, format!("rejected by {}", ctx.actor), "Rejected")
                }
                _ => {
                    (EvidenceStatus::Confirmed, format!("confirmed by {}", ctx.actor), "Confirmed")
                }
            };
            let row = evidence_row(ctx, pair, milestone, status, reason);
            let reply = if ctx.public_repo {
                format!("{done} `{milestone}`.")
            } else {
                format!(
                    "{done}: this pull request {} evidence for @{author}'s milestone `{milestone}` ({}).",
                    if status == EvidenceStatus::Confirmed { "is" } else { "is not" },
                    milestone_title(track, milestone)
                )
            };
            Decision::Evidence { evidence: row, reply }
        }
        Action::Snooze { duration } => {
            let pairs: Vec<(Login, Login)> = ctx
                .config
                .pairs
                .iter()
                .filter(running)
                .filter(|p| {
                    let other = if &p.mentor == ctx.actor {
                        &p.mentee
                    } else if &p.mentee == ctx.actor {
                        &p.mentor
                    } else {
                        return false;
                    };
                    ctx.actor == author || other == author
                })
                .map(|p| (p.mentor.clone(), p.mentee.clone()))
                .collect();
            if pairs.is_empty() {
                return Decision::Denied(format!(
                    "@{} is not in a mentoring pair {}, so there are no reminders to pause\n\nReminders are paused by the mentor or the mentee of a pair.",
                    ctx.actor,
                    if ctx.actor == author {
                        "right now".to_owned()
                    } else {
                        format!("with @{author}")
                    }
                ));
            }
            let until = ctx.now + duration.to_chrono();
            let names: Vec<String> = pairs.iter().map(|(m, e)| format!("@{m} and @{e}")).collect();
            let day = ctx.config.sprints.local_date(until);
            let reply = if ctx.public_repo {
                format!("Reminders for your pair are paused until {day} ({duration}).")
            } else {
                format!("Reminders for {} are paused until {day} ({duration}).", names.join(", "))
            };
            Decision::Snooze { pairs, until, reply }
        }
        Action::Checkin { duration } => {
            if ctx.actor == author {
                let partners: Vec<String> = ctx
                    .config
                    .pairs
                    .iter()
                    .filter(running)
                    .filter_map(|p| {
                        if &p.mentee == author {
                            Some(format!("@{}", p.mentor))
                        } else if &p.mentor == author {
                            Some(format!("@{}", p.mentee))
                        } else {
                            None
                        }
                    })
                    .collect();
                let who = if partners.is_empty() || ctx.public_repo {
                    "the other member of your pair".to_string()
                } else {
                    partners.join(" or ")
                };
                return Decision::Denied(format!(
                    "a check-in is logged by one member of a pair on the other member's pull request, and this one is yours\n\nAsk {who} to run `/mentor checkin` here, or run it on one of their pull requests."
                ));
            }
            let paired = ctx.config.pairs.iter().filter(running).any(|p| {
                (&p.mentor == ctx.actor && &p.mentee == author)
                    || (&p.mentee == ctx.actor && &p.mentor == author)
            });
            if !paired {
                return Decision::Denied(format!(
                    "@{} and @{author} are not a mentoring pair right now, so there is no check-in to log\n\nCheck-ins are logged between a configured mentor and mentee.",
                    ctx.actor
                ));
            }
            let minutes = match duration {
                Some(d) => u32::try_from(d.seconds() / 60).unwrap_or(u32::MAX),
                None => 0,
            };
            let credited =
                if minutes == 0 { ctx.config.touchpoints.minutes.checkin } else { minutes };
            let activity = Activity {
                kind: ActivityKind::Checkin { minutes },
                actor: ctx.actor.clone(),
                at: ctx.now,
                // One comment may log several check-ins; the line keeps their keys apart and stable on redelivery.
                source: Source {
                    repo: ctx.comment.repo.clone(),
                    id: format!("{}#L{}", ctx.comment.id, command.line),
                    url: ctx.comment.url.clone(),
                },
                pr: Some(ctx.pr.clone()),
                trailers: Vec::new(),
            };
            let reply = if ctx.public_repo {
                format!("Logged a {credited}-minute check-in.")
            } else {
                format!("Logged a {credited}-minute check-in between @{} and @{author}.", ctx.actor)
            };
            Decision::Touchpoint { activity, reply }
        }
    }
}

/// Returns the first of `pairs` whose track has `milestone`, with that track.
fn pair_with_milestone<'c>(
    config: &'c Config,
    pairs: &[&'c Pair],
    milestone: &str,
) -> Option<(&'c Pair, &'c Track)> {
    pairs.iter().find_map(|p| {
        let track = config.track(&p.track)?;
        track.milestones.iter().any(|m| m.id == milestone).then_some((*p, track))
    })
}

fn milestone_title<'t>(track: &'t Track, milestone: &str) -> &'t str {
    track.milestones.iter().find(|m| m.id == milestone).map_or("", |m| m.title.as_str())
}

fn unknown_milestone(ctx: &CommandContext<'_>, pairs: &[&Pair], milestone: &str) -> Decision {
    if ctx.public_repo {
        // Listing a track's milestones in public would publish the mentee's plan.
        return Decision::Invalid(format!(
            "unknown milestone `{milestone}`\n\nSee the milestone ids in your growth journal or in `.github/mentorship.yml`."
        ));
    }
    let ids: Vec<&str> = pairs
        .iter()
        .filter_map(|p| ctx.config.track(&p.track))
        .flat_map(|t| t.milestones.iter().map(|m| m.id.as_str()))
        .collect();
    let tracks: Vec<&str> = pairs.iter().map(|p| p.track.as_str()).collect();
    Decision::Invalid(format!(
        "unknown milestone `{milestone}` on track {}\n\nValid milestones: {}.",
        quoted(tracks),
        quoted(ids)
    ))
}

fn evidence_row(
    ctx: &CommandContext<'_>,
    pair: &Pair,
    milestone: &str,
    status: EvidenceStatus,
    reason: String,
) -> Evidence {
    // Keyed like the automatic row of the merged PR (`repo:pr/N`), so claims, confirmations and rejections of
    // the same PR replace each other and the automatic match instead of piling up.
    let pr_source = Source {
        repo: ctx.comment.repo.clone(),
        id: format!("pr/{}", ctx.pr.number),
        url: ctx.pr_url.map(str::to_string),
    };
    Evidence {
        key: evidence_key(&pair.track, milestone, &pr_source.to_string()),
        mentee: pair.mentee.clone(),
        track: pair.track.clone(),
        milestone: milestone.to_string(),
        rule: RuleKind::Claim,
        source: format!("{}#{}", ctx.comment.repo, ctx.pr.number),
        url: pr_source.url,
        at: ctx.now,
        reason,
        status,
    }
}

/// Formats items as "`a`, `b`, `c`".
fn quoted<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    if items.is_empty() { "(none)".to_string() } else { items.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(body: &str) -> Vec<Result<(usize, Action), (usize, CommandErrorKind)>> {
        parse_commands(body)
            .into_iter()
            .map(|r| r.map(|c| (c.line, c.action)).map_err(|e| (e.line, e.kind)))
            .collect()
    }

    #[test]
    fn parses_every_command() {
        let body = "Thanks!\n/mentor help\n  /mentor template review-guide\n/mentor evidence first-pr\n/MENTOR confirm `first-pr`\n/mentor reject first-pr too   small, sorry\n/mentor reject design\n/mentor checkin 45m we talked\n/mentor checkin";
        assert_eq!(
            actions(body),
            vec![
                Ok((2, Action::Help)),
                Ok((3, Action::Template { id: "review-guide".into() })),
                Ok((4, Action::Evidence { milestone: "first-pr".into() })),
                Ok((5, Action::Confirm { milestone: "first-pr".into() })),
                Ok((
                    6,
                    Action::Reject {
                        milestone: "first-pr".into(),
                        reason: Some("too   small, sorry".into())
                    }
                )),
                Ok((7, Action::Reject { milestone: "design".into(), reason: None })),
                Ok((8, Action::Checkin { duration: Some(Duration::from_minutes(45)) })),
                Ok((9, Action::Checkin { duration: None })),
            ]
        );
    }

    #[test]
    fn only_line_starts_count() {
        assert!(actions("please run /mentor help\n/mentorship help\n- /mentor help").is_empty());
        assert_eq!(actions("  /mentor help\r\n").len(), 1);
        // A tab is four columns: like GitHub, a tab-indented line is an indented code block.
        assert!(actions("\t/mentor help\r\n").is_empty());
    }

    #[test]
    fn code_quotes_and_comments_are_ignored() {
        let body = "```\n/mentor help\n```\n\
                    ~~~~ text\n/mentor help\n~~~~\n\
                    \n    /mentor help\n\n\
                    `/mentor help`\n\
                    > /mentor help\n> /mentor evidence x\n\n\
                    <!--\n/mentor help\n-->\n\
                    \n   ```\n   /mentor help\n   ```\n\
                    text <!-- inline\n/mentor help\n-->\n\
                    \n/mentor checkin 1h\n";
        let found = actions(body);
        assert_eq!(found.len(), 1, "{found:?}");
        let line = body.lines().position(|l| l == "/mentor checkin 1h").unwrap() + 1;
        assert_eq!(
            found[0],
            Ok((line, Action::Checkin { duration: Some(Duration::from_minutes(60)) }))
        );
    }

    #[test]
    fn unclosed_fence_hides_the_rest() {
        assert!(actions("```\n/mentor help\n").is_empty());
        // Four spaces before a fence make it an indented code block, not a fence.
        assert_eq!(actions("text\n\n    ```\n\n/mentor help\n").len(), 1);
    }

    #[test]
    fn errors_say_what_is_wrong_and_how_to_write_it() {
        let errors: Vec<String> = parse_commands(
            "/mentor\n/mentor frobnicate\n/mentor checkin soon\n/mentor evidence\n/mentor help me\n/mentor checkin 0m\n/mentor checkin 30h\n/mentor confirm a/b",
        )
        .into_iter()
        .map(|r| r.unwrap_err().to_string())
        .collect();
        assert!(
            errors[0].starts_with("`/mentor` needs a command\n\nKnown commands: `/mentor help`")
        );
        assert!(errors[1].starts_with("unknown command `/mentor frobnicate`\n\nKnown commands:"));
        assert!(errors[1].contains("`/mentor checkin [duration] [note…]`"));
        assert_eq!(
            errors[2],
            "`/mentor checkin` needs a duration from 1m to 8h, like `30m` or `1h`, before any note, not `soon`\n\nUsage: `/mentor checkin [duration] [note…]`"
        );
        assert_eq!(
            errors[3],
            "`/mentor evidence` needs a milestone id like `first-pr`\n\nUsage: `/mentor evidence <milestone>`"
        );
        assert_eq!(errors[4], "`/mentor help` does not take `me`\n\nUsage: `/mentor help`");
        assert!(errors[5].contains("not `0m`"));
        assert!(errors[6].contains("not `30h`"));
        assert!(errors[7].contains("a milestone id like `first-pr`, not `a/b`"));
    }

    #[test]
    fn errors_carry_their_line() {
        let r = parse_commands("hi\n\n/mentor nope\n/mentor help");
        assert_eq!(r[0].as_ref().unwrap_err().line, 3);
        assert_eq!(r[1].as_ref().unwrap().line, 4);
    }

    #[test]
    fn commands_only_comments_are_told_apart_from_prose() {
        assert!(is_commands_only("/mentor checkin 30m"));
        assert!(is_commands_only("\n/mentor checkin 30m\n\n/MENTOR help\n"));
        assert!(!is_commands_only("/mentor checkin 30m\nThanks for the pairing session!"));
        assert!(!is_commands_only("Looks good.\n/mentor evidence first-pr"));
        assert!(!is_commands_only("> /mentor checkin 30m"), "a quoted command is prose");
        assert!(
            !is_commands_only("```\n/mentor checkin\n```"),
            "a command in a code block is prose"
        );
        assert!(!is_commands_only(""));
        assert!(!is_commands_only("/mentorship is great"));
    }
}
