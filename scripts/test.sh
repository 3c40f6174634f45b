#!/usr/bin/env bash
# Set up everything the tests need, then run the whole test suite (lint, format and type checks included).
#   scripts/test.sh --fast [ARGS]   the fast loop while editing: the embedded store's tests that start no server,
#                                   no browser and take under a second each (FAST below); lint, no type check
#   scripts/test.sh ARGS            one pytest run with these arguments instead of the whole suite
set -euo pipefail
cd "$(dirname "$0")/.."
FAST=(--backend=embedded -m "not browser and not server and not serial and not fuzz and not slow")
scripts/setup.sh --test
.venv/bin/ruff check circe_kg devtools tests bench
.venv/bin/ruff format --check circe_kg devtools tests
workers="${CIRCE_KG_TEST_WORKERS:-2}"
if [ "${1:-}" = "--fast" ]; then
  shift
  exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "${FAST[@]}" "$@"
fi
.venv/bin/mypy circe_kg  # settings in pyproject.toml [tool.mypy]
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
fi
.venv/bin/python scripts/audit.py --allow-unreachable  # known vulnerabilities fail the run (SECURITY.md)
# Two workers (the machines have two cores; many tests wait on servers and Chromium), each taking whole files so
# that module fixtures are built once; then, alone, the tests that measure capacity under load (marked serial).
# CIRCE_KG_TEST_WORKERS=0 runs everything in one process. Both parts run; the exit status says if either failed.
status=0
run() { .venv/bin/python -m pytest "$@" || { code=$?; [ "$code" -eq 5 ] || status=$code; }; }  # 5: none selected
run -n "$workers" --dist loadfile -m "not serial" --durations=25
run -m serial --durations=10
exit "$status"
