#!/usr/bin/env bash
# Soak: a release `mentor-app serve` under mixed load for N minutes while its (fake, offline) GitHub injects
# faults at a steady rate — 500s and 502s, 429 with Retry-After, 403 rate limits with a reset, answers slower than
# the server's GitHub timeout. Signed webhooks of five kinds (reviews, review comments, PRs opened by mentees,
# merged PRs, `/mentor` commands), API and dashboard reads with tokens from `mentor-app token create`, the server's
# RSS sampled every 2 s. Afterwards it drains the inbox and the outbox and reports deliveries lost, writes per
# hidden marker, read errors and latencies, and RSS after warm-up / at the end / max. Exits non-zero on a lost
# delivery, a duplicated write or a write not made.
#
# Usage: bench/soak.sh [minutes] [sqlite|postgres]     (default: 10 sqlite)
#   postgres: MENTOR_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; a
#   scratch database is created there and dropped afterwards.
#   SOAK_RATE (deliveries/s, 20), SOAK_READERS (4), SOAK_GITHUB_TIMEOUT_SECS (3), SOAK_LOG (server log file).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
backend="${2:-sqlite}"
case "$backend" in
  sqlite) db=sqlite ;;
  postgres) db="${MENTOR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}" ;;
  *) echo "usage: bench/soak.sh [minutes] [sqlite|postgres]" >&2; exit 2 ;;
esac
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p mentor-app --bin mentor-app --example soak
exec "$target/release/examples/soak" "$target/release/mentor-app" "$minutes" "$db"
