"""Read an uploaded .xlsx or .csv into tables of cells that know their address (`Practices!D14`), refusing what
cannot be read faithfully.

Promises: `read_file(data, name)` returns one Table per visible sheet with a header row (a template's hidden key
row, when present, is read too), and Notes for what it did on the reader's behalf (a formula's saved value used, a
hidden or unknown sheet skipped). Raises UnreadableSheet — saying what and how to fix it — for a file that is not
a spreadsheet, a password-protected or corrupt workbook, merged cells, a formula without a saved value, more than
MAX_ROWS rows or more than MAX_BYTES bytes. Nothing here knows the graph.

>>> table = read_file(b"Name (en),Source\\nRepair caf\\xc3\\xa9,https://example.org\\n", "practices.csv").tables[0]
>>> table.rows[0][0].ref, table.rows[0][0].value
('practices.csv!A2', 'Repair café')

A steward must be able to trust that what the report calls D14 is the cell she sees as D14.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import EXIT_INVALID_DATA, CirceError
from ..serialization import FORMULA_START
from .workbook import KEY_ROW, LISTS_SHEET, README_SHEET

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # a zip that unpacks to more is refused before it is opened
MAX_ROWS = 20_000
MERGED = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls files


class UnreadableSheet(CirceError):
    """The file cannot be read as a spreadsheet: nothing was imported."""

    status = 400
    exit_code = EXIT_INVALID_DATA


class SheetTooLarge(UnreadableSheet):
    status = 413


def column_letter(index: int) -> str:
    """1 → A, 27 → AA (as spreadsheet programs name columns)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(sheet: str, row: int, column: int | None = None) -> str:
    """`Practices!D14` (`'Action plans'!D14` when the sheet's name has a space); row only when column is None."""
    name = f"'{sheet}'" if re.search(r"[^A-Za-z0-9_.]", sheet) else sheet
    return f"{name}!{column_letter(column)}{row}" if column else f"{name}!{row}:{row}"


# What a cell holds, as openpyxl reads it (a CSV file's cells are text or None).
CellValue = str | int | float | bool | dt.date | dt.datetime | None


class Cell(NamedTuple):
    sheet: str
    row: int
    column: int
    value: CellValue

    @property
    def ref(self) -> str:
        return cell_ref(self.sheet, self.row, self.column)

    @property
    def letter(self) -> str:
        return column_letter(self.column)


@dataclass
class Table:
    sheet: str
    headers: list[Cell]
    keys: list[str | None]  # the template's hidden key row, or Nones
    rows: list[list[Cell]]  # non-empty data rows; each list as wide as the headers


@dataclass
class Reading:
    tables: list[Table] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (where, what was done)


def read_file(data: bytes, name: str) -> Reading:
    """The tables of an .xlsx or .csv file's bytes (`name` is only used in messages and to tell CSV)."""
    if len(data) > MAX_BYTES:
        raise SheetTooLarge(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES // 2**20} MB",
            "split it into several files (e.g. one per sheet), or import it with the command line in parts",
        )
    if not data.strip():
        raise UnreadableSheet(f"{name} is empty", "choose the spreadsheet file you filled in")
    if data.startswith(OLE_MAGIC):
        raise UnreadableSheet(
            f"{name} is password-protected, or an old-format .xls file",
            "remove the password (File › Info › Protect workbook) and save it as an Excel workbook (.xlsx)",
        )
    if data.startswith(b"PK"):
        return _read_xlsx(data, name)
    if name.lower().endswith((".csv", ".txt", ".tsv")) or _looks_like_text(data):
        return _read_csv(data, name)
    raise UnreadableSheet(
        f"{name} is not a spreadsheet this importer reads",
        "save it as an Excel workbook (.xlsx) or as CSV UTF-8 (.csv)",
    )


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" not in sample and sum(32 <= b or b in (9, 10, 13) for b in sample) / len(sample) > 0.95


# -- xlsx -----------------------------------------------------------------------------------------
def _read_xlsx(data: bytes, name: str) -> Reading:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if "xl/workbook.xml" not in archive.namelist():
                raise UnreadableSheet(
                    f"{name} is a zip file but not an Excel workbook", "save it as an Excel workbook (.xlsx)"
                )
    except zipfile.BadZipFile:
        raise UnreadableSheet(
            f"{name} is damaged: it cannot be opened as an Excel workbook",
            "open it in your spreadsheet program and save it again as .xlsx",
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetTooLarge(f"{name} unpacks to {unpacked / 1e6:.0f} MB", "split it into several files")
    try:
        # Read-only mode streams the cells (a third of the time of a full load); the merged ranges, which it
        # does not report, are read from the sheet's XML.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise UnreadableSheet(
            f"{name} is damaged: {error}", "open it in your spreadsheet program and save it again as .xlsx"
        ) from None
    reading = Reading()
    formulas: list[tuple[str, int, int]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for sheet in book.worksheets:
                if sheet.title in (LISTS_SHEET, README_SHEET):
                    continue
                if sheet.sheet_state != "visible":
                    reading.notes.append((sheet.title, "hidden sheet: not imported (show it to import it)"))
                    continue
                merged = MERGED.findall(archive.read(sheet._worksheet_path))
                if merged:
                    shown = ", ".join(m.decode() for m in merged[:5]) + ("…" if len(merged) > 5 else "")
                    raise UnreadableSheet(
                        f"sheet {sheet.title} has merged cells ({shown})",
                        "unmerge them (Home › Merge › Unmerge cells): each value needs its own cell",
                    )
                grid = []
                for r, row in enumerate(sheet.iter_rows(), 1):
                    if r > MAX_ROWS + KEY_ROW:
                        raise SheetTooLarge(
                            f"sheet {sheet.title} of {name} has more than {MAX_ROWS} rows; the limit is {MAX_ROWS} "
                            "per import",
                            "split the rows into several files",
                        )
                    values = []
                    for c, cell in enumerate(row, 1):
                        if cell.data_type == "f":
                            formulas.append((sheet.title, r, c))
                        values.append(cell.value)
                    grid.append(values)
                reading.tables.append(_table(sheet.title, grid))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise UnreadableSheet(
            f"{name} is damaged: {error}", "open it in your spreadsheet program and save it again as .xlsx"
        ) from None
    finally:
        book.close()
    if formulas:
        _use_saved_values(data, reading, formulas)
    return reading


def _use_saved_values(data: bytes, reading: Reading, formulas: list[tuple[str, int, int]]) -> None:
    """Replace each formula by the value the spreadsheet program saved with it, and say so."""
    import openpyxl

    saved = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    tables = {t.sheet: t for t in reading.tables}
    missing = []
    for sheet, row, column in formulas:
        value = saved[sheet].cell(row, column).value
        ref = cell_ref(sheet, row, column)
        if value is None:
            missing.append(ref)
            continue
        _replace(tables[sheet], row, column, value)
        reading.notes.append((ref, f"holds a formula: its saved value {value!r} was read"))
    if missing:
        raise UnreadableSheet(
            f"{len(missing)} cell(s) hold a formula with no saved value: {', '.join(missing[:10])}",
            "open the file in a spreadsheet program and save it (that computes the values), or type the values",
        )


def _replace(table: Table, row: int, column: int, value: CellValue) -> None:
    for cells in [table.headers, *table.rows]:
        if cells and cells[0].row == row and column <= len(cells):
            cells[column - 1] = Cell(table.sheet, row, column, value)


# -- csv ------------------------------------------------------------------------------------------
def _read_csv(data: bytes, name: str) -> Reading:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableSheet(
            f"{name} is not UTF-8 text (byte {error.start} cannot be read)",
            "save it as “CSV UTF-8 (comma delimited)” in your spreadsheet program",
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # the header's separator: Excel writes ; in some locales
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableSheet(f"{name} is not well-formed CSV: {error}", "save it again as CSV UTF-8") from None
    if len(rows) > MAX_ROWS + KEY_ROW:
        raise SheetTooLarge(f"{name} has {len(rows)} rows; the limit is {MAX_ROWS}", "split it into several files")
    grid: list[list[CellValue]] = [[_unprefixed(v) if v != "" else None for v in row] for row in rows]
    return Reading([_table(name, grid)])


def _unprefixed(text: str) -> str:
    """Undo the ' an export puts before formula-like text (serialization.safe_csv_text)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


# -- both -----------------------------------------------------------------------------------------
def _table(sheet: str, grid: list[list[CellValue]]) -> Table:
    grid = [[None if isinstance(v, str) and not v.strip() else v for v in row] for row in grid]
    width = max((len(row) for row in grid), default=0)
    while width and all(len(row) < width or row[width - 1] is None for row in grid):
        width -= 1
    header_values = (grid[0] if grid else []) + [None] * width
    headers = [Cell(sheet, 1, c, header_values[c - 1]) for c in range(1, width + 1)]
    keys: list[str | None] = [None] * width
    start = 2
    if len(grid) >= KEY_ROW and grid[KEY_ROW - 1] and grid[KEY_ROW - 1][0] == "id":
        keys = [v if isinstance(v, str) else None for v in (grid[KEY_ROW - 1] + [None] * width)[:width]]
        start = KEY_ROW + 1
    rows = []
    for number, values in enumerate(grid[start - 1 :], start):
        padded = (values + [None] * width)[:width]
        if any(v is not None for v in padded):
            rows.append([Cell(sheet, number, c, padded[c - 1]) for c in range(1, width + 1)])
    return Table(sheet, headers, keys, rows)


def non_empty(cells: Iterable[Cell]) -> list[Cell]:
    return [c for c in cells if c.value is not None]
