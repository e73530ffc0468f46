#!/usr/bin/env bash
# Builds the HTML book into _build/html. The pages read completely offline: MathJax, RequireJS
# and the Jupyter widgets HTML manager are installed from npm into _build/npm and copied into
# _build/book_static, which _config.yml serves as part of _static. Notebooks are not executed.
#
#     bash scripts/build_book.sh            # extra arguments go to `jupyter-book build`
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="mathjax@3.2.2 requirejs@2.3.8 @jupyter-widgets/html-manager@1.0.15"
NPM_DIR=_build/npm
STATIC=_build/book_static

if [ "$(cat "$NPM_DIR/.installed" 2>/dev/null)" != "$PACKAGES" ]; then
  command -v npm >/dev/null || { echo "npm is needed to fetch MathJax for the book (apt-get install npm)" >&2; exit 1; }
  rm -rf "$NPM_DIR" "$STATIC"
  mkdir -p "$NPM_DIR"
  # shellcheck disable=SC2086
  npm install --prefix "$NPM_DIR" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error $PACKAGES
  echo "$PACKAGES" > "$NPM_DIR/.installed"
fi

if [ ! -f "$STATIC/.complete" ]; then
  modules="$NPM_DIR/node_modules"
  rm -rf "$STATIC"
  mkdir -p "$STATIC/jupyter-widgets"
  cp -r "$modules/mathjax/es5" "$STATIC/mathjax"
  cp "$modules/requirejs/require.js" "$STATIC/require.js"
  # embed-amd.js bundles ipywidgets' base and controls; its fonts sit beside it.
  find "$modules/@jupyter-widgets/html-manager/dist" -maxdepth 1 -type f \
    \( -name embed-amd.js -o -name '*.woff*' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
    -exec cp {} "$STATIC/jupyter-widgets/" \;
  touch "$STATIC/.complete"
fi

jupyter-book build -W --keep-going "$@" .
