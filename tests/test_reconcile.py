"""The reconciliation service at /reconcile (W3C Reconciliation Service API 0.2, as OpenRefine speaks it): every
answer valid against the specification's own JSON Schemas, the specification's example batches accepted or
refused, requests shaped as OpenRefine 3.x sends them, JSONP, the preview, the suggest services, bad input
refused with a 400 naming the parameter, and a resource written a moment ago found."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

SPEC = Path(__file__).resolve().parents[2] / "shared" / "standards" / "reconciliation-0.2"
# How OpenRefine 3.x posts a batch (StandardReconConfig: a UTF-8 form with the one field `queries`).
FORM = "application/x-www-form-urlencoded; charset=UTF-8"
FASHION_PACT = "practice:circular-fashion-pact"
KOCEVJE = "practice:kocevje-re-use-centre"  # its Slovene label: "Svet ponovne uporabe"
FOOD_SECTOR = "sector:food-waste-beverages"  # its Italian label: "Rifiuti alimentari e bevande"
ILLUSTRATIVE = "practice:gelderland-textile-design-challenge"  # data/illustrative.ttl
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # an error is JSON even for this


# -- the specification's schemas ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schemas():
    """A validator per schema file of the specification (by file name, without .json), with every $ref between
    the files (type.json, the Swagger schema in openapi.json) resolved from the files themselves: no network."""
    if not SPEC.exists():
        pytest.skip(
            "../shared/standards/reconciliation-0.2 (the 0.2 JSON Schemas and examples) is not beside this checkout"
        )
    documents = {path.stem: json.loads(path.read_text()) for path in sorted((SPEC / "schemas").glob("*.json"))}
    registry: Registry = Registry()
    for document in documents.values():
        registry = registry.with_resource(document["$id"].rstrip("#"), DRAFT7.create_resource(document))
    return {name: Draft7Validator(document, registry=registry) for name, document in documents.items()}


def examples(kind: str, validity: str) -> list[Path]:
    return sorted((SPEC / "examples" / kind / validity).glob("*.json"))


def valid(schemas, name: str, document) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schemas[name].iter_errors(document)]
    assert not errors, (name, errors[:3])


def post(client, batch: dict | str, **headers):
    text = batch if isinstance(batch, str) else json.dumps(batch)
    return client.post("/reconcile", data=urlencode({"queries": text}), content_type=FORM, headers=headers)


def results(client, schemas, batch: dict) -> dict[str, list[dict]]:
    response = post(client, batch)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    answer = response.get_json()
    valid(schemas, "reconciliation-result-batch", answer)
    assert set(answer) == set(batch)
    return {name: answer[name]["result"] for name in batch}


def test_the_schemas_load_and_judge_the_specification_s_examples(schemas):
    for kind in ("manifest", "reconciliation-result-batch", "reconciliation-query-batch"):
        for path in examples(kind, "valid"):
            valid(schemas, kind, json.loads(path.read_text()))
        for path in examples(kind, "invalid"):  # some only through a $ref (bad-authentication: the Swagger schema)
            assert not schemas[kind].is_valid(json.loads(path.read_text())), path.name
    for kind in ("suggest-entities-response", "suggest-types-response", "suggest-properties-response"):
        for path in examples(kind, "valid"):
            valid(schemas, kind, json.loads(path.read_text()))


# -- the manifest ----------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_manifest_is_valid_and_its_addresses_answer(client, schemas):
    response = client.get("/reconcile")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.get_json()
    valid(schemas, "manifest", manifest)
    assert manifest["versions"] == ["0.2"]
    assert {t["id"] for t in manifest["defaultTypes"]} == {
        "practice",
        "barrier",
        "barrier-category",
        "region",
        "sector",
        "organisation",
    }
    view = client.get(manifest["view"]["url"].replace("{{id}}", "practice:albergo-diffuso"))
    assert view.status_code == 303 and view.headers["Location"].endswith("/id/practice/albergo-diffuso")
    assert client.get(view.headers["Location"], headers=BROWSER).status_code == 303  # then to /page/…
    region = client.get(manifest["view"]["url"].replace("{{id}}", "nuts:ITC4"))
    assert client.get(region.headers["Location"], headers=BROWSER).status_code == 200
    preview = client.get(manifest["preview"]["url"].replace("{{id}}", FASHION_PACT))
    assert preview.status_code == 200 and "Circular Fashion Pact of Catalonia" in preview.get_data(as_text=True)
    for kind, schema in (
        ("entity", "suggest-entities-response"),
        ("type", "suggest-types-response"),
        ("property", "suggest-properties-response"),
    ):
        service = manifest["suggest"][kind]
        answer = client.get(urlsplit(service["service_url"]).path + service["service_path"] + "?prefix=circ")
        assert answer.status_code == 200, kind
        valid(schemas, schema, answer.get_json())


# -- the specification's example batches as input ------------------------------------------------------------------
@pytest.mark.slow
def test_every_valid_example_batch_is_answered(client, schemas):
    # example-full and multi-values ask for the type DifferentiatedPerson with type_strict "should": a type this
    # service does not have, tolerated as a preference it cannot meet (without "should" it is refused, below).
    paths = examples("reconciliation-query-batch", "valid")
    assert paths
    for path in paths:
        batch = json.loads(path.read_text())
        for response in (post(client, batch), client.get("/reconcile", query_string={"queries": json.dumps(batch)})):
            assert response.status_code == 200, (path.name, response.get_data(as_text=True))
            valid(schemas, "reconciliation-result-batch", response.get_json())
            assert set(response.get_json()) == set(batch)


def test_every_invalid_example_batch_is_refused(client):
    # All three are refused; none is invalid only in a way the service tolerates.
    paths = examples("reconciliation-query-batch", "invalid")
    if not paths:
        pytest.skip("../shared/standards/reconciliation-0.2 is not beside this checkout")
    for path in paths:
        response = post(client, path.read_text())
        body = response.get_json()
        assert response.status_code == 400, path.name
        assert "queries." in body["message"] and body["hint"], (path.name, body)


# -- requests as OpenRefine sends them -----------------------------------------------------------------------------
def test_openrefine_batch(client, schemas):
    found = results(
        client,
        schemas,
        {
            "q0": {"query": "Circular Fashion Pact of Catalonia", "type": "practice", "type_strict": "should"},
            "q1": {"query": "Svet ponovne uporabe", "type": "practice", "type_strict": "should"},
            "q2": {"query": "Rifiuti alimentari e bevande", "type": "sector", "type_strict": "should"},
            "q3": {"query": "Circular Fashon Pact of Catalnia", "type": "practice", "type_strict": "should"},
            "q4": {"query": "Xylophone basketweaving consortium", "type": "practice", "type_strict": "should"},
            "q5": {"query": "Circular Fashion Pact", "type": "practice", "type_strict": "should"},
            "q6": {"query": "PACTE PER A LA MODA CIRCULAR DE CATALUNYA"},  # Catalan, capitals: no type
        },
    )
    exact = found["q0"][0]
    assert (exact["id"], exact["score"], exact["match"]) == (FASHION_PACT, 100, True)
    assert exact["name"] == "Circular Fashion Pact of Catalonia" and exact["type"] == [
        {"id": "practice", "name": "Practice"}
    ]
    assert "textile value chain" in exact["description"]
    assert not any(candidate["match"] for candidate in found["q0"][1:])
    assert [c["id"] for c in found["q1"]][:1] == [KOCEVJE] and found["q1"][0]["match"]
    assert found["q2"][0]["id"] == FOOD_SECTOR and found["q2"][0]["match"]
    misspelt = found["q3"][0]
    assert misspelt["id"] == FASHION_PACT and not misspelt["match"]
    assert exact["score"] > misspelt["score"] > max(c["score"] for c in found["q3"][1:])
    assert found["q4"] == []
    assert found["q5"][0]["id"] == FASHION_PACT and not found["q5"][0]["match"]  # a part of the name only
    assert found["q6"][0]["id"] == FASHION_PACT and found["q6"][0]["match"]
    assert all(0 <= c["score"] <= 100 for hits in found.values() for c in hits)


def test_types_filter_and_name_the_candidates(client, schemas):
    found = results(
        client,
        schemas,
        {
            "any": {"query": "Mercato Metropolitano"},
            "practice": {"query": "Mercato Metropolitano", "type": "practice"},
            "curie": {"query": "Mercato Metropolitano", "type": "circe:Practice"},
            "iri": {"query": "Mercato Metropolitano", "type": "https://w3id.org/circe-kg/ontology#Practice"},
            "org": {"query": "Mercato Metropolitano", "type": ["org:Organization"]},
            "both": {"query": "Mercato Metropolitano", "type": ["practice", "organisation"], "type_strict": "any"},
            "all": {"query": "Mercato Metropolitano", "type": ["practice", "organisation"], "type_strict": "all"},
            "region": {"query": "Lombardia", "type": "region"},
            "barrier-category": {"query": "Ostacoli normativi", "type": "barrier-category"},
        },
    )
    # Two resources share the name: neither is a certain match until a type tells them apart.
    assert {c["id"] for c in found["any"][:2]} == {
        "practice:mercato-metropolitano",
        "organisation:mercato-metropolitano",
    }
    assert not any(c["match"] for c in found["any"] + found["both"])
    for name in ("practice", "curie", "iri"):
        assert found[name][0]["id"] == "practice:mercato-metropolitano" and found[name][0]["match"], name
        assert all(c["type"][0]["id"] == "practice" for c in found[name])
    assert found["org"][0]["id"] == "organisation:mercato-metropolitano" and found["org"][0]["match"]
    assert found["all"] == []  # nothing is both a practice and an organisation
    assert found["region"][0]["id"] == "nuts:ITC4" and found["region"][0]["match"]
    assert found["barrier-category"][0]["id"] == "kirchherr:regulatory"


def test_limit_properties_and_white_space(client, schemas):
    found = results(
        client,
        schemas,
        {
            "one": {"query": "circular", "limit": 1},
            "many": {"query": "circular economy", "limit": 5000},
            "float": {"query": "circular", "limit": 2.0},
            "plain": {"query": "Circular Fashion Pact"},
            "constrained": {
                "query": "Circular Fashion Pact",
                "properties": [{"pid": "circe:inRegion", "v": [{"id": "nuts:ES51", "name": "Catalonia"}, "ES51"]}],
            },
            "only-properties": {"properties": [{"pid": "circe:inRegion", "v": "nuts:ES51"}]},
            "cell": {"query": "  Circular Fashion Pact of Catalonia\n"},  # a spreadsheet cell's spaces and newline
            "blank": {"query": "   "},
        },
    )
    assert len(found["one"]) == 1 and len(found["float"]) == 2
    assert 1 < len(found["many"]) <= 100  # capped
    assert found["constrained"] == found["plain"]  # accepted; scores do not use them
    assert found["only-properties"] == [] and found["blank"] == []
    assert found["cell"][0]["id"] == FASHION_PACT and found["cell"][0]["match"]


def test_a_full_iri_is_an_id_too(client):
    by_iri = client.get(
        "/reconcile/preview", query_string={"id": "https://w3id.org/circe-kg/id/practice/circular-fashion-pact"}
    )
    assert by_iri.status_code == 200 and FASHION_PACT in by_iri.get_data(as_text=True)
    region = client.get("/reconcile/view", query_string={"id": "<http://data.europa.eu/nuts/code/ITC4>"})
    assert region.status_code == 303 and "ITC4" in region.headers["Location"]


# -- JSONP ---------------------------------------------------------------------------------------------------------
def _jsonp(response, callback: str):
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith(f"/**/{callback}(") and text.endswith(");")
    return json.loads(text[len(f"/**/{callback}(") : -2])


def test_jsonp_wraps_every_get_answer(client, schemas):
    callback = "jQuery36001234_1690000000000"
    valid(schemas, "manifest", _jsonp(client.get(f"/reconcile?callback={callback}"), callback))
    batch = json.dumps({"q0": {"query": "Albergo diffuso"}})
    answer = _jsonp(client.get("/reconcile", query_string={"queries": batch, "callback": callback, "_": "1"}), callback)
    valid(schemas, "reconciliation-result-batch", answer)
    assert answer["q0"]["result"][0]["id"] == "practice:albergo-diffuso"
    suggested = _jsonp(client.get(f"/reconcile/suggest/entity?prefix=albergo&callback={callback}"), callback)
    valid(schemas, "suggest-entities-response", suggested)
    assert post(client, {"q0": {"query": "x"}}).mimetype == "application/json"  # a POST is never JSONP


@pytest.mark.parametrize("callback", ["alert(1)", "a b", "x;y", "", "1abc", "a" * 300, "a.b.c.d.e.f", "</script>"])
def test_a_callback_that_is_not_a_name_is_refused(client, callback):
    response = client.get("/reconcile", query_string={"callback": callback})
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert "callback" in response.get_json()["message"]


# -- preview and suggest -------------------------------------------------------------------------------------------
def test_the_preview_is_a_small_page_that_says_what_is_illustrative(client, schemas):
    illustrative = client.get("/reconcile/preview", query_string={"id": ILLUSTRATIVE})
    page = illustrative.get_data(as_text=True)
    assert illustrative.status_code == 200 and illustrative.mimetype == "text/html"
    assert "Illustrative example" in page and "Circular textile design challenge" in page and "Practice" in page
    assert not re.search(r"<script|\bsrc=|<link|@import|url\(", page, re.I)  # nothing loaded, no JavaScript
    policy = illustrative.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors *" in policy  # OpenRefine frames it
    sourced = client.get("/reconcile/preview", query_string={"id": FASHION_PACT}).get_data(as_text=True)
    assert "Illustrative" not in sourced and "Sourced" in sourced and "textile value chain" in sourced
    # the candidate says so too
    found = results(client, schemas, {"q0": {"query": "Circular textile design challenge"}})["q0"][0]
    assert found["id"] == ILLUSTRATIVE and found["description"].endswith(" (illustrative)")


def test_suggest_services(client, schemas):
    def suggest(kind: str, schema: str, **params) -> list[dict]:
        response = client.get(f"/reconcile/suggest/{kind}", query_string=params)
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        valid(schemas, schema, response.get_json())
        return response.get_json()["result"]

    entities = suggest("entity", "suggest-entities-response", prefix="circular fash")
    assert entities[0]["id"] == FASHION_PACT and entities[0]["notable"][0]["id"] == "practice"
    regions = suggest("entity", "suggest-entities-response", prefix="lomb", type="region")
    assert [r["id"] for r in regions] == ["nuts:ITC4"]
    assert suggest("entity", "suggest-entities-response", prefix="zzzzqx") == []
    assert [t["id"] for t in suggest("type", "suggest-types-response", prefix="barr")] == [
        "barrier",
        "barrier-category",
    ]
    assert len(suggest("type", "suggest-types-response", prefix="")) == 6
    properties = suggest("property", "suggest-properties-response", prefix="region")
    assert "circe:inRegion" in [p["id"] for p in properties]


# -- bad input -----------------------------------------------------------------------------------------------------
def q(**fields) -> str:
    return json.dumps({"q0": {"query": "Albergo diffuso", **fields}})


BAD_BATCHES = [
    ("{not json", "queries"),
    ('["a list"]', "queries"),
    ('"a string"', "queries"),
    ("[" * 100_000, "queries"),  # too deep for the parser
    ('{"q0": ' + "[" * 900 + "]" * 900 + "}", "queries.q0"),  # deep, yet parsed
    ('{"q0": {"query": "x", "limit": ' + "[" * 900 + "]" * 900 + "}}", "queries.q0.limit"),
    ('{"q0": "Albergo diffuso"}', "queries.q0"),
    ('{"q0": null}', "queries.q0"),
    (q(type="person"), "queries.q0.type"),
    (q(type="person", type_strict="any"), "queries.q0.type"),
    (q(type=["practice", "person"]), "queries.q0.type[1]"),
    (q(type=7), "queries.q0.type"),
    (q(type_strict="sometimes"), "queries.q0.type_strict"),
    (q(limit=0), "queries.q0.limit"),
    (q(limit=-3), "queries.q0.limit"),
    (q(limit=2.5), "queries.q0.limit"),
    (q(limit="5"), "queries.q0.limit"),
    (q(limit=True), "queries.q0.limit"),
    (q(limit=None), "queries.q0.limit"),
    ('{"q0": {"query": "x", "limit": 1e999}}', "queries.q0.limit"),
    ('{"q0": {"query": "x", "limit": ' + "9" * 5000 + "}}", "queries"),  # more digits than Python reads
    (json.dumps({"q0": {"query": "x" * 1001}}), "queries.q0.query"),
    (json.dumps({"q0": {"query": "Albergo\x01diffuso"}}), "queries.q0.query"),
    (json.dumps({"q0": {"query": "Albergo\x7fdiffuso"}}), "queries.q0.query"),
    (json.dumps({"q0": {"query": 12}}), "queries.q0.query"),
    (json.dumps({"q0": {"query": "x", "props": []}}), "props"),
    (json.dumps({"q0": {"query": "x", "properties": {"pid": "a"}}}), "queries.q0.properties"),
    (json.dumps({"q0": {"query": "x", "properties": [{"pid": "a"}]}}), "queries.q0.properties[0]"),
    (json.dumps({"q0": {"query": "x", "properties": [{"pid": "a", "v": [{"name": "no id"}]}]}}), "v[0]"),
    (json.dumps({f"q{n}": {"query": "x"} for n in range(1001)}), "queries"),
    (json.dumps({"q\x00": {"query": "x"}}), "queries"),
]


@pytest.mark.parametrize(("batch", "named"), BAD_BATCHES, ids=[f"batch-{n}" for n in range(len(BAD_BATCHES))])
def test_a_bad_batch_is_a_400_naming_the_parameter(client, batch, named):
    for response in (post(client, batch, **BROWSER), client.get("/reconcile", query_string={"queries": batch})):
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        body = response.get_json()  # JSON even for a browser's Accept
        assert body["error"] == "bad-parameter" and named in body["message"] and body["hint"], body
        assert response.headers["Access-Control-Allow-Origin"] == "*"


BAD_REQUESTS = [
    ("/reconcile/suggest/entity", "prefix"),
    ("/reconcile/suggest/entity?prefix=" + "a" * 1001, "prefix"),
    ("/reconcile/suggest/entity?prefix=a%01b", "prefix"),
    ("/reconcile/suggest/entity?prefix=alb&type=person", "type"),
    ("/reconcile/suggest/entity?prefix=alb&limit=ten", "limit"),
    ("/reconcile/suggest/entity?prefix=alb&limit=0", "limit"),
    ("/reconcile/suggest/type?prefix=" + "a" * 1001, "prefix"),
    ("/reconcile/suggest/property?prefix=%00", "prefix"),
    ("/reconcile/preview", "id"),
    ("/reconcile/preview?id=albergo-diffuso", "id"),
    ("/reconcile/preview?id=practice:alb%00ergo", "id"),
    ("/reconcile/view?id=" + "practice:" + "a" * 1000, "id"),
    ("/reconcile?extend=%7B%7D", "extend"),
]


@pytest.mark.parametrize(("path", "named"), BAD_REQUESTS)
def test_a_bad_request_is_a_400_naming_the_parameter(client, path, named):
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] == "bad-parameter" and named in body["message"] and body["hint"], body


def test_a_post_without_queries_and_an_unknown_id(client):
    response = client.post("/reconcile", data={"query": "Albergo diffuso"}, content_type=FORM)
    assert response.status_code == 400 and "queries" in response.get_json()["message"]
    missing = client.get("/reconcile/preview?id=practice:no-such-practice")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not-found"


# -- after a write -------------------------------------------------------------------------------------------------
TOKEN = secrets.token_urlsafe(24)  # made for each run: no write token in the repository
NEW_PRACTICE = """@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/circe-kg/id/practice/zyzzyva-reed-bed-composting> a circe:Practice ;
    skos:prefLabel "Zyzzyva reed-bed composting"@en , "Compostaggio Zyzzyva"@it ; circe:illustrative true ;
    circe:illustrativeNote "Written by a test."@en ;
    circe:addresses <https://w3id.org/circe-kg/id/concept/kirchherr-2018/market> .
"""


@pytest.mark.slow
def test_a_resource_written_a_moment_ago_is_found(writable_app):
    app, _ = writable_app({TOKEN: "reconcile test"})
    client = app.test_client()
    batch = {"q0": {"query": "Compostaggio Zyzzyva", "type": "practice"}}
    assert post(client, batch).get_json()["q0"]["result"] == []  # the index is built before the write
    written = client.put(
        "/graphs?graph=https://w3id.org/circe-kg/graph/data/reconcile-test",
        data=NEW_PRACTICE,
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert written.status_code == 201, written.get_json()
    [found] = post(client, batch).get_json()["q0"]["result"]
    assert found["id"] == "practice:zyzzyva-reed-bed-composting" and found["match"]
    assert found["name"] == "Zyzzyva reed-bed composting" and found["description"] == "(illustrative)"
