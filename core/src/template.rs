//! Review templates: Markdown with YAML front matter, rendered with minijinja for a mentor/mentee pair and a PR.
//!
//! A template file looks like this (the built-ins live in `templates/` at the repository root and are compiled
//! in; an org or repository adds or overrides them in `.github/mentorship/templates/<id>.md`):
//!
//! ```markdown
//! ---
//! id: design-review
//! title: Design review guide
//! kind: comment            # comment | review: posted as a PR comment, or as the body of a review
//! on: mentee_pr            # mentee_pr | command: posted on a mentee's new PR, or only via `/mentor template`
//! labels: [design]         # optional filters for `on: mentee_pr`: any of these labels,
//! paths: ["docs/adr/**"]   #   any changed path matching these globs,
//! milestones: [design-review] # any of these milestones in play
//! ---
//! Hello @{{ mentee.login }}, …
//! ```
//!
//! Variables (see [`RenderContext`]): `mentor` and `mentee` (`login`, `name`); `pr` (`number`, `title`, `url`,
//! `author`, `draft`, `additions`, `deletions`, `changed_files`, `labels`, `repo`, `private`); `track` (id);
//! `milestones_in_play` (each `id`, `title`, `stage`, `due`, `overdue`, `why`); `next_milestone` (same shape, or
//! none); `milestones_hidden`; `sprint` (`id`, `start`, `end` as dates, `end` being the last day); `public_repo`.
//! In a public repository `milestones_in_play` is empty and `next_milestone` none unless the config sets
//! `privacy.milestones_in_public: true`.
//!
//! This module parses and validates template files ([`parse_template`]), merges built-ins with overrides
//! ([`resolve`]), works out which milestones a pull request could prove ([`milestones_in_play`]), builds the
//! render context with the privacy rules applied ([`context`]) and renders in minijinja's strict mode
//! ([`render`]), so a typo in a variable is an error naming the file, its line and the variable, never half a
//! comment. Reading files and posting comments is left to the callers.
//!
//! Repository templates are code written by anyone who can push to a repository, run by the worker. So a
//! repository template renders with a fuel limit ([`REPOSITORY_FUEL`] minijinja instructions) and every template's
//! output is capped at [`MAX_OUTPUT_BYTES`]: a runaway loop or a huge output fails with an error naming the file
//! instead of holding the worker. minijinja itself caps recursion (macros, includes) and repeated strings.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_saphyr::{MessageFormatter, Spanned};

use crate::activity::{Activity, ActivityKind, PullRequestFacts, Source};
use crate::config::{Config, MergedPrRule, Milestone, Pair, PathGlobs, Stage};
use crate::evidence::{self, EvidenceStatus, RuleKind};
use crate::login::Login;

/// The variables every template can use, for error hints.
pub const VARIABLES: &str = "mentor, mentee, pr, track, milestones_in_play, milestones_hidden, next_milestone, sprint, public_repo";

/// Returns how many minijinja instructions a repository template may run per render.
///
/// The built-ins use a few hundred with a large track (a unit test checks they stay far below); this much takes
/// a few milliseconds, so a template written as `{% for i in range(100000) %}{% for j in range(100000) %}`
/// stops quickly instead of running for hours.
pub const REPOSITORY_FUEL: u64 = 100_000;

/// The largest rendered template, in bytes: GitHub rejects comment bodies over 65,536 characters, and the App
/// appends a hidden marker line (under 200 characters) to what it posts, so the template gets a little less.
pub const MAX_OUTPUT_BYTES: usize = 65_000;

/// The built-in templates, as (file, text), compiled into the binary.
const BUILTINS: [(&str, &str); 4] = [
    ("templates/review-guide.md", include_str!("../../templates/review-guide.md")),
    ("templates/first-pr.md", include_str!("../../templates/first-pr.md")),
    ("templates/design-review.md", include_str!("../../templates/design-review.md")),
    ("templates/checkin.md", include_str!("../../templates/checkin.md")),
];

/// How a rendered template is posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// A conversation comment on the pull request.
    Comment,
    /// The body of a pull request review.
    Review,
}

/// When a template is posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Automatically on a mentee's new pull request (when its filters match), and on request.
    MenteePr,
    /// Only on request, with `/mentor template <id>`.
    Command,
}

/// Where a template came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Compiled into Mentor.
    Builtin,
    /// An org's or repository's `.github/mentorship/templates/`.
    Repository,
}

/// One parsed and syntax-checked template.
#[derive(Clone, Debug)]
pub struct Template {
    /// Unique id; also the file's name without `.md`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// How it is posted.
    pub kind: TemplateKind,
    /// When it is posted.
    pub on: Trigger,
    /// Filter: any of these milestones is in play (empty: no filter).
    pub milestones: Vec<String>,
    /// Filter: the PR carries any of these labels (empty: no filter).
    pub labels: Vec<String>,
    /// Filter: the PR changes a path matching any of these globs (empty: no filter).
    pub paths: PathGlobs,
    /// Built in or from the repository.
    pub origin: Origin,
    /// The file it was read from, for messages.
    pub file: String,
    /// The Markdown/minijinja body after the front matter.
    pub body: String,
    /// The 1-based line of `file` where `body` starts.
    pub body_line: usize,
}

/// Why a template could not be parsed or rendered. Every variant names the file and line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The file does not start with a `---` front matter block.
    #[error(
        "{file}:1: missing front matter\n\nStart the file with a `---` line, then `id:`, `title:`, `kind:` and `on:`, then a closing `---` line."
    )]
    NoFrontMatter {
        /// The file.
        file: String,
    },
    /// The front matter is not valid YAML for a template, or a value is wrong.
    #[error("{file}:{line}:{column}: {message}")]
    FrontMatter {
        /// The file.
        file: String,
        /// 1-based line in the file.
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong, with the fix.
        message: String,
    },
    /// The body is not valid minijinja.
    #[error("{file}:{line}: template syntax error: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line in the file.
        line: usize,
        /// minijinja's description.
        message: String,
    },
    /// The body uses a variable (or attribute) the context does not have.
    #[error("{file}:{line}: undefined variable `{variable}`\n\n{}", undefined_hint(.variable, .available))]
    Undefined {
        /// The file.
        file: String,
        /// 1-based line in the file.
        line: usize,
        /// The expression that was undefined, like `pr.titel`.
        variable: String,
        /// The names that do exist next to it (the keys of `pr` for `pr.titel`); empty when unknown.
        available: Vec<String>,
    },
    /// Rendering failed for another reason (a bad filter argument, a type error).
    #[error("{file}:{line}: cannot render: {message}")]
    Render {
        /// The file.
        file: String,
        /// 1-based line in the file.
        line: usize,
        /// minijinja's description.
        message: String,
    },
    /// A repository template ran more instructions than [`REPOSITORY_FUEL`] allows.
    #[error(
        "{file}: template ran out of fuel after {fuel} instructions\n\nRepository templates are limited so a runaway loop cannot stall Mentor; loop over fewer items."
    )]
    OutOfFuel {
        /// The file.
        file: String,
        /// The fuel it had.
        fuel: u64,
    },
    /// The rendered text is longer than [`MAX_OUTPUT_BYTES`].
    #[error(
        "{file}: rendered template is larger than {limit} bytes\n\nGitHub rejects longer comments; shorten the template or loop over fewer items."
    )]
    TooLarge {
        /// The file.
        file: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// No template has this id.
    #[error("unknown template `{id}`\n\nKnown templates: {}.", .known.join(", "))]
    Unknown {
        /// The id asked for.
        id: String,
        /// The ids there are.
        known: Vec<String>,
    },
}

/// The front matter as written; unknown keys are errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrontMatter {
    id: Spanned<String>,
    title: String,
    kind: TemplateKind,
    on: Trigger,
    #[serde(default)]
    milestones: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
}

/// Returns the built-in templates.
pub fn builtin() -> Vec<Template> {
    BUILTINS
        .iter()
        .map(|(file, text)| {
            let mut t = parse_template(file, text)
                // The built-ins are part of the build, and a unit test parses every one of them.
                .unwrap_or_else(|e| panic!("built-in template {file} is broken: {e}"));
            t.origin = Origin::Builtin;
            t
        })
        .collect()
}

/// Parses the text of one template `file` (a repository override or addition) and checks its syntax.
///
/// `file` labels errors; when it ends in `.md`, its stem must equal the `id`, so the file a reader opens is the
/// template that runs.
pub fn parse_template(file: &str, text: &str) -> Result<Template, TemplateError> {
    let (yaml, body, body_line) = split_front_matter(file, text)?;
    let front_matter_error = |line: usize, column: usize, message: String| {
        TemplateError::FrontMatter { file: file.to_string(), line, column, message }
    };
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    let raw: RawFrontMatter = serde_saphyr::from_str_with_options(yaml, options).map_err(|err| {
        let err = err.without_snippet();
        let message = serde_saphyr::UserMessageFormatter.format_message(err).to_string();
        // A missing key has no place of its own: point at the start of the front matter.
        let (line, column) = match err.location() {
            Some(l) if !message.starts_with("missing field") => (l.line() as usize, l.column() as usize),
            _ => (1, 1),
        };
        // The YAML starts on line 2, after the opening `---`.
        front_matter_error(
            line + 1,
            column,
            format!(
                "invalid front matter: {message}\n\nExpected `id`, `title`, `kind` (comment or review), `on` (mentee_pr or command) and optionally `milestones`, `labels` and `paths` lists."
            ),
        )
    })?;
    // Spans count lines from the YAML's first line, which is line 2 of the file.
    let at = |span: &serde_saphyr::Location| (span.line() as usize + 1, span.column() as usize);
    let (id_line, id_column) = at(&raw.id.referenced);
    let id = raw.id.value.trim().to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(front_matter_error(
            id_line,
            id_column,
            format!(
                "invalid template id `{id}`\n\nUse letters, digits, `-`, `_` and `.`, like `review-guide`."
            ),
        ));
    }
    if let Some(stem) = file.strip_suffix(".md").map(|f| {
        Path::new(f).file_name().map_or_else(|| f.to_string(), |n| n.to_string_lossy().into_owned())
    }) && stem != id
    {
        return Err(front_matter_error(
            id_line,
            id_column,
            format!(
                "template id `{id}` does not match the file name `{stem}.md`\n\nRename the file to `{id}.md`, or set `id: {stem}`."
            ),
        ));
    }
    for glob in &raw.paths {
        if let Err(e) = PathGlobs::new(vec![glob.value.clone()]) {
            let (line, column) = at(&glob.referenced);
            return Err(front_matter_error(line, column, format!("invalid glob in `paths`: {e}")));
        }
    }
    let paths = PathGlobs::new(raw.paths.into_iter().map(|p| p.value).collect())
        .map_err(|e| front_matter_error(1, 1, format!("invalid glob in `paths`: {e}")))?;
    let template = Template {
        id,
        title: raw.title.trim().to_string(),
        kind: raw.kind,
        on: raw.on,
        milestones: raw.milestones,
        labels: raw.labels,
        paths,
        origin: Origin::Repository,
        file: file.to_string(),
        body: body.to_string(),
        body_line,
    };
    // Compile once now, so a syntax error shows when the file is read rather than when a mentee opens a PR.
    let mut env = environment();
    env.add_template(&template.file, &template.body).map_err(|e| error_at(&template, &e, None))?;
    Ok(template)
}

/// Splits `text` into (front matter YAML, body, 1-based line where the body starts).
fn split_front_matter<'t>(
    file: &str,
    text: &'t str,
) -> Result<(&'t str, &'t str, usize), TemplateError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let no_front_matter = || TemplateError::NoFrontMatter { file: file.to_string() };
    let first = lines.next().ok_or_else(no_front_matter)?;
    if first.trim_end() != "---" {
        return Err(no_front_matter());
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        if line.trim_end() == "---" {
            let yaml = &text[yaml_start..offset];
            let body = &text[offset + line.len()..];
            // Line 1 is the opening `---`, the YAML lines follow, then the closing `---` (line index + 2).
            return Ok((yaml, body, index + 3));
        }
        offset += line.len();
    }
    Err(TemplateError::FrontMatter {
        file: file.to_string(),
        line: 1,
        column: 1,
        message: "the front matter is not closed\n\nEnd it with a line containing only `---`."
            .to_string(),
    })
}

/// Returns the minijinja environment every template renders in: strict, and kind to Markdown whitespace.
fn environment<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Block tags on their own lines leave no blank lines behind, which keeps lists in Markdown intact.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env
}

/// Turns a minijinja error into a [`TemplateError`] with the line counted in the file, not in the body.
///
/// `values` is the render context as JSON, used to find which part of a failing expression was undefined.
fn error_at(
    template: &Template,
    err: &minijinja::Error,
    values: Option<&serde_json::Value>,
) -> TemplateError {
    let file = template.file.clone();
    let line = template.body_line + err.line().unwrap_or(1).saturating_sub(1);
    let message = err.detail().map_or_else(|| err.kind().to_string(), str::to_string);
    match err.kind() {
        ErrorKind::SyntaxError | ErrorKind::BadEscape => {
            TemplateError::Syntax { file, line, message }
        }
        ErrorKind::UndefinedError => {
            let variable = err
                .range()
                .and_then(|r| undefined_variable(&template.body, r, values))
                .unwrap_or_else(|| "(unknown)".to_string());
            let available = siblings(&variable, values);
            TemplateError::Undefined { file, line, variable, available }
        }
        _ => TemplateError::Render { file, line, message },
    }
}

/// Returns the keys next to the last segment of `variable` in `values` (top-level keys for a bare name).
fn siblings(variable: &str, values: Option<&serde_json::Value>) -> Vec<String> {
    let Some(mut value) = values else { return Vec::new() };
    if let Some((parent, _)) = variable.rsplit_once('.') {
        for segment in parent.split('.') {
            match value.get(segment) {
                Some(next) => value = next,
                None => return Vec::new(),
            }
        }
    }
    // Sorted here: serde_json keeps insertion order when another crate enables `preserve_order`.
    let mut keys: Vec<String> =
        value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    keys
}

/// Says what exists instead of an undefined variable.
fn undefined_hint(variable: &str, available: &[String]) -> String {
    let guard = "Check the spelling, or guard optional values with `{% if x is defined %}`.";
    match (variable.rsplit_once('.'), available.is_empty()) {
        (_, true) => format!("Templates can use: {VARIABLES}. {guard}"),
        (Some((parent, _)), false) => format!("`{parent}` has: {}. {guard}", available.join(", ")),
        (None, false) => format!("Templates can use: {}. {guard}", available.join(", ")),
    }
}

/// Returns the variable path that is undefined in the expression at `range` of `body`.
///
/// minijinja points at the failing operation, which is not always the variable: a filter (`pr.titel | upper`
/// points at `upper`), an attribute of an undefined value (`.titel.x`) or a whole operation (`a ~ b`). So this
/// widens the range to the value it operates on, lists the variable paths in it and returns the shortest prefix
/// of the first one that is undefined in `values`. Paths rooted in a loop or `set` variable cannot be checked
/// here; the first of those is returned as written when no context path is undefined.
fn undefined_variable(
    body: &str,
    range: std::ops::Range<usize>,
    values: Option<&serde_json::Value>,
) -> Option<String> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let walk_back = |end: usize| {
        let head = &body[..end];
        head.trim_end_matches(is_path_char).len()
    };
    let mut start = range.start.min(body.len());
    let end = range.end.min(body.len());
    let before = body.get(..start)?.trim_end();
    if let Some(piped) = before.strip_suffix('|') {
        start = walk_back(piped.trim_end().len());
    } else if body.get(start..)?.starts_with('.') {
        start = walk_back(start);
    }
    let text = body.get(start..end)?;
    let mut fallback = None;
    for path in variable_paths(text) {
        let segments: Vec<&str> = path.split('.').collect();
        let root_known = values.and_then(|v| v.get(segments[0])).is_some();
        if !root_known {
            if values.is_some_and(|v| v.is_object()) && fallback.is_none() {
                fallback = Some(path.clone());
            }
            continue;
        }
        let mut value = values?;
        for (i, segment) in segments.iter().enumerate() {
            match value.get(segment) {
                Some(next) => value = next,
                None => return Some(segments[..=i].join(".")),
            }
        }
    }
    fallback.or_else(|| Some(text.trim().to_string()))
}

/// Returns the dotted variable paths in an expression, skipping keywords, literals and called functions.
fn variable_paths(expression: &str) -> Vec<String> {
    const KEYWORDS: [&str; 12] =
        ["and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False"];
    let chars: Vec<char> = expression.chars().collect();
    let mut paths = Vec::new();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            i += 1;
            continue;
        }
        let preceded =
            i > 0 && (chars[i - 1].is_ascii_alphanumeric() || "._|".contains(chars[i - 1]));
        let piped = chars[..i].iter().rev().find(|c| !c.is_whitespace()) == Some(&'|');
        if (c.is_ascii_alphabetic() || c == '_') && !preceded {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let path: String =
                chars[start..i].iter().collect::<String>().trim_end_matches('.').to_string();
            let called = chars.get(i) == Some(&'(');
            // A name after `|` or `is` is a filter or test, not a variable.
            let after_is = expression[..chars[..start].iter().map(|c| c.len_utf8()).sum::<usize>()]
                .trim_end()
                .ends_with(" is");
            if !called && !piped && !after_is && !KEYWORDS.contains(&path.as_str()) {
                paths.push(path);
            }
            continue;
        }
        i += 1;
    }
    paths
}

/// Built-ins merged with repository templates, by id.
#[derive(Clone, Debug, Default)]
pub struct TemplateSet {
    templates: BTreeMap<String, Template>,
}

/// Returns `builtins` with `overrides` added; an override with a built-in's id replaces it.
pub fn resolve(builtins: Vec<Template>, overrides: Vec<Template>) -> TemplateSet {
    let mut templates = BTreeMap::new();
    for t in builtins.into_iter().chain(overrides) {
        templates.insert(t.id.clone(), t);
    }
    TemplateSet { templates }
}

impl TemplateSet {
    /// Returns the template with `id`.
    pub fn get(&self, id: &str) -> Option<&Template> {
        self.templates.get(id)
    }

    /// Returns the ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// Returns the templates, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.values()
    }

    /// Renders template `id` with `ctx`, or says which ids exist.
    pub fn render(&self, id: &str, ctx: &RenderContext) -> Result<String, TemplateError> {
        let template = self.get(id).ok_or_else(|| TemplateError::Unknown {
            id: id.to_string(),
            known: self.ids().map(str::to_string).collect(),
        })?;
        render(template, ctx)
    }

    /// Picks the one template to post on a mentee's new pull request, if any.
    ///
    /// `configured` is `templates.on_mentee_pr` (`None` turns automatic posting off). Among `on: mentee_pr`
    /// templates with filters, the one whose filters all match and that has the most filters wins (ties by id):
    /// a first-PR guide or a design-review guide replaces the general guide instead of adding a second comment.
    /// Otherwise the configured template is used; a configured id that does not exist is an error, not silence.
    /// `in_play` must be the unredacted list from [`milestones_in_play`].
    pub fn for_mentee_pr(
        &self,
        configured: Option<&str>,
        pr: &PullRequest,
        in_play: &[MilestoneInPlay],
    ) -> Result<Option<&Template>, TemplateError> {
        let Some(configured) = configured else { return Ok(None) };
        let default = self.get(configured).ok_or_else(|| TemplateError::Unknown {
            id: configured.to_string(),
            known: self.ids().map(str::to_string).collect(),
        })?;
        let specific = self
            .iter()
            .filter(|t| t.on == Trigger::MenteePr && t.filter_count() > 0 && t.applies(pr, in_play))
            .max_by(|a, b| a.filter_count().cmp(&b.filter_count()).then_with(|| b.id.cmp(&a.id)));
        Ok(Some(specific.unwrap_or(default)))
    }
}

impl Template {
    /// Returns how many filter kinds (milestones, labels, paths) the template sets.
    pub fn filter_count(&self) -> usize {
        usize::from(!self.milestones.is_empty())
            + usize::from(!self.labels.is_empty())
            + usize::from(!self.paths.is_empty())
    }

    /// Returns true if every filter the template sets matches `pr` (unknown changed paths never match).
    pub fn applies(&self, pr: &PullRequest, in_play: &[MilestoneInPlay]) -> bool {
        let milestones = self.milestones.is_empty()
            || in_play.iter().any(|m| self.milestones.iter().any(|id| id == &m.id));
        let labels = self.labels.is_empty()
            || pr
                .labels
                .iter()
                .any(|l| self.labels.iter().any(|want| want.eq_ignore_ascii_case(l)));
        let paths = self.paths.is_empty()
            || pr.changed_paths.as_ref().is_some_and(|ps| ps.iter().any(|p| self.paths.matches(p)));
        milestones && labels && paths
    }
}

/// Renders `template` with `ctx` in strict mode: any undefined variable fails the whole render.
///
/// A repository template runs with [`REPOSITORY_FUEL`]; any template's output stops at [`MAX_OUTPUT_BYTES`].
pub fn render(template: &Template, ctx: &RenderContext) -> Result<String, TemplateError> {
    let fuel = (template.origin == Origin::Repository).then_some(REPOSITORY_FUEL);
    render_with_fuel(template, minijinja::Value::from_serialize(ctx), fuel)
}

/// Renders `template` with any context value and an optional fuel limit, mapping errors like [`render`].
///
/// [`render`] is the entry point for posting; this one exists so the fuzz targets (fuzz/) and tests can render
/// with a fixed context and a chosen fuel.
pub fn render_with_fuel(
    template: &Template,
    ctx: minijinja::Value,
    fuel: Option<u64>,
) -> Result<String, TemplateError> {
    let values = serde_json::to_value(&ctx).ok();
    let mut env = environment();
    env.set_fuel(fuel);
    env.add_template(&template.file, &template.body)
        .map_err(|e| error_at(template, &e, values.as_ref()))?;
    let compiled =
        env.get_template(&template.file).map_err(|e| error_at(template, &e, values.as_ref()))?;
    let mut out = CappedWriter { buf: Vec::new(), limit: MAX_OUTPUT_BYTES, overflowed: false };
    let rendered = compiled.render_captured_to(ctx, &mut out);
    if out.overflowed {
        return Err(TemplateError::TooLarge {
            file: template.file.clone(),
            limit: MAX_OUTPUT_BYTES,
        });
    }
    if let Err(e) = rendered {
        if e.kind() == ErrorKind::OutOfFuel {
            return Err(TemplateError::OutOfFuel {
                file: template.file.clone(),
                fuel: fuel.unwrap_or_default(),
            });
        }
        return Err(error_at(template, &e, values.as_ref()));
    }
    // minijinja writes whole UTF-8 strings, and the writer refuses a write rather than keep half of it.
    String::from_utf8(out.buf).map_err(|e| TemplateError::Render {
        file: template.file.clone(),
        line: template.body_line,
        message: format!("output is not UTF-8: {e}"),
    })
}

/// Collects rendered output up to `limit` bytes and fails the write that would pass it.
struct CappedWriter {
    /// The output so far.
    buf: Vec<u8>,
    /// The most bytes kept.
    limit: usize,
    /// Whether a write was refused for size.
    overflowed: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered template too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a template knows about the pull request, read from GitHub's pull request JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullRequest {
    /// `owner/name` of the base repository.
    pub repo: String,
    /// Whether the base repository is private.
    pub private: bool,
    /// PR number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Web link.
    pub url: String,
    /// The author.
    pub author: Login,
    /// Whether it is a draft.
    pub draft: bool,
    /// Added lines.
    pub additions: u64,
    /// Deleted lines.
    pub deletions: u64,
    /// Changed files.
    pub changed_files: u64,
    /// Label names.
    pub labels: Vec<String>,
    /// Changed paths, when the caller fetched them (the PR object itself does not list them).
    #[serde(skip)]
    pub changed_paths: Option<Vec<String>>,
}

/// GitHub's pull request object, only the fields Mentor reads.
#[derive(Deserialize)]
struct GitHubPullRequest {
    number: u64,
    title: String,
    html_url: String,
    user: GitHubUser,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    additions: u64,
    #[serde(default)]
    deletions: u64,
    #[serde(default)]
    changed_files: u64,
    #[serde(default)]
    labels: Vec<GitHubLabel>,
    base: GitHubBase,
}

#[derive(Deserialize)]
struct GitHubUser {
    login: String,
}

#[derive(Deserialize)]
struct GitHubLabel {
    name: String,
}

#[derive(Deserialize)]
struct GitHubBase {
    repo: GitHubRepo,
}

#[derive(Deserialize)]
struct GitHubRepo {
    full_name: String,
    #[serde(default)]
    private: bool,
}

impl PullRequest {
    /// Reads a pull request from GitHub's JSON (`GET /repos/{o}/{r}/pulls/{n}`, or a `pull_request` webhook's
    /// `pull_request` object).
    pub fn from_github_json(text: &str) -> Result<PullRequest, serde_json::Error> {
        PullRequest::from_github_value(serde_json::from_str(text)?)
    }

    /// Reads a pull request from GitHub's JSON already parsed; a whole `pull_request` webhook payload (with the
    /// object under `pull_request`) is accepted too.
    pub fn from_github_value(
        mut value: serde_json::Value,
    ) -> Result<PullRequest, serde_json::Error> {
        if let Some(inner) = value.get_mut("pull_request").filter(|v| v.is_object()) {
            value = inner.take();
        }
        let raw: GitHubPullRequest = serde_json::from_value(value)?;
        Ok(PullRequest {
            repo: raw.base.repo.full_name,
            private: raw.base.repo.private,
            number: raw.number,
            title: raw.title,
            url: raw.html_url,
            author: Login::new(&raw.user.login),
            draft: raw.draft,
            additions: raw.additions,
            deletions: raw.deletions,
            changed_files: raw.changed_files,
            labels: raw.labels.into_iter().map(|l| l.name).collect(),
            changed_paths: None,
        })
    }
}

/// A milestone this pull request could prove once merged, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MilestoneInPlay {
    /// Milestone id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Learning stage (`discovery`, `practice`, `feedback`, `mastery`).
    pub stage: Stage,
    /// Due date (`YYYY-MM-DD`), if set.
    pub due: Option<String>,
    /// Whether the due date has passed.
    pub overdue: bool,
    /// What would make this PR count, for the mentor.
    pub why: String,
}

/// A person as templates see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonContext {
    /// GitHub login.
    pub login: String,
    /// Display name (the login when none is configured).
    pub name: String,
}

/// The sprint as templates see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SprintContext {
    /// The sprint id (its first day).
    pub id: String,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`.
    pub end: String,
}

/// Everything a template can use. Build it with [`context`], which applies the privacy rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderContext {
    /// The pair's mentor.
    pub mentor: PersonContext,
    /// The pair's mentee.
    pub mentee: PersonContext,
    /// The pull request; its title and labels are made inert with [`inert_markdown`].
    pub pr: PullRequest,
    /// The pair's track id.
    pub track: String,
    /// Open milestones this PR could prove; empty when hidden.
    pub milestones_in_play: Vec<MilestoneInPlay>,
    /// True when milestones were withheld because the repository is public.
    pub milestones_hidden: bool,
    /// The first open milestone of the track, in track order; absent when hidden or all are met.
    pub next_milestone: Option<MilestoneInPlay>,
    /// The current sprint.
    pub sprint: SprintContext,
    /// Whether the repository is public.
    pub public_repo: bool,
}

/// Returns the open milestones of `pair`'s track that `pr` could prove once merged, in track order.
///
/// A milestone is in play when it is not in `met` and its `merged_pr` rule matches the PR as it stands, or
/// cannot be decided yet (reviewers come later; changed paths may be unknown) — the same rule code as
/// [`crate::evidence::collect`] on a hypothetical merge now.
pub fn milestones_in_play(
    config: &Config,
    pair: &Pair,
    pr: &PullRequest,
    met: &[String],
    now: DateTime<Utc>,
) -> Vec<MilestoneInPlay> {
    let Some(track) = config.track(&pair.track) else { return Vec::new() };
    let merge_now = Activity {
        kind: ActivityKind::PullRequestMerged,
        actor: pair.mentee.clone(),
        at: now,
        source: Source { repo: pr.repo.clone(), id: format!("pr/{}", pr.number), url: None },
        pr: Some(PullRequestFacts {
            number: pr.number,
            author: Some(pr.author.clone()),
            title: Some(pr.title.clone()),
            labels: Some(pr.labels.clone()),
            // Reviews come after the guide is posted: unknown, never "none".
            reviewers: None,
            changed_paths: pr.changed_paths.clone(),
            changed_lines: Some(pr.additions + pr.deletions),
            merge_commit: None,
        }),
        trailers: Vec::new(),
    };
    let rows = evidence::collect(config, pair, &merge_now);
    let today = config.sprints.local_date(now);
    track
        .milestones
        .iter()
        .filter(|m| !met.contains(&m.id))
        .filter_map(|m| {
            let rule = m.evidence.merged_pr.as_ref()?;
            rows.iter().find(|r| {
                r.milestone == m.id
                    && r.rule == RuleKind::MergedPr
                    && matches!(r.status, EvidenceStatus::Auto | EvidenceStatus::Undecided)
            })?;
            Some(describe(m, pair, today, why(rule, pr)))
        })
        .collect()
}

fn describe(m: &Milestone, pair: &Pair, today: chrono::NaiveDate, why: String) -> MilestoneInPlay {
    let due = m.due.and_then(|d| d.whole_days()).map(|d| pair.since + chrono::TimeDelta::days(d));
    MilestoneInPlay {
        id: m.id.clone(),
        title: m.title.clone(),
        stage: m.stage,
        due: due.map(|d| d.to_string()),
        overdue: due.is_some_and(|d| d < today),
        why,
    }
}

/// Explains what would make `pr` count for a `merged_pr` rule, in a mentor's words.
fn why(rule: &MergedPrRule, pr: &PullRequest) -> String {
    let mut parts = Vec::new();
    if !rule.paths.is_empty() {
        let patterns: Vec<String> =
            rule.paths.patterns().iter().map(|p| format!("`{p}`")).collect();
        // Backticks keep `**` in globs from turning into bold Markdown.
        let patterns = patterns.join(" or ");
        match pr.changed_paths.as_ref().and_then(|ps| ps.iter().find(|p| rule.paths.matches(p))) {
            Some(hit) => parts.push(format!("it changes `{hit}` (matches {patterns})")),
            None => parts.push(format!("if it changes {patterns}")),
        }
    }
    if !rule.labels.is_empty() {
        parts.push(format!("it is labelled {}", rule.labels.join(", ")));
    }
    if let Some(n) = rule.min_reviewers {
        parts.push(format!(
            "once {n} {} reviewed it",
            if n == 1 { "person has" } else { "people have" }
        ));
    }
    if rule.min_changed_lines.is_some() || rule.max_changed_lines.is_some() {
        parts.push(format!(
            "{} changed lines is within the size limits",
            pr.additions + pr.deletions
        ));
    }
    if rule.count > 1 {
        parts.push(format!("it is one of {} merged pull requests needed", rule.count));
    }
    if parts.is_empty() {
        "counts when merged".to_string()
    } else {
        format!("counts when merged: {}", parts.join("; "))
    }
}

/// Returns `text` (written by someone else, like a PR title) safe to paste into a comment the app posts.
///
/// `<` becomes `&lt;`, so an `<!--` in a title cannot hide the rest of the comment or forge the app's hidden
/// markers, and a zero-width space after `@` keeps `@someone` or `@org/team` from notifying people through the
/// app's comment. Both still read the same on GitHub.
pub fn inert_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '@' => out.push_str("@\u{200b}"),
            c => out.push(c),
        }
    }
    out
}

/// Builds the render context for `pair` on `pr`, hiding milestones where the privacy settings say so.
///
/// `in_play` comes from [`milestones_in_play`]; `met` lists milestone ids already met (for `next_milestone`).
/// In a public repository, unless `privacy.milestones_in_public` is true, no milestone reaches the template:
/// the rule lives here so that no template, built-in or override, can publish a mentee's plan.
pub fn context(
    config: &Config,
    pair: &Pair,
    pr: &PullRequest,
    in_play: Vec<MilestoneInPlay>,
    met: &[String],
    public_repo: bool,
    now: DateTime<Utc>,
) -> RenderContext {
    let person = |login: &Login| PersonContext {
        login: login.to_string(),
        name: config
            .person(login)
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| login.to_string()),
    };
    let hidden = public_repo && !config.privacy.milestones_in_public;
    let today = config.sprints.local_date(now);
    let next_milestone = config.track(&pair.track).and_then(|t| {
        t.milestones.iter().find(|m| !met.contains(&m.id)).map(|m| {
            let reason = in_play
                .iter()
                .find(|p| p.id == m.id)
                .map_or_else(|| "not proven by this pull request".to_string(), |p| p.why.clone());
            describe(m, pair, today, reason)
        })
    });
    let sprint = config.sprints.sprint_at(now);
    let last_day = sprint.end.date_naive() - chrono::Days::new(1);
    RenderContext {
        mentor: person(&pair.mentor),
        mentee: person(&pair.mentee),
        pr: PullRequest {
            title: inert_markdown(&pr.title),
            labels: pr.labels.iter().map(|l| inert_markdown(l)).collect(),
            ..pr.clone()
        },
        track: pair.track.clone(),
        milestones_in_play: if hidden { Vec::new() } else { in_play },
        milestones_hidden: hidden,
        next_milestone: if hidden { None } else { next_milestone },
        sprint: SprintContext {
            id: sprint.id.to_string(),
            start: sprint.id.to_string(),
            end: last_day.to_string(),
        },
        public_repo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-11-02, timezone: UTC }
people:
  bob: { name: Bob Lindqvist }
  alice: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-11-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, due: 2w, evidence: { merged_pr: { paths: ["src/**"] } } }
      - { id: design-review, title: Lead a design review, stage: practice, evidence: { merged_pr: { labels: [design], min_reviewers: 2 } } }
      - { id: small, title: Small changes, stage: practice, evidence: { merged_pr: { max_changed_lines: 10 } } }
      - { id: reviewer, title: Reviews, stage: feedback, evidence: { review_given: { count: 2 } } }
"#;

    fn config(extra: &str) -> Config {
        crate::config::parse("test.yml", &format!("{CONFIG}{extra}")).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn pr(labels: &[&str], lines: u64) -> PullRequest {
        PullRequest {
            repo: "acme/api".into(),
            private: true,
            number: 7,
            title: "Add retries".into(),
            url: "https://github.com/acme/api/pull/7".into(),
            author: Login::new("alice"),
            draft: false,
            additions: lines,
            deletions: 0,
            changed_files: 2,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            changed_paths: None,
        }
    }

    fn template(text: &str) -> Template {
        parse_template(".github/mentorship/templates/t.md", text).unwrap()
    }

    #[test]
    fn builtins_parse_and_render_for_a_mentee_pr() {
        let set = resolve(builtin(), Vec::new());
        assert_eq!(
            set.ids().collect::<Vec<_>>(),
            ["checkin", "design-review", "first-pr", "review-guide"]
        );
        let config = config("");
        let pair = &config.pairs[0];
        let pr = pr(&["design"], 40);
        let in_play = milestones_in_play(&config, pair, &pr, &[], now());
        let ctx = context(&config, pair, &pr, in_play, &[], false, now());
        for t in set.iter() {
            let text = render(t, &ctx).unwrap_or_else(|e| panic!("{}: {e}", t.id));
            assert!(text.contains("alice"), "{}: {text}", t.id);
        }
        let guide = set.render("review-guide", &ctx).unwrap();
        assert!(guide.contains("first-pr"), "{guide}");
        assert!(guide.contains("praise:"), "{guide}");
    }

    #[test]
    fn milestones_in_play_reuse_the_evidence_rules() {
        let config = config("");
        let pair = &config.pairs[0];
        let ids = |pr: &PullRequest, met: &[String]| {
            milestones_in_play(&config, pair, pr, met, now())
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        // Paths unknown → first-pr undecided (in play); no design label → not in play; 40 lines > 10.
        assert_eq!(ids(&pr(&[], 40), &[]), ["first-pr"]);
        assert_eq!(ids(&pr(&["Design"], 5), &[]), ["first-pr", "design-review", "small"]);
        assert_eq!(ids(&pr(&["design"], 5), &["first-pr".to_string()]), ["design-review", "small"]);

        let mut with_paths = pr(&[], 40);
        with_paths.changed_paths = Some(vec!["docs/x.md".into()]);
        assert!(ids(&with_paths, &[]).is_empty());
        with_paths.changed_paths = Some(vec!["docs/x.md".into(), "src/lib.rs".into()]);
        let in_play = milestones_in_play(&config, pair, &with_paths, &[], now());
        assert_eq!(
            in_play[0].why,
            "counts when merged: it changes `src/lib.rs` (matches `src/**`)"
        );
        assert_eq!((in_play[0].due.as_deref(), in_play[0].overdue), (Some("2026-11-15"), true));
    }

    #[test]
    fn public_repositories_get_no_milestones_unless_allowed() {
        let config = config("");
        let pair = &config.pairs[0];
        let pr = pr(&["design"], 5);
        let in_play = milestones_in_play(&config, pair, &pr, &[], now());
        assert!(!in_play.is_empty());
        let ctx = context(&config, pair, &pr, in_play.clone(), &[], true, now());
        assert!(
            ctx.milestones_in_play.is_empty()
                && ctx.milestones_hidden
                && ctx.next_milestone.is_none()
        );
        let guide = resolve(builtin(), Vec::new()).render("review-guide", &ctx).unwrap();
        for m in ["first-pr", "design-review", "Ship a first change", "Lead a design review"] {
            assert!(!guide.contains(m), "{m} leaked into a public guide:\n{guide}");
        }

        let open = crate::config::parse(
            "test.yml",
            &format!("{CONFIG}privacy: {{ milestones_in_public: true }}\n"),
        )
        .unwrap();
        let ctx = context(&open, &open.pairs[0], &pr, in_play, &[], true, now());
        assert_eq!(ctx.milestones_in_play.len(), 3);
    }

    #[test]
    fn undefined_variables_name_the_file_line_and_variable() {
        let t = template(
            "---\nid: t\ntitle: T\nkind: comment\non: command\n---\nHello {{ mentee.login }}\n\n{{ pr.titel | upper }}\n",
        );
        let config = config("");
        let ctx = context(&config, &config.pairs[0], &pr(&[], 1), Vec::new(), &[], false, now());
        let err = render(&t, &ctx).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Undefined {
                file: ".github/mentorship/templates/t.md".into(),
                line: 9,
                variable: "pr.titel".into(),
                available: [
                    "additions",
                    "author",
                    "changed_files",
                    "deletions",
                    "draft",
                    "labels",
                    "number",
                    "private",
                    "repo",
                    "title",
                    "url"
                ]
                .map(String::from)
                .to_vec(),
            }
        );
        assert!(
            err.to_string().contains("\n\n`pr` has: additions, author, changed_files,"),
            "{err}"
        );
        assert!(
            err.to_string().starts_with(
                ".github/mentorship/templates/t.md:9: undefined variable `pr.titel`\n\n"
            )
        );

        let t = template(
            "---\nid: t\ntitle: T\nkind: comment\non: command\n---\n{% if mentor.nick %}x{% endif %}\n",
        );
        assert!(
            matches!(render(&t, &ctx), Err(TemplateError::Undefined { line: 7, ref variable, .. }) if variable == "mentor.nick")
        );
        let undefined = |body: &str| match render(
            &template(&format!("---\nid: t\ntitle: T\nkind: comment\non: command\n---\n{body}")),
            &ctx,
        ) {
            Err(TemplateError::Undefined { variable, .. }) => variable,
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(undefined("{{ pr.titel.x }}"), "pr.titel");
        assert_eq!(undefined("{{ pr.title ~ foo }}"), "foo");
        assert_eq!(undefined("{{ pr.title | upper ~ sprint.nme | lower }}"), "sprint.nme");
        assert_eq!(
            undefined(
                "{% for m in milestones_in_play %}{% endfor %}{% for x in [1] %}{{ x.y }}{% endfor %}"
            ),
            "x.y"
        );
        assert_eq!(undefined("{{ 'pr.nope' ~ mentee.nme }}"), "mentee.nme");
        let t = template(
            "---\nid: t\ntitle: T\nkind: comment\non: command\n---\n\n{% for m in milestones %}{% endfor %}\n",
        );
        assert!(
            matches!(render(&t, &ctx), Err(TemplateError::Undefined { line: 8, ref variable, .. }) if variable == "milestones")
        );
    }

    #[test]
    fn front_matter_errors_point_into_the_file() {
        let file = ".github/mentorship/templates/t.md";
        let err = |text: &str| parse_template(file, text).unwrap_err().to_string();
        assert!(err("Hello").starts_with(&format!("{file}:1: missing front matter")));
        assert!(err("---\nid: t\n").contains("not closed"));
        let e = err("---\nid: t\ntitle: T\nkind: comment\non: command\ncolour: red\n---\nbody");
        assert!(e.starts_with(&format!("{file}:6:1: invalid front matter: ")), "{e}");
        assert!(e.contains("colour"), "{e}");
        let e = err("---\ntitle: T\nkind: comment\non: command\n---\n");
        assert!(
            e.starts_with(&format!("{file}:2:1: invalid front matter: missing field `id`")),
            "{e}"
        );
        let e = err("---\nid: t\ntitle: T\nkind: memo\non: command\n---\n");
        assert!(e.starts_with(&format!("{file}:4:")), "{e}");
        let e = err("---\nid: other\ntitle: T\nkind: comment\non: command\n---\n");
        assert!(
            e.starts_with(&format!(
                "{file}:2:5: template id `other` does not match the file name `t.md`"
            )),
            "{e}"
        );
        let e =
            err("---\nid: t\ntitle: T\nkind: comment\non: command\npaths: [\"src/[ab\"]\n---\n");
        assert!(e.starts_with(&format!("{file}:6:9: invalid glob")), "{e}");
        let e = err("---\nid: t\ntitle: T\nkind: comment\non: command\n---\nline\n{% if x %}\n");
        assert!(e.starts_with(&format!("{file}:8: template syntax error")), "{e}");
    }

    #[test]
    fn overrides_replace_builtins_by_id() {
        let mine = parse_template(
            "x/review-guide.md",
            "---\nid: review-guide\ntitle: Ours\nkind: review\non: mentee_pr\n---\nOurs for {{ mentee.login }}\n",
        )
        .unwrap();
        let set = resolve(builtin(), vec![mine]);
        let t = set.get("review-guide").unwrap();
        assert_eq!(
            (t.title.as_str(), t.origin, t.kind),
            ("Ours", Origin::Repository, TemplateKind::Review)
        );
        assert_eq!(set.get("first-pr").unwrap().origin, Origin::Builtin);
        assert!(matches!(set.render("nope", &dummy_ctx()), Err(TemplateError::Unknown { .. })));
    }

    fn dummy_ctx() -> RenderContext {
        let config = config("");
        context(&config, &config.pairs[0], &pr(&[], 1), Vec::new(), &[], false, now())
    }

    #[test]
    fn the_most_specific_matching_template_is_posted() {
        let set = resolve(builtin(), Vec::new());
        let config = config("");
        let pair = &config.pairs[0];
        let pick = |pr: &PullRequest, met: &[String]| {
            let in_play = milestones_in_play(&config, pair, pr, met, now());
            set.for_mentee_pr(Some("review-guide"), pr, &in_play).unwrap().map(|t| t.id.clone())
        };
        assert_eq!(pick(&pr(&[], 40), &[]).as_deref(), Some("first-pr"));
        assert_eq!(pick(&pr(&[], 40), &["first-pr".into()]).as_deref(), Some("review-guide"));
        assert_eq!(
            pick(&pr(&["design"], 40), &["first-pr".into()]).as_deref(),
            Some("design-review")
        );
        assert_eq!(
            set.for_mentee_pr(None, &pr(&[], 40), &[]).unwrap().map(|t| t.id.as_str()),
            None
        );
        assert!(matches!(
            set.for_mentee_pr(Some("review-guid"), &pr(&[], 40), &[]),
            Err(TemplateError::Unknown { ref id, .. }) if id == "review-guid"
        ));
    }

    #[test]
    fn titles_cannot_mention_people_or_hide_the_comment() {
        let config = config("");
        let mut pr = pr(&["<b>"], 1);
        pr.title = "Fix <!-- for @acme/everyone and @bob".into();
        let ctx = context(&config, &config.pairs[0], &pr, Vec::new(), &[], false, now());
        assert_eq!(ctx.pr.title, "Fix &lt;!-- for @\u{200b}acme/everyone and @\u{200b}bob");
        assert_eq!(ctx.pr.labels, ["&lt;b>"]);
    }

    #[test]
    fn reads_github_pull_request_json() {
        let json = r#"{"number": 3, "title": "T", "html_url": "https://github.com/o/r/pull/3", "user": {"login": "Alice"},
            "additions": 10, "deletions": 2, "changed_files": 1, "labels": [{"name": "bug"}], "draft": false,
            "base": {"repo": {"full_name": "o/r", "private": false}}, "extra": 1}"#;
        let pr = PullRequest::from_github_json(json).unwrap();
        assert_eq!(
            (pr.author.as_str(), pr.repo.as_str(), pr.private, pr.labels.len()),
            ("alice", "o/r", false, 1)
        );
        assert!(PullRequest::from_github_json("{\"number\": 3}").is_err());
        let payload =
            format!("{{\"action\": \"opened\", \"number\": 3, \"pull_request\": {json}}}");
        assert_eq!(PullRequest::from_github_json(&payload).unwrap(), pr);
    }

    fn front_matter(body: &str) -> String {
        format!("---\nid: t\ntitle: T\nkind: comment\non: command\n---\n{body}")
    }

    #[test]
    fn a_runaway_repository_template_runs_out_of_fuel_quickly() {
        let hostile = template(&front_matter(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
        ));
        assert_eq!(hostile.origin, Origin::Repository);
        let started = std::time::Instant::now();
        let err = render(&hostile, &dummy_ctx()).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(
            err,
            TemplateError::OutOfFuel {
                file: ".github/mentorship/templates/t.md".into(),
                fuel: REPOSITORY_FUEL
            }
        );
        let message = err.to_string();
        assert!(message.starts_with(".github/mentorship/templates/t.md: "), "{message}");
        assert!(message.contains("out of fuel"), "{message}");
        // A normal repository template still renders.
        let normal = template(&front_matter(
            "Hi @{{ mentee.login }}\n{% for i in range(20) %}- {{ i }}\n{% endfor %}",
        ));
        let text = render(&normal, &dummy_ctx()).unwrap();
        assert!(text.starts_with("Hi @alice\n- 0\n"), "{text}");
    }

    #[test]
    fn builtins_used_as_repository_templates_need_a_tenth_of_the_fuel() {
        let config = config("");
        let pair = &config.pairs[0];
        let pr = pr(&["design"], 40);
        let in_play = milestones_in_play(&config, pair, &pr, &[], now());
        let ctx = context(&config, pair, &pr, in_play, &[], false, now());
        for t in builtin() {
            let value = minijinja::Value::from_serialize(&ctx);
            render_with_fuel(&t, value, Some(REPOSITORY_FUEL / 10))
                .unwrap_or_else(|e| panic!("{}: {e}", t.id));
        }
    }

    #[test]
    fn huge_output_is_an_error_naming_the_file() {
        let big = template(&front_matter("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}"));
        let err = render(&big, &dummy_ctx()).unwrap_err();
        assert_eq!(
            err,
            TemplateError::TooLarge {
                file: ".github/mentorship/templates/t.md".into(),
                limit: MAX_OUTPUT_BYTES
            }
        );
        assert!(err.to_string().contains("larger than 65000 bytes"), "{err}");
    }

    #[test]
    fn deep_recursion_is_an_error_not_a_crash() {
        let t = template(&front_matter("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"));
        let err = render(&t, &dummy_ctx()).unwrap_err();
        assert!(
            matches!(err, TemplateError::Render { .. } | TemplateError::OutOfFuel { .. }),
            "{err}"
        );
    }
}
