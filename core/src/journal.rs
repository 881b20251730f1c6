//! The growth journal: one private issue per pair, listing every milestone of the track with its status, due date
//! and the evidence that counts for it. Its text is written here once, for the App and its tests.

use chrono::{DateTime, Utc};

use crate::config::{Config, Pair};
use crate::evidence::{self, Evidence, EvidenceEntry, EvidenceStatus, MilestoneStatus, Vantage};
use crate::template;

/// The most evidence links a milestone's row lists, newest first; the rest are counted. A mentee who merges
/// every day would otherwise grow the journal until GitHub refuses to save it.
pub const LINKS_PER_MILESTONE: usize = 5;

/// The longest journal text in characters, leaving room under GitHub's 65,536 for the hidden marker.
pub const MAX_CHARS: usize = 65_000;

const FOOTER: &str =
    "\nKept up to date by Mentor from the program's evidence; edits here are overwritten.";

/// Returns the growth journal of `pair` as of `now` from the evidence `rows` of its mentee: every milestone of the
/// track with its status, due date (overdue marked) and its newest [`LINKS_PER_MILESTONE`] pieces of evidence,
/// linked, never longer than [`MAX_CHARS`]. Only ever written into a private repository.
pub fn body(config: &Config, pair: &Pair, rows: &[Evidence], now: DateTime<Utc>) -> String {
    let report = evidence::report(config, pair, rows, Vantage::GitHub, now);
    let mut text = format!(
        "Mentee: {} · Mentor: {} · Track: `{}` · Since: {}\n\n| Milestone | Stage | Status | Due | Evidence |\n|---|---|---|---|---|\n",
        pair.mentee, pair.mentor, pair.track, pair.since
    );
    let mut chars = text.chars().count() + FOOTER.chars().count();
    for (i, m) in report.milestones.iter().enumerate() {
        let status = match m.status {
            MilestoneStatus::Met => "met",
            MilestoneStatus::Open => "open",
            MilestoneStatus::Overdue => "**overdue**",
            MilestoneStatus::Undecided => "waiting for confirmation",
        };
        // The report's entries: one per key, the latest row winning (a confirmed or rejected claim is not also
        // listed as claimed).
        let mut counted: Vec<&EvidenceEntry> =
            m.evidence.iter().filter(|e| e.status != EvidenceStatus::Rejected).collect();
        counted.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.source.cmp(&b.source)));
        let mut links: Vec<String> =
            counted.iter().take(LINKS_PER_MILESTONE).map(|r| link(r)).collect();
        if counted.len() > LINKS_PER_MILESTONE {
            links.push(format!("and {} more", counted.len() - LINKS_PER_MILESTONE));
        }
        let row = format!(
            "| {} (`{}`) | {} | {} | {} | {} |\n",
            template::inert_markdown(&m.title).replace('|', "\\|"),
            m.id,
            m.stage.as_str(),
            status,
            m.due.map(|d| d.to_string()).unwrap_or_else(|| "–".into()),
            if links.is_empty() { "–".to_string() } else { links.join("<br>") }
        );
        let left = report.milestones.len() - i;
        let note = format!(
            "\n{left} more milestones are not shown: the journal reached GitHub's size limit.\n"
        );
        let row_chars = row.chars().count();
        // A row that would leave no room for the note saying rows were left out is not written.
        if chars + row_chars + note.chars().count() > MAX_CHARS {
            text.push_str(&note);
            break;
        }
        chars += row_chars;
        text.push_str(&row);
    }
    text.push_str(FOOTER);
    text
}

/// One piece of evidence as the journal lists it: its source and day, linked when it has a URL.
fn link(r: &EvidenceEntry) -> String {
    let label = format!("{} ({})", r.source, r.at.format("%Y-%m-%d"));
    let claimed = if r.status == EvidenceStatus::Claimed { ", claimed" } else { "" };
    match &r.url {
        Some(url) => format!("[{label}]({url}){claimed}"),
        None => format!("{label}{claimed}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::RuleKind;
    use crate::login::Login;

    fn config(milestones: &str) -> Config {
        crate::config::parse(
            "m.yml",
            &format!(
                "sprints: {{ length: 2w, start: 2026-01-05, timezone: UTC }}\npeople:\n  bob: {{}}\n  alice: {{}}\n\
                 pairs:\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }}\n\
                 tracks:\n  backend:\n    milestones:\n{milestones}"
            ),
        )
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn row(milestone: &str, n: u32) -> Evidence {
        let source = format!("acme/api#{n}");
        Evidence {
            key: evidence::evidence_key("backend", milestone, &source),
            mentee: Login::new("alice"),
            track: "backend".into(),
            milestone: milestone.into(),
            rule: RuleKind::MergedPr,
            url: Some(format!("https://github.com/acme/api/pull/{n}")),
            source,
            at: at("2026-11-01T10:00:00Z") + chrono::Duration::days(i64::from(n)),
            reason: "merged".into(),
            status: EvidenceStatus::Auto,
        }
    }

    /// A milestone with more evidence than a row lists shows the newest and counts the rest; rejected evidence
    /// is neither listed nor counted.
    #[test]
    fn a_row_lists_the_newest_evidence_and_counts_the_rest() {
        let config =
            config("      - { id: a, title: A, stage: discovery, evidence: { merged_pr: {} } }\n");
        let mut rows: Vec<Evidence> = (1..=8).map(|n| row("a", n)).collect();
        rows[7].status = EvidenceStatus::Rejected;
        let text = body(&config, &config.pairs[0], &rows, at("2026-11-20T00:00:00Z"));
        let line = text.lines().find(|l| l.starts_with("| A (`a`)")).unwrap();
        let listed: Vec<&str> = line.split("<br>").collect();
        assert_eq!(listed.len(), LINKS_PER_MILESTONE + 1, "{line}");
        assert!(
            listed[0].contains("[acme/api#7 (2026-11-08)](https://github.com/acme/api/pull/7)"),
            "{line}"
        );
        assert!(listed[4].contains("acme/api#3 (2026-11-04)"), "{line}");
        assert!(listed[5].starts_with("and 2 more |"), "{line}");
        assert!(!line.contains("acme/api#8"), "rejected evidence is left out: {line}");
        // A claim later rejected under the same key is listed neither as claimed nor at all.
        let mut claim = row("a", 9);
        claim.status = EvidenceStatus::Claimed;
        let rejected = Evidence { status: EvidenceStatus::Rejected, ..claim.clone() };
        let text = body(&config, &config.pairs[0], &[claim.clone()], at("2026-11-20T00:00:00Z"));
        assert!(
            text.contains("acme/api#9 (2026-11-10)](https://github.com/acme/api/pull/9), claimed"),
            "{text}"
        );
        let text = body(&config, &config.pairs[0], &[claim, rejected], at("2026-11-20T00:00:00Z"));
        assert!(!text.contains("acme/api#9"), "{text}");
    }

    /// However long the titles and many the milestones, the journal fits in a GitHub issue and says what it
    /// left out.
    #[test]
    fn the_journal_never_outgrows_a_github_issue() {
        let title = "x".repeat(1_000);
        let milestones: String = (0..100)
            .map(|i| format!("      - {{ id: m{i}, title: {title}, stage: discovery }}\n"))
            .collect();
        let config = config(&milestones);
        let text = body(&config, &config.pairs[0], &[], at("2026-11-20T00:00:00Z"));
        assert!(text.chars().count() <= MAX_CHARS, "{}", text.chars().count());
        assert!(text.contains("more milestones are not shown"), "{text}");
        assert!(text.ends_with(FOOTER));
        let shown = text.lines().filter(|l| l.starts_with("| xxx")).count();
        assert!(
            text.contains(&format!("\n{} more milestones are not shown", 100 - shown)),
            "{shown}"
        );
    }
}
