#!/usr/bin/env bash
# Set up everything the tests need, then run the whole test suite (lint included). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check circe_kg tests bench
.venv/bin/python scripts/audit.py --allow-unreachable  # known vulnerabilities fail the run (SECURITY.md)
exec .venv/bin/python -m pytest "$@"
