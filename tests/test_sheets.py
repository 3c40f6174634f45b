"""Spreadsheets through the command line: templates read back by a second, independent reader (python-calamine),
imports that name exactly the broken cells and store nothing until they are fixed, the export–edit–re-import
round trip with its diff, CSV, the ECESP mapping, and every kind of bad file refused with its reason."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from python_calamine import CalamineWorkbook

from circe_kg import queries
from circe_kg.cli import main
from circe_kg.config import PROJECT_ROOT, shipped_files
from circe_kg.errors import UsageError
from circe_kg.loader import load_files
from circe_kg.sheets.importing import apply, plan_import, plan_mapped
from circe_kg.sheets.layout import kind_of
from circe_kg.sheets.mapping import load_mapping
from circe_kg.store import EmbeddedStore
from circe_kg.writing.gate import PROVENANCE_GRAPH, WriteGate

ECESP_CSV = PROJECT_ROOT.parent / "shared" / "datasets" / "ecesp" / "good-practices.csv"
ECESP_MAPPING = PROJECT_ROOT / "mappings" / "ecesp.toml"


@pytest.fixture
def store_dir(loaded_folder, tmp_path) -> str:
    """A fresh copy of the loaded store for each test (loading takes seconds; copying the folder does not)."""
    target = tmp_path / "store"
    shutil.copytree(loaded_folder, target, symlinks=True)
    return str(target)


def run(runner, *args: str):
    return runner.invoke(main, list(args))


def count(store_dir: str) -> int:
    with EmbeddedStore(Path(store_dir)) as store:
        return store.count()


def keys_of(sheet) -> list[str]:
    return [c.value for c in sheet[2]]


def put(sheet, row: int, key: str, value) -> None:
    sheet.cell(row, keys_of(sheet).index(key) + 1).value = value


def letter(sheet, key: str) -> str:
    return openpyxl.utils.get_column_letter(keys_of(sheet).index(key) + 1)


# -- templates --------------------------------------------------------------------------------------
def test_kinds_by_the_names_people_use():
    assert {kind_of(n) for n in ("practice", "Practices", "circe:Practice", "Practice")} == {"practice"}
    assert kind_of("barriers") == "barrier" and kind_of("action-plan") == "plan" and kind_of("opportunities")
    with pytest.raises(UsageError, match="no sheet for 'widgets'") as error:
        kind_of("widgets")
    assert "practice, barrier" in (error.value.hint or "")


@pytest.mark.slow
def test_template_read_back_by_a_second_reader(runner, store_dir, tmp_path):
    out = tmp_path / "template.xlsx"
    result = run(runner, "template", "practice", "barrier", "-o", str(out), "--store", store_dir)
    assert result.exit_code == 0, result.output
    book = CalamineWorkbook.from_path(str(out))
    visible = {m.name: str(m.visible) for m in book.sheets_metadata}
    assert list(visible) == ["Read me", "Lists", "Practices", "Barriers"]
    assert "Hidden" in visible["Lists"] and "Visible" in visible["Practices"]
    headers, keys = book.get_sheet_by_name("Practices").to_python()[:2]
    assert headers[0] == "ID" and keys[0] == "id"
    assert {"Name (en) *", "Name (sl)", "Name (bg)", "Start date", "Owner", "Source (web address)"} <= set(headers)
    assert keys[headers.index("Name (sl)")] == "skos:prefLabel@sl"
    barrier_headers = book.get_sheet_by_name("Barriers").to_python()[0]
    assert "Reported by *" in barrier_headers  # a required link
    # Comments, drop-downs and formats are the writer's: check them with its library.
    sheet = openpyxl.load_workbook(out)["Practices"]
    assert "English is required" in sheet["B1"].comment.text
    lists = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists[letter(sheet, "circe:practiceOwner")].startswith("='Lists'!$A$1:$A$")
    assert sheet.column_dimensions[letter(sheet, "schema:startDate")].number_format == "yyyy-mm-dd"
    italian = tmp_path / "it.xlsx"
    assert run(runner, "template", "barrier", "-o", str(italian), "--lang", "it", "--store", store_dir).exit_code == 0
    assert "Nome (en) *" in CalamineWorkbook.from_path(str(italian)).get_sheet_by_name("Barriers").to_python()[0]


def test_template_of_an_unknown_kind_is_a_usage_error(runner, store_dir, tmp_path):
    result = run(runner, "template", "widgets", "-o", str(tmp_path / "x.xlsx"), "--store", store_dir)
    assert result.exit_code == 2 and "no sheet for 'widgets'" in result.output and "practice" in result.output


# -- import: 20 practices, 3 broken cells -----------------------------------------------------------
def twenty_practices(runner, store_dir: str, path: Path, broken: bool) -> dict[str, str]:
    """Fill the template with 20 practices; with `broken`, three cells are wrong. Returns the broken cells."""
    template = path.with_name("template.xlsx")
    assert run(runner, "template", "practice", "-o", str(template), "--store", store_dir).exit_code == 0
    book = openpyxl.load_workbook(template)
    sheet = book["Practices"]
    for n in range(20):
        row = 3 + n
        put(sheet, row, "skos:prefLabel@en", f"Spreadsheet practice {n + 1}")
        put(sheet, row, "skos:prefLabel@sl", f"Praksa iz preglednice {n + 1}")
        put(sheet, row, "dct:description@en", f"A practice typed into a spreadsheet, number {n + 1}.")
        put(sheet, row, "circe:practiceOwner", "Sofia Municipality")
        put(sheet, row, "circe:sector", "Textile; Plastics" if n % 2 else "Tourism")
        put(sheet, row, "schema:startDate", openpyxl.utils.datetime.from_excel(44197 + n).date())
        put(sheet, row, "dct:source", "https://www.interregeurope.eu/circe")
    bad = {}
    if broken:
        put(sheet, 9, "circe:practiceOwner", "Sofia Municipalit")
        put(sheet, 14, "schema:startDate", "03/04/2021")
        put(sheet, 20, "dct:source", "see the project website")
        bad = {
            f"Practices!{letter(sheet, 'circe:practiceOwner')}9": "did you mean “Sofia Municipality”",
            f"Practices!{letter(sheet, 'schema:startDate')}14": "YYYY-MM-DD",
            f"Practices!{letter(sheet, 'dct:source')}20": "not a web address",
        }
    book.save(path)
    return bad


@pytest.mark.slow
def test_twenty_practices_with_three_broken_cells_name_exactly_those_cells(runner, store_dir, tmp_path):
    before = count(store_dir)
    path = tmp_path / "practices.xlsx"
    bad = twenty_practices(runner, store_dir, path, broken=True)
    result = run(runner, "import", str(path), "--store", store_dir)
    assert result.exit_code == 1, result.output
    problems = [line.strip() for line in result.output.splitlines() if re.match(r"\s+Practices!\w+\d+ \(", line)]
    assert sorted(p.split(" ")[0] for p in problems) == sorted(bad)
    for cell, fix in bad.items():
        assert fix in next(p for p in problems if p.startswith(cell + " "))
    assert "17 created, 0 updated, 0 unchanged, 3 refused" in result.output
    assert count(store_dir) == before  # nothing stored

    twenty_practices(runner, store_dir, path, broken=False)
    fixed = run(runner, "import", str(path), "--store", store_dir)
    assert fixed.exit_code == 0, fixed.output
    assert "20 created" in fixed.output and "imported as version" in fixed.output
    with EmbeddedStore(Path(store_dir)) as store:
        labels = {
            r["label"].value
            for r in queries.run(store, "instances-of-class", {"type": "circe:Practice"}).rows
            if "label" in r
        }
        assert {f"Spreadsheet practice {n}" for n in range(1, 21)} <= labels
        history = {t.predicate.value.rsplit("#", 1)[-1]: t.object.value for t in store.triples(PROVENANCE_GRAPH)}
    assert history["uploadFileName"] == "practices.xlsx"
    assert history["uploadChecksum"] == hashlib.sha256(path.read_bytes()).hexdigest()
    again = run(runner, "import", str(path), "--store", store_dir)  # the same new rows twice: they exist now
    assert again.exit_code == 1 and "exists already" in again.output


@pytest.mark.slow
def test_a_rule_of_the_shapes_is_reported_at_its_cell(loaded_disk_store, tmp_path):
    gate = WriteGate(loaded_disk_store, tmp_path / "history")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Barriers"
    sheet.append(["ID", "Name (en)", "Reported by", "Source (web address)", "Illustrative example"])
    sheet.append([None, "Both sourced and illustrative", "Sofia Municipality", "https://example.org/x", "yes"])
    sheet.append([None, "Reported by nobody", None, "https://example.org/y", None])
    data = io.BytesIO()
    book.save(data)
    plan = plan_import(gate, data.getvalue(), "barriers.xlsx")
    where = {p.where: p.what for p in plan.problems}
    assert "either sourced" in where["Barriers!D2"] and "not both" in where["Barriers!D2"]  # at the Source cell
    assert "names the partner that reported it" in where["Barriers!C3"]  # the empty cell of the missing value
    assert plan.counts["refused"] == 2 and plan.counts["created"] == 0


# -- export, edit, re-import ------------------------------------------------------------------------
@pytest.mark.slow
def test_reimporting_an_unchanged_export_changes_nothing(runner, store_dir, tmp_path):
    path = tmp_path / "everything.xlsx"
    assert run(runner, "export", "-o", str(path), "--store", store_dir).exit_code == 0
    before = count(store_dir)
    result = run(runner, "import", str(path), "--store", store_dir)
    assert result.exit_code == 0, result.output
    assert " 0 created, 0 updated," in result.output and "nothing to change" in result.output
    assert count(store_dir) == before


@pytest.mark.slow
def test_export_edit_reimport_shows_the_diff_and_changes_only_that(runner, store_dir, tmp_path):
    path = tmp_path / "practices.xlsx"
    assert run(runner, "export", "practice", "-o", str(path), "--store", store_dir).exit_code == 0
    book = openpyxl.load_workbook(path)
    sheet = book["Practices"]
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 1).value == "practice:albergo-diffuso")
    english = sheet.cell(row, keys_of(sheet).index("skos:prefLabel@en") + 1).value
    old_italian = sheet.cell(row, keys_of(sheet).index("skos:prefLabel@it") + 1).value
    put(sheet, row, "skos:prefLabel@it", "Albergo diffuso nei borghi")
    book.save(path)
    dry = run(runner, "import", str(path), "--dry-run", "--store", store_dir)
    assert dry.exit_code == 0, dry.output
    assert "0 created, 1 updated" in dry.output
    assert f"changed  Name (it): {old_italian} → Albergo diffuso nei borghi" in dry.output
    assert "dry run: nothing was stored" in dry.output
    done = run(runner, "import", str(path), "--store", store_dir)
    assert done.exit_code == 0, done.output
    with EmbeddedStore(Path(store_dir)) as store:
        iri = "https://w3id.org/circe-kg/id/practice/albergo-diffuso"
        triples = queries.run(store, "resource-description", {"resource": iri}).triples or []
    own = [t for t in triples if t.subject.value == iri]
    labels = {t.object.language: t.object.value for t in own if t.predicate.value.endswith("#prefLabel")}
    assert labels["it"] == "Albergo diffuso nei borghi" and labels["en"] == english
    assert any(t.predicate.value.endswith("#sector") for t in own)  # untouched fields stay


@pytest.mark.slow
def test_csv_round_trip_and_formula_text_never_runs(runner, store_dir, tmp_path):
    # A summary that a spreadsheet program would run as a formula, imported as the text it is.
    book = openpyxl.load_workbook(_export(runner, store_dir, tmp_path, "barrier", "xlsx"))
    sheet = book["Barriers"]
    put(sheet, 3, "dct:description@en", '=HYPERLINK("http://evil.example","click")')
    sheet.cell(3, keys_of(sheet).index("dct:description@en") + 1).data_type = "s"
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    assert run(runner, "import", str(edited), "--store", store_dir).exit_code == 0
    text = _export(runner, store_dir, tmp_path, "barrier", "csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in text  # prefixed in CSV
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "ID" and len(rows) > 40
    again = run(runner, "import", str(tmp_path / "barrier.csv"), "--store", store_dir)
    assert again.exit_code == 0 and " 0 updated," in again.output  # the prefix is undone on the way in
    xlsx = _export(runner, store_dir, tmp_path, "barrier", "xlsx")
    cell = openpyxl.load_workbook(xlsx)["Barriers"].cell(3, keys_of(sheet).index("dct:description@en") + 1)
    assert cell.data_type == "s"  # text, not a formula
    assert CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_name("Barriers").to_python()[2][cell.column - 1] == (
        '=HYPERLINK("http://evil.example","click")'
    )


def _export(runner, store_dir: str, folder: Path, kind: str, extension: str) -> Path:
    path = folder / f"{kind}.{extension}"
    result = run(runner, "export", kind, "-o", str(path), "--store", store_dir)
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.slow
def test_a_draft_waits_for_review_and_keeps_the_file_name(loaded_disk_store, tmp_path):
    gate = WriteGate(loaded_disk_store, tmp_path / "history")
    book = openpyxl.Workbook()
    book.active.title = "Opportunities"
    book.active.append(["ID", "Name (en)", "Identified by", "Illustrative example"])
    book.active.append([None, "Reuse hubs in every district", "Sofia Municipality", "yes"])
    data = io.BytesIO()
    book.save(data)
    before = loaded_disk_store.count()
    plan = plan_import(gate, data.getvalue(), "opportunities.xlsx")
    assert not plan.problems, plan.to_text()
    number = apply(gate, plan, "an editor", draft=True)
    assert isinstance(number, int) and loaded_disk_store.count() > before  # only the draft's record
    assert "opportunity/reuse-hubs-in-every-district" not in loaded_disk_store.dump(ox.RdfFormat.N_QUADS).decode()
    change = gate.publish(number, "a reviewer")
    names = [
        t.object.value for t in loaded_disk_store.triples(PROVENANCE_GRAPH) if t.predicate.value.endswith("FileName")
    ]
    assert change.number > number and "opportunities.xlsx" in names


# -- bad files --------------------------------------------------------------------------------------
def _xlsx(rows: list[list], title: str = "Barriers", edit=None) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    if edit:
        edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _saved_formula(data: bytes) -> bytes:
    """The same workbook with the value a spreadsheet program saves beside a formula (openpyxl writes none)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"(<f>[^<]*</f>)<v\s*/>|(<f>[^<]*</f>)(?!<v)", rb"\1\2<v>Saved text</v>", content)
                content = content.replace(b't="str"', b"").replace(b'<c r="B2"', b'<c r="B2" t="str"')
            target.writestr(item, content)
    return out.getvalue()


BARRIER = ["ID", "Name (en)", "Reported by", "Illustrative example"]
BAD_FILES = {
    "png.xlsx": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not a spreadsheet"),
    "protected.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
    "empty.csv": (b"", "is empty"),
    "latin1.csv": ("ID,Name (en)\n,Caf\xe9\n".encode("latin-1"), "not UTF-8"),
    "merged.xlsx": (
        _xlsx([BARRIER, [None, "x", "y", "yes"]], edit=lambda b: b.active.merge_cells("B2:C2")),
        "merged cells (B2:C2)",
    ),
    "formula.xlsx": (_xlsx([BARRIER, [None, '=CONCAT("a","b")', "Sofia Municipality", "yes"]]), "no saved value"),
    "huge.csv": (("ID,Name (en)\n" + ",x\n" * 20_005).encode(), "the limit is 20000"),
    "big.csv": (b"ID,Name (en)\n" + b",x\n" * (10 * 1024 * 1024), "the limit is 20 MB"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_with_its_reason_and_nothing_stored(runner, store_dir, tmp_path, name):
    data, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = count(store_dir)
    result = run(runner, "import", str(path), "--kind", "barrier", "--store", store_dir)
    assert result.exit_code == 1, result.output
    assert reason in result.output and "hint:" in result.output
    assert "Traceback" not in result.output
    assert count(store_dir) == before


def test_a_damaged_workbook_is_refused(runner, store_dir, tmp_path):
    whole = _xlsx([BARRIER, [None, "x", "Sofia Municipality", "yes"]])
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    result = run(runner, "import", str(path), "--store", store_dir)
    assert result.exit_code == 1 and "damaged" in result.output and "save it again" in result.output


def test_a_formula_with_its_saved_value_is_read_as_that_value_and_said(loaded_disk_store, tmp_path):
    gate = WriteGate(loaded_disk_store, tmp_path / "history")
    data = _saved_formula(_xlsx([BARRIER, [None, '=CONCAT("Saved ","text")', "Sofia Municipality", "yes"]]))
    plan = plan_import(gate, data, "formula.xlsx")
    assert not plan.problems, plan.to_text()
    assert ("Barriers!B2", "holds a formula: its saved value 'Saved text' was read") in plan.notes
    assert plan.outcomes[0].changes[0].after == ["Saved text"]


def test_cells_the_importer_cannot_take_are_named(loaded_disk_store, tmp_path):
    gate = WriteGate(loaded_disk_store, tmp_path / "history")

    def extras(book):
        hidden = book.create_sheet("Old notes")
        hidden.append(["anything"])
        hidden.sheet_state = "hidden"
        other = book.create_sheet("Actions")
        other.append(["ID", "Name (en)", "Action plan", "Cost (euro)", "Illustrative example"])
        other.append([None, "Comma cost", "SOS action plan", "1234,5", "yes"])
        other.append(["barrier:sos-public-procurement", "Wrong kind", None, None, "yes"])
        other.append(["action:no-such-action", "Nobody", None, None, "yes"])

    rows = [
        [*BARRIER, "Mood"],
        [None, "Twice", "Sofia Municipality", "yes", "sunny"],
        [None, "Twice", "Sofia Municipality", "yes", None],
        [None, "Typed date", "Sofia Municipality", "maybe", None],
    ]
    plan = plan_import(gate, _xlsx(rows, edit=extras), "mixed.xlsx")
    said = {p.where: p.what for p in plan.problems}
    assert said["Barriers!A3"] == "the same record as Barriers!A2"
    assert said["Barriers!D4"] == "not yes or no"
    assert said["Actions!D2"] == "a number with a decimal comma"
    assert "is a circe:Barrier, not a record of the Actions sheet" in said["Actions!A3"]
    assert said["Actions!A4"] == "no record has this ID"
    ignored = dict(plan.ignored)
    assert "not a column of the Barriers template: its 1 value(s) were not imported" in ignored["Barriers!E1"]
    assert "hidden sheet" in dict(plan.notes)["Old notes"]
    assert plan.counts["cells ignored"] >= 1


# -- other people's sheets: the ECESP mapping -------------------------------------------------------
needs_ecesp = pytest.mark.skipif(not ECESP_CSV.exists(), reason="../shared/datasets/ecesp is not beside this checkout")


@pytest.mark.slow
@needs_ecesp
def test_the_shipped_ecesp_graph_is_what_the_mapping_makes(loaded_disk_store, tmp_path):
    """data/ecesp.ttl came through the importer: importing the CSV again over the shipped graph changes nothing."""
    gate = WriteGate(loaded_disk_store, tmp_path / "history")
    plan = plan_mapped(gate, ECESP_CSV.read_bytes(), ECESP_CSV.name, load_mapping(ECESP_MAPPING))
    assert not plan.problems
    assert plan.counts == {
        "created": 0,
        "updated": 0,
        "unchanged": 786,
        "refused": 0,
        "cells ignored": plan.ignored_cells,
    }
    reasons = " ".join(why for _, why in plan.ignored)
    assert "repeats" in reasons and "Type of Organisation" in reasons and "not mapped" in reasons


@pytest.mark.slow
@needs_ecesp
def test_a_mapped_import_lands_every_cell_or_says_why(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, [f for f in shipped_files() if f.name != "ecesp.ttl"])
    gate = WriteGate(store, tmp_path / "history")
    with ECESP_CSV.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    sample = io.StringIO()
    csv.writer(sample).writerows([rows[0], *rows[1:6], rows[1]])  # five practices and one repeated row
    plan = plan_mapped(gate, sample.getvalue().encode(), "sample.csv", load_mapping(ECESP_MAPPING))
    assert not plan.problems, plan.to_text()
    assert plan.counts["created"] >= 5 and any("repeats sample.csv!2:2 exactly" in why for _, why in plan.ignored)
    apply(gate, plan, "test")
    first = "https://w3id.org/circe-kg/id/practice/ecesp-" + rows[1][2].rsplit("/", 1)[-1]
    facts = {
        (t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], t.object.value)
        for t in store.triples("https://w3id.org/circe-kg/graph/data/ecesp")
        if t.subject.value == first
    }
    assert ("source", rows[1][2]) in facts and ("prefLabel", rows[1][0]) in facts
    assert ("inDataset", "https://w3id.org/circe-kg/id/dataset/ecesp-good-practices") in facts
    assert any(p == "keywords" for p, _ in facts) and any(p == "practiceOwner" for p, _ in facts)
    again = plan_mapped(gate, sample.getvalue().encode(), "sample.csv", load_mapping(ECESP_MAPPING))
    assert again.counts["created"] == again.counts["updated"] == 0


def test_a_mapping_that_is_wrong_says_which_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nkind = "practice"\ngraph = "https://w3id.org/circe-kg/graph/data/x"\n')
    with pytest.raises(UsageError, match=r"bad.toml \[id\]: `column` is missing"):
        load_mapping(bad)
    bad.write_text("name = \n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_mapping(bad)
