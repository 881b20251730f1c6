#!/usr/bin/env bash
# Ingest and processing throughput with 1 and 2 `mentor-app serve` replicas on one PostgreSQL, side by side in
# one run: each run makes a scratch database, sends signed real pull_request_review payloads with unique delivery
# ids from 50 connections (spread over the replicas) for the given seconds, waits for the workers to drain, checks
# that no accepted delivery is missing or failed, and drops the database.
#   ingest    = deliveries answered 202 per second of load
#   processed = deliveries processed (touchpoints stored) per second, from the first delivery to the drained queue
# Usage: bench/replicas.sh [seconds] [connections] [postgres server URL]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
connections="${2:-50}"
export LOADGEN_POSTGRES_URL="${3:-${MENTOR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
cargo build --release -p mentor-app --bin mentor-app --example loadgen
summaries=()
for replicas in 1 2; do
    echo "== $replicas replica(s)"
    out=$(target/release/examples/loadgen target/release/mentor-app "$seconds" "$connections" "$replicas")
    echo "$out"
    summaries+=("$(grep '^SUMMARY' <<<"$out")")
done
echo
printf '%-9s %14s %16s %10s %10s %10s %12s\n' replicas "ingest (/s)" "processed (/s)" "p50 (ms)" "p99 (ms)" "drain (s)" "CPU µs/del."
for line in "${summaries[@]}"; do
    declare -A f=()
    for kv in ${line#SUMMARY }; do f[${kv%%=*}]=${kv#*=}; done
    printf '%-9s %14s %16s %10s %10s %10s %12s\n' "${f[replicas]}" "${f[ingest]}" "${f[processed]}" "${f[p50]}" \
        "${f[p99]}" "${f[drain]}" "${f[cpu_us]}"
done
echo "machine: $(nproc) CPUs shared by PostgreSQL, the replicas and the load generator"
