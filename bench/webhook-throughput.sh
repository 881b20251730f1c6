#!/usr/bin/env bash
# Webhook ingest benchmark: release build, `mentor-app serve` on SQLite (default settings: WAL, synchronous=FULL),
# 50 concurrent connections sending signed real pull_request_review payloads with unique delivery ids for 10 s.
# Reports deliveries/s, p50/p99 latency, the server's peak RSS (VmHWM) and checks no accepted delivery is missing.
# Usage: bench/webhook-throughput.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p mentor-app --bin mentor-app --example loadgen
exec target/release/examples/loadgen target/release/mentor-app "${1:-10}" "${2:-50}"
