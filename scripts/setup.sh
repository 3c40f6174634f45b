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

stamp=.venv/.circe-kg-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)$extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".$extras" 2>&1 \
    | grep -vE '^WARNING: Location|BuildBackendWarning|^\s*$' || true
  .venv/bin/python -c 'import circe_kg, pyoxigraph, pyshacl, owlready2, flask' \
    || { echo "setup failed: the packages did not install" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# owlready2's reasoner (HermiT) runs on Java.
if ! command -v java >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi
