#!/usr/bin/env bash
# Set up everything the tests need, then run the whole test suite (lint included). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check circe_kg tests bench
.venv/bin/python scripts/audit.py --allow-unreachable  # known vulnerabilities fail the run (SECURITY.md)
# Two workers by default (the machines have two cores; tests mostly wait on servers and Chromium). Each worker
# takes whole files, so module fixtures are built once; CIRCE_KG_TEST_WORKERS=0 runs in one process.
exec .venv/bin/python -m pytest -n "${CIRCE_KG_TEST_WORKERS:-2}" --dist loadfile "$@"
