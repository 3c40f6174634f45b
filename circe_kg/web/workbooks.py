"""Spreadsheets as bytes: a template, or an export of records (all of a kind, or only some), as .xlsx in the
layout the import reads back (circe_kg.sheets). The sheets pages and the lists' "download to edit" both make
them here.
"""

from __future__ import annotations

import io

from flask import g

from ..namespaces import expand
from ..sheets.export import records
from ..sheets.layout import layout_for
from ..sheets.workbook import write_workbook
from .services import get_store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_language() -> str:
    """The language of a sheet's headers: the reader's where the templates have it (en, it), else English."""
    return g.get("lang", "en") if g.get("lang") in ("en", "it") else "en"


def xlsx_of(kinds: list[str], with_records: bool, only: set[str] | None = None) -> bytes:
    """A template (or an export; `only`: just these resources) of `kinds` as .xlsx bytes."""
    store = get_store()
    layouts = [layout_for(store, kind, sheet_language()) for kind in kinds]
    found = None
    if with_records:
        found = {
            layout.kind: [r for r in records(store, layout) if only is None or _iri(r) in only] for layout in layouts
        }
    out = io.BytesIO()
    write_workbook(layouts, out, found)
    return out.getvalue()


def _iri(record) -> str:
    return expand(record["id"][0]) or ""
