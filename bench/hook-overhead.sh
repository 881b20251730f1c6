#!/usr/bin/env bash
# Measures what Mentor's commit hooks add to `git commit`.
#
# Builds `mentor` and `mentor-hook` in release, makes throwaway repositories, and times
# `git commit -q --allow-empty -m msg` in
#   (a) one with no hooks,
#   (b) one with a plain `#!/bin/sh` prepare-commit-msg and commit-msg that just exit 0,
#   (c) one with Mentor's hooks and an active pairing session (the trailer is really added),
#   (d) one with Mentor's hooks and no session (the common case between pairings),
#   (e) one with a statically linked C program that just returns 0 as both hooks: the least any hook costs here
#       (skipped without a C compiler that links statically).
# Prints the median of each and the extra milliseconds over (a); the target is (c) - (a) <= 3 ms. Then lists the
# processes one commit starts in (c), with strace (if present) or a logging `git` wrapper first on PATH, and
# counts the git processes against (a) to show that the hooks start none.
#
# The scenarios are measured in interleaved rounds (a b c d e a b c d e ...) so that load from other processes on
# a shared machine falls on all of them alike instead of skewing whichever ran during a busy minute. Each round
# uses hyperfine when installed (apt-get install -y hyperfine), else a loop timed with bash's $EPOCHREALTIME
# (no extra process per sample).
# Env: ROUNDS (default 15), RUNS per round (default 20), MENTOR (skip the build and use this binary; its
# mentor-hook must be beside it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-15}
runs=${RUNS:-20}

if [[ -z "${MENTOR:-}" ]]; then
  echo "building mentor (release)..." >&2
  cargo build --quiet --release -p mentor-cli --manifest-path "$root/Cargo.toml"
  MENTOR="$root/target/release/mentor"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mentor-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A clean, fixed environment so global config and hooks of the machine never leak in.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" GIT_CONFIG_NOSYSTEM=1 LANG=C TZ=UTC
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
mkdir -p "$HOME"

make_repo() { # $1: directory
  git init -q -b main "$1"
  git -C "$1" config user.name "Alice Example"
  git -C "$1" config user.email alice@example.com
  # Background auto-maintenance after a burst of commits races the next commit for ref locks (a flaky failure),
  # and its process would blur the process count below; keep it out of the measurement.
  git -C "$1" config maintenance.auto false
  git -C "$1" config gc.auto 0
  rm -f "$1"/.git/hooks/*.sample
  mkdir -p "$1/.github"
  cat > "$1/.github/mentorship.yml" <<'YAML'
sprints: { length: 2w, start: 2026-01-05, timezone: UTC }
people:
  bob: { name: Bob Builder, emails: [bob@example.com] }
  alice: { emails: [alice@example.com] }
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery }
YAML
  git -C "$1" add -A
  git -C "$1" commit -q -m "add config"
}

scenarios=(a b c d)
printf 'int main(void) { return 0; }\n' > "$tmp/noop.c"
if cc -O2 -static -o "$tmp/noop" "$tmp/noop.c" 2>/dev/null; then scenarios+=(e); fi
for s in "${scenarios[@]}"; do make_repo "$tmp/$s"; done
for name in prepare-commit-msg commit-msg; do
  printf '#!/bin/sh\nexit 0\n' > "$tmp/b/.git/hooks/$name"
  chmod +x "$tmp/b/.git/hooks/$name"
  if [[ -d "$tmp/e" ]]; then cp "$tmp/noop" "$tmp/e/.git/hooks/$name"; fi
done
(cd "$tmp/c" && "$MENTOR" hooks install >/dev/null && "$MENTOR" pair start bob --for 8h >/dev/null)
(cd "$tmp/d" && "$MENTOR" hooks install >/dev/null)

commit_cmd=(git commit -q --allow-empty -m msg)

(cd "$tmp/c" && "${commit_cmd[@]}")
if ! git -C "$tmp/c" log -1 --format=%B | grep -q '^Mentored-by: Bob Builder <bob@example.com>$'; then
  echo "error: the pairing trailer was not added; the benchmark would measure nothing" >&2
  exit 1
fi
(cd "$tmp/d" && "${commit_cmd[@]}")
if git -C "$tmp/d" log -1 --format=%B | grep -q 'Mentored-by'; then
  echo "error: a trailer was added without a session" >&2
  exit 1
fi

# Appends the duration in microseconds of $runs commits in scenario $1 to $tmp/$1.times, one per line.
measure_round() {
  local s=$1
  if command -v hyperfine >/dev/null; then
    # hyperfine warns about outliers on a busy machine every round; its messages are shown only if it fails.
    (cd "$tmp/$s" && hyperfine -N --style none --warmup 3 --runs "$runs" \
      --export-json "$tmp/hf.json" "${commit_cmd[*]}" >/dev/null 2>"$tmp/hf.err") || { cat "$tmp/hf.err" >&2; exit 1; }
    python3 -c 'import json,sys
for t in json.load(open(sys.argv[1]))["results"][0]["times"]: print(round(t * 1e6))' "$tmp/hf.json" >> "$tmp/$s.times"
  else
    local i t0 t1
    cd "$tmp/$s"
    for ((i = 0; i < 3; i++)); do "${commit_cmd[@]}"; done
    for ((i = 0; i < runs; i++)); do
      t0=${EPOCHREALTIME/./}
      "${commit_cmd[@]}"
      t1=${EPOCHREALTIME/./}
      echo $((t1 - t0)) >> "$tmp/$s.times"
    done
    cd "$tmp"
  fi
}

median_ms() { # $1: scenario
  sort -n "$tmp/$1.times" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1000 }'
}

tool=$(command -v hyperfine >/dev/null && echo hyperfine || echo "EPOCHREALTIME loop")
echo "measuring $rounds interleaved rounds of $runs commits per scenario ($tool)..." >&2
for ((r = 1; r <= rounds; r++)); do
  for s in "${scenarios[@]}"; do measure_round "$s"; done
done

declare -A result
for s in "${scenarios[@]}"; do result[$s]=$(median_ms "$s"); done
extra() { awk -v x="$1" -v a="${result[a]}" 'BEGIN { printf "%+.2f", x - a }'; }

echo "git commit -q --allow-empty -m msg: median of $((rounds * runs)) commits per scenario ($tool, interleaved)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
printf '  %-36s %8s ms\n' "(a) no hooks" "${result[a]}"
printf '  %-36s %8s ms  (%s ms over a)\n' "(b) plain sh hooks (exit 0)" "${result[b]}" "$(extra "${result[b]}")"
printf '  %-36s %8s ms  (%s ms over a)\n' "(c) mentor hooks, pairing active" "${result[c]}" "$(extra "${result[c]}")"
printf '  %-36s %8s ms  (%s ms over a)\n' "(d) mentor hooks, no session" "${result[d]}" "$(extra "${result[d]}")"
if [[ -n "${result[e]:-}" ]]; then
  printf '  %-36s %8s ms  (%s ms over a)\n' "(e) static C no-op hooks" "${result[e]}" "$(extra "${result[e]}")"
fi

# Writes the programs one commit in scenario $1 executes to $2, one per line: every successful execve under
# strace, or else every `git` started through a logging wrapper put first on PATH (the commit itself included).
trace_execs() {
  cd "$tmp/$1"
  if command -v strace >/dev/null; then
    strace -f -qq -e trace=execve -e signal=none -o "$tmp/trace" "${commit_cmd[@]}"
    grep '= 0$' "$tmp/trace" | grep -o 'execve("[^"]*"' | sed 's/execve("//; s/"$//' > "$2"
  else
    mkdir -p "$tmp/wrap"
    local real_git
    real_git=$(command -v git)
    printf '#!/bin/sh\necho "$0" >> %q\nexec %q "$@"\n' "$2" "$real_git" > "$tmp/wrap/git"
    chmod +x "$tmp/wrap/git"
    : > "$2"
    PATH="$tmp/wrap:$PATH" git commit -q --allow-empty -m msg
  fi
  cd "$tmp"
}
method=$(command -v strace >/dev/null && echo strace || echo "git wrapper on PATH")
trace_execs a "$tmp/execs-a"
trace_execs c "$tmp/execs-c"
echo
echo "processes started by one commit in (c) ($method):"
sed 's/^/  /' "$tmp/execs-c"
gits_a=$(grep -c '/git$' "$tmp/execs-a" || true)
gits_c=$(grep -c '/git$' "$tmp/execs-c" || true)
echo "git processes per commit: $gits_a without hooks, $gits_c with Mentor's hooks and pairing; extra started by the hooks: $((gits_c - gits_a))"
