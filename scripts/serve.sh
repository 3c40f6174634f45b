#!/usr/bin/env bash
# Set up, load the shipped ontology, shapes and data into the on-disk store, and serve the web app with
# its SPARQL endpoint on http://127.0.0.1:${PORT:-8000}/ . Safe to run again: loading replaces graphs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/circe-kg load
exec .venv/bin/circe-kg serve --port "${PORT:-8000}"
