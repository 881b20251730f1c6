#!/usr/bin/env bash
# Load-report reads with 1,000,000 touchpoints stored (3 orgs, 600 mentors, 3 years), on SQLite and PostgreSQL in
# the same run: 300 sequential `GET /api/v1/orgs/{org}/load` per backend against the release server; prints p50/p95
# and the server's peak RSS. Everything runs on 127.0.0.1.
#
# Usage: bench/load-read.sh [TOUCHPOINTS] [REQUESTS]
#   MENTOR_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) is where a scratch database is
#   made and dropped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
touchpoints="${1:-1000000}"
requests="${2:-300}"
pg="${MENTOR_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cd "$root"
cargo build --release -q -p mentor-app --bin mentor-app --example loadread
echo "== SQLite"
./target/release/examples/loadread sqlite "$touchpoints" "$requests"
echo "== PostgreSQL"
./target/release/examples/loadread "$pg" "$touchpoints" "$requests"
