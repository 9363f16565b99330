#!/usr/bin/env bash
# Set up .venv if needed, then run the main job offline: execute every tutorial notebook with
# papermill on notebooks/offline.yaml (bundled EfficientNet-Lite0 and photos), writing the
# executed notebooks and their PNG figures to outputs/. Extra arguments go to `ig-tutorial run`
# (e.g. --notebooks 05 06).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
exec .venv/bin/ig-tutorial run --offline --output outputs "$@"
