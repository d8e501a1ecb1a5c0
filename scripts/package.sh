#!/usr/bin/env bash
# Builds an installable Debian package of AttnScope (app, command line, .desktop file, icon) in build-deb/:
# a Release build for any x86-64 machine (not -march=native), then `cpack -G DEB`. Prints the .deb's path.
# Install it with: sudo apt install ./build-deb/attnscope_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --package
cmake -S . -B build-deb -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_NATIVE=OFF \
  -DATTNSCOPE_BUILD_TESTS=OFF -DATTNSCOPE_BUILD_BENCHMARKS=OFF -DCMAKE_INSTALL_PREFIX=/usr
cmake --build build-deb --parallel "$(nproc)"
(cd build-deb && cpack -G DEB)
ls build-deb/attnscope_*.deb
