#!/usr/bin/env bash
# Installs the Debian 12 packages AttnScope needs to build, run and test, and only those that are missing.
# With --fuzz also what the test script needs beyond the build (clang, libFuzzer and clang's OpenMP for the fuzz
# harnesses, clang-format for the formatting check); with --package what
# `cpack -G DEB` needs (dpkg-dev, file); with --bench the baselines the benchmarks compare with (PyTorch, and
# OpenBLAS as the BLAS that PyTorch and NumPy use; nothing of AttnScope needs them). Runs apt-get as root, or through sudo when started as another user.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config        # compiler and build tools (GCC brings OpenMP)
  qt6-base-dev qt6-svg-dev libgl-dev                  # Qt 6 (its CMake files want the OpenGL headers)
  libqcustomplot-dev                                  # QCustomPlot 2.1 (CMake package QCustomPlotQt6)
  libeigen3-dev                                       # Eigen 3.4
  libxsmm-dev                                         # libxsmm 1.17: JIT kernels for the attention tiles
  libicu-dev                                          # ICU: Unicode categories and NFD for the tokenizers
  libgtest-dev googletest libbenchmark-dev            # GoogleTest and Google Benchmark
  python3 python3-numpy                               # the test that numpy.load reads our .npy files
)

for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libfuzzer-14-dev libclang-rt-14-dev libomp-14-dev clang-format) ;;
    --package) packages+=(dpkg-dev file) ;;
    --bench) packages+=(python3-torch libopenblas0-pthread) ;;
    *) echo "install-deps: unknown option '$arg' (expected --fuzz, --package or --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every package is already installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
