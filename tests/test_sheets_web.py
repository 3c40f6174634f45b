"""Spreadsheets in the web face: templates and exports to download, and the import journey — upload, preview
(bad cells marked, per-field diff), confirm — with steward, editor and reviewer tokens, refusals that say what is
wrong, and no lost update between a preview and its confirmation. Each test gets its own app over its own on-disk
store; the workbooks are read back with python-calamine, a reader independent of the openpyxl that wrote them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from circe_kg import queries
from circe_kg.web import create_app
from circe_kg.web.services import services_of
from tests.test_writes import FormFields  # what a browser submits from a form

STEWARD = secrets.token_urlsafe(24)
EDITOR = secrets.token_urlsafe(24)
REVIEWER = secrets.token_urlsafe(24)
TOKENS = {STEWARD: "Sheet Steward", EDITOR: ("Ed Itor", "editor"), REVIEWER: ("Rev Iewer", "reviewer")}
ALBERGO = "https://w3id.org/circe-kg/id/practice/albergo-diffuso"
PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
SECTOR = "https://w3id.org/circe-kg/ontology#sector"
DESCRIPTION = "http://purl.org/dc/terms/description"
HTML = {"Accept": "text/html"}
DEPOPULATION = "https://w3id.org/circe-kg/id/barrier/depopulation-of-mountain-villages"
SHEETS = {"practice": "Practices", "organisation": "Organisations"}


def _app(store, tmp_path, tokens):
    return create_app(
        store=store,
        config={
            "TESTING": True,
            "HISTORY_DIR": tmp_path / "history",
            "DUMPS_DIR": tmp_path / "dumps",
            "WRITE_TOKENS": tokens,
        },
    )


@pytest.fixture
def web(loaded_disk_store, tmp_path, monkeypatch):
    """(client, store) of an app with a steward, an editor and a reviewer token, and no token from the
    environment."""
    monkeypatch.delenv("CIRCE_KG_WRITE_TOKEN", raising=False)
    monkeypatch.delenv("CIRCE_KG_TOKENS_FILE", raising=False)
    app = _app(loaded_disk_store, tmp_path, TOKENS)
    yield app.test_client(), loaded_disk_store
    services_of(app).sandbox.close()
    loaded_disk_store.close()


# -- reading pages and workbooks -------------------------------------------------------------------
class Page(HTMLParser):
    """The parts of an import page a test looks at: the forms (action → their inputs' values) and the tables
    by class (rows of (cell text, cell class))."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self._table: str | None = None
        self._cell: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((urlsplit(a.get("action") or "").path, {}))  # the address, not its ?lang=
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1][1][a["name"]] = a.get("value") or ""
        elif tag == "table":
            self._table = a.get("class") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None and self.tables[self._table]:
            self._cell = ["", a.get("class") or ""]
            self.tables[self._table][-1].append(self._cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data

    def form(self, action: str) -> dict[str, str]:
        found = [fields for a, fields in self.forms if a == action]
        assert len(found) == 1, f"{len(found)} forms post to {action}"
        return found[0]

    def rows(self, table: str) -> list[list[str]]:
        """The body rows of the table of this class, as the texts of their cells."""
        return [[" ".join(text.split()) for text, _ in row] for row in self.tables.get(table, [])[1:]]

    def bad_cells(self) -> list[str]:
        return [
            " ".join(text.split())
            for rows in self.tables.values()
            for row in rows
            for text, c in row
            if c == "bad-cell"
        ]


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def calamine_rows(data: bytes, sheet: str) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python()


def sheet_names(data: bytes) -> list[str]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names


def workbook(data: bytes, sheet: str = "Practices"):
    """(the workbook, its sheet, column key → column number) of an .xlsx the server made."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[sheet]
    keys = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
    return book, ws, keys


def row_of(ws, short_id: str) -> int:
    return next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == short_id)


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def values(store, iri: str, predicate: str, language: str | None = None) -> list[str]:
    """The values the store gives `iri` for `predicate` (text of one language only, with `language`)."""
    triples = queries.run(store, "resource-description", {"resource": iri}).triples or []
    return sorted(
        t.object.value
        for t in triples
        if t.subject.value == iri
        and t.predicate.value == predicate
        and (language is None or getattr(t.object, "language", None) == language)
    )


def data_graphs(store) -> dict[str, list[str]]:
    """The published data, graph by graph (drafts and the history are kept elsewhere)."""
    return {g: sorted(map(str, store.triples(g))) for g in sorted(store.named_graphs()) if "/graph/data/" in g}


def export_practices(client) -> bytes:
    """The practices list's records (those addressing the albergo diffuso's barrier: a few rows, not 800) as
    the list's Excel download."""
    response = client.get(f"/list/practices?format=xlsx&lang=en&barrier={DEPOPULATION}")
    assert response.status_code == 200
    return response.data


def with_italian_name(
    data: bytes, name: str, clear_sector: bool = False, record: str = "practice:albergo-diffuso"
) -> bytes:
    book, ws, keys = workbook(data, SHEETS[record.split(":")[0]])
    row = row_of(ws, record)
    ws.cell(row, keys["skos:prefLabel@it"]).value = name
    if clear_sector:
        assert ws.cell(row, keys["circe:sector"]).value == "Tourism"
        ws.cell(row, keys["circe:sector"]).value = None
    return saved(book)


def preview(client, data: bytes, token: str = STEWARD, name: str = "practices.xlsx", **form):
    return client.post(
        "/import",
        data={"file": (io.BytesIO(data), name), "token": token, **form},
        content_type="multipart/form-data",
        headers=HTML,
    )


def confirm(client, shown) -> object:
    """Press the preview's Confirm button: post its hidden fields."""
    return client.post("/import/confirm", data=Page(shown.get_data(as_text=True)).form("/import/confirm"), headers=HTML)


# -- downloads -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_templates_are_workbooks_with_the_headers_in_the_pages_language(web):
    client, _ = web
    one = client.get("/templates/practice.xlsx?lang=en")
    assert one.status_code == 200 and one.mimetype.endswith("spreadsheetml.sheet")
    assert "circe-kg-template-practice.xlsx" in one.headers["Content-Disposition"]
    assert sheet_names(one.data) == ["Read me", "Lists", "Practices"]
    headers, keys, *rows = calamine_rows(one.data, "Practices")
    assert rows == []  # a template holds no records
    assert headers[:2] == ["ID", "Name (en) *"] and "Source (web address)" in headers
    assert keys[:2] == ["id", "skos:prefLabel@en"] and {"circe:sector", "dct:source", "circe:illustrative"} <= set(keys)
    assert len(headers) == len(keys)

    every = client.get("/templates/all.xlsx?lang=en")
    names = sheet_names(every.data)
    assert names[:2] == ["Read me", "Lists"]
    assert {"Practices", "Barriers", "Organisations", "Action plans", "Transfers", "Meetings"} <= set(names)
    assert calamine_rows(every.data, "Practices")[0] == headers  # the same sheet, in one workbook with the rest

    italian = calamine_rows(client.get("/templates/practice.xlsx?lang=it").data, "Practices")
    assert italian[0][:2] == ["ID", "Nome (en) *"] and "Fonte (indirizzo web)" in italian[0]
    assert italian[1] == keys  # the hidden key row does not depend on the language
    # the language is remembered (cookie), as every page's is; and Accept-Language chooses it for a first visit
    assert calamine_rows(client.get("/templates/practice.xlsx").data, "Practices")[0][1] == "Nome (en) *"
    fresh = web[0].application.test_client()
    chosen = fresh.get("/templates/practice.xlsx", headers={"Accept-Language": "it-IT,it;q=0.9"})
    assert calamine_rows(chosen.data, "Practices")[0][1] == "Nome (en) *"


def test_an_unknown_kind_is_404_naming_the_kinds(web):
    client, _ = web
    for address in ("/templates/nothing.xlsx", "/export/nothing.xlsx", "/export/nothing.csv"):
        for headers in (HTML, {"Accept": "application/json"}):
            response = client.get(address + "?lang=en", headers=headers)
            assert response.status_code == 404, address
            text = text_of(response)
            assert "no sheet for 'nothing'" in text and "practice, barrier, opportunity" in text
    both = client.get("/export/all.csv?lang=en", headers=HTML)  # CSV holds one kind
    assert both.status_code == 404 and ".csv (one kind)" in text_of(both)


def test_the_csv_export_has_a_bom_and_the_templates_headers(web):
    client, _ = web
    response = client.get("/export/barrier.csv?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    template = calamine_rows(client.get("/templates/barrier.xlsx?lang=en").data, "Barriers")[0]
    assert rows[0] == template
    listed = list(csv.DictReader(io.StringIO(client.get("/list/barriers?format=csv&lang=en").data.decode())))
    assert len(rows) - 1 == len(listed) > 10
    ids = {row[0] for row in rows[1:]}
    assert "barrier:uk-bread-waste" in ids


@pytest.mark.parametrize("filters", ["", "&source=sourced"])
def test_a_lists_xlsx_holds_exactly_its_records(web, filters):
    client, _ = web
    listed = list(csv.DictReader(io.StringIO(client.get(f"/list/barriers?format=csv&lang=en{filters}").data.decode())))
    response = client.get(f"/list/barriers?format=xlsx&lang=en{filters}")
    assert response.status_code == 200 and "circe-kg-barriers.xlsx" in response.headers["Content-Disposition"]
    rows = calamine_rows(response.data, "Barriers")[2:]
    assert len(rows) == len(listed) > 0
    expected = {"barrier:" + r["uri"].rsplit("/", 1)[-1] for r in listed}
    assert {row[0] for row in rows} == expected


@pytest.mark.slow
def test_the_sourced_filter_leaves_records_out_of_the_xlsx(web):
    client, _ = web
    every = calamine_rows(client.get("/list/practices?format=xlsx&lang=en").data, "Practices")
    sourced = calamine_rows(client.get("/list/practices?format=xlsx&lang=en&source=sourced").data, "Practices")
    assert 2 < len(sourced) < len(every)  # the shipped practices include illustrative ones


# -- the import journey ----------------------------------------------------------------------------
@pytest.mark.slow
def test_a_steward_previews_then_confirms_an_edited_export(web):
    client, store = web
    changed = with_italian_name(export_practices(client), "Albergo diffuso di montagna", clear_sector=True)
    before = data_graphs(store)

    shown = preview(client, changed, name="my practices.xlsx")
    assert shown.status_code == 200, text_of(shown)[:2000]
    page = Page(shown.get_data(as_text=True))
    text = text_of(shown)
    assert "Preview of my practices.xlsx" in text and "0 to create, 1 to update" in text
    diff = page.rows("diff-table")
    row = row_of(workbook(changed)[1], "practice:albergo-diffuso")
    assert diff[0][0] == f"practice:albergo-diffuso (to update, Practices!{row}:{row})"
    assert [row[1:] for row in diff] == [
        ["Name (it)", "changed", "Albergo diffuso", "Albergo diffuso di montagna"],
        ["Sector", "removed", "Tourism", ""],
    ]
    assert page.bad_cells() == []
    form = page.form("/import/confirm")
    assert re.fullmatch(r"[0-9a-f]{64}", form["upload"]) and re.fullmatch(r"[0-9a-f]{64}", form["digest"])
    assert data_graphs(store) == before  # a preview writes nothing

    done = confirm(client, shown)
    assert done.status_code == 200, text_of(done)[:2000]
    assert re.search(r"Imported as version \d+\. 0 created, 1 updated", text_of(done))
    assert values(store, ALBERGO, PREF_LABEL, "it") == ["Albergo diffuso di montagna"]
    assert values(store, ALBERGO, SECTOR) == []
    assert values(store, ALBERGO, PREF_LABEL, "en") == ["Dispersed hotel (albergo diffuso)"]  # the rest stays
    italian = client.get("/page/practice/albergo-diffuso?lang=it")
    assert italian.status_code == 200 and "Albergo diffuso di montagna" in text_of(italian)
    assert data_graphs(store) != before

    again = confirm(client, shown)  # the same confirmation twice writes nothing more, and says so
    assert again.status_code == 200 and "Nothing to import" in text_of(again)
    assert values(store, ALBERGO, PREF_LABEL, "it") == ["Albergo diffuso di montagna"]


@pytest.mark.slow
def test_three_bad_cells_are_named_and_marked_and_nothing_is_written(web):
    client, store = web
    book, ws, keys = workbook(client.get("/templates/practice.xlsx?lang=en").data)
    ws.cell(3, keys["skos:prefLabel@en"]).value = "Sheet test repair café"
    ws.cell(3, keys["circe:practiceOwner"]).value = "Nobody Org"
    ws.cell(3, keys["schema:startDate"]).value = "03/04/2021"
    ws.cell(3, keys["dct:source"]).value = "see the leaflet"
    letters = {
        k: openpyxl.utils.get_column_letter(keys[k]) for k in ("circe:practiceOwner", "schema:startDate", "dct:source")
    }
    count = store.count()

    refused = preview(client, saved(book))
    assert refused.status_code == 422
    page = Page(refused.get_data(as_text=True))
    problems = page.rows("problems")
    assert sorted(row[0] for row in problems) == sorted(f"Practices!{letter}3" for letter in letters.values())
    by_cell = {row[0]: row for row in problems}
    assert by_cell[f"Practices!{letters['schema:startDate']}3"][1:3] == ["Start date", "03/04/2021"]
    assert "YYYY-MM-DD" in by_cell[f"Practices!{letters['schema:startDate']}3"][4]
    assert "not in the list" in by_cell[f"Practices!{letters['circe:practiceOwner']}3"][3]
    assert "not a web address" in by_cell[f"Practices!{letters['dct:source']}3"][3]
    bad = page.bad_cells()
    assert len(bad) == 3
    assert any("03/04/2021" in b for b in bad) and any("Nobody Org" in b for b in bad)
    assert any("see the leaflet" in b for b in bad)
    assert "3 problems: nothing will be stored" in text_of(refused)
    assert not [a for a, _ in page.forms if a == "/import/confirm"]  # nothing to confirm
    assert store.count() == count


@pytest.mark.slow
def test_a_new_practice_from_the_template_gets_its_page(web):
    client, store = web
    book, ws, keys = workbook(client.get("/templates/practice.xlsx?lang=en").data)
    for key, value in {
        "skos:prefLabel@en": "Sheet test repair café",
        "circe:practiceOwner": "Lombardy Region",
        "schema:startDate": dt.date(2021, 4, 3),  # a date cell (openpyxl reads it back at midnight)
        "circe:illustrative": "yes",
    }.items():
        ws.cell(3, keys[key]).value = value
    shown = preview(client, saved(book))
    assert shown.status_code == 200 and "1 to create, 0 to update" in text_of(shown)
    page = Page(shown.get_data(as_text=True))
    sheet = page.rows("")  # the sheet preview's table has no class
    assert ["3", "Sheet test repair café", "2021-04-03", "Lombardy Region", "yes"] in sheet
    diff = {row[1]: row[2:] for row in page.rows("diff-table")}
    assert diff["Start date"] == ["added", "", "2021-04-03"] and diff["Owner"] == ["added", "", "Lombardy Region"]
    assert client.get("/page/practice/sheet-test-repair-cafe").status_code == 404
    assert confirm(client, shown).status_code == 200
    created = client.get("/page/practice/sheet-test-repair-cafe?lang=en")
    assert created.status_code == 200 and "Sheet test repair café" in text_of(created)
    assert "Illustrative example" in text_of(created)
    iri = "https://w3id.org/circe-kg/id/practice/sheet-test-repair-cafe"
    assert values(store, iri, "https://schema.org/startDate") == ["2021-04-03"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "record, other",
    [
        ("organisation:amsa", "import"),  # a graph without blank nodes: nothing else changes in it
        ("practice:albergo-diffuso", "import"),
        ("practice:albergo-diffuso", "edit"),
    ],
)
def test_a_preview_changed_by_someone_else_is_not_confirmed(web, record, other):
    """Someone else's write between a preview and its confirmation: the confirmation is refused (409) and shows
    the new preview, even when the file would write just what it previewed (the other write changed the same
    field: only the stored "before" differs)."""
    client, store = web
    kind, slug = record.split(":")
    iri = f"https://w3id.org/circe-kg/id/{kind}/{slug}"
    original = values(store, iri, PREF_LABEL, "it")
    exported = export_practices(client) if kind == "practice" else client.get(f"/export/{kind}.xlsx?lang=en").data
    first = preview(client, with_italian_name(exported, "Nome (prima)", record=record), name=f"{kind}.xlsx")
    assert first.status_code == 200 and "1 to update" in text_of(first)

    if other == "import":  # the same field: the file would write the very graph it previewed
        second = preview(client, with_italian_name(exported, "Nome (seconda)", record=record), name=f"{kind}.xlsx")
        assert confirm(client, second).status_code == 200
        kept = (PREF_LABEL, "it", "Nome (seconda)")
    else:  # another field of the same record, in the edit form
        parser = FormFields()
        parser.feed(client.get(f"/edit/{kind}/{slug}").get_data(as_text=True))
        form = parser.fields
        form.update({"f1": ["Summary changed in the edit form."], "f1.lang": ["en"], "token": [STEWARD]})
        assert client.post(f"/edit/{kind}/{slug}", data=form).status_code == 303
        kept = (DESCRIPTION, "en", "Summary changed in the edit form.")
    between = data_graphs(store)
    assert kept[2] in values(store, iri, kept[0], kept[1])

    late = confirm(client, first)
    assert late.status_code == 409, text_of(late)[:1000]
    assert "changed by someone else since your preview" in text_of(late)
    assert data_graphs(store) == between  # nothing written by the late confirmation
    assert kept[2] in values(store, iri, kept[0], kept[1])
    # the 409 page previews the file against what is stored now, to confirm knowingly
    diff = {row[1]: row[2:] for row in Page(late.get_data(as_text=True)).rows("diff-table")}
    if other == "import":
        assert diff == {"Name (it)": ["changed", "Nome (seconda)", "Nome (prima)"]}
    else:
        assert diff["Name (it)"] == ["changed", "; ".join(original), "Nome (prima)"]
        assert diff["Summary (en)"][:2] == ["changed", "Summary changed in the edit form."]  # would be put back
    # (confirming the new preview writes it: see test_a_csv_names_its_kind_in_the_form)


@pytest.mark.slow
def test_an_editors_import_waits_as_a_draft_until_a_reviewer_publishes_it(web):
    client, store = web
    changed = with_italian_name(export_practices(client), "Albergo diffuso (bozza)")
    before = data_graphs(store)

    shown = preview(client, changed, token=EDITOR)
    assert shown.status_code == 200
    held = confirm(client, shown)
    assert held.status_code == 202
    number = int(re.search(r"Submitted as draft (\d+)", text_of(held)).group(1))
    assert data_graphs(store) == before
    assert values(store, ALBERGO, PREF_LABEL, "it") == ["Albergo diffuso"]

    listing = client.post("/review", data={"token": REVIEWER})
    assert f"Draft {number}: import by Ed Itor" in text_of(listing)
    denied = client.post("/review", data={"token": EDITOR, "draft": number, "action": "publish"})
    assert denied.status_code == 403 and data_graphs(store) == before
    published = client.post("/review", data={"token": REVIEWER, "draft": number, "action": "publish"})
    assert published.status_code == 200
    assert re.search(rf"Draft {number} published as version \d+", text_of(published))
    assert values(store, ALBERGO, PREF_LABEL, "it") == ["Albergo diffuso (bozza)"]


# -- refusals --------------------------------------------------------------------------------------
def _real_xlsx(client) -> bytes:
    return client.get("/templates/practice.xlsx?lang=en").data


BAD_FILES = {
    "no file": (None, 400, "no file was chosen"),
    "an empty file": (lambda c: b"", 400, "is empty"),
    "a PNG": (lambda c: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 400, "not a spreadsheet this importer reads"),
    "random bytes": (lambda c: bytes((i * 7919) % 256 for i in range(3000)), 400, "not a spreadsheet"),
    "a password-protected workbook": (
        lambda c: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        400,
        "password-protected",
    ),
    "a truncated workbook": (lambda c: _real_xlsx(c)[:200], 400, "is damaged"),
    "a zip that is no workbook": (lambda c: _zip_of({"hello.txt": "hi"}), 400, "not an Excel workbook"),
}


def _zip_of(files: dict[str, str]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_file_that_is_no_spreadsheet_is_refused_with_its_reason(web, case):
    client, store = web
    make, status, message = BAD_FILES[case]
    count = store.count()
    if make is None:
        response = client.post("/import", data={"token": STEWARD}, content_type="multipart/form-data", headers=HTML)
    else:
        response = preview(client, make(client), name="sheet.xlsx")
    assert response.status_code == status, text_of(response)[:1000]
    assert message in text_of(response)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert store.count() == count


@pytest.mark.slow
def test_tokens_are_checked_before_the_file_is_read(web):
    client, store = web
    count = store.count()
    for token in ("", "not-the-token-not-the-token", STEWARD + "x"):
        response = preview(client, b"\x89PNG\r\n\x1a\n", token=token)
        assert response.status_code == 401 and "a valid bearer token is required" in text_of(response)
    shown = preview(client, with_italian_name(export_practices(client), "Albergo diffuso (no)"))
    form = Page(shown.get_data(as_text=True)).form("/import/confirm")
    wrong = client.post("/import/confirm", data={**form, "token": "not-the-token-not-the-token"}, headers=HTML)
    assert wrong.status_code == 401
    assert store.count() == count and values(store, ALBERGO, PREF_LABEL, "it") == ["Albergo diffuso"]


@pytest.mark.slow
def test_without_tokens_importing_is_disabled(loaded_disk_store, tmp_path, monkeypatch):
    monkeypatch.delenv("CIRCE_KG_WRITE_TOKEN", raising=False)
    monkeypatch.delenv("CIRCE_KG_TOKENS_FILE", raising=False)
    app = _app(loaded_disk_store, tmp_path, {})
    try:
        client = app.test_client()
        count = loaded_disk_store.count()
        response = preview(client, with_italian_name(export_practices(client), "Albergo diffuso (no)"), token=STEWARD)
        assert response.status_code == 403 and "writing is disabled on this server" in text_of(response)
        confirmed = client.post("/import/confirm", data={"upload": "0" * 64, "digest": "0", "token": STEWARD})
        assert confirmed.status_code == 403
        assert loaded_disk_store.count() == count
    finally:
        services_of(app).sandbox.close()
        loaded_disk_store.close()


@pytest.mark.parametrize("upload", ["0" * 64, "../../../../etc/passwd", "", "A" * 64])
def test_confirming_an_upload_that_is_not_kept_is_404(web, upload):
    client, store = web
    count = store.count()
    response = client.post(
        "/import/confirm", data={"upload": upload, "digest": "0" * 64, "token": STEWARD}, headers=HTML
    )
    assert response.status_code == 404 and "that upload is no longer kept" in text_of(response)
    assert store.count() == count


def test_an_upload_over_the_limit_is_413(web):
    client, store = web
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    count = store.count()
    boundary = "sheet-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{STEWARD}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + b"PK" + b"\0" * limit + f"\r\n--{boundary}--\r\n".encode()
    response = client.post("/import", data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=HTML)
    assert response.status_code == 413
    assert f"larger than the {limit // 2**20} MB this server accepts" in text_of(response)
    assert Page(response.get_data(as_text=True)).forms  # the upload form, to try again
    assert store.count() == count


@pytest.mark.slow
def test_a_csv_names_its_kind_in_the_form(web):
    """A CSV file's rows are of the kind the form names when its file name does not say it; the kind stays with
    the upload through a refused confirmation and the new preview."""
    client, store = web
    bread = "https://w3id.org/circe-kg/id/barrier/uk-bread-waste"
    exported = client.get("/export/barrier.csv?lang=en").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    name = rows[0].index("Name (it)")
    row = next(r for r in rows[1:] if r[0] == "barrier:uk-bread-waste")

    def sheet_with(italian: str) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows([rows[0], [*row[:name], italian, *row[name + 1 :]]])
        return out.getvalue().encode()

    unnamed = preview(client, sheet_with("Spreco di pane"), name="upload.csv")
    assert unnamed.status_code == 200 and "0 to update" in text_of(unnamed) and "ignored" in text_of(unnamed)
    shown = preview(client, sheet_with("Spreco di pane"), name="upload.csv", kind="barrier")
    assert shown.status_code == 200 and "1 to update" in text_of(shown)
    assert Page(shown.get_data(as_text=True)).form("/import/confirm")["kind"] == "barrier"

    other = preview(client, sheet_with("Pane sprecato"), name="upload.csv", kind="barrier")
    assert confirm(client, other).status_code == 200
    late = confirm(client, shown)
    assert late.status_code == 409 and values(store, bread, PREF_LABEL, "it") == ["Pane sprecato"]
    assert Page(late.get_data(as_text=True)).form("/import/confirm")["kind"] == "barrier"
    done = confirm(client, late)
    assert done.status_code == 200 and "Imported as version" in text_of(done)
    assert values(store, bread, PREF_LABEL, "it") == ["Spreco di pane"]


ECESP_CSV = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "ecesp" / "good-practices.csv"


@pytest.mark.slow
@pytest.mark.skipif(not ECESP_CSV.exists(), reason="../shared/datasets/ecesp is not beside this checkout")
def test_another_partys_sheet_goes_in_through_its_saved_mapping(web):
    """The page offers the saved mappings; with ECESP's, a row of ECESP's own sheet with a changed title is
    previewed as that one change to its practice, and confirmed."""
    client, store = web
    form = text_of(client.get("/import", headers=HTML))
    assert "its saved column mapping" in form and '<option value="ecesp">' in client.get("/import").get_data(
        as_text=True
    )
    with ECESP_CSV.open(encoding="utf-8", newline="") as stream:
        header, first, *_ = list(csv.reader(stream))
    practice = "https://w3id.org/circe-kg/id/practice/ecesp-" + first[2].rsplit("/", 1)[-1]
    out = io.StringIO()
    csv.writer(out).writerows([header, ["A retitled practice", *first[1:]]])
    shown = preview(client, out.getvalue().encode(), name="ecesp-sample.csv", mapping="ecesp")
    page = text_of(shown)
    assert shown.status_code == 200, page
    assert "1 to update" in page and "A retitled practice" in page and first[0] in page
    assert Page(shown.get_data(as_text=True)).form("/import/confirm")["mapping"] == "ecesp"
    done = confirm(client, shown)
    assert done.status_code == 200 and "Imported as version" in text_of(done)
    assert values(store, practice, PREF_LABEL, "en") == ["A retitled practice"]
    unknown = preview(client, out.getvalue().encode(), name="ecesp-sample.csv", mapping="../pyproject")
    assert unknown.status_code == 400 and "no saved mapping" in text_of(unknown)
