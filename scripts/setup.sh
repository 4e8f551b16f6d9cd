#!/usr/bin/env bash
# Set up everything assetmap needs, from the project's own files:
# Debian packages (PostgreSQL + PostGIS, Chromium, PDF tools) and a Python venv in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  postgresql postgresql-15-postgis-3   # the server path, and the test suite's second backend
  chromium                             # real-browser UI tests (Playwright drives /usr/bin/chromium)
  fonts-dejavu-core                    # readable text in screenshots and PDFs
  fonts-noto-color-emoji               # page icons and tab labels in browser screenshots
  poppler-utils                        # pdftoppm: render support-sheet PDFs to PNG in tests
  libpango-1.0-0 libpangoft2-1.0-0     # WeasyPrint (HTML -> PDF)
  espeak-ng                            # "listen": speaks the Easy Read support sheet to a WAV file, offline
  fonts-noto-core                      # Arabic (right-to-left) and other scripts in translated sheets
  gettext                              # msgfmt: compiles the sheet's .po translations to .mo
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import assetmap, geopandas, osmium, streamlit, playwright" # fail loudly if the install broke
