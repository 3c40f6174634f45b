"""Machine twins (web/pages.py): each page that shows data answers the same data as JSON with `?format=json` or an
Accept header that prefers application/json — checked here against SPARQL written here, not the pages' own queries;
each item carries its standing (sourced, the editors' classification, illustrative) where the page shows it; an
unknown `?format=` is a 400 in the one error shape, naming the values allowed."""

from __future__ import annotations

import datetime as dt
import io
from collections import namedtuple
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox
import pytest
import rdflib
from flask_babel import lazy_gettext

from circe_kg.sheets.layout import KINDS
from circe_kg.web.pages import plain
from circe_kg.web.services import services_of

# What the pages show: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

ID = "https://w3id.org/circe-kg/id/"
PRACTICE = "practice/albergo-diffuso"
PREFIXES = """PREFIX circe: <https://w3id.org/circe-kg/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
# The pages with a twin, each at an address that shows data.
PAGES = [
    "/",
    "/partner/sos",
    "/truth",
    "/dumps/",
    "/history",
    "/validate",
    f"/page/{PRACTICE}",
    "/import",
    "/review",
    "/new/practice",
    f"/edit/{PRACTICE}",
]


def twin_of(client, address: str, **headers):
    response = client.get(address + ("&" if "?" in address else "?") + "format=json", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json", (address, response.status)
    assert "Accept" in response.headers.get("Vary", ""), address
    return response.get_json()


def rows(store, text: str) -> list[tuple[str, ...]]:
    return [tuple(term.value if term is not None else "" for term in row) for row in store.query(PREFIXES + text)]


@pytest.mark.parametrize("address", PAGES)
def test_each_page_answers_json_when_asked_by_format_or_by_accept_and_html_otherwise(client, address):
    by_format = twin_of(client, address)
    by_accept = client.get(address, headers={"Accept": "application/json"})
    assert by_accept.mimetype == "application/json" and by_accept.get_json() == by_format, address
    for accept in (None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html, application/json;q=0.9"):
        page = client.get(address, headers={"Accept": accept} if accept else {})
        assert page.status_code == 200 and page.mimetype == "text/html", (address, accept)
    liked = client.get(address, headers={"Accept": "text/html;q=0.5, application/json"})
    assert liked.mimetype == "application/json", address
    assert client.get(address + ("&" if "?" in address else "?") + "format=html").mimetype == "text/html"


@pytest.mark.parametrize("address", PAGES)
def test_an_unknown_format_is_a_400_naming_the_formats_allowed(client, address):
    bad = client.get(address + ("&" if "?" in address else "?") + "format=xslx", headers={"Accept": "application/json"})
    assert bad.status_code == 400, address
    body = bad.get_json()
    assert body["error"] == "bad-parameter" and "xslx" in body["message"]
    assert "format=json" in body["hint"] and "format=html" in body["hint"]
    page = client.get(address + ("&" if "?" in address else "?") + "format=xslx", headers={"Accept": "text/html"})
    assert page.status_code == 400 and page.mimetype == "text/html"


def test_the_home_twin_counts_what_the_aggregate_question_counts(client, loaded_store):
    home = twin_of(client, "/?lang=en")
    asked = rows(
        loaded_store,
        """SELECT ?kind (COUNT(DISTINCT ?r) AS ?n) WHERE {
             VALUES (?class ?kind) { (circe:Practice "practices") (circe:Barrier "barriers")
                                     (circe:Opportunity "opportunities") (circe:Action "actions") }
             ?r a/rdfs:subClassOf* ?class } GROUP BY ?kind""",
    )
    totals = {count["label"]: count["total"] for count in home["counts"]}
    for kind, n in asked:
        assert totals[kind] == int(n), kind
    illustrative = rows(
        loaded_store,
        "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a/rdfs:subClassOf* circe:Practice ; circe:illustrative true }",
    )
    assert next(c for c in home["counts"] if c["label"] == "practices")["illustrative"] == int(illustrative[0][0])
    truth = twin_of(client, "/truth")
    assert (home["sourced"], home["total"]) == (truth["sourced"], truth["total"])


def test_the_home_twin_lists_the_partners_and_each_transfer_with_its_standing(client, loaded_store):
    home = twin_of(client, "/?lang=en")
    partners = {
        row[0] for row in rows(loaded_store, "SELECT DISTINCT ?p WHERE { ?x a circe:Partnership ; circe:partner ?p }")
    }
    assert {p["partner"] for p in home["partners"]} == partners
    on_map = {m["partner"]["partner"] for m in home["markers"]}
    transfers = rows(
        loaded_store,
        """SELECT ?t ?from ?to (EXISTS { ?t circe:illustrative true } AS ?illustrative) WHERE {
             ?t a circe:Transfer ; circe:fromOrganisation ?from ; circe:toOrganisation ?to }""",
    )
    expected = {
        t: "illustrative" if illustrative == "true" else "sourced"
        for t, a, b, illustrative in transfers
        if a in on_map and b in on_map and a != b
    }
    assert expected and {arrow["transfer"]: arrow["mark"] for arrow in home["transfers"]} == expected
    assert "illustrative" in expected.values() and "sourced" in expected.values()


def test_the_home_twin_holds_the_data_not_the_drawing(client):
    """The map's country outlines draw the page; the twin carries the partners and arrows, not the polygons."""
    response = client.get("/?format=json")
    assert "shapes" not in response.get_json() and "map" not in response.get_json()
    assert len(response.data) < 200_000, "the twin should not carry Europe's outlines"
    assert "<path" in client.get("/").get_data(as_text=True), "the page still draws the countries"


def test_the_partner_twin_gives_each_item_its_mark_and_sources(client, loaded_store):
    sofia = twin_of(client, "/partner/sofia-municipality?lang=en")
    assert sofia["partner"]["iri"] == ID + "organisation/sofia-municipality"
    items = [item for _key, _heading, section in sofia["sections"] for item in section]
    assert {item["mark"] for item in items} <= set(sofia["marks"]) == {"sourced", "editorial", "illustrative"}
    illustrative = {row[0] for row in rows(loaded_store, "SELECT ?r WHERE { ?r circe:illustrative true }")}
    assert any(item["mark"] == "illustrative" for item in items)
    for item in items:
        assert item["mark"] != "sourced" or item["sources"], item
        assert item["iri"] not in illustrative or item["mark"] == "illustrative", item


def test_the_resource_twin_has_every_fact_of_the_record_and_its_standing(client, loaded_store):
    twin = twin_of(client, f"/page/{PRACTICE}?lang=en&view=data")
    iri = ID + PRACTICE
    assert twin["iri"] == iri
    label = rows(loaded_store, f'SELECT ?l WHERE {{ <{iri}> skos:prefLabel ?l FILTER(lang(?l) = "en") }}')
    assert twin["title"] == label[0][0]
    stated = {row[0] for row in rows(loaded_store, f"SELECT DISTINCT ?p WHERE {{ <{iri}> ?p ?o }}")}
    shown = {row["property_iri"] for row in twin["rows"] if not row["missing"]}
    hidden = {"http://www.w3.org/2004/02/skos/core#prefLabel", "https://w3id.org/circe-kg/ontology#illustrative"}
    assert shown == stated - hidden
    illustrative = rows(loaded_store, f"SELECT (EXISTS {{ <{iri}> circe:illustrative true }} AS ?i) WHERE {{}}")
    assert twin["illustrative"] is (illustrative[0][0] == "true")
    sources = {row[0] for row in rows(loaded_store, f"SELECT ?s WHERE {{ <{iri}> dct:source ?s }}")}
    assert sources and sources <= {s["iri"] for s in twin["sources"]}
    assert len(twin["incoming"]) == len(twin["incoming_marks"])
    assert set(twin["incoming_marks"]) <= {"sourced", "illustrative", ""}


def test_the_resource_twin_gives_the_record_and_each_fact_its_standing(client, loaded_store):
    marked = rows(
        loaded_store,
        """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
           SELECT ?r ?p ?o WHERE { ?m a circe:EditorialClassification ; rdf:subject ?r ; rdf:predicate ?p ;
                                      rdf:object ?o FILTER(STRSTARTS(STR(?r), "https://w3id.org/circe-kg/id/")) }
           LIMIT 1""",
    )
    assert marked, "the shipped data has an editors' classification"
    record, prop, _value = marked[0]
    twin = twin_of(client, "/page/" + record[len(ID) :] + "?view=data")
    standings = {v["standing"] for row in twin["rows"] if row["property_iri"] == prop for v in row["values"]}
    assert "editorial" in standings
    for row in twin["rows"]:
        for value in row["values"]:
            assert value["standing"] in ("editorial", "sourced", "illustrative", None), value
            assert (value["standing"] == "sourced") is bool(value["cites"]) or value["standing"] == "editorial"
    practice = twin_of(client, f"/page/{PRACTICE}")
    tied = rows(loaded_store, f"SELECT (EXISTS {{ <{ID + PRACTICE}> circe:presentedIn ?m }} AS ?t) WHERE {{}}")
    assert practice["standing"] == ("sourced" if tied[0][0] == "true" else "documented")
    assert [v["standing"] for v in practice["incoming"]] == practice["incoming_marks"]


def test_json_ld_stays_rdf_and_the_ontology_twin_is_at_format_json(client):
    described = client.get(f"/id/{PRACTICE}", headers={"Accept": "application/json"})
    assert described.status_code == 303 and described.headers["Location"].endswith(".jsonld")
    jsonld = client.get(f"/page/{PRACTICE}", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "text/html"  # the page is no RDF: /id/ and /data/ give the JSON-LD
    assert "@context" in client.get("/ontology", headers={"Accept": "application/json"}).get_json()
    ontology = twin_of(client, "/ontology")
    assert any(term["iri"] == "https://w3id.org/circe-kg/ontology#Practice" for term in ontology["terms"])
    assert client.get("/ontology?format=xslx").status_code == 400


def test_the_query_page_twin_has_the_answer_shown_and_format_stays_the_downloads(client, loaded_store):
    text = "SELECT ?p WHERE { ?p a <https://w3id.org/circe-kg/ontology#Partnership> }"
    asked = client.get("/query", query_string={"query": text, "run": "1"}, headers={"Accept": "application/json"})
    assert asked.mimetype == "application/json" and "Accept" in asked.headers["Vary"]
    answer = asked.get_json()
    assert answer["results"]["columns"] == ["p"]
    assert answer["results"]["count"] == len(list(loaded_store.query(text))) > 0
    assert answer["query_text"] == text and answer["error"] is None
    assert {s["key"] for s in answer["snippets"]} == {"curl", "python", "r", "javascript"}
    for fmt in ("csv", "json", "xslx"):  # "Show the results here" sends the download's format: the page, as before
        page = client.get("/query", query_string={"query": text, "run": "1", "format": fmt})
        assert page.status_code == 200 and page.mimetype == "text/html", fmt
    refused = client.get("/query", query_string={"query": "SELEC", "run": "1"}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.get_json()["error"]["status"] == 400


@pytest.mark.slow
def test_the_validate_twin_is_the_report(client):
    sent = f"<{ID}practice/x> a <https://w3id.org/circe-kg/ontology#Practice> .\n"
    report = client.post("/validate?format=json", data={"text": sent})
    assert report.mimetype == "application/json" and report.get_json()["conforms"] is False
    broken = client.post("/validate?format=json", data={"text": "<a> <b> ."})
    assert broken.status_code == 400 and broken.get_json()["error"] == "syntax-error"


def test_the_history_dumps_import_and_review_twins(client):
    history = twin_of(client, "/history")
    assert isinstance(history, list)
    missing = client.get("/history/99999?format=json")
    assert missing.status_code == 404 and missing.get_json()["error"] == "no-such-version"
    dumps = twin_of(client, "/dumps/")
    assert isinstance(dumps, list) and all("sourced_only" in entry for entry in dumps)
    sheets = twin_of(client, "/import")
    assert sheets["kinds"] == list(KINDS) and sheets["plan"] is None
    review = twin_of(client, "/review")
    assert review == {"drafts": None, "token_ok": False, "message": None}


def test_the_edit_twin_has_the_form_filled_from_the_store(client, loaded_store):
    form = twin_of(client, f"/edit/{PRACTICE}")
    fields = [f for group in form["groups"].values() for f in group]
    label = rows(loaded_store, f'SELECT ?l WHERE {{ <{ID + PRACTICE}> skos:prefLabel ?l FILTER(lang(?l) = "en") }}')
    name = next(f for f in fields if f["path"] == "http://www.w3.org/2004/02/skos/core#prefLabel")
    assert [label[0][0], "en"] in name["values"]
    new = twin_of(client, "/new/practice")
    assert new["slug"] == "" and all(not f["values"] for group in new["groups"].values() for f in group)


@dataclass
class _Point:
    x: Decimal
    at: dt.datetime


def test_plain_writes_what_views_pass(app):
    Pair = namedtuple("Pair", "left right")
    with app.test_request_context():
        written = plain(
            {
                "iri": ox.NamedNode("https://w3id.org/circe-kg/id/x"),
                "literal": ox.Literal("Milano", language="it"),
                "typed": rdflib.Literal(3),
                "blank": rdflib.BNode("b0"),
                "point": _Point(Decimal("1.50"), dt.datetime(2021, 3, 1, 12, 0)),
                "pair": Pair(1, {2}),
                "lazy": lazy_gettext("Summary"),
                "helper": lambda: 1,
                "module": dt,
                3: (x for x in "ab"),
            }
        )
    assert written == {
        "iri": "https://w3id.org/circe-kg/id/x",
        "literal": '"Milano"@it',
        "typed": '"3"^^<http://www.w3.org/2001/XMLSchema#integer>',
        "blank": "_:b0",
        "point": {"x": "1.50", "at": "2021-03-01T12:00:00"},
        "pair": {"left": 1, "right": [2]},
        "lazy": "Summary",
        "3": ["a", "b"],
    }


STEWARD = "twin-steward-token-0123456789"


@pytest.fixture
def writable(tmp_path, loaded_disk_store):
    from circe_kg.web import create_app

    app = create_app(
        store=loaded_disk_store,
        config={
            "TESTING": True,
            "WRITE_TOKENS": {STEWARD: "Ana Steward"},
            "DUMPS_DIR": tmp_path / "dumps",
            "HISTORY_DIR": tmp_path / "history",
        },
    )
    yield app, loaded_disk_store
    services_of(app).sandbox.close()
    loaded_disk_store.close()


@pytest.mark.slow
def test_the_import_preview_twin_has_the_plan_of_every_row(writable):
    app, store = writable
    client = app.test_client()
    sheet = client.get("/export/practices.xlsx").data
    before = store.count()
    sent = {"token": STEWARD, "file": (io.BytesIO(sheet), "practices.xlsx")}
    preview = client.post("/import?format=json", data=sent, content_type="multipart/form-data")
    assert preview.status_code == 200 and preview.mimetype == "application/json"
    plan = preview.get_json()["plan"]
    practices = {
        "practice:" + row[0][len(ID + "practice/") :]
        for row in rows(store, "SELECT DISTINCT ?p WHERE { ?p a/rdfs:subClassOf* circe:Practice }")
    }
    assert {row["id"] for row in plan["rows"]} == practices
    assert plan["counts"]["unchanged"] == len(practices) and not plan["problems"]
    assert store.count() == before  # a preview writes nothing


@pytest.mark.parametrize("address", [f"/edit/{PRACTICE}", "/new/practice", "/import/confirm", "/review"])
def test_a_bad_format_on_a_form_that_writes_is_refused_before_anything_is_written(writable, address):
    app, store = writable
    client = app.test_client()
    before, history = store.count(), client.get("/history?format=json").get_json()
    sent = {"token": STEWARD, "slug": "twin-practice", "action": "publish", "draft": "1"}
    refused = client.post(address + "?format=xslx", data=sent, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.get_json()["error"] == "bad-parameter"
    assert store.count() == before and client.get("/history?format=json").get_json() == history
