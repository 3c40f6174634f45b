"""A SPARQL server's answers reach callers as the specification writes them, whichever server wrote them: the remote
store puts Virtuoso's own forms right (`store.remote.virtuoso_answer`), so no module above the store knows which
server it asked. The same answers from a real Virtuoso are checked in tests/test_backends.py."""

from __future__ import annotations

import json

import pyoxigraph as ox

from circe_kg.store.remote import virtuoso_answer

BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def _answer(*rows: dict) -> bytes:
    return json.dumps({"head": {"vars": ["x", "flag"]}, "results": {"bindings": list(rows)}}).encode()


def _rows(content: bytes) -> list[dict[str, str]]:
    return [{v: str(term) for v, term in row.items()} for row in _solutions(content)]


def _solutions(content: bytes) -> list[dict]:
    solutions = ox.parse_query_results(content, ox.QueryResultsFormat.JSON)
    names = [v.value for v in solutions.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in solutions]


def _iri(value: str) -> dict:
    return {"type": "uri", "value": value}


def _flag(value: str) -> dict:
    return {"type": "typed-literal", "datatype": BOOLEAN, "value": value}


def test_booleans_are_written_true_and_false():
    content = _answer({"x": _iri("http://e/a"), "flag": _flag("1")}, {"x": _iri("http://e/b"), "flag": _flag("0")})
    rows = _rows(virtuoso_answer(content))
    assert [row["flag"] for row in rows] == [f'"true"^^<{BOOLEAN}>', f'"false"^^<{BOOLEAN}>']


def test_blank_nodes_lose_virtuosos_scheme():
    content = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "bnode", "value": "nodeID://b7"}}]}}'
    (row,) = _solutions(virtuoso_answer(content))
    assert isinstance(row["x"], ox.BlankNode) and row["x"].value.endswith("b7")


def test_rows_for_iris_nobody_asked_about_are_dropped():
    """Virtuoso answers a VALUES list holding an IRI that matches nothing with the rows of every resource."""
    content = _answer(*({"x": _iri(f"http://e/{name}")} for name in "abc"))
    kept = _rows(virtuoso_answer(content, {"x": (ox.NamedNode("http://e/a"), ox.NamedNode("http://e/gone"))}))
    assert kept == [{"x": "<http://e/a>"}]
    one = _rows(virtuoso_answer(content, {"x": ox.NamedNode("http://e/c")}))
    assert one == [{"x": "<http://e/c>"}]


def test_literal_parameters_and_unbound_rows_are_left_alone():
    """A literal parameter may come back in another lexical form from Virtuoso (18000.00 as 18000): never filtered."""
    content = _answer({"x": {"type": "literal", "value": "18000"}}, {"flag": _flag("1")})
    kept = _rows(virtuoso_answer(content, {"x": ox.Literal("18000.00", datatype=ox.NamedNode(BOOLEAN))}))
    assert len(kept) == 2
    unbound = _rows(virtuoso_answer(content, {"x": ox.NamedNode("http://e/a")}))
    assert unbound == [{"x": '"18000"'}, {"flag": f'"true"^^<{BOOLEAN}>'}], "only a row about another IRI is dropped"


def test_an_ask_answer_passes_unchanged():
    content = b'{"head": {}, "boolean": true}'
    assert virtuoso_answer(content, {"x": ox.NamedNode("http://e/a")}) == content
