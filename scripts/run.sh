#!/usr/bin/env bash
# Installs what is missing, builds, and starts the app. Without a display it says so and renders the default
# picture to a file instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec ./build/app/attnscope "$@"
fi
out=attnscope-default.png
echo "run: no display found (DISPLAY and WAYLAND_DISPLAY are empty), so the app cannot open a window."
echo "run: rendering the default picture (a window of 5 over 16 tokens) to $out instead."
./build/app/attnscope-cli render --pattern window -p radius=2 --n 16 --out "$out"
