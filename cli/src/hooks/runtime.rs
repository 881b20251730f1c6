//! What Mentor's hooks do when git runs them: pairing trailers in `prepare-commit-msg`, the empty-message and
//! milestone checks in `commit-msg`.
//!
//! These run on every commit, so they do the minimum: no `git` subprocess, the repository opened with git2 only
//! when a plain clone's files do not tell enough (see `HookRepo`), the pairing session read from one small JSON file, and the YAML config parsed only when the message
//! carries a `Milestone:` trailer. Every failure of Mentor itself becomes a warning and the commit proceeds; only
//! an unknown milestone id fails a commit. Trailer text rules (comment lines, scissors, idempotence) are
//! `mentor_core::trailer`'s.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use mentor_core::identity::Roster;
use mentor_core::trailer::{self, TrailerOptions};

use crate::pairing::{self, Session};

/// What a hook decided about the commit.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let git go on.
    Proceed,
    /// Fail the commit with this explanation (printed on stderr).
    Reject(String),
}

/// Runs `prepare-commit-msg <file> [source] [sha]`: adds the pairing trailers to the message being prepared.
pub fn prepare_commit_msg(file: &Path, source: Option<&str>) -> anyhow::Result<Verdict> {
    let repo = HookRepo::discover()?;
    let Some(session) = pairing::load(&repo.common_dir)? else { return Ok(Verdict::Proceed) };
    if !session.is_active(Utc::now()) {
        return Ok(Verdict::Proceed);
    }
    // pre-commit passes only the file, and the source in its own variable.
    let env_source = std::env::var("PRE_COMMIT_COMMIT_MSG_SOURCE").ok();
    let source = source.or(env_source.as_deref()).unwrap_or("");
    if source == "merge" || replays_history(&repo.git_dir, source) {
        return Ok(Verdict::Proceed);
    }
    let message = read_message(file)?;
    let opts = repo.trailer_options(&message)?;
    if is_autosquash_subject(&message, &opts.comment_prefix) {
        return Ok(Verdict::Proceed);
    }
    // Without an editor (git then sets GIT_EDITOR=: for the hooks) the commit-msg hook does not look at the
    // message again to take our trailers off, so a message git is about to reject is left as it is.
    if runs_without_editor()
        && (trailer::is_empty_apart_from(&message, &[], &opts)
            || (source == "template"
                && template_untouched(repo.git2()?, &message, &opts.comment_prefix)?))
    {
        return Ok(Verdict::Proceed);
    }
    let mut updated = message.clone();
    for t in session.trailers() {
        updated = trailer::add(&updated, &t, &opts);
    }
    if updated != message {
        write_message(file, &message, &updated)?;
    }
    Ok(Verdict::Proceed)
}

/// Runs `commit-msg <file>`: lets an otherwise empty or untouched message abort as git intends, and checks
/// `Milestone:` trailers against the author's track.
pub fn commit_msg(file: &Path) -> anyhow::Result<Verdict> {
    let message = read_message(file)?;
    // A cheap superset of "has a Milestone trailer" (git allows blanks before the colon); parsed properly below.
    let wants_milestone_check = message.to_ascii_lowercase().contains("milestone");
    // Without an editor the message cannot be left empty by the user, and prepare-commit-msg added nothing to an
    // empty one (see there), so only a Milestone trailer gives this hook work; most commits stop here.
    if !wants_milestone_check && runs_without_editor() {
        return Ok(Verdict::Proceed);
    }
    let repo = HookRepo::discover()?;
    // An expired session still names the trailers prepare-commit-msg may have added before it expired.
    let session = pairing::load(&repo.common_dir)?;
    if session.is_none() && !wants_milestone_check {
        return Ok(Verdict::Proceed);
    }
    let opts = repo.trailer_options(&message)?;
    let message = match &session {
        Some(session) => strip_if_otherwise_empty(&repo, file, message, session, &opts)?,
        None => message,
    };
    if !wants_milestone_check {
        return Ok(Verdict::Proceed);
    }
    check_milestones(repo.git2()?, &message, &opts)
}

/// Returns true if git runs no editor for this commit (it then sets `GIT_EDITOR=:` for the hooks).
fn runs_without_editor() -> bool {
    std::env::var_os("GIT_EDITOR").is_some_and(|editor| editor == ":")
}

/// The repository as a hook needs it.
///
/// git runs hooks from the top of the work tree, so in a plain clone (`.git` a directory there, no `GIT_DIR`, no
/// `commondir` file) the git dirs are known after two `stat`s, and git2 — whose opening reads every config file
/// and is a third of a hook's run time — is opened only when the config must be read in full. Anything unusual
/// (a linked worktree, a submodule, `GIT_DIR`) opens it at once.
struct HookRepo {
    /// The per-worktree git dir (sequencer state lives here).
    git_dir: PathBuf,
    /// The git dir shared by all worktrees (the pairing session lives here).
    common_dir: PathBuf,
    opened: OnceCell<git2::Repository>,
}

impl HookRepo {
    fn discover() -> anyhow::Result<HookRepo> {
        let plain = Path::new(".git");
        let is_plain = std::env::var_os("GIT_DIR").is_none()
            && std::env::var_os("GIT_COMMON_DIR").is_none()
            && std::fs::symlink_metadata(plain).is_ok_and(|m| m.is_dir())
            && std::fs::symlink_metadata(plain.join("commondir")).is_err();
        if is_plain {
            return Ok(HookRepo {
                git_dir: plain.to_path_buf(),
                common_dir: plain.to_path_buf(),
                opened: OnceCell::new(),
            });
        }
        let repo = open_repository()?;
        Ok(HookRepo {
            git_dir: repo.path().to_path_buf(),
            common_dir: repo.commondir().to_path_buf(),
            opened: OnceCell::from(repo),
        })
    }

    /// The repository opened with git2 (opened now if it was not yet).
    fn git2(&self) -> anyhow::Result<&git2::Repository> {
        if let Some(repo) = self.opened.get() {
            return Ok(repo);
        }
        let repo = open_repository()?;
        Ok(self.opened.get_or_init(|| repo))
    }

    /// How git treats comment lines in `message`: `core.commentString`/`core.commentChar`, `#` by default.
    fn trailer_options(&self, message: &str) -> anyhow::Result<TrailerOptions> {
        if self.opened.get().is_none() && comment_setting_is_absent(&self.git_dir) {
            return Ok(TrailerOptions::with_comment("#"));
        }
        trailer_options(self.git2()?, message)
    }
}

fn open_repository() -> anyhow::Result<git2::Repository> {
    git2::Repository::open_from_env().context("cannot open the repository")
}

/// Returns true if no config git reads for this repository can set the comment character, proven by reading the
/// files themselves: none mentions "comment" or includes another file, and no `git -c` setting mentions it.
/// False means "ask git2", never "it is set".
fn comment_setting_is_absent(git_dir: &Path) -> bool {
    // A plain scan: config files are small, and memchr's searcher would first probe the CPU's features, which
    // costs more than the scan in a virtual machine.
    let mentions = |text: &[u8]| {
        text.windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"comment") || w.eq_ignore_ascii_case(b"include"))
    };
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if std::env::vars_os().any(|(name, value)| {
        name.to_str().is_some_and(|n| n.starts_with("GIT_CONFIG_"))
            && mentions(value.as_encoded_bytes())
    }) {
        return false;
    }
    let mut files: Vec<PathBuf> = vec![git_dir.join("config"), git_dir.join("config.worktree")];
    match env("GIT_CONFIG_GLOBAL") {
        Some(global) => files.push(global.into()),
        None => {
            let home = env("HOME").map(PathBuf::from);
            let xdg = env("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".config")));
            files.extend(xdg.map(|x| x.join("git").join("config")));
            files.extend(home.map(|h| h.join(".gitconfig")));
        }
    }
    if env("GIT_CONFIG_NOSYSTEM").is_none() {
        // git's own system file depends on how git was built; these are the usual places (and libgit2's).
        match env("GIT_CONFIG_SYSTEM") {
            Some(system) => files.push(system.into()),
            None => files.extend(["/etc/gitconfig", "/usr/local/etc/gitconfig"].map(PathBuf::from)),
        }
    }
    files.iter().all(|file| match std::fs::read(file) {
        Ok(text) => !mentions(&text),
        Err(err) => err.kind() == std::io::ErrorKind::NotFound,
    })
}

/// Removes our trailers when they are all that would keep git from aborting the commit.
///
/// git checks for an empty message and an untouched template only after `commit-msg`, so a message holding
/// nothing but our trailers would otherwise be committed. Returns the message as it now stands.
fn strip_if_otherwise_empty(
    repo: &HookRepo,
    file: &Path,
    message: String,
    session: &Session,
    opts: &TrailerOptions,
) -> anyhow::Result<String> {
    let ours = session.trailers();
    let without_ours = || ours.iter().fold(message.clone(), |m, t| trailer::remove(&m, t, opts));
    let stripped = if trailer::is_empty_apart_from(&message, &ours, opts) {
        Some(without_ours())
    } else {
        let rest = without_ours();
        (rest != message && template_untouched(repo.git2()?, &rest, &opts.comment_prefix)?)
            .then_some(rest)
    };
    match stripped {
        Some(rest) => {
            write_message(file, &message, &rest)?;
            Ok(rest)
        }
        None => Ok(message),
    }
}

/// Returns true if `message` is the `commit.template` left as it was, the way git's own check sees it.
fn template_untouched(
    repo: &git2::Repository,
    message: &str,
    comment_prefix: &str,
) -> anyhow::Result<bool> {
    let config = repo.config().context("cannot read the git config")?;
    let path = match config.get_path("commit.template") {
        Ok(path) => path,
        Err(err) if err.code() == git2::ErrorCode::NotFound => return Ok(false),
        Err(err) => return Err(err).context("cannot read commit.template from the git config"),
    };
    // git resolves a relative template path against the work tree root, where hooks run.
    let Ok(template) = std::fs::read_to_string(&path) else { return Ok(false) };
    let template = stripspace(&template, comment_prefix);
    if template.is_empty() {
        return Ok(false);
    }
    let message = stripspace(message, comment_prefix);
    Ok(message.strip_prefix(&template).is_some_and(|rest| rest.trim().is_empty()))
}

/// Cleans up `text` like git's `strbuf_stripspace` with comments: cuts at the scissors line, drops comment lines
/// and trailing spaces, collapses runs of blank lines and trims blank lines at both ends.
fn stripspace(text: &str, comment_prefix: &str) -> String {
    let scissors = format!("{comment_prefix} ------------------------ >8 ------------------------");
    let mut out = String::new();
    let mut pending_blank = false;
    for line in text.lines() {
        if line == scissors {
            break;
        }
        if line.starts_with(comment_prefix) {
            continue;
        }
        let line = line.trim_end();
        if line.is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if pending_blank {
            out.push('\n');
            pending_blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Checks every `Milestone:` trailer against the milestones of the author's tracks.
fn check_milestones(
    repo: &git2::Repository,
    message: &str,
    opts: &TrailerOptions,
) -> anyhow::Result<Verdict> {
    let ids: Vec<String> = trailer::parse(message, opts)
        .into_iter()
        .filter(|t| t.key.eq_ignore_ascii_case("milestone"))
        .map(|t| t.value.trim().to_string())
        .collect();
    if ids.is_empty() {
        return Ok(Verdict::Proceed);
    }
    let config_path = crate::repo::config_path(repo, None)?;
    // A hook has no flags: an `_extends` is resolved from MENTOR_ORG_CONFIG, as the other commands do.
    let config = crate::repo::load_config(&config_path, None)
        .context("cannot check the Milestone trailer against your track")?;
    let email = author_email(repo)?;
    let Some(login) = Roster::new(&config).login_for_email(&email) else {
        anyhow::bail!(
            "cannot check the Milestone trailer: the author email {email} belongs to nobody in {}",
            config_path.display()
        );
    };
    let mut tracks: Vec<&str> = Vec::new();
    let mut valid: Vec<&str> = Vec::new();
    for pair in config.pairs_of_mentee(&login) {
        if tracks.contains(&pair.track.as_str()) {
            continue;
        }
        tracks.push(&pair.track);
        if let Some(track) = config.track(&pair.track) {
            valid.extend(track.milestones.iter().map(|m| m.id.as_str()));
        }
    }
    let unknown: Vec<&String> = ids.iter().filter(|id| !valid.contains(&id.as_str())).collect();
    if unknown.is_empty() {
        return Ok(Verdict::Proceed);
    }
    let named = unknown.iter().map(|id| format!("{id:?}")).collect::<Vec<_>>().join(", ");
    let hint = if tracks.is_empty() {
        format!(
            "{login} is not a mentee in any pair of {}, so no milestone applies. Remove the Milestone: trailer.",
            config_path.display()
        )
    } else {
        format!(
            "Milestones of {login}'s track{} {}: {}. Fix or remove the Milestone: trailer and commit again.",
            if tracks.len() == 1 { "" } else { "s" },
            tracks.join(", "),
            if valid.is_empty() { "(none)".to_string() } else { valid.join(", ") }
        )
    };
    Ok(Verdict::Reject(format!(
        "commit rejected: unknown milestone {named} in the Milestone: trailer\n\n{hint}"
    )))
}

/// Returns the author email git will record: `GIT_AUTHOR_EMAIL` (git sets it for hooks, `--author` included),
/// else `user.email`.
fn author_email(repo: &git2::Repository) -> anyhow::Result<String> {
    if let Ok(email) = std::env::var("GIT_AUTHOR_EMAIL")
        && !email.trim().is_empty()
    {
        return Ok(email);
    }
    let config = repo.config().context("cannot read the git config")?;
    config.get_string("user.email").context(
        "cannot check the Milestone trailer: no author email (GIT_AUTHOR_EMAIL or user.email)",
    )
}

/// Returns true while git replays existing commits (rebase, cherry-pick, revert), whose messages are not new work.
///
/// `git_dir` is the per-worktree git dir, where these state files live. A cherry-pick or revert that applies
/// cleanly commits in-process with source `message` and only `MERGE_MSG` left behind, which a user's own `-m`
/// commit never has.
fn replays_history(git_dir: &Path, source: &str) -> bool {
    ["MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply", "sequencer"]
        .iter()
        .any(|name| git_dir.join(name).exists())
        || (source == "message" && git_dir.join("MERGE_MSG").exists())
}

/// Returns true if the subject (first non-comment line) is `fixup!` or `amend!`, whose message autosquash drops.
fn is_autosquash_subject(message: &str, comment_prefix: &str) -> bool {
    message
        .lines()
        .find(|l| !l.starts_with(comment_prefix) && !l.trim().is_empty())
        .is_some_and(|subject| subject.starts_with("fixup! ") || subject.starts_with("amend! "))
}

/// Returns the trailer options for this repository: its comment prefix (`core.commentString`, else
/// `core.commentChar`, else `#`).
fn trailer_options(repo: &git2::Repository, message: &str) -> anyhow::Result<TrailerOptions> {
    let config = repo.config().context("cannot read the git config")?;
    let mut prefix = None;
    for key in ["core.commentString", "core.commentChar"] {
        match config.get_string(key) {
            Ok(value) if !value.is_empty() => {
                prefix = Some(value);
                break;
            }
            Ok(_) => {}
            Err(err) if err.code() == git2::ErrorCode::NotFound => {}
            Err(err) => return Err(err).with_context(|| format!("cannot read {key}")),
        }
    }
    let prefix = match prefix.as_deref() {
        None => "#".to_string(),
        Some("auto") => auto_comment_prefix(message),
        Some(value) => value.to_string(),
    };
    Ok(TrailerOptions::with_comment(&prefix))
}

/// Guesses the comment character git chose for `core.commentChar=auto`.
///
/// git picks the first of `#;@!$%^&|:` that starts no line of the message before it adds its help text, which
/// the hook can no longer see; the help text itself (or the scissors line) gives the choice away.
fn auto_comment_prefix(message: &str) -> String {
    const CANDIDATES: &str = "#;@!$%^&|:";
    for c in CANDIDATES.chars() {
        if message.lines().any(|l| {
            l.strip_prefix(c).is_some_and(|rest| {
                rest.starts_with(" Please enter the commit message")
                    || rest.starts_with(" ------------------------ >8")
            })
        }) {
            return c.to_string();
        }
    }
    CANDIDATES
        .chars()
        .find(|c| !message.lines().any(|l| l.starts_with(*c)))
        .unwrap_or('#')
        .to_string()
}

/// Rewrites the commit message file, which holds `old`, to hold `new`, writing only from the first byte that
/// changes.
///
/// Trailers are added at or near the end, so the user's text before them is never rewritten: a failure half way
/// (a full disk) cannot cut it short. The file is neither truncated to zero nor replaced by a rename, either of
/// which makes ext4 (`auto_da_alloc`) start writing the file out at once — a cost on every commit.
fn write_message(file: &Path, old: &str, new: &str) -> anyhow::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let same = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    let rewrite = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).open(file)?;
        f.seek(SeekFrom::Start(same as u64))?;
        f.write_all(&new.as_bytes()[same..])?;
        if new.len() < old.len() {
            f.set_len(new.len() as u64)?;
        }
        Ok(())
    };
    rewrite().with_context(|| format!("cannot write the commit message {}", file.display()))
}

/// Reads the commit message file git handed over.
fn read_message(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the commit message {}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripspace_matches_git_cleanup() {
        let text = "\n\nSubject  \n\n\n# comment\nbody\n\n# ------------------------ >8 ------------------------\ndiff\n";
        assert_eq!(stripspace(text, "#"), "Subject\n\nbody\n");
        assert_eq!(stripspace("# only\n\n", "#"), "");
    }

    #[test]
    fn autosquash_subjects_are_recognised() {
        assert!(is_autosquash_subject("fixup! add parser\n", "#"));
        assert!(is_autosquash_subject("# help\namend! add parser\n\nnew text\n", "#"));
        assert!(!is_autosquash_subject("squash! add parser\n", "#"));
        assert!(!is_autosquash_subject("add fixup! support\n", "#"));
    }

    #[test]
    fn auto_comment_char_is_read_from_the_help_text() {
        assert_eq!(
            auto_comment_prefix("msg\n; Please enter the commit message for your changes.\n"),
            ";"
        );
        assert_eq!(auto_comment_prefix("# heading\nmsg\n"), ";");
        assert_eq!(auto_comment_prefix("msg\n"), "#");
    }

    #[test]
    fn replays_are_detected_from_state_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!replays_history(dir.path(), "message"));
        std::fs::write(dir.path().join("MERGE_MSG"), "Revert \"x\"\n").unwrap();
        assert!(replays_history(dir.path(), "message"));
        assert!(!replays_history(dir.path(), "squash"));
        std::fs::create_dir(dir.path().join("rebase-merge")).unwrap();
        assert!(replays_history(dir.path(), "commit"));
    }
}
