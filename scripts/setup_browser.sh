#!/usr/bin/env bash
# Set-up for tests/test_epub_reader.py (the EPUB opened by epub.js in headless Chromium), idempotent:
#   - Debian's chromium at /usr/bin/chromium (never a browser downloaded by a test tool);
#   - node and npm, from Debian, only when they are not on PATH already;
#   - the browser-side test tools of tests/reader/package.json (epub.js, JSZip, axe-core, DAISY Ace, Mirador) into
#     tests/reader/node_modules by `npm ci` (exact versions from the committed
#     package-lock.json; install scripts off), when node_modules is missing or older than the lock file.
# Silent and quick when everything is there. Installing Debian packages needs root.
# Usage: bash scripts/setup_browser.sh   (scripts/run.sh calls it before the tests)
set -euo pipefail
cd "$(dirname "$0")/.."

READER=tests/reader
STAMP=$READER/node_modules/.epaper-npm-ci

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "missing for the EPUB reader tests: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  # Wait for another apt/dpkg run to finish instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Every dependency of package.json must be there (a package added by a later commit is installed too).
all_there() {
  node -e 'const fs=require("fs"),p=require("path").resolve(process.argv[1]);
    const d=JSON.parse(fs.readFileSync(p+"/package.json","utf8")).dependencies||{};
    process.exit(Object.keys(d).every(n=>fs.existsSync(p+"/node_modules/"+n+"/package.json"))?0:1)' "$READER"
}
if [ ! -f "$STAMP" ] || [ "$READER/package-lock.json" -nt "$STAMP" ] || [ "$READER/package.json" -nt "$STAMP" ] \
   || ! all_there; then
  echo "installing the browser-side test tools into $READER/node_modules (npm ci)" >&2
  npm ci --prefix "$READER" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  touch "$STAMP"
fi
