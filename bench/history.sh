#!/usr/bin/env bash
# History benchmark: `mentor evidence --json` over a 50 000-commit clone, cold (no cache) and warm (cached),
# against `git log --name-only` on the same repository in the same run. Prints hyperfine tables and peak RSS.
#
# Usage: bench/history.sh [COMMITS]      (needs hyperfine: apt-get install -y hyperfine)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
commits="${1:-50000}"
repo="${BENCH_REPO:-/tmp/mentor-bench-history-$commits}"

command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install -y hyperfine" >&2; exit 1; }
[ -d "$repo/.git" ] || python3 "$here/gen-history.py" "$repo" "$commits"
(cd "$root" && cargo build --release -q -p mentor-cli)
mentor="$root/target/release/mentor"
config="$here/mentorship.yml"
export MENTOR_NOW=2026-11-23T09:00:00Z

cd "$repo"
git config user.email carol@example.com
echo "repository: $repo ($(git rev-list --count HEAD) commits), $(nproc) cores"
hyperfine -N --warmup 1 --runs 10 \
  -n "git log --name-only" "git log --name-only --format=%H%n%an%n%ae%n%at%n%B" \
  -n "mentor evidence --json (cold)" "$mentor evidence --json --no-cache --config $config"
"$mentor" evidence --json --config "$config" >/dev/null   # fill the cache
hyperfine -N --warmup 2 --runs 20 \
  -n "mentor evidence --json (warm)" "$mentor evidence --json --config $config"
echo "peak RSS:"
/usr/bin/time -f "  mentor evidence (cold): %M KB" "$mentor" evidence --json --no-cache --config "$config" >/dev/null
/usr/bin/time -f "  mentor evidence (warm): %M KB" "$mentor" evidence --json --config "$config" >/dev/null
/usr/bin/time -f "  git log --name-only:    %M KB" git log --name-only --format=%H%n%an%n%ae%n%at%n%B >/dev/null
