#!/usr/bin/env bash
# Installs everything the course needs: the Python packages (the course package `lib` included,
# editable) and, with --browser, Debian's Chromium and its driver for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -r requirements.txt
# d2l 1.0.3 hard-pins numpy 1.23.5, pandas, scipy and matplotlib, which cannot install on newer
# Pythons; the course uses it only to compare against, so its pins are skipped.
python -m pip install -q --no-deps d2l==1.0.3
# The book serves MathJax and RequireJS from its own pages; the build fetches them with npm.
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
if [ "${1:-}" = "--browser" ] && ! command -v chromedriver >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
