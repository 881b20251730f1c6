#!/usr/bin/env bash
# Measures what Mentor's commit hooks add to `git commit`.
#
# Builds `mentor` in release, makes a throwaway repository, and times `git commit -q --allow-empty -m msg` with
#   (a) no hooks,
#   (b) a plain `#!/bin/sh` prepare-commit-msg and commit-msg that just exit 0,
#   (c) Mentor's hooks installed with an active pairing session (the trailer is really added),
#   (d) Mentor's hooks installed with no session (the common case between pairings).
# Prints the median of each and the extra milliseconds over (a); the target is (c) - (a) <= 3 ms. Then counts the
# processes one commit starts in (c) with strace (if present) or a logging `git` wrapper first on PATH, to show
# that the hooks start no extra git process.
#
# Uses hyperfine when installed (apt-get install -y hyperfine), else its own loop timed with `date +%s%N`.
# Env: RUNS (default 300), WARMUP (default 30), MENTOR (skip the build and use this binary).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-300}
warmup=${WARMUP:-30}

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

repo="$tmp/repo"
git init -q -b main "$repo"
cd "$repo"
git config user.name "Alice Example"
git config user.email alice@example.com
rm -f .git/hooks/*.sample
mkdir -p .github
cat > .github/mentorship.yml <<'YAML'
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
git add -A
git commit -q -m "add config"

commit_cmd=(git commit -q --allow-empty -m msg)

median_ms() { # times "${commit_cmd[@]}" and prints the median in ms
  if command -v hyperfine >/dev/null; then
    hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
      --export-json "$tmp/hf.json" "${commit_cmd[*]}" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$tmp/hf.json"
  else
    local i t0 t1
    for ((i = 0; i < warmup; i++)); do "${commit_cmd[@]}"; done
    : > "$tmp/times"
    for ((i = 0; i < runs; i++)); do
      t0=$(date +%s%N); "${commit_cmd[@]}"; t1=$(date +%s%N)
      echo $(((t1 - t0) / 1000)) >> "$tmp/times"
    done
    sort -n "$tmp/times" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1000 }'
  fi
}

# Writes the programs one commit executes, one per line, to $1: every successful execve under strace, or else
# every `git` started through a logging wrapper put first on PATH (the commit itself included, as with strace).
trace_execs() {
  if command -v strace >/dev/null; then
    strace -f -qq -e trace=execve -e signal=none -o "$tmp/trace" "${commit_cmd[@]}"
    grep '= 0$' "$tmp/trace" | grep -o 'execve("[^"]*"' | sed 's/execve("//; s/"$//' > "$1"
  else
    mkdir -p "$tmp/wrap"
    local real_git
    real_git=$(command -v git)
    printf '#!/bin/sh\necho "$0" >> %q\nexec %q "$@"\n' "$1" "$real_git" > "$tmp/wrap/git"
    chmod +x "$tmp/wrap/git"
    : > "$1"
    PATH="$tmp/wrap:$PATH" git commit -q --allow-empty -m msg
  fi
}
trace_method=$(command -v strace >/dev/null && echo strace || echo "git wrapper on PATH")
trace_execs "$tmp/execs-a"

declare -A result
echo "measuring (a) no hooks..." >&2
result[a]=$(median_ms)

echo "measuring (b) plain sh hooks..." >&2
for name in prepare-commit-msg commit-msg; do
  printf '#!/bin/sh\nexit 0\n' > ".git/hooks/$name"
  chmod +x ".git/hooks/$name"
done
result[b]=$(median_ms)
rm -f .git/hooks/prepare-commit-msg .git/hooks/commit-msg

echo "measuring (c) mentor hooks, pairing session active..." >&2
"$MENTOR" hooks install >/dev/null
"$MENTOR" pair start bob --for 8h >/dev/null
"${commit_cmd[@]}"
if ! git log -1 --format=%B | grep -q '^Mentored-by: Bob Builder <bob@example.com>$'; then
  echo "error: the pairing trailer was not added; the benchmark would measure nothing" >&2
  exit 1
fi
result[c]=$(median_ms)

echo "measuring (d) mentor hooks, no session..." >&2
"$MENTOR" pair stop >/dev/null
result[d]=$(median_ms)
"$MENTOR" pair start bob --for 8h >/dev/null

extra() { python3 -c 'import sys; print("%+.2f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$1" "${result[a]}"; }

echo
echo "git commit -q --allow-empty -m msg, median of $runs runs ($(command -v hyperfine >/dev/null && echo hyperfine || echo 'date loop'))"
printf '  %-44s %8s ms\n' "(a) no hooks" "${result[a]}"
printf '  %-44s %8s ms  (%s ms over a)\n' "(b) plain sh hooks (exit 0)" "${result[b]}" "$(extra "${result[b]}")"
printf '  %-44s %8s ms  (%s ms over a)\n' "(c) mentor hooks, pairing active" "${result[c]}" "$(extra "${result[c]}")"
printf '  %-44s %8s ms  (%s ms over a)\n' "(d) mentor hooks, no session" "${result[d]}" "$(extra "${result[d]}")"

echo
echo "processes started by one commit in (c) ($trace_method):"
trace_execs "$tmp/execs-c"
sed 's/^/  /' "$tmp/execs-c"
gits_a=$(grep -c '/git$' "$tmp/execs-a" || true)
gits_c=$(grep -c '/git$' "$tmp/execs-c" || true)
echo "git processes per commit: $gits_a without hooks, $gits_c with Mentor's hooks and pairing;" \
  "extra started by the hooks: $((gits_c - gits_a))"
