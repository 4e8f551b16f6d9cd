#!/usr/bin/env bash
# Compile the Easy Read sheet's gettext catalogues (.po -> .mo) with msgfmt (Debian gettext).
# The .mo files are committed and shipped as package data; tests/test_easy_read.py checks
# that each .mo holds every message of its .po, so run this after editing a .po.
set -euo pipefail
cd "$(dirname "$0")/.."
for po in assetmap/locale/*/LC_MESSAGES/assetmap.po; do
  msgfmt --check --output-file="${po%.po}.mo" "$po"
done
