#!/usr/bin/env bash
# Set up circe-kg on a fresh Debian machine with Python 3.11: a virtual environment in .venv with the
# pinned dependencies. Idempotent: a second run with unchanged pins only checks a stamp and returns.
# Usage: scripts/setup.sh [--test]   (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "circe-kg needs Python 3.11 or newer as '$python' (set PYTHON=… to choose another)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv .venv
  fi
fi

# One stamp per set of extras: a test install also satisfies a plain one, so switching between
# scripts/serve.sh and scripts/test.sh does not reinstall.
pins="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
stamp=.venv/.circe-kg-installed${extras:+-test}
want="$pins$extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] && [ "$(cat .venv/.circe-kg-installed-test 2>/dev/null)" != "$pins[test]" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".$extras" 2>&1 \
    | grep -vE '^WARNING: Location|BuildBackendWarning|^\s*$' || true
  .venv/bin/python -c 'import circe_kg, pyoxigraph, pyshacl, owlready2, flask' \
    || { echo "setup failed: the packages did not install" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# Interface translations: compile the .po catalogues (in git) to the .mo files Flask-Babel reads.
.venv/bin/pybabel compile -d circe_kg/translations >/dev/null

# Search's lemma dictionaries (circe_kg/lemmas.py): built once into the user's cache folder, so that no process
# waits for them and no two build them at once.
.venv/bin/python -c 'from circe_kg import lemmas; lemmas.load()'

# The browser tests drive Debian's Chromium with Playwright (Playwright's own browser download cannot work here).
if [ -n "$extras" ] && [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || { echo "setup failed: could not install Debian's chromium for the browser tests" >&2; exit 1; }
fi

# The server-backend tests start a real Virtuoso (Debian's package; its own service is not used or started).
# Debian's installer asks for the system instance's DBA password: give it a random one, never stored.
if [ -n "$extras" ] && ! command -v virtuoso-t >/dev/null 2>&1; then
  password="v$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf 'virtuoso-opensource-7 virtuoso-opensource-7/dba-password password %s\nvirtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password %s\n' \
    "$password" "$password" | debconf-set-selections
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; } \
    || { echo "setup failed: could not install Debian's virtuoso-opensource for the server-backend tests" >&2; exit 1; }
fi

# owlready2's reasoner (HermiT) runs on Java.
if ! command -v java >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi

# The /query page's browser assets (Yasgui) come from the npm registry, pinned by package-lock.json and
# served by the app from node_modules/ (no CDN). Reinstalled only when package-lock.json changes.
if ! command -v npm >/dev/null 2>&1; then
  # Debian ships npm separately from nodejs.
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } || true
  if ! command -v npm >/dev/null 2>&1; then
    echo "circe-kg needs npm (Node.js) to install the /query page's assets: apt-get install nodejs npm" >&2
    exit 1
  fi
fi
npm_stamp=node_modules/.circe-kg-installed
npm_want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ] || [ ! -f node_modules/@zazuko/yasgui/build/yasgui.min.js ]; then
  # --ignore-scripts: the build files ship ready in the package; no install script needs to run.
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null \
    || { echo "setup failed: npm ci could not install package-lock.json's packages" >&2; exit 1; }
  [ -f node_modules/@zazuko/yasgui/build/yasgui.min.js ] \
    || { echo "setup failed: node_modules/@zazuko/yasgui/build/yasgui.min.js is missing after npm ci" >&2; exit 1; }
  echo "$npm_want" > "$npm_stamp"
fi
