"""The served app on 127.0.0.1, talked to with the clients other projects use: SPARQLWrapper, rdflib's
SPARQLStore, requests. A real `circe-kg serve` process over a real on-disk store."""

import threading
import time
from pathlib import Path

import pytest
import rdflib
import requests
from pyshacl import validate
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from circe_kg.serialization import RDF_TYPES

DCAT_AP = Path(__file__).resolve().parents[2] / "shared" / "standards" / "dcat-ap-3.0.0-SHACL.ttl"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def server(served):
    return served(CIRCE_KG_SPARQL_TIMEOUT_S="2")


def test_sparqlwrapper_select_json_and_xml(server):
    client = SPARQLWrapper(server + "sparql")
    client.setQuery("SELECT ?t WHERE { ?t a <https://w3id.org/circe-kg/ontology#Transfer> } ORDER BY ?t")
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == 3
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert len(document.getElementsByTagName("result")) == 3


def test_sparqlwrapper_construct_turtle(server):
    client = SPARQLWrapper(server + "sparql")
    client.setQuery("CONSTRUCT { ?t ?p ?o } WHERE { ?t a <https://w3id.org/circe-kg/ontology#Transfer> ; ?p ?o }")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) > 20


def test_rdflib_sparqlstore_as_a_remote_graph(server):
    graph = rdflib.Graph(store=SPARQLStore(server + "sparql", returnFormat="json"))
    practice = rdflib.URIRef("https://w3id.org/circe-kg/id/practice/albergo-diffuso")
    labels = {str(o) for o in graph.objects(practice, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert "Albergo diffuso" in labels
    answer = graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(next(iter(answer))[0]) > 3000


@pytest.mark.parametrize("rdf_type", RDF_TYPES, ids=[t.extension for t in RDF_TYPES])
def test_content_negotiation_on_id(server, rdf_type):
    response = requests.get(server + "id/practice/albergo-diffuso", headers={"Accept": rdf_type.mime}, timeout=10)
    assert response.status_code == 200 and response.history[0].status_code == 303
    assert response.headers["Content-Type"].startswith(rdf_type.mime)
    graph = rdflib.Graph().parse(data=response.content, format=rdf_type.rdflib_name)
    assert len(graph) > 10


def test_html_is_html_and_unknown_accept_is_406(server):
    page = requests.get(server + "id/practice/albergo-diffuso", headers={"Accept": "text/html"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/html") and "<html" in page.text
    assert (
        requests.get(server + "id/practice/albergo-diffuso", headers={"Accept": "image/png"}, timeout=10).status_code
        == 406
    )
    missing = requests.get(server + "id/practice/nothing-here", headers={"Accept": "text/turtle"}, timeout=10)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/turtle")


def test_service_description_parses(server):
    response = requests.get(server + "sparql", headers={"Accept": "text/turtle"}, timeout=10)
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (rdflib.URIRef(server + "sparql"), rdflib.RDF.type, sd.Service) in graph


def test_live_void_conforms_to_dcat_ap(server):
    if not DCAT_AP.exists():
        pytest.skip("../shared/standards is not beside this checkout")
    graph = rdflib.Graph().parse(data=requests.get(server + "void", timeout=10).text, format="turtle")
    conforms, _, text = validate(graph, shacl_graph=rdflib.Graph().parse(DCAT_AP), inference="none")
    assert conforms, text
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    (endpoint,) = graph.objects(None, void.sparqlEndpoint)
    assert str(endpoint) == server + "sparql"
    for dump in graph.objects(None, void.dataDump):
        assert requests.head(str(dump), timeout=10).status_code == 200


def test_heavy_query_times_out_while_a_simple_one_answers(server):
    outcome = {}

    def heavy():
        start = time.monotonic()
        response = requests.get(server + "sparql", params={"query": HEAVY}, timeout=30)
        outcome["heavy"] = (response.status_code, response.json()["error"], time.monotonic() - start)
        outcome["heavy_done"] = time.monotonic()

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    simple = requests.get(
        server + "sparql",
        params={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    simple_done = time.monotonic()
    thread.join()
    assert simple.status_code == 200 and simple.json()["boolean"] is True
    # Answered while the heavy query still held its worker, if it still ran when the simple one was asked
    # (Virtuoso refuses it at once); how fast is bench/load.py's business.
    assert outcome["heavy_done"] < start or simple_done < outcome["heavy_done"], (simple_done - start, outcome)
    status, error, seconds = outcome["heavy"]
    # Stopped at the limit (Virtuoso refuses it at once, from its own estimate of the cost).
    assert (status, error) == (503, "query-timeout") and seconds < 6
    # and the service is still up
    assert requests.get(server + "sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200


def test_bad_requests_get_clear_errors_and_change_nothing(server):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = requests.get(server + "sparql", params={"query": count}, timeout=10).json()
    syntax = requests.get(server + "sparql", params={"query": "SELECT * WHERE { ?s ?p }"}, timeout=10)
    assert syntax.status_code == 400 and "1:" in syntax.json()["message"]
    update = requests.post(
        server + "sparql", data="DROP ALL", headers={"Content-Type": "application/sparql-update"}, timeout=10
    )
    assert update.status_code == 403
    too_long = requests.get(server + "sparql", params={"query": "ASK {} #" + "x" * 70000}, timeout=10)
    assert too_long.status_code in (413, 414, 431)
    assert requests.get(server + "sparql", params={"query": count}, timeout=10).json() == before


# The names of the project's own records, not of the vocabularies (topics, NACE) nor of another party's dataset
# (ECESP's): about 70 kB as CSV, between the streaming server's 4 KiB and its 200 kB cap.
IRI_TRIPLES = (
    "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o "
    "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/circe-kg/id/') "
    "&& !STRSTARTS(STR(?s), 'https://w3id.org/circe-kg/id/concept/topic/') "
    "&& !CONTAINS(STR(?s), '/ecesp-')) } ORDER BY ?s ?o"
)


@pytest.fixture(scope="module")
def streaming_server(served):
    """Answers over 4 KiB stream, and a stream is cut past 200 kB (the shipped graph as CSV is larger)."""
    return served(CIRCE_KG_SPARQL_STREAM_AFTER_BYTES="4096", CIRCE_KG_SPARQL_MAX_RESULT_BYTES="200000")


def test_big_answers_stream_to_real_clients(server, streaming_server):
    whole = requests.get(server + "sparql", params={"query": IRI_TRIPLES}, headers={"Accept": "text/csv"}, timeout=30)
    assert whole.status_code == 200 and "chunked" not in whole.headers.get("Transfer-Encoding", "")
    with requests.get(
        streaming_server + "sparql",
        params={"query": IRI_TRIPLES},
        headers={"Accept": "text/csv"},
        timeout=30,
        stream=True,
    ) as streamed:
        assert streamed.status_code == 200 and streamed.headers["Transfer-Encoding"] == "chunked"
        assert streamed.headers["Content-Type"].startswith("text/csv")
        assert b"".join(streamed.iter_content(None)) == whole.content and len(whole.content) > 4096
    client = SPARQLWrapper(streaming_server + "sparql")  # a client that reads the answer whole
    client.setQuery(IRI_TRIPLES)
    client.setReturnFormat(JSON)
    assert len(client.query().convert()["results"]["bindings"]) == whole.content.count(b"\n") - 1


def test_a_stream_cut_at_the_cap_is_an_error_for_the_client_not_a_short_answer(streaming_server):
    everything = {"query": "SELECT * WHERE { ?s ?p ?o }"}
    for _ in range(4):  # more than the workers: each cut one comes back
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(streaming_server + "sparql", params=everything, headers={"Accept": "text/csv"}, timeout=30)
    with requests.get(
        streaming_server + "sparql", params=everything, headers={"Accept": "text/csv"}, timeout=30, stream=True
    ) as left:
        next(left.iter_content(1024))  # a client that goes away after the first part
    answer = requests.get(
        streaming_server + "sparql",
        params={"query": "ASK {}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["boolean"] is True


# Measures how the server holds up under load: runs alone, after the parallel part (scripts/test.sh); on the embedded
# store and Virtuoso (both engines, both store paths: an Oxigraph server adds neither, tests/conftest.py).
pytestmark = [pytest.mark.serial, pytest.mark.embedded_and_virtuoso]
