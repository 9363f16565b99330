#!/usr/bin/env bash
# Build the documentation site offline into docs/_build/html (warnings are errors).
# Notebooks are executed with the offline profile; jupyter-cache re-runs only changed ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
.venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
echo "Site built: docs/_build/html/index.html"
