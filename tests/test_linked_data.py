"""Dereferenceable URIs, resource pages, the ontology document, dumps and /void (Flask test client)."""

import gzip
import hashlib
import json
from pathlib import Path

import pytest
import rdflib
from pyshacl import validate
from rdf_reading import read_back, union_of

from circe_kg.export_graphs import isomorphic
from circe_kg.serialization import RDF_TYPES
from circe_kg.web.services import services_of

ALBERGO = "/id/practice/albergo-diffuso"
DCAT_AP = Path(__file__).resolve().parents[2] / "shared" / "standards" / "dcat-ap-3.0.0-SHACL.ttl"


def parse(client, data: bytes, rdflib_name: str) -> rdflib.Graph:
    """RDF from this server. Its JSON-LD names its context by URL (/context.jsonld): given here from the test
    client, as the test server is not on the network."""
    if rdflib_name == "json-ld":
        document = json.loads(data)
        document["@context"] = client.get("/context.jsonld").get_json()["@context"]
        data = json.dumps(document).encode()
    return rdflib.Graph().parse(data=data, format=rdflib_name)


@pytest.mark.parametrize("rdf_type", RDF_TYPES, ids=[t.extension for t in RDF_TYPES])
def test_id_redirects_machines_to_data_in_their_format(client, rdf_type):
    response = client.get(ALBERGO, headers={"Accept": rdf_type.mime})
    assert response.status_code == 303 and "Accept" in response.vary
    assert response.headers["Location"].endswith(f"/data/practice/albergo-diffuso.{rdf_type.extension}")
    data = client.get(response.headers["Location"])
    assert data.status_code == 200 and data.mimetype == rdf_type.mime
    graph = parse(client, data.data, rdf_type.rdflib_name)
    subject = rdflib.URIRef("https://w3id.org/circe-kg" + ALBERGO)
    assert (subject, rdflib.RDF.type, rdflib.URIRef("https://w3id.org/circe-kg/ontology#Practice")) in graph
    # the labels of what it links to travel with it
    assert (
        rdflib.URIRef("http://data.europa.eu/nuts/code/ITC4"),
        rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
        None,
    ) in graph


def test_id_redirects_browsers_to_the_page(client):
    response = client.get(ALBERGO, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/page/practice/albergo-diffuso")
    page = client.get("/page/practice/albergo-diffuso").get_data(as_text=True)
    assert "<h1>Dispersed hotel (albergo diffuso)</h1>" in page
    assert 'lang="it">Albergo diffuso' in page
    assert 'href="/id/organisation/regione-lombardia"' in page  # links stay on this server
    assert 'rel="alternate" type="text/turtle"' in page


def test_illustrative_resources_show_the_badge_and_sourced_ones_their_sources(client):
    sourced = client.get("/page/transfer/lombardy-to-sos-dispersed-circular-hotel").get_data(as_text=True)
    assert "skupnostobcin.si/2019/04/19" in sourced and "Illustrative example" not in sourced
    illustrative = client.get("/page/transfer/catalonia-to-sofia-circular-economy-observatory").get_data(as_text=True)
    assert "Illustrative example — not a CircE record" in illustrative


@pytest.mark.parametrize("accept", ["text/turtle", "text/html", "application/ld+json"])
def test_unknown_uri_is_404_in_the_negotiated_format(client, accept):
    response = client.get("/id/practice/no-such-practice", headers={"Accept": accept})
    assert response.status_code == 404 and response.mimetype in (accept, "text/html")
    assert b"no-such-practice" in response.data
    if accept != "text/html":  # an RDF client reads an empty graph, not a page
        assert (
            len(rdflib.Graph().parse(data=response.data, format={"text/turtle": "turtle"}.get(accept, "json-ld"))) == 0
        )


def test_unsupported_accept_is_406_listing_the_offer(client):
    response = client.get(ALBERGO, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_json()["hint"]


@pytest.mark.slow
def test_hostile_paths_are_404(client):
    for path in (
        "/id/../../etc/passwd",
        "/id/%2e%2e/%2e%2e/pyproject.toml",
        "/data/practice/x.exe",
        "/id/practice/<script>alert(1)</script>",
    ):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code in (400, 404), path  # 400: not even a valid IRI
        assert b"<script>alert" not in response.data


def test_ontology_dereferences_to_rdf_and_to_documentation(client):
    html = client.get("/ontology", headers={"Accept": "text/html"})
    page = html.get_data(as_text=True)
    assert html.status_code == 200 and 'id="Practice"' in page and 'id="addresses"' in page
    assert "Buona pratica" in client.get("/ontology?lang=it", headers={"Accept": "text/html"}).get_data(as_text=True)
    for rdf_type in RDF_TYPES:
        response = client.get("/ontology", headers={"Accept": rdf_type.mime})
        graph = parse(client, response.data, rdf_type.rdflib_name)
        assert (rdflib.URIRef("https://w3id.org/circe-kg/ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in graph


@pytest.mark.slow
def test_dumps_are_listed_and_isomorphic_to_the_store(client, loaded_store):
    manifest = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    full = {"circe-kg.ttl", "circe-kg.nt.gz", "circe-kg.nq", "circe-kg.jsonld"}
    sourced = {name.replace("circe-kg", "circe-kg-sourced") for name in full}  # tests/test_honest_summaries.py
    assert {d["name"] for d in manifest} == full | sourced
    union = union_of(loaded_store)
    for entry in manifest:
        response = client.get(f"/dumps/{entry['name']}")
        body = response.get_data()
        response.close()  # send_file streams from an open file
        assert response.status_code == 200 and len(body) == entry["bytes"]
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        if entry["name"].endswith(".gz"):
            body = gzip.decompress(body)
        if entry["sourced_only"]:  # without the illustrative examples: tests/test_honest_summaries.py
            continue
        if entry["name"].endswith(".nq"):
            quads = rdflib.Dataset()
            quads.parse(data=body, format="nquads")
            assert {str(g.identifier) for g in quads.graphs() if len(g)} == set(loaded_store.named_graphs())
            continue
        fmt = {"ttl": "turtle", "gz": "nt", "jsonld": "json-ld"}[entry["name"].rsplit(".", 1)[-1]]
        graph = read_back(body, fmt)
        assert len(graph) == entry["triples"] == len(union)
        assert isomorphic(graph, union), entry["name"]
    assert client.get("/dumps/../pyproject.toml").status_code == 404
    assert "circe-kg.nt.gz" in client.get("/dumps/", headers={"Accept": "text/html"}).get_data(as_text=True)


def test_void_conforms_to_the_official_dcat_ap_shapes(client):
    if not DCAT_AP.exists():
        pytest.skip("../shared/standards/dcat-ap-3.0.0-SHACL.ttl is not beside this checkout")
    response = client.get("/void", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    conforms, _, text = validate(graph, shacl_graph=rdflib.Graph().parse(DCAT_AP), inference="none")
    assert conforms, text
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef("https://w3id.org/circe-kg/id/dataset/circe-kg")
    assert (dataset, void.sparqlEndpoint, rdflib.URIRef("http://localhost/sparql")) in graph
    assert len(list(graph.objects(dataset, void.dataDump))) == 8  # the full dumps and the sourced-only ones
    assert (dataset, rdflib.DCTERMS.spatial, rdflib.URIRef("http://data.europa.eu/nuts/code/ITC4")) in graph


def test_id_without_accept_header_redirects_to_the_page(client):
    """A client that sends no Accept at all (curl -H 'Accept:', some crawlers) gets the page, not a 500."""
    response = client.get("/id/practice/albergo-diffuso", environ_base={"HTTP_ACCEPT": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/page/practice/albergo-diffuso")
    missing = client.get("/id/practice/no-such-practice", environ_base={"HTTP_ACCEPT": ""})
    assert missing.status_code == 404


@pytest.mark.slow
def test_dumps_are_written_in_the_background_and_the_previous_ones_stay_listed(tmp_path):
    """Writing the dumps takes minutes at 10^7 triples: visits wait for them until `wait_s` after the writing
    started, and until they are ready see the files of the previous version (and a note)."""
    import threading
    import time

    from circe_kg.config import shipped_files
    from circe_kg.dumps import Dumps
    from circe_kg.loader import load_files
    from circe_kg.store import EmbeddedStore

    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    dumps = Dumps(store, tmp_path / "dumps", wait_s=0.2)
    first = dumps.manifest()
    # The first files are written in the background too, past wait_s on a busy machine.
    deadline = time.monotonic() + 60
    while (dumps.updating or not first) and time.monotonic() < deadline:
        time.sleep(0.05)
        first = dumps.manifest()
    assert first and not dumps.updating
    release = threading.Event()
    dump = store.dump
    store.dump = lambda *args, **kwargs: release.wait(10) and dump(*args, **kwargs)
    store.replace_graphs({"https://w3id.org/circe-kg/graph/data/transfers": []})
    assert dumps.manifest() == first and dumps.updating, "the previous files, while the new ones are written"
    started = time.monotonic()
    assert dumps.manifest() == first and time.monotonic() - started < 0.15, "past wait_s, a visit does not wait"
    release.set()
    while dumps.updating:
        time.sleep(0.05)
    second = dumps.manifest()
    assert {d.name for d in second} == {d.name for d in first}
    assert (
        next(d for d in second if d.name == "circe-kg.nq").triples
        < next(d for d in first if d.name == "circe-kg.nq").triples
    )


def test_the_dumps_page_says_when_newer_files_are_being_written(client, app, monkeypatch):
    monkeypatch.setattr(type(services_of(app).dumps), "updating", property(lambda self: True))
    page = client.get("/dumps/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "new files are being written" in page
