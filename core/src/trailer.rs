//! Git trailers, parsed and added exactly as `git interpret-trailers --no-divider` does.
//!
//! This module owns reading the `Key: value` lines at the end of a commit message, adding one the way git
//! would (never duplicating an identical one, so amends are idempotent), removing one, and deciding whether
//! a message would be empty without Mentor's trailers.
//!
//! The rules follow git's `trailer.c` rather than libgit2 (which treats any `---` line as a patch start and
//! hard-codes `#` as the comment character):
//!
//! - The message is cut at the scissors line (`# ------------------------ >8 ------------------------`)
//!   and, with [`TrailerOptions::patch_divider`], at the first line starting with `---` plus whitespace.
//!   Trailing comment lines and empty lines are not part of the message either.
//! - The trailer block is the last paragraph, never the first (the subject). It counts when every line is a
//!   trailer or a continuation line, or when at least a quarter of its lines are trailers and one of them is
//!   git-generated (`Signed-off-by: ` or `(cherry picked from commit `).
//! - A trailer line is a token of ASCII letters, digits and `-`, optional blanks, then `:`. A line starting
//!   with whitespace continues the trailer above it; [`parse`] joins continuation lines with one space.
//! - Comment lines start with the configured comment prefix (`core.commentChar`/`core.commentString`).
//!
//! By default a `---` line is ordinary text, as for `git commit --trailer`, `git commit -s` and
//! `git log --format=%(trailers)`; [`TrailerOptions::patch_divider`] gives plain `git interpret-trailers`,
//! which stops at such a line. Git's `trailer.*` configuration (extra separators, trailers configured as
//! recognized) is not read: Mentor's own trailers do not need it.
//!
//! Everything here is pure string work; callers read the message and the git config themselves.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One `Key: value` trailer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trailer {
    /// The key as written (compare case-insensitively).
    pub key: String,
    /// The value, trimmed; continuation lines are joined with a single space (see module docs).
    pub value: String,
}

impl Trailer {
    /// Builds a trailer from its key and value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self { key: key.into(), value: value.into() }
    }

    /// Tells whether this trailer's key is `key`, ignoring ASCII case as git does.
    pub fn matches_key(&self, key: &str) -> bool {
        self.key
            .trim_matches(is_git_space_char)
            .eq_ignore_ascii_case(key.trim_matches(is_git_space_char))
    }
}

impl fmt::Display for Trailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.value)
    }
}

/// How to read a message: its comment prefix and whether a `---` line starts a patch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailerOptions {
    /// Where comment lines start: git's `core.commentChar` / `core.commentString` (default `#`; git >= 2.45
    /// allows multi-character strings). `auto` reads as `#`, as in git's trailer code and `git log`; a hook
    /// reading a message that `git commit` wrote with `auto` passes the character git picked for it. An
    /// empty prefix (which git rejects) is read as `#`.
    pub comment_prefix: String,
    /// Whether a line starting with `---` and whitespace ends the message, as in `git interpret-trailers`
    /// without `--no-divider` (meant for `git format-patch` output). Off by default, because `git commit`
    /// (`--trailer`, `-s`) and `git log --format=%(trailers)` never treat `---` specially in a commit
    /// message: dependabot's YAML front matter, for one, sits between `---` lines above its
    /// `Signed-off-by:`.
    pub patch_divider: bool,
}

impl Default for TrailerOptions {
    fn default() -> Self {
        Self::with_comment("#")
    }
}

impl TrailerOptions {
    /// Builds options for commit messages whose comment lines start with `prefix`.
    pub fn with_comment(prefix: &str) -> Self {
        Self { comment_prefix: prefix.to_owned(), patch_divider: false }
    }

    /// Returns these options with `---` patch-divider handling turned on or off.
    pub fn with_patch_divider(mut self, on: bool) -> Self {
        self.patch_divider = on;
        self
    }

    fn comment(&self) -> &str {
        // Git's trailer code keeps `#` for `auto`; only `git commit` picks another character, for the
        // template it writes.
        if self.comment_prefix.is_empty() || self.comment_prefix.eq_ignore_ascii_case("auto") {
            "#"
        } else {
            &self.comment_prefix
        }
    }
}

/// Parses the trailers of `message` like `git interpret-trailers --parse` (unfolded values, in order).
pub fn parse(message: &str, opts: &TrailerOptions) -> Vec<Trailer> {
    let layout = Layout::of(message, opts);
    layout
        .entries
        .iter()
        .filter_map(|entry| layout.trailer(entry))
        .map(|(key, value)| Trailer::new(key, unfold(value)))
        .collect()
}

/// Returns `message` with `trailer` added like
/// `git interpret-trailers --if-exists addIfDifferent --if-missing add --where end --trailer "Key: value"`,
/// i.e. never a duplicate of an identical trailer (idempotent on amend).
///
/// Like git, this rewrites the trailer block it finds: each trailer becomes `Key: value` (one space after
/// the colon), comment lines inside the block are dropped and a missing final newline is added. Existing
/// trailers count as identical when their keys agree on the shorter key (case-insensitively, ignoring
/// trailing punctuation) and their values are equal ignoring ASCII case. Newlines in `trailer.value` are
/// folded into single spaces so the new trailer stays one line.
pub fn add(message: &str, trailer: &Trailer, opts: &TrailerOptions) -> String {
    let layout = Layout::of(message, opts);
    let text = layout.text.as_str();
    let key = trailer.key.trim_matches(is_git_space_char);
    let value = unfold(&trailer.value);

    let mut out = String::with_capacity(text.len() + key.len() + value.len() + 4);
    out.push_str(&text[..layout.block_start]);
    if !layout.blank_line_before {
        out.push('\n');
    }
    let mut duplicate = false;
    for entry in &layout.entries {
        if layout.is_comment(entry) {
            continue;
        }
        match layout.trailer(entry) {
            Some((entry_key, entry_value)) => {
                duplicate |= same_token(entry_key, key) && entry_value.eq_ignore_ascii_case(&value);
                push_trailer(&mut out, entry_key, entry_value);
            }
            None => {
                let line = &text[entry.start..entry.end];
                out.push_str(line.strip_suffix('\n').unwrap_or(line));
                out.push('\n');
            }
        }
    }
    if !duplicate {
        push_trailer(&mut out, key, &value);
    }
    out.push_str(&text[layout.block_end..]);
    out
}

/// Returns `message` without any trailer line equal (key case-insensitive, value exact) to `trailer`.
///
/// Only the trailer block is touched, and only the matching lines (with their continuation lines) leave
/// it; everything else is kept byte for byte. If that exposes an earlier paragraph as the new trailer
/// block (git only reads the last one), matching lines go from there too, so [`parse`] never finds
/// `trailer` in the result. When the block is left empty, the blank line that separated it from the body
/// goes too (unless it leads the message and text follows the block, as in git's commit template), so
/// removing a trailer that [`add`] put on a message gives the message back. The message is returned
/// unchanged when nothing matches.
pub fn remove(message: &str, trailer: &Trailer, opts: &TrailerOptions) -> String {
    let mut current = message.to_owned();
    // Emptying the block can make the paragraph above it the trailer block; repeat until `parse` no
    // longer sees the trailer. Each round shortens the message, so this ends.
    while let Some(shorter) = remove_from_block(&current, trailer, opts) {
        current = shorter;
    }
    current
}

/// Removes the matching lines from the trailer block, or returns `None` if there are none.
fn remove_from_block(message: &str, trailer: &Trailer, opts: &TrailerOptions) -> Option<String> {
    let layout = Layout::of(message, opts);
    let text = layout.text.as_str();
    let is_match = |entry: &Entry| {
        layout
            .trailer(entry)
            .is_some_and(|(key, value)| trailer.matches_key(key) && unfold(value) == trailer.value)
    };
    if !layout.entries.iter().any(is_match) {
        return None;
    }

    let kept: Vec<&Entry> = layout.entries.iter().filter(|entry| !is_match(entry)).collect();
    let mut prefix = &text[..layout.block_start];
    if kept.is_empty() {
        // The block always follows a blank line, usually the one `add` put there: drop it with the block so
        // no stray paragraph break is left. A leading blank line with text below the block (git's commit
        // template, where the subject goes) stays.
        let rest_is_empty = layout.block_end == text.len();
        if let Some(start) = last_line(prefix.as_bytes(), prefix.len())
            && is_blank_line(prefix.as_bytes(), start)
            && (start > 0 || rest_is_empty)
        {
            prefix = &prefix[..start];
        }
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(prefix);
    for entry in kept {
        out.push_str(&text[entry.start..entry.end]);
    }
    out.push_str(&text[layout.block_end..]);
    Some(out)
}

/// True if, ignoring comment lines, everything from a scissors line on, whitespace, and the given trailers,
/// the message is empty — i.e. git would abort the commit as empty if Mentor had not added those trailers.
///
/// Like `git commit` (with its default cleanup when the editor runs, or `-v`), lines starting with
/// `Signed-off-by: ` do not count as content either, so a commit made with `-s` and nothing else is
/// empty too.
pub fn is_empty_apart_from(message: &str, trailers: &[Trailer], opts: &TrailerOptions) -> bool {
    let comment = opts.comment();
    let bytes = message.as_bytes();
    let cutoff = scissors_position(bytes, bytes.len(), comment);
    message[..cutoff].split('\n').all(|line| {
        // git strips trailing whitespace before it looks for sign-offs, so a bare `Signed-off-by: ` line
        // is content.
        let content = line.trim_end_matches(is_git_space_char);
        if line.starts_with(comment) || content.is_empty() || content.starts_with(SIGN_OFF) {
            return true;
        }
        match find_separator(line.as_bytes(), 0) {
            Some(sep) if sep >= 1 => {
                let key = line[..sep].trim_matches(is_git_space_char);
                let value = line[sep + 1..].trim_matches(is_git_space_char);
                trailers
                    .iter()
                    .any(|t| t.matches_key(key) && t.value.trim_matches(is_git_space_char) == value)
            }
            _ => false,
        }
    })
}

/// The prefixes of trailers git itself writes; one of them makes a mostly-prose block a trailer block.
const GIT_GENERATED_PREFIXES: [&str; 2] = [SIGN_OFF, "(cherry picked from commit "];

/// What `git commit -s` writes; `git commit` does not count such lines as message content.
const SIGN_OFF: &str = "Signed-off-by: ";

/// The text after `<comment> ` on the line below which `git commit -v` puts the diff.
const CUT_LINE: &str = "------------------------ >8 ------------------------\n";

/// Git's default `trailer.separators`; the first one is written between key and value.
const SEPARATORS: &[u8] = b":";

/// Where the trailer block of a message is, and its lines.
struct Layout {
    /// The message, with a final newline added as `git interpret-trailers` does when reading it.
    text: String,
    /// Byte offset of the block's first line; equal to `block_end` when there is no block.
    block_start: usize,
    /// Byte offset just past the log message (before trailing comments, the scissors, the patch).
    block_end: usize,
    /// Whether the line before `block_start` is blank, so no paragraph break needs adding.
    blank_line_before: bool,
    /// The block's lines, each trailer with its continuation lines.
    entries: Vec<Entry>,
    comment: String,
}

/// One line of the trailer block, plus its continuation lines if it is a trailer.
struct Entry {
    start: usize,
    end: usize,
    /// Offset of the separator from `start`, if the line reads as `token:`.
    separator: Option<usize>,
}

impl Layout {
    fn of(message: &str, opts: &TrailerOptions) -> Self {
        let mut text = message.to_owned();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let comment = opts.comment().to_owned();
        let bytes = text.as_bytes();
        let block_end = end_of_log_message(bytes, &comment, opts.patch_divider);
        let block_start = trailer_block_start(bytes, block_end, &comment);

        let mut entries: Vec<Entry> = Vec::new();
        let mut continues_trailer = false;
        let mut start = block_start;
        while start < block_end {
            let end = next_line(bytes, start).min(block_end);
            match entries.last_mut() {
                Some(last) if continues_trailer && is_git_space(bytes[start]) => last.end = end,
                _ => {
                    let separator = find_separator(&bytes[..end], start).filter(|&sep| sep >= 1);
                    continues_trailer = separator.is_some();
                    entries.push(Entry { start, end, separator });
                }
            }
            start = end;
        }
        let blank_line_before =
            last_line(bytes, block_start).is_some_and(|line| is_blank_line(bytes, line));
        Self { text, block_start, block_end, blank_line_before, entries, comment }
    }

    fn is_comment(&self, entry: &Entry) -> bool {
        self.text[entry.start..].starts_with(self.comment.as_str())
    }

    /// The trimmed key and raw (still folded) trimmed value of a trailer entry; `None` for other lines.
    fn trailer(&self, entry: &Entry) -> Option<(&str, &str)> {
        if self.is_comment(entry) {
            return None;
        }
        let sep = entry.separator?;
        let line = &self.text[entry.start..entry.end];
        Some((
            line[..sep].trim_matches(is_git_space_char),
            line[sep + 1..].trim_matches(is_git_space_char),
        ))
    }
}

/// Writes `key: value` the way git formats a trailer item.
fn push_trailer(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    if let Some(last) = key.bytes().rev().find(|&b| !is_git_space(b))
        && !SEPARATORS.contains(&last)
    {
        out.push(char::from(SEPARATORS[0]));
        out.push(' ');
    }
    out.push_str(value);
    out.push('\n');
}

/// Git's `isspace`: only space, tab, newline and carriage return (not form feed or vertical tab).
fn is_git_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_git_space_char(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_git_space)
}

/// Joins continuation lines into one line, each line break and the whitespace after it becoming one space.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            while chars.next_if(|&c| is_git_space_char(c)).is_some() {}
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.trim_matches(is_git_space_char).to_owned()
}

/// Tells whether two keys name the same trailer the way git does: compared case-insensitively on the
/// length of the shorter one, ignoring trailing punctuation (so `Mentored` matches `Mentored-by`).
fn same_token(a: &str, b: &str) -> bool {
    let significant =
        |t: &str| t.bytes().rposition(|b| b.is_ascii_alphanumeric()).map_or(0, |i| i + 1);
    let len = significant(a).min(significant(b));
    a.as_bytes()[..len].eq_ignore_ascii_case(&b.as_bytes()[..len])
}

/// Offset of the start of the line after the one containing `at` (or the end of `buf`).
fn next_line(buf: &[u8], at: usize) -> usize {
    buf[at..].iter().position(|&b| b == b'\n').map_or(buf.len(), |i| at + i + 1)
}

/// Offset of the start of the last line in `buf[..len]`, a final newline belonging to that line.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        _ => Some(buf[..len - 1].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)),
    }
}

/// Tells whether the line starting at `at` holds only whitespace.
fn is_blank_line(buf: &[u8], at: usize) -> bool {
    buf[at..].iter().take_while(|&&b| b != b'\n').all(|&b| is_git_space(b))
}

/// Finds the separator of a `token<blanks>:` line starting at `at`, as an offset from `at`.
///
/// `Some(0)` means the line starts with the separator, which is not a trailer.
fn find_separator(buf: &[u8], at: usize) -> Option<usize> {
    let mut blank_seen = false;
    for (i, &c) in buf[at..].iter().enumerate() {
        if SEPARATORS.contains(&c) {
            return Some(i);
        }
        if !blank_seen && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            blank_seen = true;
            continue;
        }
        break;
    }
    None
}

/// Offset of the scissors line within `buf[..len]`, or `len` if there is none.
///
/// Like git, the line must be exactly `<comment> ------------------------ >8 ------------------------`
/// including its newline, and is searched for in the whole buffer.
fn scissors_position(buf: &[u8], len: usize, comment: &str) -> usize {
    let mut pattern = Vec::with_capacity(comment.len() + CUT_LINE.len() + 2);
    pattern.push(b'\n');
    pattern.extend_from_slice(comment.as_bytes());
    pattern.push(b' ');
    pattern.extend_from_slice(CUT_LINE.as_bytes());
    if buf.starts_with(&pattern[1..]) {
        return 0;
    }
    buf.windows(pattern.len())
        .position(|w| w == pattern.as_slice())
        .map_or(len, |p| (p + 1).min(len))
}

/// Offset just past the log message: before a patch part, the scissors line and trailing comment and empty
/// lines (git's `find_end_of_log_message`).
fn end_of_log_message(buf: &[u8], comment: &str, patch_divider: bool) -> usize {
    let mut end = buf.len();
    if patch_divider {
        let mut line = 0;
        while line < buf.len() {
            if buf[line..].starts_with(b"---")
                && buf.get(line + 3).is_some_and(|&c| is_git_space(c))
            {
                end = line;
                break;
            }
            line = next_line(buf, line);
        }
    }
    end - ignored_log_message_bytes(buf, end, comment)
}

/// How many bytes at the end of `buf[..len]` are not log message: from the scissors line on, plus the run
/// of comment lines, empty lines and old-style `Conflicts:` blocks before it (git's
/// `ignored_log_message_bytes`).
fn ignored_log_message_bytes(buf: &[u8], len: usize, comment: &str) -> usize {
    let cutoff = scissors_position(buf, len, comment);
    // As in git, 0 doubles as "no run started", so a run starting on the first line only starts counting
    // from its second line.
    let mut run_start = 0;
    let mut in_conflicts = false;
    let mut line = 0;
    while line < cutoff {
        let next = buf[line..len].iter().position(|&b| b == b'\n').map_or(len, |i| line + i + 1);
        if buf[line..cutoff].starts_with(comment.as_bytes()) || buf[line] == b'\n' {
            if run_start == 0 {
                run_start = line;
            }
        } else if buf[line..].starts_with(b"Conflicts:\n") {
            in_conflicts = true;
            if run_start == 0 {
                run_start = line;
            }
        } else if in_conflicts && buf[line] == b'\t' {
            // A path in an old-style conflicts block.
        } else if run_start != 0 {
            run_start = 0;
            in_conflicts = false;
        }
        line = next;
    }
    if run_start != 0 { len - run_start } else { len - cutoff }
}

/// Offset of the first line of the trailer block in `buf[..len]`, or `len` if there is none (git's
/// `find_trailer_block_start`).
fn trailer_block_start(buf: &[u8], len: usize, comment: &str) -> usize {
    let comment = comment.as_bytes();

    // The first paragraph is the subject and cannot be trailers.
    let mut end_of_title = 0;
    while end_of_title < len {
        if !buf[end_of_title..len].starts_with(comment) && is_blank_line(buf, end_of_title) {
            break;
        }
        end_of_title = next_line(buf, end_of_title);
    }

    // Walk up from the end to the blank line above a run of lines that are all trailers, or that has a
    // git-generated trailer and at least 25% trailers.
    let mut only_blank = true;
    let mut recognized_prefix = false;
    let mut trailer_lines = 0usize;
    let mut non_trailer_lines = 0usize;
    // Lines starting with whitespace: continuations if a trailer is above them, non-trailers otherwise.
    let mut possible_continuation_lines = 0usize;

    let mut cursor = last_line(buf, len);
    while let Some(line) = cursor.filter(|&line| line >= end_of_title) {
        cursor = last_line(buf, line);
        if buf[line..len].starts_with(comment) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(buf, line) {
            if only_blank {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            if (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0)
            {
                return next_line(buf, line);
            }
            return len;
        }
        only_blank = false;

        if GIT_GENERATED_PREFIXES.iter().any(|prefix| buf[line..].starts_with(prefix.as_bytes())) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
        } else if find_separator(buf, line).is_some_and(|sep| sep >= 1) && !is_git_space(buf[line])
        {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_git_space(buf[line]) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> TrailerOptions {
        TrailerOptions::default()
    }

    fn mentored() -> Trailer {
        Trailer::new("Mentored-by", "Bob <bob@example.com>")
    }

    fn keys(message: &str, opts: &TrailerOptions) -> Vec<String> {
        parse(message, opts).into_iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn parses_the_last_paragraph_when_all_lines_are_trailers() {
        let msg = "Subject\n\nBody text.\n\nReviewed-by: Ann <ann@x>\nMentored-by: Bob <bob@x>\n";
        assert_eq!(keys(msg, &opts()), ["Reviewed-by: Ann <ann@x>", "Mentored-by: Bob <bob@x>"]);
    }

    #[test]
    fn only_the_last_paragraph_counts() {
        let msg = "Subject\n\nReviewed-by: Ann\n\nJust prose.\n";
        assert!(parse(msg, &opts()).is_empty());
    }

    #[test]
    fn the_subject_is_never_the_trailer_block() {
        assert!(parse("Fixes: the bug\n", &opts()).is_empty());
        assert!(parse("Fixes: the bug\nKey: v\n", &opts()).is_empty());
    }

    #[test]
    fn a_mixed_block_needs_a_git_generated_trailer_and_a_quarter_of_trailers() {
        // 1 trailer of 4 lines, one of them Signed-off-by: exactly 25%.
        let msg = "S\n\nprose one\nprose two\nprose three\nSigned-off-by: A <a@x>\n";
        assert_eq!(keys(msg, &opts()), ["Signed-off-by: A <a@x>"]);
        // 1 trailer of 5 lines: below 25%.
        let msg = "S\n\nprose\nprose\nprose\nprose\nSigned-off-by: A <a@x>\n";
        assert!(parse(msg, &opts()).is_empty());
        // Without a git-generated trailer, one prose line spoils the block.
        let msg = "S\n\nprose\nReviewed-by: A\nAcked-by: B\nTested-by: C\n";
        assert!(parse(msg, &opts()).is_empty());
        // The cherry-pick note counts as git-generated but is not itself a `Key: value` trailer.
        let msg = "S\n\nprose\nprose\nReviewed-by: A\n(cherry picked from commit abc)\n";
        assert_eq!(keys(msg, &opts()), ["Reviewed-by: A"]);
    }

    #[test]
    fn signed_off_by_needs_its_space_to_count_as_git_generated() {
        let msg = "S\n\nprose\nSigned-off-by:A\n";
        assert!(parse(msg, &opts()).is_empty());
    }

    #[test]
    fn continuation_lines_are_unfolded() {
        let msg = "S\n\nKey: first\n  second\n\tthird\nOther: x\n";
        assert_eq!(keys(msg, &opts()), ["Key: first second third", "Other: x"]);
    }

    #[test]
    fn tokens_allow_blanks_before_the_colon_but_not_inside() {
        assert_eq!(keys("S\n\nBug  : 42\n", &opts()), ["Bug: 42"]);
        assert!(parse("S\n\nNot a: trailer\n", &opts()).is_empty());
        assert!(parse("S\n\n: no token\n", &opts()).is_empty());
        assert_eq!(keys("S\n\nKey:\n", &opts()), ["Key: "]);
    }

    #[test]
    fn comment_lines_are_skipped_with_the_configured_prefix() {
        let msg = "S\n\nKey: v\n# a comment\nOther: w\n; not a comment for #\n";
        assert!(parse(msg, &opts()).is_empty());
        let semi = TrailerOptions::with_comment(";");
        assert_eq!(
            keys(msg, &semi),
            [] as [&str; 0],
            "# lines are prose when the comment char is ;"
        );
        let msg = "S\n\nKey: v\n; a comment\nOther: w\n";
        assert_eq!(keys(msg, &semi), ["Key: v", "Other: w"]);
        let slashes = TrailerOptions::with_comment("//");
        assert_eq!(keys("S\n\nKey: v\n// note\n", &slashes), ["Key: v"]);
    }

    #[test]
    fn dependabot_front_matter_does_not_hide_signed_off_by() {
        let msg = "Bump serde from 1.0.1 to 1.0.2\n\nBumps [serde](https://github.com/serde-rs/serde).\n\n\
                   ---\nupdated-dependencies:\n- dependency-name: serde\n  dependency-type: direct:production\n\
                   ...\n\nSigned-off-by: dependabot[bot] <support@github.com>\n";
        assert_eq!(keys(msg, &opts()), ["Signed-off-by: dependabot[bot] <support@github.com>"]);
        // interpret-trailers' patch handling would stop at the `---` line.
        assert!(parse(msg, &opts().with_patch_divider(true)).is_empty());
    }

    #[test]
    fn patch_divider_needs_whitespace_after_the_dashes() {
        let divider = opts().with_patch_divider(true);
        let msg = "S\n\nKey: v\n---\n stat\n";
        assert_eq!(keys(msg, &divider), ["Key: v"]);
        let msg = "S\n\nKey: v\n--- a/file\n+++ b/file\n";
        assert_eq!(keys(msg, &divider), ["Key: v"]);
        // `----` and `---x` are prose, not dividers.
        assert!(parse("S\n\nKey: v\n----\n", &divider).is_empty());
        assert!(parse("S\n\nKey: v\n---x\n", &divider).is_empty());
        assert_eq!(
            add("S\n\nbody\n---\nstat\n", &mentored(), &divider),
            "S\n\nbody\n\nMentored-by: Bob <bob@example.com>\n---\nstat\n"
        );
    }

    #[test]
    fn scissors_and_everything_below_are_ignored() {
        let msg = "S\n\nKey: v\n# ------------------------ >8 ------------------------\nOther: w\n";
        assert_eq!(keys(msg, &opts()), ["Key: v"]);
        let semi =
            "S\n\nKey: v\n; ------------------------ >8 ------------------------\nOther: w\n";
        assert_eq!(keys(semi, &TrailerOptions::with_comment(";")), ["Key: v"]);
    }

    #[test]
    fn add_puts_a_blank_line_before_a_new_block() {
        let t = mentored();
        assert_eq!(
            add("Subject\n", &t, &opts()),
            "Subject\n\nMentored-by: Bob <bob@example.com>\n"
        );
        assert_eq!(add("Subject", &t, &opts()), "Subject\n\nMentored-by: Bob <bob@example.com>\n");
        assert_eq!(
            add("S\n\nbody", &t, &opts()),
            "S\n\nbody\n\nMentored-by: Bob <bob@example.com>\n"
        );
        // Even an empty message gets the blank line first.
        assert_eq!(add("", &t, &opts()), "\nMentored-by: Bob <bob@example.com>\n");
    }

    #[test]
    fn add_appends_to_an_existing_block_and_normalizes_it() {
        let msg = "S\n\nbody\n\nKey:v\nOther : w\n  more\n";
        assert_eq!(
            add(msg, &mentored(), &opts()),
            "S\n\nbody\n\nKey: v\nOther: w\n  more\nMentored-by: Bob <bob@example.com>\n"
        );
    }

    #[test]
    fn add_is_idempotent_and_ignores_value_case() {
        let once = add("S\n\nbody\n", &mentored(), &opts());
        assert_eq!(add(&once, &mentored(), &opts()), once);
        let shouting = Trailer::new("MENTORED-BY", "BOB <BOB@EXAMPLE.COM>");
        assert_eq!(add(&once, &shouting, &opts()), once);
        let other = Trailer::new("Mentored-by", "Carol <carol@example.com>");
        assert!(add(&once, &other, &opts()).ends_with("Carol <carol@example.com>\n"));
    }

    #[test]
    fn add_goes_before_trailing_comments_and_the_scissors() {
        let msg = "S\n\nbody\n\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n";
        assert_eq!(
            add(msg, &mentored(), &opts()),
            "S\n\nbody\n\nMentored-by: Bob <bob@example.com>\n\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n"
        );
    }

    #[test]
    fn add_to_a_commit_template_goes_first() {
        let msg = "\n# Please enter the commit message for your changes.\n#\n# On branch main\n";
        assert_eq!(
            add(msg, &mentored(), &opts()),
            "\nMentored-by: Bob <bob@example.com>\n# Please enter the commit message for your changes.\n#\n# On branch main\n"
        );
    }

    #[test]
    fn a_comment_on_the_first_line_stays_part_of_the_message() {
        // git only starts skipping trailing comments from the second line of the run.
        assert_eq!(
            add("# only a comment\n", &mentored(), &opts()),
            "# only a comment\n\nMentored-by: Bob <bob@example.com>\n"
        );
    }

    #[test]
    fn add_drops_comment_lines_inside_the_block() {
        let msg = "S\n\nKey: v\n# note\nOther: w\n";
        let semi = TrailerOptions::with_comment(";");
        assert_eq!(
            add("S\n\nKey: v\n; note\nOther: w\n", &mentored(), &semi),
            "S\n\nKey: v\nOther: w\nMentored-by: Bob <bob@example.com>\n"
        );
        // The comment line sits inside the block, so git leaves it out when it rewrites the block.
        assert_eq!(
            add(msg, &mentored(), &opts()),
            "S\n\nKey: v\nOther: w\nMentored-by: Bob <bob@example.com>\n"
        );
    }

    #[test]
    fn add_matches_keys_on_the_shorter_prefix_like_git() {
        let msg = "S\n\nMentored: Bob <bob@example.com>\n";
        assert_eq!(add(msg, &mentored(), &opts()), msg);
    }

    #[test]
    fn add_folds_newlines_in_the_value() {
        let t = Trailer::new("Mentored-by", "Bob\nEvil: yes");
        assert_eq!(add("S\n", &t, &opts()), "S\n\nMentored-by: Bob Evil: yes\n");
    }

    #[test]
    fn remove_takes_out_matching_lines_only() {
        let msg = "S\n\nbody\n\nKey:v\nMentored-by: Bob <bob@example.com>\n  (pairing)\nOther: w\n";
        let t = Trailer::new("mentored-by", "Bob <bob@example.com> (pairing)");
        assert_eq!(remove(msg, &t, &opts()), "S\n\nbody\n\nKey:v\nOther: w\n");
        assert_eq!(remove(msg, &mentored(), &opts()), msg, "value must match exactly");
    }

    #[test]
    fn remove_undoes_add() {
        for msg in ["S\n", "S\n\nbody\n", "", "S\n\nbody\n\n# comment\n", "\n# template\n"] {
            let added = add(msg, &mentored(), &opts());
            assert_eq!(remove(&added, &mentored(), &opts()), msg, "for {msg:?}");
        }
    }

    #[test]
    fn empty_apart_from_ignores_comments_whitespace_scissors_and_the_given_trailers() {
        let ours = [mentored()];
        let o = opts();
        assert!(is_empty_apart_from("", &ours, &o));
        assert!(is_empty_apart_from("\n  \n# comment\n", &ours, &o));
        assert!(is_empty_apart_from(
            "\nMentored-by: Bob <bob@example.com>\n# Please enter\n",
            &ours,
            &o
        ));
        assert!(is_empty_apart_from(
            "\nmentored-by:Bob <bob@example.com>\n# ------------------------ >8 ------------------------\nreal text\n",
            &ours,
            &o
        ));
        assert!(!is_empty_apart_from("Fix it\nMentored-by: Bob <bob@example.com>\n", &ours, &o));
        assert!(!is_empty_apart_from("Mentored-by: Carol\n", &ours, &o));
        assert!(!is_empty_apart_from("; comment\n", &ours, &o));
        assert!(is_empty_apart_from("\nSigned-off-by: Ann <ann@x>\n", &[], &o));
        assert!(
            !is_empty_apart_from("Signed-off-by: \n", &[], &o),
            "git reads it as `Signed-off-by:`"
        );
        assert!(is_empty_apart_from("; comment\n", &ours, &TrailerOptions::with_comment(";")));
    }

    #[test]
    fn empty_and_auto_comment_prefixes_mean_hash() {
        for prefix in ["", "auto", "AUTO"] {
            let o = TrailerOptions::with_comment(prefix);
            assert_eq!(keys("S\n\nKey: v\n# c\n", &o), ["Key: v"], "for {prefix:?}");
        }
    }

    #[test]
    fn old_conflicts_blocks_are_ignored() {
        let msg = "S\n\nKey: v\n\nConflicts:\n\tfile.c\n";
        assert_eq!(keys(msg, &opts()), ["Key: v"]);
        assert_eq!(
            add(msg, &mentored(), &opts()),
            "S\n\nKey: v\nMentored-by: Bob <bob@example.com>\n\nConflicts:\n\tfile.c\n"
        );
    }

    #[test]
    fn trailer_helpers() {
        let t = Trailer::new("Co-authored-by", "Ann <ann@x>");
        assert!(t.matches_key("co-authored-by"));
        assert!(!t.matches_key("Co-authored"));
        assert_eq!(t.to_string(), "Co-authored-by: Ann <ann@x>");
    }
}
