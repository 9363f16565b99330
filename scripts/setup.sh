#!/usr/bin/env bash
# Create or refresh the project's virtual environment in .venv (idempotent).
# Re-installs only when pyproject.toml changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.ig-tutorial-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "Installing ig-tutorial and its dependencies into .venv (first time: a few minutes)" >&2
  # pip's and the build backend's chatter goes to a log, shown only if the install fails.
  log=.venv/install.log
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
         .venv/bin/python -m pip install --quiet -e ".[run,ray,dev,docs]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "Installing into .venv failed; the log above is also in $log" >&2
    exit 1
  fi
  echo "$wanted" > "$stamp"
fi
