#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   0. every C++ file as .clang-format formats it;
#   1. the Release build: engine, command line and widget tests (the widgets on the offscreen platform);
#   2. the engine tests once more at 16 OpenMP threads on this machine's cores, so that an assumption about the
#      thread count (which thread finishes which chunk) fails here rather than on a larger machine;
#   3. the engine alone, configured without Qt, to prove it needs none;
#   4. each libFuzzer harness for ATTNSCOPE_FUZZ_SECONDS (default 30) over its seeds and kept regressions;
#   5. everything again under AddressSanitizer and UBSan, the widget tests included (CTest's summary is last).
# A failure anywhere fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --fuzz
jobs=$(nproc)

echo "== Formatting (.clang-format; clang-format -i on the files it names mends them)"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

echo "== Release build and tests"
bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$jobs"

echo "== The engine tests at 16 threads"
OMP_NUM_THREADS=16 build/tests/attnscope_engine_tests --gtest_brief=1

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
# intercept_tls_get_addr=0: the sanitizer runtime of GCC <= 13 and LLVM <= 16 takes a dynamic TLS block that
# happens to start 16 bytes into a page for a pre-2.25 glibc header and reads a bogus range from it, and
# LeakSanitizer's tracer then dies at exit ("Tracer caught signal 11") after a test has passed. Debian 12's
# glibc has no such header; the flag turns that guess off (see Mudlet/Mudlet#9809 and #9930).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 ATTNSCOPE_MONKEY_ACTIONS=600 \
  ctest --test-dir build-asan --output-on-failure --parallel "$jobs"
