#!/usr/bin/env bash
# Set up (as for the tests: Oxigraph server and Virtuoso are needed) plus matplotlib for the plot, then run
# the scale benchmark. Extra arguments go to bench/scale.py, e.g. scripts/bench.sh --sizes 1e4,1e5,1e6
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/python -c 'import matplotlib' 2>/dev/null \
  || .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[bench]"
exec .venv/bin/python bench/scale.py "$@"
