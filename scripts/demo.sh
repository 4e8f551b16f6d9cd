#!/usr/bin/env bash
# Set up, build the demo workspace from real OpenStreetMap data (offline), and serve the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
WS=${1:-demo-workspace}
.venv/bin/assetmap demo "$WS"
# The demo has no accounts: local mode, this computer only (127.0.0.1).
exec .venv/bin/assetmap app "$WS" --local --port "${PORT:-8501}"
