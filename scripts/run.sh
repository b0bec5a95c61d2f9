#!/usr/bin/env bash
# One entry point that does all set-up on a fresh Debian 12 machine (as root) and then
#   sample  builds the sample issues into out/ (PDF + EPUB + layout.json)
#   test    runs the test suite
# Set-up is idempotent: Debian packages are installed only when missing, the venv only when stale.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  fontconfig fonts-noto-cjk fonts-noto-cjk-extra fonts-arphic-ukai  # the font palette (fonts/palette.toml)
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0              # WeasyPrint; HarfBuzz subsetting is required
  default-jre-headless                                               # EPUBCheck (tests)
  poppler-utils                                                      # pdffonts/pdftotext (tests, looking at pages)
  fonts-dejavu-core                                                  # a small Latin face (tests: EPUB font subsets)
  pandoc                                                             # bench/: the EPUB baseline
  calibre   # optional for users (--format azw3); tests: calibre reads the series, AZW3 converts (~76 s to install)
  python3 python3-venv
)

setup_system() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
      echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
      exit 1
    fi
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fc-cache -f >/dev/null
  fi
}

setup_python() {
  local stamp=.venv/.epaper-installed
  if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "installing epaper into .venv" >&2
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -e ".[test]"
    touch "$stamp"
  fi
}

cmd=${1:-}
case "$cmd" in
  sample)
    setup_system; setup_python
    shift
    .venv/bin/epaper build issues/wujin-daily/2024-12-19 issues/wujin-daily/2024-12-20 issues/island-morning/2025-03-14 \
      --out "${1:-out}"
    ;;
  test)
    setup_system; setup_python
    bash scripts/setup_browser.sh   # Debian's chromium and epub.js for the reading-system tests
    shift
    .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash scripts/run.sh sample [OUT_DIR] | test [PYTEST_ARGS...]" >&2
    exit 2
    ;;
esac
