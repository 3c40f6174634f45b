"""Regression tests of the bugs issue 8 (reliability and security proved by tests) named in its closing note, pinned
here with the one input that showed each (the fuzzers in tests/test_fuzz.py draw such inputs only now and then).

Kept with their subject, each naming the bug and this issue in its docstring: the public endpoint and the updates
calling out through SERVICE and LOAD (tests/test_fuzz.py), a version kept by a write that never landed offered for
restore (tests/test_crash_safety.py)."""

from __future__ import annotations

import secrets

import pytest

TOKEN = secrets.token_urlsafe(24)
GRAPH = "https://w3id.org/circe-kg/graph/data/issue-8"


@pytest.mark.embedded_only
@pytest.mark.parametrize("path", ["/list/practices?page=²", "/list/barriers?page=%C2%B2"])
def test_a_superscript_page_number_is_a_bad_parameter_not_a_crash(client, path):
    """`?page=²` gave a 500."""
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "bad-parameter", response.get_json()


def test_a_control_character_in_a_graph_iri_is_refused_before_anything_is_kept(writable_app):
    """A control character in a graph IRI gave a 500 after the history file had already been written."""
    app, store = writable_app({TOKEN: "issue 8"})
    history = app.config["HISTORY_DIR"]
    kept = sorted(history.rglob("*"))
    response = app.test_client().put(
        "/graphs",
        query_string={"graph": GRAPH + "\x01"},
        data=b'<https://w3id.org/circe-kg/id/x> <http://www.w3.org/2004/02/skos/core#prefLabel> "x"@en .',
        content_type="application/n-triples",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert sorted(history.rglob("*")) == kept and GRAPH + "\x01" not in store.named_graphs()
