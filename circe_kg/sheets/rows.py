"""Turn the tables of a spreadsheet into records — one per row — and pin every problem to its cell.

Promises: `parse(store, reading, kind=None)` gives a Row per data row whose ID and cells could be read, with the
RDF terms of each column it has, and a Problem for every cell that could not be read (a date that is not a date,
a decimal comma, a label that names nothing or several things, an ID of another class, the same ID twice), each
saying where (`Practices!D14`), the column's header, the value, what is wrong and how to fix it. Cells the
importer does not import (a column no shape knows, a sheet of no known kind) are listed in `ignored` with why.
Raises nothing for bad cells: the caller decides, from the problems, whether anything is written.

The parser is strict where a guess could change a fact (03/04/2021, 1,234) and says exactly what to type instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

import pyoxigraph as ox

from .. import queries
from ..binding import AnyTerm, value_of
from ..errors import UsageError
from ..namespaces import XSD, compact, expand
from ..store import Store
from .layout import ID_HEADER, KINDS, Column, Layout, kind_of, layout_for, new_iri
from .reading import Cell, Reading, Table, cell_ref, column_letter

YES = {"yes", "y", "true", "1", "x", "sì", "si", "sí", "oui", "ja", "tak", "da", "ano", "да", "wahr", "vrai"}
NO = {"no", "n", "false", "0", "non", "nee", "nie", "ne", "не", "nein", "falso", "faux"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
SPLIT = re.compile(r"\s*[;\n]\s*")
MAX_TEXT = 32_767  # a spreadsheet cell holds no more


@dataclass
class Problem:
    where: str
    header: str
    value: str
    what: str
    fix: str

    def to_text(self) -> str:
        value = f" {self.value!r}" if self.value else ""
        return f"{self.where} ({self.header}){value}: {self.what} — {self.fix}"

    def to_dict(self) -> dict[str, str]:
        return {"cell": self.where, "header": self.header, "value": self.value, "problem": self.what, "fix": self.fix}


@dataclass
class Row:
    layout: Layout
    sheet: str
    number: int
    iri: str
    new: bool
    values: dict[str, list[ox.NamedNode | ox.Literal]]  # column key → terms, for every column the sheet has
    cells: dict[str, Cell]  # column key → its cell in this row
    refused: bool = False
    graph: str | None = None  # where a new record goes (None: the edits graph)
    extra: list[ox.Triple] = field(default_factory=list)  # about the record, beyond its columns (a mapping's)

    @property
    def ref(self) -> str:
        return cell_ref(self.sheet, self.number) if self.number else self.sheet


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    columns: dict[str, list[Column]] = field(default_factory=dict)  # sheet → the columns it has
    positions: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet → column key → index in a row
    refused: list[str] = field(default_factory=list)  # rows that could not become a record (ID problems)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _kind_of_table(table: Table, kind: str | None) -> str | None:
    if kind:
        return kind_of(kind)
    for name in (table.sheet, PurePath(table.sheet).stem):
        try:
            return kind_of(name)
        except UsageError:
            continue
    return None


def parse(store: Store, reading: Reading, kind: str | None = None) -> Parsed:
    """Read every table of `reading` as rows of the kind its sheet (or file) is named after, or of `kind`."""
    parsed = Parsed()
    seen: dict[str, str] = {}  # IRI → where it was first given
    for table in reading.tables:
        table_kind = _kind_of_table(table, kind)
        if table_kind is None:
            count = sum(c.value is not None for row in table.rows for c in row)
            parsed.ignored.append(
                (table.sheet, f"not a sheet of a known kind ({', '.join(KINDS)}); its {count} cells were not read")
            )
            continue
        layout = layout_for(store, table_kind)
        columns = _columns(store, table, layout, parsed)
        parsed.columns[table.sheet] = list(columns.values())
        if "id" not in columns and table.rows:
            parsed.problems.append(
                Problem(
                    f"{table.sheet}!A1",
                    "",
                    "",
                    "there is no ID column",
                    f"keep the template's first column, headed {ID_HEADER} (empty for new records)",
                )
            )
            continue
        existing = _existing(store, layout.class_iri)
        for cells in table.rows:
            row = _row(store, layout, cells, columns, existing, seen, parsed)
            if row is not None:
                parsed.rows.append(row)
            else:
                parsed.refused.append(f"{cells[0].sheet}!{cells[0].row}:{cells[0].row}")
    return parsed


def _columns(store: Store, table: Table, layout: Layout, parsed: Parsed) -> dict[str, Column]:
    """Which column of the layout each header stands for (key → Column; their positions go to `parsed`)."""
    aliases = {}
    for lang in ("it",):  # the languages the shapes name fields in, besides English
        for named in layout_for(store, layout.kind, lang, with_choices=False).columns:
            aliases[" ".join(named.header.replace(" *", "").casefold().split())] = next(
                c for c in layout.columns if c.key == named.key
            )
    found: dict[str, Column] = {}
    positions: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        key = table.keys[index]
        column = next((c for c in layout.columns if c.key == key), None) if key else None
        if column is None and header.value is not None:
            column = layout.column_for(_text(header.value), aliases)
        filled = sum(row[index].value is not None for row in table.rows)
        if column is None:
            if filled or header.value is not None:
                parsed.ignored.append(
                    (
                        f"{header.ref}",
                        f"column {column_letter(index + 1)} “{_text(header.value) if header.value else ''}” is not a "
                        f"column of the {layout.sheet} template: its {filled} value(s) were not imported — rename the "
                        "header to one of the template's, or remove the column",
                    )
                )
            continue
        if column.key in positions:
            parsed.problems.append(
                Problem(
                    header.ref,
                    column.header,
                    _text(header.value),
                    f"the same field as column {column_letter(positions[column.key] + 1)}",
                    "keep one of the two columns",
                )
            )
            continue
        positions[column.key] = index
        found[column.key] = column
    parsed.positions[table.sheet] = positions
    return found


def _existing(store: Store, class_iri: str) -> set[str]:
    return {r["resource"].value for r in queries.run(store, "instances-of-class", {"type": class_iri}).rows}


def _row(
    store: Store,
    layout: Layout,
    cells: list[Cell],
    columns: dict[str, Column],
    existing: set[str],
    seen: dict[str, str],
    parsed: Parsed,
) -> Row | None:
    by_key = {key: cells[index] for key, index in parsed.positions[cells[0].sheet].items()}
    problems_before = len(parsed.problems)
    values: dict[str, list[ox.NamedNode | ox.Literal]] = {}
    for key, column in columns.items():
        if key == "id":
            continue
        values[key] = _terms(layout, column, by_key[key], parsed.problems)
    id_cell = by_key["id"]
    name = values.get("skos:prefLabel@en", [])
    number = cells[0].row
    iri: str | None
    if id_cell.value is None:
        if not name:
            parsed.problems.append(
                Problem(
                    id_cell.ref,
                    ID_HEADER,
                    "",
                    "a new row needs an English name (its address is made from it)",
                    "fill in Name (en), or give the ID of the record this row updates",
                )
            )
            return None
        iri, new = new_iri(layout.kind, name[0].value), True
        if iri in existing:
            parsed.problems.append(
                Problem(
                    id_cell.ref,
                    ID_HEADER,
                    "",
                    f"a record with this English name exists already: {compact(iri)}",
                    f"to update it, put {compact(iri)} in the ID cell; to add another, give it a different name",
                )
            )
            return None
    else:
        iri, new = _id(store, layout, id_cell, existing, parsed.problems), False
        if iri is None:
            return None
    if iri in seen:
        parsed.problems.append(
            Problem(
                id_cell.ref,
                ID_HEADER,
                compact(iri),
                f"the same record as {seen[iri]}",
                "give each record one row: merge the two rows or remove one",
            )
        )
        return None
    seen[iri] = id_cell.ref
    refused = len(parsed.problems) > problems_before
    return Row(layout, cells[0].sheet, number, iri, new, values, by_key, refused)


def _id(store: Store, layout: Layout, cell: Cell, existing: set[str], problems: list[Problem]) -> str | None:
    text = _text(cell.value)
    iri = expand(text)
    if iri is None:
        problems.append(
            Problem(
                cell.ref,
                ID_HEADER,
                text,
                "not an ID",
                f"write the record's ID as exported (e.g. {layout.kind}:some-name), or leave it empty for a new record",
            )
        )
        return None
    if iri in existing:
        return iri
    types = [
        value_of(t.object)
        for t in queries.run(store, "resource-description", {"resource": iri}).triples or []
        if value_of(t.subject) == iri and t.predicate.value.endswith("#type")
    ]
    if types:
        other = ", ".join(compact(t) for t in types)
        problems.append(
            Problem(
                cell.ref,
                ID_HEADER,
                text,
                f"this ID is a {other}, not a record of the {layout.sheet} sheet",
                f"move the row to the sheet of its kind, or use the ID of a {layout.kind}",
            )
        )
    else:
        problems.append(
            Problem(
                cell.ref,
                ID_HEADER,
                text,
                "no record has this ID",
                "check it against an export, or leave the ID empty to add a new record",
            )
        )
    return None


def _terms(layout: Layout, column: Column, cell: Cell, problems: list[Problem]) -> list[ox.NamedNode | ox.Literal]:
    if cell.value is None:
        return []
    assert column.field is not None
    widget = column.field.widget
    shown = _text(cell.value)

    def problem(what: str, fix: str) -> list[ox.NamedNode | ox.Literal]:
        problems.append(Problem(cell.ref, column.header, shown[:200], what, fix))
        return []

    if isinstance(cell.value, str) and len(cell.value) > MAX_TEXT:
        return problem(f"{len(cell.value)} characters; a cell holds at most {MAX_TEXT}", "shorten the text")
    if widget == "langtext":
        return [ox.Literal(shown, language=column.language or "en")] if shown else []
    if widget == "date":
        return [term] if (term := _date(cell.value, problem)) is not None else []
    if widget == "number":
        return [term] if (term := _number(cell.value, problem)) is not None else []
    if widget == "checkbox":
        if isinstance(cell.value, bool) or shown.casefold() in YES | NO:
            yes = cell.value is True or shown.casefold() in YES
            return [ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))] if yes else []
        return problem("not yes or no", "write yes, or leave the cell empty")
    parts = [p for p in SPLIT.split(shown) if p] if not column.field.single else [shown]
    if widget == "url":
        out: list[ox.NamedNode | ox.Literal] = []
        for part in (p for p in re.split(r"[\s;]+", shown) if p):
            if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", part):
                return problem("not a web address", "write the full address of the page, starting with https://")
            out.append(ox.NamedNode(part))
        return out
    if widget in ("choice", "resources"):
        out = []
        for part in parts:
            iri, near = layout.resolve(column, part)
            if iri is None:
                several = near and all(":" in n for n in near)
                return problem(
                    f"“{part}” names several records: {', '.join(near)}"
                    if several
                    else f"“{part}” is not in the list of this column",
                    "write the ID of the one you mean" if several else _suggest(near),
                )
            out.append(ox.NamedNode(iri))
        return out
    return [ox.Literal(p) for p in parts]


def _suggest(near: list[str]) -> str:
    if near:
        return "did you mean " + " or ".join(f"“{n}”" for n in near) + "? Choose from the drop-down list"
    return "choose from the drop-down list (the Lists of the template), or add that record first"


def _date(value: object, problem) -> ox.Literal | None:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            problem("a date and time", "keep only the date (format the cell as a date)")
            return None
        value = value.date()
    if isinstance(value, dt.date):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(str(XSD.date)))
    text = _text(value)
    if ISO_DATE.fullmatch(text):
        try:
            dt.date.fromisoformat(text)
            return ox.Literal(text, datatype=ox.NamedNode(str(XSD.date)))
        except ValueError:
            problem("not a date of the calendar", "check the day and month (YYYY-MM-DD)")
            return None
    problem(
        "a date typed as text in a form the importer cannot be sure of",
        "write it as YYYY-MM-DD (e.g. 2021-03-31), or format the cell as a date",
    )
    return None


def _number(value: object, problem) -> ox.Literal | None:
    if isinstance(value, bool):
        problem("not a number", "write a number such as 2500 or 3.5")
        return None
    if isinstance(value, int | float):
        return ox.Literal(str(Decimal(str(value)).normalize()), datatype=ox.NamedNode(str(XSD.decimal)))
    text = _text(value).replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        problem(
            "a number with a decimal comma",
            f"write it with a decimal point: {text.replace(',', '.')} (or format the cell as a number)",
        )
        return None
    if not NUMBER.fullmatch(text):
        problem("not a number", "write digits only, with a decimal point if needed (e.g. 2500 or 3.5)")
        return None
    try:
        return ox.Literal(str(Decimal(text)), datatype=ox.NamedNode(str(XSD.decimal)))
    except InvalidOperation:
        problem("not a number", "write digits only (e.g. 2500 or 3.5)")
        return None


def describe(terms: Iterable[AnyTerm], layout: Layout, column: Column) -> list[str]:
    """Terms as a person reads them in the sheet: labels for links, text for literals."""
    assert column.field is not None
    labels = {c.value: c.label for c in column.field.choices}
    if column.field.widget == "checkbox":
        return ["yes" for t in terms if value_of(t) == "true"]
    if column.field.widget == "url":
        return sorted(value_of(t) for t in terms)
    return sorted(labels.get(t.value, compact(t.value)) if isinstance(t, ox.NamedNode) else value_of(t) for t in terms)
