"""What the validator used to let through: a misspelt property or class of the project's own vocabulary (a
statement that no shape, query or page would ever read), instance hints blind to subclasses, a UTF-8 file with a
byte-order mark, and a Latin-1 upload that lost the form."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pyoxigraph as ox
import pytest

from circe_kg.cli import main
from circe_kg.config import shipped_files
from circe_kg.errors import RdfSyntaxError, ValidationFailed
from circe_kg.loader import load_files, validate_files
from circe_kg.rdf_files import parse_file, parse_text
from circe_kg.store import EmbeddedStore
from circe_kg.validation import validate_state
from circe_kg.web import create_app
from circe_kg.web.services import services_of
from circe_kg.writing.gate import WriteGate

STEWARD = secrets.token_urlsafe(24)  # made for each run: no write token in the repository
GRAPH = "https://w3id.org/circe-kg/graph/data/blind-spots"
BOM = b"\xef\xbb\xbf"
HEAD = """@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix sector: <https://w3id.org/circe-kg/id/sector/> .
@prefix organisation: <https://w3id.org/circe-kg/id/organisation/> .
@prefix practice: <https://w3id.org/circe-kg/id/practice/> .
"""
# Line 6 of each text below is its first resource's subject line.
MISSPELT_PROPERTY = (
    HEAD
    + """practice:fixture-sectr a circe:Practice ;
    skos:prefLabel "A practice with a misspelt property"@en ;
    circe:illustrative true ; circe:illustrativeNote "Written by a test."@en ;
    circe:sectr sector:textile .
"""
)
MISSPELT_CLASS = (
    HEAD
    + """practice:fixture-practise a circe:Practise ;
    skos:prefLabel "A practice with a misspelt class"@en ;
    circe:illustrative true ; circe:illustrativeNote "Written by a test."@en .
"""
)
VALID = (
    HEAD
    + """practice:fixture-fine a circe:Practice ;
    skos:prefLabel "A practice written right"@en ;
    circe:illustrative true ;
    circe:illustrativeNote "Written by a test: <https://w3id.org/circe-kg/ontology#sectr> <x> is text."@en .
"""
)


def _validate(tmp_path: Path, text: str | bytes, name: str = "fixture.ttl"):
    """Validate one file with the shipped files, as `circe-kg validate FILE` does."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return validate_files(None, [*shipped_files(), path])


# -- 1. terms of the project's own vocabulary that the ontology does not define ---------------------------------
@pytest.mark.slow
def test_a_misspelt_own_property_is_a_violation_with_its_line_and_the_term_meant(tmp_path):
    report = _validate(tmp_path, MISSPELT_PROPERTY)
    assert not report.conforms and report.violations == 1, report.to_text()
    (result,) = report.results
    assert result.severity == "Violation" and result.path == "circe:sectr" and result.value == "sector:textile"
    assert "circe:sectr is not a property of the circe-kg ontology" in result.message
    assert result.hint == "did you mean circe:sector?"
    assert result.focus == "practice:fixture-sectr"
    assert result.file and result.file.endswith("fixture.ttl") and result.line == 9  # the line that writes it
    assert "circe:sectr" in report.to_text() and "(line 9)" not in report.to_text()  # one result: its own line
    turtle = report.to_turtle()  # the standard SHACL report says so too
    assert "sh:conforms false" in turtle and "ontology#sectr" in turtle


@pytest.mark.slow
def test_a_misspelt_own_class_is_a_violation_reported_once(tmp_path):
    report = _validate(tmp_path, MISSPELT_CLASS)
    assert not report.conforms, report.to_text()
    assert [r.hint for r in report.results] == ["did you mean circe:Practice?"], report.to_text()
    assert report.results[0].file.endswith("fixture.ttl") and report.results[0].line == 6


def test_the_check_of_own_terms_needs_no_shapes(tmp_path):
    """The term check is the validator's own (a set lookup), not a shape: it holds with the ontology alone."""
    ontology = {p.graph_iri: p.triples for p in map(parse_file, shipped_files()) if p.kind == "ontology"}
    for text, hint in (
        (MISSPELT_CLASS, "did you mean circe:Practice?"),
        (MISSPELT_PROPERTY, "did you mean circe:sector?"),
    ):
        triples, _ = parse_text(text, "fixture.ttl")
        report = validate_state({**ontology, GRAPH: triples})
        assert not report.conforms and [r.hint for r in report.results] == [hint], report.to_text()


@pytest.mark.slow
def test_own_terms_in_a_literal_and_external_terms_are_not_checked(tmp_path):
    report = _validate(tmp_path, VALID)
    assert report.conforms and report.results == [], report.to_text()


@pytest.mark.slow
def test_the_shipped_data_uses_only_defined_terms():
    report = validate_files(None, shipped_files())
    assert report.conforms and report.results == [], report.to_text()


@pytest.fixture(scope="module")
def gate_store(tmp_path_factory):
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    yield store, WriteGate(store, tmp_path_factory.mktemp("history"))
    store.close()


@pytest.mark.slow
def test_the_write_gate_refuses_a_misspelt_property(gate_store):
    store, gate = gate_store
    triples, _ = parse_text(MISSPELT_PROPERTY, "fixture.ttl")
    report = gate.check({GRAPH: triples})
    assert any(r.path == "circe:sectr" and r.hint == "did you mean circe:sector?" for r in report.results)
    before = store.count()
    with pytest.raises(ValidationFailed) as refused:
        gate.commit({GRAPH: triples}, "test", "blind-spots test")
    text = refused.value.to_text()
    assert "circe:sectr" in text and "did you mean circe:sector?" in text
    assert store.count() == before and GRAPH not in store.named_graphs()


# -- 2. "did you mean" for instances looks at the subclasses of the wanted class --------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "typed, meant",
    [
        ("organisation:regione-lombardiaa", "organisation:regione-lombardia"),  # one letter off its identifier
        ("organisation:lombardyy-region", "organisation:regione-lombardia"),  # one letter off its name
        ("circe:regione-lombardia", "organisation:regione-lombardia"),  # the right name in the wrong namespace
    ],
)
def test_a_misspelt_organisation_is_matched_among_the_subclasses(tmp_path, typed, meant):
    """circe:practiceOwner wants an org:Organization; the Lombardy Region is a cv:PublicOrganisation (a
    subclass), which the hint must consider."""
    text = (
        HEAD
        + f"""practice:fixture-owner a circe:Practice ;
    skos:prefLabel "A practice with a misspelt owner"@en ;
    circe:illustrative true ; circe:illustrativeNote "Written by a test."@en ;
    circe:practiceOwner {typed} .
"""
    )
    report = _validate(tmp_path, text)
    hints = [r.hint for r in report.results if r.path == "circe:practiceOwner"]
    assert hints and hints[0].endswith(f"did you mean {meant}?"), report.to_text()


# -- 3. a UTF-8 byte-order mark is accepted wherever RDF text is read -------------------------------------------
@pytest.mark.slow
def test_files_and_text_with_a_byte_order_mark_parse_and_keep_their_lines(tmp_path):
    path = tmp_path / "bom.ttl"
    path.write_bytes(BOM + MISSPELT_PROPERTY.encode("utf-8"))
    parsed = parse_file(path)
    assert len(parsed.triples) == 5 and parsed.source.startswith(BOM)  # recorded as sent (its checksum)
    assert parsed.line_of("https://w3id.org/circe-kg/id/practice/fixture-sectr") == 6
    first_line = tmp_path / "first-line.ttl"
    first_line.write_bytes(
        BOM + b'<https://w3id.org/circe-kg/id/x/y> <http://www.w3.org/2004/02/skos/core#prefLabel> "y"@en .\n'
    )
    assert parse_file(first_line).line_of("https://w3id.org/circe-kg/id/x/y") == 1
    triples, _ = parse_text("\ufeff" + MISSPELT_PROPERTY, "pasted")
    assert len(triples) == 5
    report = _validate(tmp_path, BOM + MISSPELT_PROPERTY.encode("utf-8"), "with-bom.ttl")
    assert [(r.path, r.line) for r in report.results] == [("circe:sectr", 9)], report.to_text()


@pytest.fixture(scope="module")
def web(gate_store, tmp_path_factory):
    store, _ = gate_store
    folder = tmp_path_factory.mktemp("web")
    app = create_app(
        store=store,
        config={
            "TESTING": True,
            "WRITE_TOKENS": {STEWARD: "blind-spots steward"},
            "DUMPS_DIR": folder / "dumps",
            "HISTORY_DIR": folder / "history",
        },
    )
    yield app.test_client()
    services_of(app).sandbox.close()


@pytest.mark.slow
def test_the_validate_page_accepts_an_upload_with_a_byte_order_mark(web):
    data = {"file": (io.BytesIO(BOM + VALID.encode("utf-8")), "from-notepad.ttl")}
    response = web.post("/validate", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Conforms: 0 violations" in page, page
    assert "\ufeff" not in page


@pytest.mark.slow
def test_the_graph_store_accepts_a_body_with_a_byte_order_mark(web, gate_store):
    store, _ = gate_store
    graph = GRAPH + "-bom"
    response = web.put(
        f"/graphs?graph={graph}",
        data=BOM + VALID.encode("utf-8"),
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {STEWARD}"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    subject = ox.NamedNode("https://w3id.org/circe-kg/id/practice/fixture-fine")
    assert any(t.subject == subject for t in store.triples(graph))


def test_the_graph_store_names_the_line_of_a_byte_that_is_not_utf8(web):
    body = MISSPELT_CLASS.replace("A practice", "Caf\xe9").encode("latin-1")
    response = web.put(
        f"/graphs?graph={GRAPH}-latin1",
        data=body,
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {STEWARD}"},
    )
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["line"] == 7 and "save the file as UTF-8" in answer["hint"], answer


# -- 4. a Latin-1 upload keeps the form and names the line -----------------------------------------------------
LATIN1 = MISSPELT_PROPERTY.replace("A practice with a misspelt property", "Un caf\xe9 r\xe9par\xe9").encode("latin-1")


def test_a_latin1_upload_keeps_the_form_and_names_the_line(web):
    typed = "# my notes, typed before choosing the file"
    data = {"file": (io.BytesIO(LATIN1), "cafe.ttl"), "text": typed}
    response = web.post("/validate", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "cafe.ttl:7:" in page and "not UTF-8" in page and "save the file as UTF-8" in page
    assert f">{typed}</textarea>" in page  # what was typed stays
    assert "You sent the file cafe.ttl" in page  # and the file chosen is named
    assert '<form method="post"' in page


def test_a_latin1_upload_as_json(web):
    data = {"file": (io.BytesIO(LATIN1), "cafe.ttl")}
    response = web.post(
        "/validate", data=data, content_type="multipart/form-data", headers={"Accept": "application/json"}
    )
    answer = response.get_json()
    assert response.status_code == 400 and answer["line"] == 7 and answer["column"] == 27, answer
    assert answer["hint"].startswith("save the file as UTF-8")


def test_the_cli_says_the_same_about_a_latin1_file(runner, tmp_path):
    path = tmp_path / "cafe.ttl"
    path.write_bytes(LATIN1)
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    with pytest.raises(RdfSyntaxError) as caught:
        parse_file(path)
    assert f"{path}:7:27: syntax error: not UTF-8 text: the byte 0xE9 on this line" in result.output
    assert caught.value.to_text() in result.output and "save the file as UTF-8" in result.output
