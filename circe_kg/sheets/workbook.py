"""Write a workbook in the template's layout: a "Read me" sheet, one sheet per class (filled with records for an
export, empty for a template), and a hidden "Lists" sheet behind the drop-down lists.

Promises: row 1 holds the headers (required ones end in " *", each with the field's help as its comment), row 2
is hidden and holds each column's key (so a file reads back whatever language its headers are in), data from
row 3; links and choices offer drop-down lists of readable labels; dates and numbers carry their formats; text
that a spreadsheet program would run as a formula (`=`, `+`, `-`, `@` first) is written as text, never as a
formula. `csv_rows` gives the same layout for one class as CSV rows, such text prefixed with `'`.

>>> safe_csv_text("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from ..serialization import safe_csv_text
from .layout import ID_HEADER, SEPARATOR, Column, Layout

KEY_ROW, FIRST_DATA_ROW = 2, 3
LISTS_SHEET, README_SHEET = "Lists", "Read me"
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
Value = str | int | float | Decimal | dt.date | bool
Record = Mapping[str, Sequence[Value]]  # column key → values

README = """How to fill in this workbook

Each sheet holds one kind of record (practices, barriers, …); each row is one record; each column one field.
Column A, ID: leave it empty for a new record — it gets an address made from its English name. A filled ID
(e.g. practice:milan-door-to-door-food-waste-collection) updates that record: only the fields this sheet has
columns for change; everything else about the record stays as it is.

Headers ending in * must be filled. Point at a header to read what the field means.
Text in several languages: one column per language, e.g. Name (en), Name (it). English is required.
Links (owner, sector, barrier, …): choose from the drop-down list, or type the name exactly as listed. Several
values in one cell are separated by a semicolon: Textile; Plastics.
Dates: a date cell, or text written 2021-03-31. Numbers: a number cell, or text with a decimal point (3.5).
Source: the web address of the page that states the facts in the row. Without one, put "yes" in
"Illustrative example": the record is then shown as an example, never as a CircE fact.

Import the file with `circe-kg import FILE.xlsx --dry-run` (or the Import page): nothing is stored until every
problem is fixed, and each problem names its cell, e.g. Practices!D14. Do not rename, reorder or delete the
hidden row 2: it tells the importer which field each column is.
"""


def _comment(column: Column) -> str | None:
    f = column.field
    if f is None:
        return "Empty for a new record; the record's ID (e.g. practice:…) to update it."
    parts = [f"{f.group}:"] if f.group else []  # the form's group, as the sheet has no room to show it
    parts += [f.help] if f.help else []
    if column.required:
        parts.append("Required.")
    hints = {
        "date": "A date (2021-03-31).",
        "number": "A number (3.5).",
        "url": "A web address (https://…).",
        "checkbox": "yes, or empty.",
    }
    if f.widget in hints:
        parts.append(hints[f.widget])
    if f.widget in ("choice", "resources"):
        parts.append("Choose from the list" + (", several separated by ;" if column.many else "") + ".")
    return " ".join(parts) or None


def write_workbook(
    layouts: Sequence[Layout],
    out: IO[bytes] | str,
    records: Mapping[str, Iterable[Record]] | None = None,
    readme: str = README,
) -> None:
    """Write the template (or, with `records` by kind, an export) of `layouts` to `out` (a path or a stream)."""
    book = Workbook()
    book.active.title = README_SHEET
    for line_number, line in enumerate(readme.splitlines(), 1):
        book.active.cell(line_number, 1, line).font = Font(bold=line_number == 1, size=14 if line_number == 1 else 11)
    book.active.column_dimensions["A"].width = 110
    lists = book.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_ranges: dict[str, str] = {}
    for layout in layouts:
        sheet = book.create_sheet(layout.sheet)
        for index, column in enumerate(layout.columns, 1):
            _header(sheet, index, column)
            if column.field is not None and column.field.choices:
                key = column.field.path
                if key not in list_ranges:
                    list_ranges[key] = _write_list(lists, len(list_ranges) + 1, [c.label for c in column.field.choices])
                _drop_down(sheet, index, column, list_ranges[key])
        sheet.row_dimensions[KEY_ROW].hidden = True
        sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 2)
        for row_number, record in enumerate((records or {}).get(layout.kind, []), FIRST_DATA_ROW):
            for index, column in enumerate(layout.columns, 1):
                _put(sheet.cell(row_number, index), column, record.get(column.key, ()))
    book.save(out)


def _header(sheet, index: int, column: Column) -> None:
    cell = sheet.cell(1, index, column.header)
    cell.font = Font(bold=True)
    cell.fill = REQUIRED_FILL if column.required or column.header == ID_HEADER else HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    text = _comment(column)
    if text:
        cell.comment = Comment(text, "circe-kg", width=300, height=120)
    sheet.cell(KEY_ROW, index, column.key)
    letter = get_column_letter(index)
    sheet.column_dimensions[letter].width = 40 if column.field and column.field.widget == "langtext" else 24
    if column.field is not None and column.field.widget == "date":
        sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"


def _write_list(lists, index: int, labels: list[str]) -> str:
    for row, label in enumerate(labels, 1):
        lists.cell(row, index).value = label
        lists.cell(row, index).data_type = "s"
    letter = get_column_letter(index)
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${max(1, len(labels))}"


def _drop_down(sheet, index: int, column: Column, cells: str) -> None:
    # Several values per cell cannot pass a list check: offer the list, do not enforce it.
    check = DataValidation(type="list", formula1=f"={cells}", allow_blank=True, showErrorMessage=not column.many)
    check.error = "Choose a value from the list (see the Read me sheet)."
    check.errorTitle = "Not in the list"
    sheet.add_data_validation(check)
    letter = get_column_letter(index)
    check.add(f"{letter}{FIRST_DATA_ROW}:{letter}1048576")


def _put(cell, column: Column, values: Sequence[Value]) -> None:
    if not values:
        return
    widget = column.field.widget if column.field else "text"
    if len(values) == 1 and widget in ("date", "number") and not isinstance(values[0], str):
        cell.value = values[0]
        cell.number_format = "yyyy-mm-dd" if widget == "date" else "General"
        return
    if widget == "checkbox":
        cell.value = "yes" if values[0] else None
        return
    cell.value = SEPARATOR.join(str(v) for v in values)
    cell.data_type = "s"  # never a formula, whatever the text starts with


def csv_rows(layout: Layout, records: Iterable[Record]) -> Iterable[list[str]]:
    """The header row, then one row per record, as CSV cells (formula-like text prefixed with ')."""
    yield [c.header for c in layout.columns]
    for record in records:
        row = []
        for column in layout.columns:
            values = record.get(column.key, ())
            if column.field is not None and column.field.widget == "checkbox":
                row.append("yes" if values and values[0] else "")
            else:
                row.append(safe_csv_text(SEPARATOR.join(str(v) for v in values)))
        yield row
