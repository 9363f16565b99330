#!/usr/bin/env bash
# Set up .venv if needed, then run the main job offline on the bundled model and photos:
# classify each bundled photo, compute Integrated Gradients and write figures to outputs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
for photo in grace_hopper coffee chelsea; do
  .venv/bin/ig-tutorial attribute "$photo" --out "outputs/$photo.png"
done
