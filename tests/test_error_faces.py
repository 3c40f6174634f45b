"""A refused write told in the client's own format — JSON, an HTML page, plain text for curl — each listing the
violations with their line in the sent text; size limits that name the limit and the way to load more; warnings
about records the write did not touch are not passed off as its reasons."""

from __future__ import annotations

import secrets

import pytest

from circe_kg.web import create_app
from circe_kg.web.services import services_of

TOKEN = secrets.token_urlsafe(24)
GRAPH = "https://w3id.org/circe-kg/graph/data/faces-test"
# Line 6 gives the practice a sector that is not a sector: the violation is about line 4's resource.
BAD = """@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

<https://w3id.org/circe-kg/id/practice/faces-example> a circe:Practice ;
    skos:prefLabel "Faces example"@en ;
    circe:illustrative "yes" ;
    circe:illustrativeNote "Written by a test."@en .
"""
GOOD = BAD.replace('circe:illustrative "yes"', "circe:illustrative true")
FACES = {"*/*": "text/plain", "text/plain": "text/plain", "text/html,*/*;q=0.8": "text/html"}


@pytest.fixture
def site(tmp_path, loaded_disk_store):
    app = create_app(
        store=loaded_disk_store,
        config={
            "TESTING": True,
            "WRITE_TOKENS": {TOKEN: "faces steward"},
            "DUMPS_DIR": tmp_path / "dumps",
            "HISTORY_DIR": tmp_path / "history",
            "MAX_CONTENT_LENGTH": 4096,
        },
    )
    yield app, loaded_disk_store
    services_of(app).sandbox.close()


def put(client, body: str, accept: str):
    return client.put(
        f"/graphs?graph={GRAPH}",
        data=body.encode(),
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": accept},
    )


@pytest.mark.slow
def test_a_refused_put_names_each_violation_and_its_line_in_json(site):
    app, store = site
    before = store.count()
    response = put(app.test_client(), BAD, "application/json")
    assert response.status_code == 422
    results = response.get_json()["report"]["results"]
    assert results and all(r["line"] for r in results if r["focus"] == "practice:faces-example")
    assert any(r["line"] == 4 for r in results)
    assert store.count() == before


@pytest.mark.slow
@pytest.mark.parametrize("accept,mimetype", list(FACES.items()))
def test_a_refused_put_lists_the_violations_in_text_and_html_too(site, accept, mimetype):
    app, store = site
    before = store.count()
    response = put(app.test_client(), BAD, accept)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == mimetype
    assert "practice:faces-example" in text and "line 4" in text and "Violation" in text
    assert "Accept" in response.headers["Vary"]
    assert store.count() == before


@pytest.mark.parametrize("accept", ["application/json", "*/*", "text/html"])
def test_an_oversized_upload_names_the_limit_and_the_way_to_load_more(site, accept):
    app, store = site
    before = store.count()
    body = GOOD + "#" * 5000 + "\n"
    response = put(app.test_client(), body, accept)
    text = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "4096 bytes" in text and "circe-kg load" in text and "nothing was stored" in text
    assert store.count() == before


@pytest.mark.slow
def test_a_write_reports_warnings_only_about_the_records_it_touched(site):
    app, _ = site
    client = app.test_client()
    # Someone leaves a warning behind: an illustrative practice that does not say why it exists.
    other = "https://w3id.org/circe-kg/graph/data/faces-other"
    left = GOOD.replace("faces-example", "left-behind").replace(
        '    circe:illustrativeNote "Written by a test."@en .', ""
    )
    left = left.replace("circe:illustrative true ;", "circe:illustrative true .")
    first = client.put(
        f"/graphs?graph={other}",
        data=left.encode(),
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
    )
    assert first.status_code == 201, first.get_data(as_text=True)
    assert {r["focus"] for r in first.get_json()["report"]["results"]} == {"practice:left-behind"}
    # The next write, about another record, does not carry that warning as if it were its own.
    response = put(client, GOOD, "application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    reported = {r["focus"] for r in response.get_json().get("report", {}).get("results", [])}
    assert "practice:left-behind" not in reported
