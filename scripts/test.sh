#!/usr/bin/env bash
# Set up, then run the whole test suite twice: on SQLite (the embedded default)
# and on a throw-away PostgreSQL + PostGIS cluster on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export PYTHONHASHSEED=0
echo "== lint: ruff check, ruff format --check, mypy --strict on the package =="
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== tests on SQLite =="
.venv/bin/python -m pytest -q -rs -p no:cacheprovider "$@"

echo "== the built wheel, installed in a fresh venv, run outside the checkout =="
.venv/bin/python -m pytest -q -p no:cacheprovider -m wheel tests/test_wheel.py

echo "== tests on PostgreSQL + PostGIS =="
eval "$(bash .ci/start-postgis.sh)"
# The real-browser tests serve the app on their own SQLite workspaces whatever
# the backend (they test the UI, not the store), so this pass leaves them out.
ASSETMAP_TEST_DATABASE_URL="$ASSETMAP_TEST_DATABASE_URL" .venv/bin/python -m pytest -q -rs -p no:cacheprovider \
  -m "not network and not browser_slow and not browser and not wheel" "$@"
