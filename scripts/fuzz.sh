#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (build-fuzz/) and runs each for SECONDS (default 60): first over its
# committed seed corpus and every kept regression input, then fuzzing from them. A crash, a leak, undefined
# behaviour, a timeout or running out of memory fails the run; the input that did it is left in
# build-fuzz/artifacts/. Keep such an input in tests/fuzz/regressions/HARNESS/ once it is fixed.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case "$seconds" in (*[!0-9]*|'') echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
bash scripts/install-deps.sh --fuzz

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNSCOPE_FUZZ=ON \
  -DATTNSCOPE_BUILD_GUI=OFF -DATTNSCOPE_BUILD_CLI=OFF -DATTNSCOPE_BUILD_TESTS=OFF -DATTNSCOPE_BUILD_BENCHMARKS=OFF \
  -DATTNSCOPE_NATIVE=OFF > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
cmake --build build-fuzz --parallel "$(nproc)" >> build-fuzz.log 2>&1 || { tail -50 build-fuzz.log; exit 1; }
rm -f build-fuzz.log

mkdir -p build-fuzz/artifacts
# intercept_tls_get_addr=0: see scripts/test.sh (a sanitizer-runtime guess that crashes LeakSanitizer's tracer).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export QT_QPA_PLATFORM=offscreen
status=0
for harness in npy pattern_spec preset model_config attention_dump llama2c safetensors tokenizers samples; do
  work=build-fuzz/corpus/$harness
  mkdir -p "$work"
  # The regressions and seeds are run once as they are, then fuzzing grows the working corpus from them.
  inputs=(tests/fuzz/corpus/$harness)
  [ -n "$(ls -A tests/fuzz/regressions/$harness 2>/dev/null)" ] && inputs+=(tests/fuzz/regressions/$harness)
  echo "== fuzz $harness: $seconds s"
  if ! ./build-fuzz/tests/fuzz/fuzz_$harness -runs=0 "${inputs[@]}" > "build-fuzz/$harness-replay.log" 2>&1; then
    tail -40 "build-fuzz/$harness-replay.log"; echo "fuzz $harness: a kept input fails"; status=1; continue
  fi
  if ! ./build-fuzz/tests/fuzz/fuzz_$harness -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
         -artifact_prefix=build-fuzz/artifacts/$harness- -print_final_stats=1 "$work" "${inputs[@]}" \
         > "build-fuzz/$harness.log" 2>&1; then
    tail -40 "build-fuzz/$harness.log"; echo "fuzz $harness: FAILED (input in build-fuzz/artifacts/)"; status=1; continue
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "build-fuzz/$harness.log" | tr '\n' ' '; echo
done
[ $status -eq 0 ] && echo "fuzz: every harness ran $seconds s without a failure"
exit $status
