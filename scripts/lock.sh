#!/usr/bin/env bash
# Resolves requirements.txt to exact versions in requirements.lock, which scripts/setup.sh installs.
# The lock holds for CPython 3.11 and newer on every platform (markers choose per platform); on the
# project's machines and CI (3.11, Linux x86_64) it is exactly what `pip install -r requirements.txt`
# resolves, which tests/test_lock.py checks against the installed packages. uv runs from a
# throwaway environment; nothing is installed into the current one.
set -euo pipefail
cd "$(dirname "$0")/.."
tool="$(mktemp -d)"
trap 'rm -rf "$tool"' EXIT
python -m venv "$tool"
"$tool/bin/python" -m pip install -q "uv>=0.5"
UV_CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh" "$tool/bin/uv" pip compile requirements.txt \
  --output-file requirements.lock --universal --python-version 3.11 --quiet
