"""Federation: the named questions answered across three Oxigraph servers on 127.0.0.1, each holding part of
the synthetic data (and the shared reference data), give the answers one store holding all of it gives; a
server that is down makes the answer partial and says which, never a 500."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from circe_kg import queries, synthetic
from circe_kg.config import DATA_DIR, ONTOLOGY_DIR, SHAPES_DIR, shipped_files
from circe_kg.errors import StoreUnavailable
from circe_kg.federation import FederatedStore, Solution, merge_rows
from circe_kg.local_servers import OxigraphServer
from circe_kg.rdf_files import parse_file
from circe_kg.store import EmbeddedStore
from circe_kg.web import create_app
from tests.conftest import remote_store_for
from tests.test_backends import _comparable

CLI = Path(sys.executable).parent / "circe-kg"
REFERENCE = [
    *sorted(ONTOLOGY_DIR.glob("*.ttl")),
    *sorted(SHAPES_DIR.glob("*.ttl")),
    *(DATA_DIR / name for name in ("taxonomies.ttl", "regions.ttl", "region-centroids.ttl", "sectors.ttl")),
]
# The transfer questions, the lists, and the counts of the home page.
QUESTIONS = [
    "practices-for-barrier",
    "solved-in-sector",
    "transfers",
    "action-plan-progress",
    "barriers-without-practice",
    "partners",
    "overview-counts",
    "list-practices",
    "list-actions",
    "list-barriers",
    "practices-in-region",
    "partner-profile",
    "instruments-by-partner",
]
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


@pytest.mark.parametrize("name", QUESTIONS)
def test_the_federation_answers_as_one_store_holding_everything(federation, name):
    for federated, whole in _both(federation, name):
        assert federated == whole


@pytest.mark.parametrize("name", CROSS_ENDPOINT)
def test_a_question_joining_two_endpoints_is_incomplete_but_never_wrong(federation, name):
    """A barrier on one server, practices of its category on another: fan-out cannot join them (SERVICE
    between the servers would). What the federation answers is all true; it misses those pairs."""
    for federated, whole in _both(federation, name):
        assert federated and all(row in whole for row in federated)
        assert len(federated) < len(whole)  # the known gap: when this fails, the gap was closed


def test_synthetic_rows_come_from_every_server(federation):
    store, _, servers = federation
    practices = {row["resource"].value for row in queries.run(store, "list-practices").rows}
    for seed in (1, 2, 3):
        assert any(f"/synthetic/practice/s{seed}-" in iri for iri in practices), seed


def test_merging_adds_counts_joins_concatenations_and_keeps_the_order():
    sparql = (
        'SELECT ?label (COUNT(DISTINCT ?r) AS ?count) (GROUP_CONCAT(?x; separator=", ") AS ?xs) ?order '
        "WHERE { } GROUP BY ?label ?order ORDER BY DESC(?order)"
    )
    n = lambda v: ox.Literal(str(v), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))  # noqa: E731
    a = [
        Solution(label=ox.Literal("practices"), count=n(3), xs=ox.Literal("a, b"), order=n(1)),
        Solution(label=ox.Literal("actions"), count=n(1), xs=ox.Literal("c"), order=n(2)),
    ]
    b = [Solution(label=ox.Literal("practices"), count=n(4), xs=ox.Literal("b, d"), order=n(1))]
    merged = merge_rows(sparql, [a, b])
    assert [row["label"].value for row in merged] == ["actions", "practices"]
    assert merged[1]["count"].value == "7" and merged[1]["xs"].value == "a, b, d"


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
        endpoint = client.get("/sparql", query_string={"query": "ASK {}"})
        assert endpoint.status_code == 501 and servers[0].query_url in endpoint.get_data(as_text=True)
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
    from circe_kg.local_servers import free_port

    store = FederatedStore.connect([f"http://127.0.0.1:{free_port()}/query" for _ in range(2)], timeout_s=2)
    with pytest.raises(StoreUnavailable, match="none of the federated"):
        queries.run(store, "partners")
    client = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"}).test_client()
    assert client.get("/questions/transfers").status_code == 503
