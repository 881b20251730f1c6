#!/usr/bin/env bash
# The CI fuzz smoke (.ci/run; README "Fuzzing"): builds every cargo-fuzz target once, seeds the corpora from the
# repository's fixtures (seed.sh) and runs each target for FUZZ_SECONDS (default 20). Exits non-zero when a
# target crashes, panics, times out or runs out of memory; libFuzzer prints the input and where it saved it
# (fuzz/artifacts/<target>/).
#
# Fuzzing needs nightly Rust and cargo-fuzz. Without either the smoke is SKIPPED with a loud notice (exit 0).
# cargo-fuzz is installed (`cargo install cargo-fuzz --locked`) only with FUZZ_INSTALL=1: that takes about 3
# minutes on 2 cores, and the smoke itself takes about 5 CPU-minutes (a cold build of the targets, then 20 s per
# target), together more than the 6 minutes meant for the fuzz smoke. .ci/run sets FUZZ_INSTALL=1 because the
# CI machine has no cargo-fuzz; putting cargo-fuzz in the CI image would save those 3 minutes.
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (space-separated subset), FUZZ_SANITIZER (default `none`:
# the code under test is safe Rust, and AddressSanitizer would double the build and halve the executions;
# pass `address` for a longer local run), FUZZ_INSTALL (1: install a missing cargo-fuzz), FUZZ_TARGET_DIR (cargo's
# target dir; default fuzz/target).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-20}"
targets="${FUZZ_TARGETS:-webhook config trailers command template}"
sanitizer="${FUZZ_SANITIZER:-none}"
target_dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then target_dir=(--target-dir "$FUZZ_TARGET_DIR"); fi

skip() {
  echo "!!"
  echo "!! fuzz smoke SKIPPED: $1"
  echo "!!"
  exit 0
}

if ! cargo +nightly --version >/dev/null 2>&1; then
  skip "no nightly toolchain (\`cargo +nightly\` fails); install it with \`rustup toolchain install nightly\`"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  if [ "${FUZZ_INSTALL:-0}" != 1 ]; then
    skip "cargo-fuzz is not installed; install it with \`cargo install cargo-fuzz --locked\` (about 3 min), or set FUZZ_INSTALL=1"
  fi
  echo "== installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  started=$SECONDS
  cargo install cargo-fuzz --locked --quiet || skip "\`cargo install cargo-fuzz --locked\` failed"
  echo "installed cargo-fuzz in $((SECONDS - started)) s"
fi

started=$SECONDS
echo "== fuzz build ($(cargo +nightly --version), sanitizer $sanitizer)"
cargo +nightly fuzz build --sanitizer "$sanitizer" "${target_dir[@]}"
echo "built the fuzz targets in $((SECONDS - started)) s"

./seed.sh
mkdir -p artifacts
failed=()
for target in $targets; do
  echo "== fuzz $target (${seconds} s)"
  log="artifacts/$target.log"
  # -timeout: one input running 10 s is a hang (fuel bounds templates far below that); -rss_limit_mb is
  # libFuzzer's default, written out because an out-of-memory input is a finding too.
  if cargo +nightly fuzz run --sanitizer "$sanitizer" "${target_dir[@]}" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^Done [0-9]+ runs|stat::new_units_added|stat::peak_rss_mb' "$log" | tr '\n' ' '
    echo
  else
    tail -n 60 "$log"
    echo "!! fuzz $target FAILED: the input is under fuzz/artifacts/$target/; reproduce with" \
      "cargo +nightly fuzz run -s $sanitizer $target <input>, then add it as a regression test"
    failed+=("$target")
  fi
done
echo "fuzz smoke took $((SECONDS - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "!! fuzz smoke: ${failed[*]} failed"
  exit 1
fi
