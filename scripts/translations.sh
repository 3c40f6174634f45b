#!/usr/bin/env bash
# After changing interface text: extract the strings, update each language's catalogue, then compile.
# Translate the new (empty) entries in circe_kg/translations/*/LC_MESSAGES/messages.po between the two
# steps; tests/test_i18n.py fails while any entry is untranslated or fuzzy.
# Usage: scripts/translations.sh          (extract + update)   |   scripts/translations.sh compile
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "compile" ]; then
  exec .venv/bin/pybabel compile -d circe_kg/translations
fi
.venv/bin/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --omit-header \
  -o circe_kg/translations/messages.pot .
.venv/bin/pybabel update -i circe_kg/translations/messages.pot -d circe_kg/translations --ignore-obsolete
