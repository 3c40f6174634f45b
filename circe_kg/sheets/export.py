"""The current records of a class in its template's layout, for an export that can be edited and imported again.

Promises: `records(store, layout)` gives one record per resource of the class (subclasses included, sorted by
ID): its ID in short form and, per column, the values an import would read back to the same terms — text for
text, dates as dates, numbers as Decimals, links and choices as the labels of the column's drop-down list (the
short ID where a value has no label there). Importing an unchanged export therefore changes nothing.

>>> from decimal import Decimal
>>> _python(ox.Literal("2500.0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")))
Decimal('2500.0')
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from .. import queries
from ..lemmas import fold
from ..namespaces import compact
from ..store import Store
from .layout import Layout, without_mark
from .workbook import Record, Value


def _python(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> Value:
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value.rsplit("#", 1)[-1]
        try:
            if datatype == "date":
                return dt.date.fromisoformat(term.value)
            if datatype in ("decimal", "integer", "nonNegativeInteger", "positiveInteger"):
                return Decimal(term.value)
            if datatype == "boolean":
                return term.value in ("true", "1")
        except (ValueError, InvalidOperation):
            return term.value
    return term.value


def _label(layout: Layout, path: str, label: str | None, iri: str) -> str:
    """The drop-down label of a link, or its short ID where no label, or the same label twice, would name it."""
    if label is not None and len(layout.by_label.get(path, {}).get(fold(without_mark(label)), ())) == 1:
        return label
    return compact(iri)


def records(store: Store, layout: Layout) -> list[Record]:
    """Every record of the layout's class, as the export writes it."""
    by_path: dict[str, list] = {}
    for column in layout.columns:
        if column.field is not None:
            by_path.setdefault(column.field.path, []).append(column)
    labels = {
        column.field.path: {c.value: c.label for c in column.field.choices}
        for column in layout.columns
        if column.field is not None and column.field.choices
    }
    out: dict[str, dict[str, list[Value]]] = {}
    for row in queries.run(store, "sheet-records", {"type": layout.class_iri}).rows:
        iri, path, term = row["resource"].value, row["property"].value, row["value"]
        record = out.setdefault(iri, {"id": [compact(iri)]})
        for column in by_path.get(path, []):
            if column.language is not None:
                if not isinstance(term, ox.Literal) or (term.language or "") != column.language:
                    continue
            if isinstance(term, ox.NamedNode) and path in labels:
                value: Value = _label(layout, path, labels[path].get(term.value), term.value)
            elif isinstance(term, ox.NamedNode) and column.field is not None and column.field.widget == "url":
                value = term.value
            else:
                value = _python(term)
            record.setdefault(column.key, []).append(value)
    for record in out.values():
        for key, values in record.items():
            if key != "id":
                record[key] = sorted(values, key=str)
    return [out[iri] for iri in sorted(out, key=compact)]
