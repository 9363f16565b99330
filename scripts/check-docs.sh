#!/usr/bin/env bash
# Build the site, then check it in headless Chromium: figures load, no error outputs,
# internal links resolve. Screenshots go to docs/_build/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-browser.sh
bash scripts/docs.sh
.venv/bin/python scripts/check_site.py docs/_build/html --screenshots docs/_build/screenshots
echo "docs check finished in $(( $(date +%s) - start )) s"
