#!/usr/bin/env bash
# Set up, then run the whole test suite on SQLite (the embedded default), and
# the tests that reach the store again on a throw-away PostgreSQL + PostGIS
# cluster on 127.0.0.1.
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

echo "== tests that reach the store, on PostgreSQL + PostGIS =="
eval "$(bash .ci/start-postgis.sh)"
# Only the tests marked `store` run again here: tests/conftest.py marks every
# test whose fixtures (however indirectly) reach the backend under test (all
# of them go through its `_pg_template`: database_url, new_database_url, store,
# workspace_path, the app tests' app_env); nothing else reads
# ASSETMAP_TEST_DATABASE_URL. The rest (pure kernels, parsers, doctests) would
# run unchanged a second time. The real-browser tests serve the app on their
# own SQLite workspaces whatever the backend (they test the UI, not the
# store), so this pass leaves them out.
ASSETMAP_TEST_DATABASE_URL="$ASSETMAP_TEST_DATABASE_URL" .venv/bin/python -m pytest -q -rs -p no:cacheprovider \
  -m "store and not network and not browser_slow and not browser and not wheel" "$@"
