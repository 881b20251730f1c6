//! Conventional Comments (<https://conventionalcomments.org>): the label a review comment starts with.
//!
//! A labelled comment starts with `label (decorations): subject`, where the label is one of `praise`,
//! `nitpick`, `suggestion`, `issue`, `todo`, `question`, `thought`, `chore` or `note` (any case) and the
//! decorations are comma-separated words like `non-blocking`, `blocking` or `if-minor`. People often bold the
//! label (`**praise:**`, `**nit (non-blocking)**:`), so bold markers around it are accepted too. `nit` is read
//! as `nitpick`: it is the spelling most reviewers actually type.
//!
//! [`classify`] reads one comment; [`labels_in`] reads a review body where each paragraph (or list item) may
//! carry its own label, skipping code and quotes. [`FeedbackMix`] tallies labels for load and growth views: it
//! keeps counts only, never the text, because feedback text is private to the pair.

use std::fmt;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// The label of a Conventional Comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// Highlights something positive.
    Praise,
    /// A trivial, preference-based request (`nitpick`, or `nit`).
    Nitpick,
    /// Proposes an improvement.
    Suggestion,
    /// A specific problem.
    Issue,
    /// A small, necessary change.
    Todo,
    /// A question.
    Question,
    /// An idea the review brought up.
    Thought,
    /// A task that must be done before acceptance (process, CI).
    Chore,
    /// Something the reader should notice.
    Note,
}

impl LabelKind {
    /// Every label, in the order of the specification.
    pub const ALL: [LabelKind; 9] = [
        LabelKind::Praise,
        LabelKind::Nitpick,
        LabelKind::Suggestion,
        LabelKind::Issue,
        LabelKind::Todo,
        LabelKind::Question,
        LabelKind::Thought,
        LabelKind::Chore,
        LabelKind::Note,
    ];

    /// Returns the label as written in the specification.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::Praise => "praise",
            LabelKind::Nitpick => "nitpick",
            LabelKind::Suggestion => "suggestion",
            LabelKind::Issue => "issue",
            LabelKind::Todo => "todo",
            LabelKind::Question => "question",
            LabelKind::Thought => "thought",
            LabelKind::Chore => "chore",
            LabelKind::Note => "note",
        }
    }

    /// Returns the label for `word` (any case; `nit` is `nitpick`).
    pub fn parse(word: &str) -> Option<LabelKind> {
        if word.eq_ignore_ascii_case("nit") {
            return Some(LabelKind::Nitpick);
        }
        LabelKind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for LabelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The label and decorations a comment starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The label.
    pub kind: LabelKind,
    /// Decorations in order, lowercased (`non-blocking`, `if-minor`, …).
    pub decorations: Vec<String>,
    /// `Some(true)` for `(blocking)`, `Some(false)` for `(non-blocking)`, `None` when neither is given.
    ///
    /// No label is blocking by default: the specification leaves that to each team, so only explicit
    /// decorations count.
    pub blocking: Option<bool>,
}

/// Returns the Conventional Comments label `text` starts with, if any.
///
/// Leading whitespace and bold markers (`**`, `__`) are skipped; the label must be followed by optional
/// `(decorations)` and a colon, so prose like "Note that…" is not a label.
pub fn classify(text: &str) -> Option<Label> {
    let mut rest = text.trim_start();
    let mut bold = "";
    for marker in ["**", "__"] {
        if let Some(r) = rest.strip_prefix(marker) {
            rest = r.trim_start();
            bold = marker;
            break;
        }
    }
    let word_end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
    let kind = LabelKind::parse(&rest[..word_end])?;
    rest = rest[word_end..].trim_start_matches([' ', '\t']);

    let mut decorations = Vec::new();
    if let Some(inner) = rest.strip_prefix('(') {
        let close = inner.find(')')?;
        for part in inner[..close].split(',') {
            let d = part.trim().to_ascii_lowercase();
            if d.is_empty() || !d.chars().all(|c| c.is_ascii_alphanumeric() || "-_ ".contains(c)) {
                return None;
            }
            decorations.push(d);
        }
        rest = inner[close + 1..].trim_start_matches([' ', '\t']);
    }
    // `**label:**` and `**label**:` are both common.
    if !bold.is_empty()
        && let Some(r) = rest.strip_prefix(bold)
    {
        rest = r;
    }
    rest.strip_prefix(':')?;
    let blocking = if decorations.iter().any(|d| d == "non-blocking") {
        Some(false)
    } else if decorations.iter().any(|d| d == "blocking") {
        Some(true)
    } else {
        None
    };
    Some(Label { kind, decorations, blocking })
}

/// Returns the label of each paragraph and list item of a Markdown `body` that starts with one, in order.
///
/// Code blocks, block quotes (quoted text is someone else's) and HTML are skipped.
pub fn labels_in(body: &str) -> Vec<Label> {
    let mut labels = Vec::new();
    let mut hidden_depth = 0usize;
    // A tight list item has no paragraph: its first inline event starts the text.
    let mut item_pending = false;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::BlockQuote(_) | Tag::CodeBlock(_) | Tag::HtmlBlock) => {
                hidden_depth += 1;
                item_pending = false;
            }
            Event::End(TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock) => {
                hidden_depth = hidden_depth.saturating_sub(1);
            }
            _ if hidden_depth > 0 => {}
            Event::Start(Tag::Item) => item_pending = true,
            Event::Start(Tag::Paragraph) => {
                item_pending = false;
                labels.extend(classify(&body[range.start..]));
            }
            Event::Start(Tag::List(_)) | Event::End(_) => item_pending = false,
            _ if item_pending => {
                item_pending = false;
                labels.extend(classify(&body[range.start..]));
            }
            _ => {}
        }
    }
    labels
}

/// How much feedback of each label a set of reviews and comments carried: counts only, never text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackMix {
    /// `praise` labels.
    pub praise: u32,
    /// `nitpick` (and `nit`) labels.
    pub nitpick: u32,
    /// `suggestion` labels.
    pub suggestion: u32,
    /// `issue` labels.
    pub issue: u32,
    /// `todo` labels.
    pub todo: u32,
    /// `question` labels.
    pub question: u32,
    /// `thought` labels.
    pub thought: u32,
    /// `chore` labels.
    pub chore: u32,
    /// `note` labels.
    pub note: u32,
    /// Labels decorated `(blocking)`.
    pub blocking: u32,
    /// Labels decorated `(non-blocking)`.
    pub non_blocking: u32,
    /// Non-empty comments or review bodies without any label.
    pub unlabeled: u32,
}

impl FeedbackMix {
    /// Counts one label.
    pub fn add(&mut self, label: &Label) {
        let slot = match label.kind {
            LabelKind::Praise => &mut self.praise,
            LabelKind::Nitpick => &mut self.nitpick,
            LabelKind::Suggestion => &mut self.suggestion,
            LabelKind::Issue => &mut self.issue,
            LabelKind::Todo => &mut self.todo,
            LabelKind::Question => &mut self.question,
            LabelKind::Thought => &mut self.thought,
            LabelKind::Chore => &mut self.chore,
            LabelKind::Note => &mut self.note,
        };
        *slot = slot.saturating_add(1);
        match label.blocking {
            Some(true) => self.blocking = self.blocking.saturating_add(1),
            Some(false) => self.non_blocking = self.non_blocking.saturating_add(1),
            None => {}
        }
    }

    /// Counts every label in a review body or comment; a non-empty text without any counts as one unlabeled.
    pub fn add_text(&mut self, body: &str) {
        let labels = labels_in(body);
        if labels.is_empty() {
            if !body.trim().is_empty() {
                self.unlabeled = self.unlabeled.saturating_add(1);
            }
            return;
        }
        for label in &labels {
            self.add(label);
        }
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &FeedbackMix) {
        let pairs = [
            (&mut self.praise, other.praise),
            (&mut self.nitpick, other.nitpick),
            (&mut self.suggestion, other.suggestion),
            (&mut self.issue, other.issue),
            (&mut self.todo, other.todo),
            (&mut self.question, other.question),
            (&mut self.thought, other.thought),
            (&mut self.chore, other.chore),
            (&mut self.note, other.note),
            (&mut self.blocking, other.blocking),
            (&mut self.non_blocking, other.non_blocking),
            (&mut self.unlabeled, other.unlabeled),
        ];
        for (slot, n) in pairs {
            *slot = slot.saturating_add(n);
        }
    }

    /// Returns how many labelled items were counted.
    pub fn labelled(&self) -> u32 {
        [
            self.praise,
            self.nitpick,
            self.suggestion,
            self.issue,
            self.todo,
            self.question,
            self.thought,
            self.chore,
            self.note,
        ]
        .into_iter()
        .fold(0u32, u32::saturating_add)
    }

    /// Returns the count for `kind`.
    pub fn count(&self, kind: LabelKind) -> u32 {
        match kind {
            LabelKind::Praise => self.praise,
            LabelKind::Nitpick => self.nitpick,
            LabelKind::Suggestion => self.suggestion,
            LabelKind::Issue => self.issue,
            LabelKind::Todo => self.todo,
            LabelKind::Question => self.question,
            LabelKind::Thought => self.thought,
            LabelKind::Chore => self.chore,
            LabelKind::Note => self.note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<LabelKind> {
        classify(text).map(|l| l.kind)
    }

    #[test]
    fn reads_every_label_in_any_case() {
        for k in LabelKind::ALL {
            assert_eq!(kind(&format!("{k}: subject")), Some(k));
            assert_eq!(kind(&format!("{}: subject", k.as_str().to_uppercase())), Some(k));
        }
        assert_eq!(kind("nit: spacing"), Some(LabelKind::Nitpick));
        assert_eq!(kind("Nit : spacing"), Some(LabelKind::Nitpick));
    }

    #[test]
    fn reads_decorations_and_blocking() {
        let l = classify("  suggestion (non-blocking, If-Minor): use a map").unwrap();
        assert_eq!(l.kind, LabelKind::Suggestion);
        assert_eq!(l.decorations, ["non-blocking", "if-minor"]);
        assert_eq!(l.blocking, Some(false));
        let l = classify("issue(blocking,security): SQL injection").unwrap();
        assert_eq!((l.blocking, l.decorations.len()), (Some(true), 2));
        assert_eq!(classify("todo (if-minor): rename").unwrap().blocking, None);
    }

    #[test]
    fn accepts_bold_labels() {
        assert_eq!(kind("**praise:** lovely"), Some(LabelKind::Praise));
        assert_eq!(kind("**question**: why?"), Some(LabelKind::Question));
        let l = classify("__nitpick (non-blocking)__: typo").unwrap();
        assert_eq!((l.kind, l.blocking), (LabelKind::Nitpick, Some(false)));
    }

    #[test]
    fn prose_is_not_a_label() {
        for text in [
            "Note that this breaks",
            "Praise be",
            "nitpicking: fine",
            "issue (unclosed: oops",
            "issue (a)(b): two",
            "",
            "looks good to me",
            "questions: many",
        ] {
            assert_eq!(classify(text), None, "{text:?}");
        }
    }

    #[test]
    fn review_bodies_count_each_paragraph_and_skip_code_and_quotes() {
        let body = "**praise:** clean split of the handler.\n\
                    \n\
                    suggestion (non-blocking): extract the retry loop.\n\
                    It is used twice.\n\
                    \n\
                    ```\n\
                    issue: not a label, it is code\n\
                    ```\n\
                    \n\
                    > question: quoted from someone else\n\
                    \n\
                    - nit: trailing space\n\
                    - todo: add a test\n\
                    - just a remark\n\
                    \n\
                    Overall fine.\n";
        let kinds: Vec<LabelKind> = labels_in(body).into_iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [LabelKind::Praise, LabelKind::Suggestion, LabelKind::Nitpick, LabelKind::Todo]
        );

        let mut mix = FeedbackMix::default();
        mix.add_text(body);
        mix.add_text("LGTM");
        mix.add_text("   ");
        mix.add_text("issue (blocking): leaks the token");
        assert_eq!(
            mix,
            FeedbackMix {
                praise: 1,
                suggestion: 1,
                nitpick: 1,
                todo: 1,
                issue: 1,
                blocking: 1,
                non_blocking: 1,
                unlabeled: 1,
                ..FeedbackMix::default()
            }
        );
        assert_eq!(mix.labelled(), 5);

        let mut total = FeedbackMix::default();
        total.merge(&mix);
        total.merge(&mix);
        assert_eq!((total.praise, total.unlabeled, total.count(LabelKind::Issue)), (2, 2, 2));
    }

    #[test]
    fn loose_list_items_are_counted_once() {
        let body = "- praise: one\n\n- thought: two\n";
        assert_eq!(labels_in(body).len(), 2);
    }

    #[test]
    fn mix_serializes_counts_only() {
        let mut mix = FeedbackMix::default();
        mix.add_text("praise: secret detail about alice");
        let json = serde_json::to_string(&mix).unwrap();
        assert!(!json.contains("secret"));
        assert!(json.contains("\"praise\":1"));
    }
}
