#!/usr/bin/env bash
# Short fuzzing run of the decoder, the session and the MQTT 5 property decoder (fuzz/, see fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]      targets: decode session properties (default: all)
#
# With cargo-fuzz installed (`cargo install cargo-fuzz`) this runs libFuzzer with AddressSanitizer.
# cargo-fuzz needs nightly compiler features; on a stable toolchain RUSTC_BOOTSTRAP=1 unlocks them
# (set here). Without cargo-fuzz, or with MQTT_NAPI_FUZZ_SMOKE=1, it runs the same targets as a
# deterministic smoke binary on stable Rust (no sanitizer, no coverage guidance).
# A crash leaves the input in fuzz/artifacts/<target>/ and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECS="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(decode session properties)

# A starting corpus of generated inputs (valid packet streams, mutated ones, op streams).
cargo run --quiet --release --no-default-features --bin smoke -- --write-seeds 64 >/dev/null

if [ "${MQTT_NAPI_FUZZ_SMOKE:-0}" != "1" ] && cargo fuzz --version >/dev/null 2>&1; then
  export RUSTC_BOOTSTRAP=1
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
  for t in "${TARGETS[@]}"; do
    echo "== cargo fuzz run $t (${SECS} s)"
    if ! cargo fuzz run -O "$t" -- -max_total_time="$SECS" -print_final_stats=1 >"$log" 2>&1; then
      tail -60 "$log" >&2
      echo "cargo fuzz run $t found a failure: see fuzz/artifacts/$t/" >&2
      exit 1
    fi
    grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  done
else
  echo "== cargo-fuzz unavailable (or MQTT_NAPI_FUZZ_SMOKE=1): deterministic smoke run"
  for t in "${TARGETS[@]}"; do
    cargo run --quiet --release --no-default-features --bin smoke -- --target "$t" --seconds "$SECS"
    cargo run --quiet --release --no-default-features --bin smoke -- --target "$t" --corpus "corpus/$t"
  done
fi
