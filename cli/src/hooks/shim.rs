//! The text of the hook shims `mentor hooks install` writes, and how to recognise one.
//!
//! A shim is a few lines of `#!/bin/sh`: it runs the hook it replaced (kept beside it as
//! `<name>.mentor-chained`) with the same arguments and stdin, then `exec`s the `mentor` binary that installed it
//! (falling back to `mentor` on PATH). If no binary can be found it warns once and lets the commit through, because
//! a hook must never block commits for a reason the user did not choose.

use std::path::Path;

/// The line that marks a file as Mentor's shim; install and uninstall only ever touch files that carry it.
pub const MARKER: &str = "# mentor-hook-shim: installed by `mentor hooks install`";

/// The suffix of the file an existing hook is moved to, beside the shim that chains to it.
pub const CHAINED_SUFFIX: &str = ".mentor-chained";

/// Returns true if `contents` is a shim written by `mentor hooks install`.
pub fn is_shim(contents: &[u8]) -> bool {
    // The marker is on the second line; scanning only the head keeps this cheap for large foreign hooks.
    let head = &contents[..contents.len().min(512)];
    head.windows(MARKER.len()).any(|w| w == MARKER.as_bytes())
}

/// Returns the shim for hook `name` that calls `mentor_exe`, remembering a missing binary in `warned_marker`.
///
/// The shim first decides in the shell, without starting a process, whether mentor has anything to do, because
/// every process is commit latency:
/// - commit-msg is only needed for a `Milestone` line (case-insensitive, above the `-v` scissors line), or to
///   let an empty message abort; the latter cannot happen when no editor runs (git then sets `GIT_EDITOR=:` for
///   the hooks, and prepare-commit-msg adds nothing to an empty message), nor without a pairing session;
/// - with `in_common_dir` (the hooks directory is `<git common dir>/hooks`), the shims look for the pairing
///   session relative to themselves (so the check survives moving the clone), and prepare-commit-msg exits
///   when there is none.
pub fn render(name: &str, mentor_exe: &Path, warned_marker: &Path, in_common_dir: bool) -> String {
    let exe = sh_quote(&mentor_exe.to_string_lossy());
    let warned = sh_quote(&warned_marker.to_string_lossy());
    let session = "\"${0%/*}/../mentor/pairing.json\"";
    let fast_exit = match name {
        "prepare-commit-msg" if in_common_dir => {
            format!("[ -e {session} ] || exit 0 # no pairing session: nothing to add\n")
        }
        "commit-msg" => {
            let no_session =
                if in_common_dir { format!(" || [ ! -e {session} ]") } else { String::new() };
            format!(
                r#"if {{ [ "${{GIT_EDITOR-}}" = : ]{no_session}; }} && [ -r "$1" ]; then
  f=
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in
      *" ------------------------ >8 ------------------------") break ;;
      [Mm][Ii][Ll][Ee][Ss][Tt][Oo][Nn][Ee]*) f=1; break ;;
    esac
  done <"$1"
  [ -n "$f" ] || exit 0 # no Milestone: trailer to check, and no empty message to let abort
fi
"#
            )
        }
        _ => String::new(),
    };
    // `${0%/*}` is the hooks directory without forking `dirname`; git always runs hooks by a path with a slash.
    format!(
        r#"#!/bin/sh
{MARKER}
# Run `mentor hooks uninstall` to remove it (and restore the hook it chains to, if any).
c="${{0%/*}}/{name}{CHAINED_SUFFIX}"
if [ -x "$c" ]; then "$c" "$@" || exit $?; fi
{fast_exit}m={exe}
if [ ! -x "$m" ]; then
  m=$(command -v mentor) || m=
  if [ -z "$m" ]; then
    w={warned}
    if [ ! -e "$w" ]; then
      echo "mentor: warning: mentor is not installed any more ({exe_display} is gone and none is on PATH), so commits get no pairing trailers; reinstall mentor or run 'mentor hooks uninstall'" >&2
      mkdir -p "${{w%/*}}" 2>/dev/null && : >"$w" 2>/dev/null
    fi
    exit 0
  fi
fi
exec "$m" hook {name} "$@"
"#,
        exe_display = mentor_exe.display().to_string().replace(['"', '$', '`', '\\'], "?"),
    )
}

/// Quotes `text` for a POSIX shell: single quotes, with embedded single quotes closed, escaped and reopened.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shims_are_recognised_by_their_marker() {
        let shim = render(
            "commit-msg",
            Path::new("/opt/it's/mentor"),
            Path::new("/r/.git/mentor/w"),
            true,
        );
        assert!(shim.contains("[Mm][Ii][Ll][Ee][Ss][Tt][Oo][Nn][Ee]*) f=1; break ;;"));
        assert!(shim.contains(
            r#"if { [ "${GIT_EDITOR-}" = : ] || [ ! -e "${0%/*}/../mentor/pairing.json" ]; }"#
        ));
        let prepare = render("prepare-commit-msg", Path::new("/m"), Path::new("/w"), true);
        assert!(prepare.contains("[ -e \"${0%/*}/../mentor/pairing.json\" ] || exit 0"));
        let elsewhere = render("prepare-commit-msg", Path::new("/m"), Path::new("/w"), false);
        assert!(!elsewhere.contains("pairing.json"));
        assert!(is_shim(shim.as_bytes()));
        assert!(shim.contains(r"m='/opt/it'\''s/mentor'"));
        assert!(shim.contains("exec \"$m\" hook commit-msg \"$@\""));
        assert!(!is_shim(b"#!/bin/sh\nexec lefthook run commit-msg \"$@\"\n"));
    }
}
