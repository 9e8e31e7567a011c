#!/usr/bin/env bash
# Installs what luoshi needs into ./.venv and ./node_modules: finds Python 3.13 or 3.12, gets uv,
# syncs the locked Python dependencies and the npm packages. Safe to run again: it does nothing
# that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in python3.13 python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  for candidate in "$HOME"/.pyenv/versions/3.13*/bin/python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 \
                   /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || {
  echo "luoshi needs Python 3.13 (or 3.12) and none was found on PATH or under ~/.pyenv/versions." >&2
  echo "Install one (for example: pyenv install 3.13, or apt-get install python3.13) and run this again." >&2
  exit 1
}

if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif "$PYTHON" -m uv --version >/dev/null 2>&1; then
  UV=("$PYTHON" -m uv)
else
  echo "installing uv for $PYTHON" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
  UV=("$PYTHON" -m uv)
fi

export UV_PYTHON_DOWNLOADS=never
"${UV[@]}" sync --frozen --quiet --python "$PYTHON"

if [ ! -d node_modules/@tabler/core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
