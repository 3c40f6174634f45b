"""Federation: every named question answered across three Oxigraph servers on 127.0.0.1, each holding part of the
synthetic data (and the shared reference data), gives the answer one store holding all of it gives — joins across
servers included; a server that is down makes the answer partial and says which, never a 500; the public
/sparql answers across them under the endpoint's limits."""

from __future__ import annotations

import http.server
import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from circe_kg import queries, synthetic
from circe_kg.config import DATA_DIR, ONTOLOGY_DIR, SHAPES_DIR, shipped_files
from circe_kg.errors import ResultTooLarge, StoreUnavailable
from circe_kg.rdf_files import parse_file
from circe_kg.store import EmbeddedStore
from circe_kg.store.federated import EVERYTHING, MAX_QUADS, FederatedStore, Fragment, fragments_of
from circe_kg.web import create_app
from devtools.local_servers import OxigraphServer
from tests.conftest import remote_store_for
from tests.test_backends import _comparable

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CIRCE = "https://w3id.org/circe-kg/ontology#"
CLI = Path(sys.executable).parent / "circe-kg"
REFERENCE = [
    *sorted(ONTOLOGY_DIR.glob("*.ttl")),
    *sorted(SHAPES_DIR.glob("*.ttl")),
    *(DATA_DIR / name for name in ("taxonomies.ttl", "regions.ttl", "region-centroids.ttl", "sectors.ttl")),
]
# Every named query: the questions, and the app's own (labels, forms, search, statistics).
# Not the one the federation asks its endpoints: it reads them one by one, their blank nodes each their own.
QUESTIONS = [query.name for query in queries.available() if query.name != "federation-fragments"]
# A barrier on one server, practices of the same category on another: what a federation is for.
CROSS_ENDPOINT = ["solved-for-barrier", "same-category-practices"]


def _graphs(files: list[Path]) -> dict[str, list[ox.Triple]]:
    return {parsed.graph_iri: parsed.triples for parsed in map(parse_file, files)}


def _synthetic(seed: int) -> dict[str, list[ox.Triple]]:
    out = io.BytesIO()
    synthetic.write(out, projects=2, seed=seed)
    triples = [quad.triple for quad in ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES)]
    return {f"https://w3id.org/circe-kg/graph/data/synthetic-{seed}": triples}


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    """Three servers: the first holds CircE's own data, each one project family of synthetic data; the
    reference data (ontology, shapes, taxonomies, regions, sectors) is on all three."""
    folder = tmp_path_factory.mktemp("federation")
    servers = [OxigraphServer(folder / f"server-{n}") for n in range(3)]
    whole = EmbeddedStore(None)
    reference = _graphs(REFERENCE)
    own = _graphs([f for f in shipped_files() if f not in REFERENCE])
    for n, server in enumerate(servers):
        part = {**reference, **_synthetic(seed=n + 1), **(own if n == 0 else {})}
        remote_store_for(server).replace_graphs(part)
        whole.replace_graphs(part)
    store = FederatedStore.connect([s.query_url for s in servers], timeout_s=10)
    yield store, whole, servers
    store.close()
    for server in servers:
        server.stop()


def _both(federation, name):
    store, whole, _ = federation
    query = queries.get(name)
    for values in (query.example_values(), {}):
        if any(p.required and p.name not in values for p in query.parameters):
            continue
        store.forget_missing()
        yield _comparable(queries.run(store, name, values)), _comparable(queries.run(whole, name, values))
        assert store.missing_sources() == []


@pytest.mark.server
@pytest.mark.parametrize("name", QUESTIONS)
def test_the_federation_answers_as_one_store_holding_everything(federation, name):
    asked = 0
    for federated, whole in _both(federation, name):
        assert federated == whole
        asked += 1
    assert asked, f"{name}: neither its example nor no parameters could be asked"


@pytest.mark.server
@pytest.mark.parametrize("name", CROSS_ENDPOINT)
def test_a_question_joining_two_endpoints_is_exact(federation, name):
    """The joins the fan-out-and-merge federation missed: records of one server matched with another's."""
    store, whole, _ = federation
    values = {"barrier": _a_record(whole, "list-barriers", "/barrier/s2-")}
    federated = _comparable(queries.run(store, name, values))
    assert federated == _comparable(queries.run(whole, name, values))
    assert federated, f"{name} found nothing: the test would not show a join"


def _a_record(whole, listing, part):
    """A synthetic record of one server, whose answer joins records of the others."""
    return next(row["resource"].value for row in queries.run(whole, listing).rows if part in row["resource"].value)


@pytest.mark.server
def test_a_join_across_servers_is_found(federation):
    """A practice held on server 0 that addresses a barrier held on server 1 (written here, on purpose): one
    server alone cannot answer it, the federation does."""
    store, whole, servers = federation
    barrier = ox.NamedNode(_a_record(whole, "list-barriers", "/barrier/s2-"))
    practice = ox.NamedNode("https://w3id.org/circe-kg/id/practice/cross-server-test")
    circe = "https://w3id.org/circe-kg/ontology#"
    skos = "http://www.w3.org/2004/02/skos/core#"
    partner = next(iter(queries.run(whole, "partners").rows))["partner"]
    triples = [
        ox.Triple(practice, ox.NamedNode(RDF_TYPE), ox.NamedNode(circe + "Practice")),
        ox.Triple(practice, ox.NamedNode(circe + "practiceOwner"), partner),
        ox.Triple(practice, ox.NamedNode(circe + "addresses"), barrier),
        ox.Triple(practice, ox.NamedNode(skos + "prefLabel"), ox.Literal("Across servers", language="en")),
    ]
    graph = "https://w3id.org/circe-kg/graph/data/cross-server-test"
    remote_store_for(servers[0]).replace_graphs({graph: triples})
    try:
        store.forget_missing()
        rows = queries.run(store, "solved-for-barrier", {"barrier": barrier.value}).rows
        assert practice in [row["responder"] for row in rows]
        assert store.missing_sources() == []
    finally:
        remote_store_for(servers[0]).drop_graphs([graph])


@pytest.mark.server
def test_synthetic_rows_come_from_every_server(federation):
    store, _, servers = federation
    practices = {row["resource"].value for row in queries.run(store, "list-practices").rows}
    for seed in (1, 2, 3):
        assert any(f"/synthetic/practice/s{seed}-" in iri for iri in practices), seed


@pytest.mark.server
def test_the_command_line_writes_a_federated_answer_in_each_results_format(federation):
    """`circe-kg query … --format csv|json --federate …`: the answer written as one store's would be."""
    store, whole, servers = federation
    endpoints = ",".join(s.query_url for s in servers)
    for fmt, results_format in (("csv", ox.QueryResultsFormat.CSV), ("json", ox.QueryResultsFormat.JSON)):
        cli = subprocess.run(
            [CLI, "query", "partners", "--format", fmt, "--federate", endpoints],
            capture_output=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert cli.returncode == 0, cli.stderr.decode()
        expected = queries.serialized(whole, "partners", {}, results_format)
        if fmt == "csv":
            header, *rows = cli.stdout.decode().splitlines()
            assert header == expected.decode().splitlines()[0] and sorted(rows) == sorted(
                expected.decode().splitlines()[1:]
            )
        else:
            got = ox.parse_query_results(cli.stdout, ox.QueryResultsFormat.JSON)
            assert len(list(got)) == len(list(ox.parse_query_results(expected, ox.QueryResultsFormat.JSON))) > 0


def test_fragments_keep_constants_read_paths_whole_and_reach_into_every_group():
    query = """SELECT ?r (COUNT(?x) AS ?n) WHERE {
      ?r a <http://e/P> OPTIONAL { ?r <http://e/in>/^<http://e/up>* ?x }
      FILTER NOT EXISTS { ?r <http://e/gone> true } { SELECT ?r WHERE { ?r <http://e/sub> ?y } } } GROUP BY ?r"""
    assert fragments_of(query) == {
        Fragment(None, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://e/P>"),
        Fragment(None, "<http://e/in>", None),
        Fragment(None, "<http://e/up>", None),
        Fragment(None, "<http://e/gone>", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
        Fragment(None, "<http://e/sub>", None),
    }
    # A parameter is a constant where VALUES binds it, not inside a sub-query, whose variables are its own.
    counted = "{ ?r <http://e/p> ?x { SELECT (COUNT(?r) AS ?n) WHERE { ?r <http://e/q> ?z } } }"
    bound = {"r": ox.NamedNode("http://e/a")}
    for form in (f"SELECT ?n WHERE {counted}", f"CONSTRUCT {{ ?r <http://e/n> ?n }} WHERE {counted}"):
        assert fragments_of(form, bound) == {
            Fragment("<http://e/a>", "<http://e/p>", None),
            Fragment(None, "<http://e/q>", None),
        }, form
    assert fragments_of("SELECT * WHERE { ?s ?p ?o }") == {EVERYTHING}
    assert fragments_of("SELECT * WHERE { ?s !<http://e/p> ?o }") == {EVERYTHING}
    assert fragments_of("SELECT * WHERE { <http://e/a> ?p ?o }") == {Fragment("<http://e/a>", None, None)}


@pytest.mark.server
def test_a_server_that_is_down_gives_a_partial_answer_that_says_so(federation, tmp_path):
    store, whole, servers = federation
    servers[2].kill()
    try:
        store.forget_missing()
        answer = queries.run(store, "list-practices")
        assert store.missing_sources() == [servers[2].query_url]
        assert not any("/synthetic/practice/s3-" in row["resource"].value for row in answer.rows)
        assert any("/synthetic/practice/s1-" in row["resource"].value for row in answer.rows)
        client = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"}).test_client()
        page = client.get("/questions/transfers")
        assert page.status_code == 200
        assert "Partial answer" in page.get_data(as_text=True) and servers[2].query_url in page.get_data(as_text=True)
        assert "Partial answer" not in client.get("/questions/").get_data(as_text=True)  # no query, nothing missing
        endpoint = client.get(
            "/sparql",
            query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?p a <" + CIRCE + "Practice> }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert endpoint.status_code == 200, endpoint.get_data(as_text=True)
        counted = int(endpoint.get_json()["results"]["bindings"][0]["n"]["value"])
        practices = "SELECT (COUNT(*) AS ?n) WHERE { ?p a <" + CIRCE + "Practice> }"
        assert 0 < counted < int(next(iter(whole.query(practices)))["n"].value)  # server 2's are missing
        assert servers[2].query_url in endpoint.headers["Warning"]
        cli = subprocess.run(
            [CLI, "query", "transfers", "--federate", ",".join(s.query_url for s in servers)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert cli.returncode == 0 and "partial answer" in cli.stderr and servers[2].query_url in cli.stderr
    finally:
        servers[2].start()
    store.forget_missing()
    assert any("/synthetic/practice/s3-" in row["resource"].value for row in queries.run(store, "list-practices").rows)
    assert store.missing_sources() == []


def test_no_server_answering_is_a_503_not_a_500(tmp_path):
    from devtools.local_servers import free_port

    store = FederatedStore.connect([f"http://127.0.0.1:{free_port()}/query" for _ in range(2)], timeout_s=2)
    with pytest.raises(StoreUnavailable, match="none of the federated"):
        queries.run(store, "partners")
    client = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"}).test_client()
    assert client.get("/questions/transfers").status_code == 503


class _Bad(http.server.BaseHTTPRequestHandler):
    """An endpoint that answers every query with a web page, or with a server error, or too late."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        if self.path.startswith("/slow"):
            time.sleep(3)
        status, body = (500, b"boom") if self.path.startswith("/fails") else (200, b"<html><p>Welcome</p></html>")
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.mark.server
@pytest.mark.parametrize("path", ["/html", "/fails", "/slow"])
def test_an_endpoint_answering_html_or_500_is_named_missing_and_the_rest_answers(federation, path):
    store, whole, servers = federation
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Bad)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    bad = f"http://127.0.0.1:{site.server_address[1]}{path}"
    try:
        mixed = FederatedStore.connect([servers[0].query_url, bad], timeout_s=1)
        mixed.forget_missing()
        rows = queries.run(mixed, "partners").rows
        assert rows and mixed.missing_sources() == [bad]
        mixed.close()
    finally:
        site.shutdown()
        site.server_close()


@pytest.mark.server
def test_a_query_reading_more_than_the_limit_is_refused_not_cut(federation):
    store, _, servers = federation
    small = FederatedStore.connect([s.query_url for s in servers], timeout_s=10)
    small.max_quads = 50
    # The quads a query may ship, and what the shipping query asks each endpoint for: one more, to tell it past.
    assert f"LIMIT {MAX_QUADS + 1}" in queries.get("federation-fragments").text
    with pytest.raises(ResultTooLarge, match="more than 50 quads"):
        queries.run(small, "list-practices")
    small.close()
