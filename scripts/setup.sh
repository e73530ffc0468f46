#!/usr/bin/env bash
# Installs everything the course needs into the current Python: the exact versions of
# requirements.lock (the course package `lib` editable among them, JupyterLab to open the
# chapters), d2l without its pins, npm for the book's offline scripts, and with --browser
# Debian's Chromium and its driver for the browser test.
#   --unlocked   the newest releases that requirements.txt admits instead of the lock (to try
#                the course against new releases before refreshing the lock: bash scripts/lock.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
browser=no
install=(-r requirements.lock)
for option in "$@"; do
  case "$option" in
    --browser) browser=yes ;;
    --unlocked) install=(--upgrade --upgrade-strategy eager -r requirements.txt) ;;
    *) echo "setup.sh: unknown option $option (valid: --browser, --unlocked)" >&2; exit 2 ;;
  esac
done
python -m pip install -q "${install[@]}"
# d2l 1.0.3 hard-pins numpy 1.23.5, pandas, scipy and matplotlib, which cannot install on newer
# Pythons; the course uses it only to compare against, so its pins are skipped.
python -m pip install -q --no-deps d2l==1.0.3
# The book serves MathJax and RequireJS from its own pages; the build fetches them with npm.
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
if [ "$browser" = yes ] && ! command -v chromedriver >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
