"""The lists' downloads, as people open them in a spreadsheet program: the CSV (UTF-8 with a byte-order mark, the
same columns whatever the filters, each record's sources and whether it is sourced, the editors' classification
or an illustrative example, in the reader's language) and the .xlsx beside it (the same records, sources and
marks)."""

import csv
import io

import pytest
import rdflib
from babel import Locale
from flask_babel import force_locale, gettext
from python_calamine import CalamineWorkbook
from rdflib.namespace import DCTERMS, RDF

from circe_kg.facets import NONE, NOT_RECORDED, RECORD_KINDS, facet, to_csv
from circe_kg.namespaces import CIRCE, expand
from circe_kg.web.i18n import LANGUAGE_NAMES
from tests.test_truth import shipped_graph

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

BOM = b"\xef\xbb\xbf"
ECESP = "https://w3id.org/circe-kg/id/dataset/ecesp-good-practices"
# Each list's columns, in this order, whatever the filters leave in it.
COLUMNS = {
    "partners": ["project", "country", "region", "sector"],
    "practices": ["project", "partner", "country", "region", "sector", "category", "lever", "barrier", "dataset"],
    "barriers": ["partner", "country", "sector", "category"],
    "opportunities": ["partner", "country", "sector", "category", "lever"],
    "instruments": ["partner", "type"],
    "actions": ["partner", "country", "sector", "type", "status", "year"],
}
# Filters that leave different records (and, before, different columns) in each list.
FILTERS = {
    "partners": [{}, {"sector": "none"}],
    "practices": [{}, {"source": "illustrative"}, {"dataset": ECESP}, {"region": "none"}],
    "barriers": [{}, {"source": "illustrative"}, {"classified": "editorial"}],
    "opportunities": [{}, {"source": "illustrative"}, {"lever": "none"}],
    "instruments": [{}, {"source": "illustrative"}, {"partner": "none"}],
    "actions": [{}, {"source": "illustrative"}, {"status": "none"}],
}
XLSX_SHEETS = {
    "partners": "Organisations",
    "practices": "Practices",
    "barriers": "Barriers",
    "opportunities": "Opportunities",
    "instruments": "Instruments",
    "actions": "Actions",
}


def csv_of(client, kind: str, **filters: str) -> tuple[bytes, list[dict[str, str]], list[str]]:
    """The list's CSV: its bytes, its rows, its header."""
    response = client.get(f"/list/{kind}", query_string={**filters, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv", (kind, filters)
    assert response.content_type == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return response.data, [dict(zip(rows[0], row, strict=True)) for row in rows[1:]], rows[0]


def words(app, language: str) -> dict[str, str]:
    """The source column's words, as the interface translates them for `language`."""
    with app.test_request_context(f"/?lang={language}"), force_locale(language):
        return {kind: gettext(word) for kind, word in RECORD_KINDS.items()} | {NONE: gettext(NOT_RECORDED)}


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_the_csv_has_a_bom_and_the_same_columns_whatever_the_filters(client, kind):
    for filters in FILTERS[kind]:
        data, rows, header = csv_of(client, kind, lang="en", **filters)
        assert data.startswith(BOM) and data.count(BOM) == 1, filters
        assert header == ["label", "uri", *COLUMNS[kind], "source", "source_url"], filters
        assert rows, filters


@pytest.mark.slow
def test_each_row_gives_its_sources_and_says_what_kind_of_record_it_is(client):
    graph = shipped_graph()
    editorial = {graph.value(m, RDF.subject) for m in graph.subjects(RDF.type, CIRCE.EditorialClassification)}
    seen = set()
    for kind in COLUMNS:
        for row in csv_of(client, kind, lang="en")[1]:
            record = rdflib.URIRef(row["uri"])
            sources = sorted(str(s) for s in graph.objects(record, DCTERMS.source))
            if (record, CIRCE.illustrative, rdflib.Literal(True)) in graph:
                expected, sources = "illustrative", []
            else:
                expected = "editorial" if record in editorial else "sourced"
            assert row["source"] == RECORD_KINDS[expected], row
            assert row["source_url"] == "; ".join(sources), row
            seen.add(expected)
    assert seen == {"sourced", "editorial", "illustrative"}


@pytest.mark.parametrize("language", list(LANGUAGE_NAMES))
def test_countries_are_named_in_the_readers_language(client, language):
    """The graph names the countries in English only: every other language gets CLDR's names, by NUTS code."""
    territories = Locale.parse(language).territories
    expected = {territories[code] for code in ("IT", "ES", "PL", "NL", "GB", "FR", "BG", "SI")}
    _, rows, _ = csv_of(client, "partners", lang=language)
    assert {row["country"] for row in rows} == expected
    page = client.get("/list/partners", query_string={"lang": language}).get_data(as_text=True)
    for name in expected:  # the country facet's values
        assert f'>{name} <span class="count">' in page, (language, name)


def test_the_csv_speaks_the_readers_language(app, client):
    italian = words(app, "it")
    assert italian["sourced"] != "sourced"  # the catalogue has these words: the test would prove nothing else
    _, rows, _ = csv_of(client, "practices", lang="it", dataset="https://w3id.org/circe-kg/id/dataset/circe-kg")
    assert {row["source"] for row in rows} == {italian[k] for k in ("sourced", "editorial", "illustrative")}
    assert italian[NONE] in {row["region"] for row in rows}
    assert not {"Italy", "United Kingdom", "Spain"} & {row["country"] for row in rows}
    assert "Turismo" in {row["sector"] for row in rows}  # the graph's own Italian name of a sector
    page = client.get("/list/practices", query_string={"lang": "it"}).get_data(as_text=True)
    with app.test_request_context("/?lang=it"), force_locale("it"):
        assert f">{gettext('Sourced facts')} <span" in page and f">{gettext('not recorded')} <span" in page


def test_text_a_spreadsheet_would_run_is_written_as_text():
    rows = [{"resource": "r", "label": '=HYPERLINK("http://x")', "illustrative": "false", "sources": "https://a"}]
    items, _ = facet(rows, {})
    (header, row) = list(csv.reader(io.StringIO("".join(to_csv(items, ["source"])).lstrip("\ufeff"))))
    assert header == ["label", "uri", "source", "source_url"]
    assert row == ['\'=HYPERLINK("http://x")', "r", "sourced", "https://a"]


def test_a_long_csv_streams_with_one_bom():
    rows = [{"resource": f"r{i}", "label": f"R{i}", "illustrative": "false"} for i in range(7)]
    items, _ = facet(rows, {})
    chunks = list(to_csv(items, ["sector", "source"], rows_per_chunk=3))
    assert len(chunks) == 3 and chunks[0].startswith("\ufeff") and "".join(chunks).count("\ufeff") == 1
    parsed = list(csv.DictReader(io.StringIO("".join(chunks).lstrip("\ufeff"))))
    assert len(parsed) == 7 and {row["sector"] for row in parsed} == {NOT_RECORDED}  # a column none of them has


def test_the_list_response_is_streamed(client):
    response = client.get("/list/practices?format=csv&lang=en")
    assert response.is_streamed


def xlsx_records(client, kind: str, **filters: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The list's .xlsx: its headers, and its records by full IRI (column key -> cell)."""
    response = client.get(f"/list/{kind}", query_string={**filters, "format": "xlsx"})
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_name(XLSX_SHEETS[kind]).to_python()
    headers, keys = rows[0], rows[1]
    return headers, {expand(row[0]): dict(zip(keys, map(str, row), strict=True)) for row in rows[2:]}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(COLUMNS))
def test_the_xlsx_beside_the_csv_holds_the_same_records_sources_and_marks(app, client, kind):
    for filters in FILTERS[kind][:2]:
        for language in ("en", "it"):
            _, rows, _ = csv_of(client, kind, lang=language, **filters)
            headers, records = xlsx_records(client, kind, lang=language, **filters)
            assert set(records) == {row["uri"] for row in rows}, (filters, language)
            illustrative = words(app, language)["illustrative"]
            for row in rows:
                record = records[row["uri"]]
                assert record["dct:source"] == row["source_url"], row["uri"]
                assert (record["circe:illustrative"] == "yes") == (row["source"] == illustrative), row["uri"]
            # the sheet's headers are in the page's language (the shapes name the fields in English and Italian)
            assert ("Fonte (indirizzo web)" if language == "it" else "Source (web address)") in headers


def test_the_modules_examples_run():
    import doctest

    from circe_kg import facets
    from circe_kg.web import questions

    for module in (facets, questions):
        assert doctest.testmod(module).failed == 0, module.__name__
