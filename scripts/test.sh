#!/usr/bin/env bash
# Set up .venv if needed, then run the whole test suite (offline; network tests skip themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
# Two workers (pytest-xdist), which share the notebooks' executions (tests/notebook_runs.py).
# IG_TUTORIAL_TEST_WORKERS=0 runs in one process; a later -n in the arguments wins.
exec .venv/bin/python -m pytest -n "${IG_TUTORIAL_TEST_WORKERS:-2}" "$@"
