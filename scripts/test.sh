#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   1. the Release build: engine, command line and widget tests (the widgets on the offscreen platform);
#   2. the engine alone, configured without Qt, to prove it needs none;
#   3. each libFuzzer harness for ATTNSCOPE_FUZZ_SECONDS (default 30) over its seeds and kept regressions;
#   4. everything again under AddressSanitizer and UBSan, the widget tests included (CTest's summary is last).
# A failure anywhere fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --fuzz
jobs=$(nproc)

echo "== Release build and tests"
bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$jobs"

echo "== The engine alone, without Qt"
cmake -S . -B build-engine -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_BUILD_GUI=OFF -DATTNSCOPE_BUILD_CLI=OFF \
  -DATTNSCOPE_BUILD_TESTS=OFF -DATTNSCOPE_BUILD_BENCHMARKS=OFF > /dev/null
cmake --build build-engine --parallel "$jobs" > /dev/null
echo "engine built without Qt: $(ls build-engine/engine/libattnscope_engine.a)"

echo "== Fuzzing"
bash scripts/fuzz.sh "${ATTNSCOPE_FUZZ_SECONDS:-30}"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests (engine, command line, widgets)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNSCOPE_SANITIZE=ON \
  -DATTNSCOPE_BUILD_BENCHMARKS=OFF
cmake --build build-asan --parallel "$jobs"
# Qt and fontconfig keep some allocations for the life of the process; tests/lsan.supp names those, not ours.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 ATTNSCOPE_MONKEY_ACTIONS=600 \
  ctest --test-dir build-asan --output-on-failure --parallel "$jobs"
