#!/usr/bin/env bash
# Backfill benchmark: 5,000 merged pull requests (each with a review, an inline comment and a conversation comment)
# read through GraphQL from the tests' fake GitHub into a fresh SQLite database, and into PostgreSQL when
# MENTOR_TEST_POSTGRES_URL is set. Prints requests and points per 100 pull requests and the wall time.
#
# Usage: bench/backfill.sh [PULLS]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_PULLS="${1:-5000}" cargo test --release -q -p mentor-app --test app bench_backfill_5000_pull_requests \
  -- --ignored --nocapture --test-threads 1 2>&1 | grep -E "pull requests in|test result"
