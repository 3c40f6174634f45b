"""The server backends, on real servers started on 127.0.0.1: Oxigraph server (PyPI `oxigraph`) and Virtuoso 7
(Debian). The rest of the suite already runs on each backend (conftest's BACKENDS); this file adds that
every named query answers exactly as on the embedded store, and what only a server can do wrong: be
unreachable, go away mid-request, refuse updates, fail part-way through an update.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from circe_kg import queries
from circe_kg.binding import with_values
from circe_kg.config import DATA_DIR, shipped_files
from circe_kg.errors import StoreUnavailable, UsageError, WriteRefused
from circe_kg.loader import load_files
from circe_kg.namespaces import PREFIXES
from circe_kg.store import EmbeddedStore, replace_graphs_update
from circe_kg.store.remote import RemoteStore
from circe_kg.web import create_app
from circe_kg.web.services import services_of
from devtools.local_servers import OxigraphServer, VirtuosoServer, free_port
from tests.conftest import remote_store_for, start_server

CLI = Path(sys.executable).parent / "circe-kg"


@pytest.fixture(scope="session")
def embedded_reference():
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    return store


@pytest.fixture(scope="module")
def virtuoso_store(tmp_path_factory):
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso-backends")) as server:
        store = remote_store_for(server)
        load_files(store, shipped_files())
        yield store


@pytest.fixture(params=["oxigraph-server", "virtuoso"])
def fresh_server(request, tmp_path):
    """An empty server of each kind, of this test's own."""
    with start_server(request.param, tmp_path / "server") as server:
        yield server


def _comparable(answer: queries.Answer) -> object:
    """An answer with what SPARQL leaves open taken out: row order, the order inside GROUP_CONCAT, the
    language tag of a concatenation, blank node labels, and which integer subtype a number has."""
    if answer.boolean is not None:
        return answer.boolean
    if answer.triples is not None:
        return sorted(str(t) for t in answer.triples if not isinstance(t.subject, ox.BlankNode))

    def value(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> object:
        if isinstance(term, ox.BlankNode):
            return "_"
        if isinstance(term, ox.Literal) and term.datatype.value.endswith(("integer", "Integer", "#int", "#long")):
            return int(term.value)
        return tuple(sorted(re.split(r"[ ;,]+", term.value))) if isinstance(term, ox.Literal) else term.value

    return sorted((tuple(sorted((k, value(v)) for k, v in row.items())) for row in answer.rows), key=repr)


SKIP_TIME_DEPENDENT = {"history", "resource-last-change"}  # they read the load's own timestamps
# Every quad as the server keeps it: Virtuoso's typed numbers come back changed (RemoteStore.faithful_literals).
SKIP_RAW_QUADS = {"federation-fragments"}


@pytest.mark.server
@pytest.mark.parametrize(
    "name", [q.name for q in queries.available() if q.name not in SKIP_TIME_DEPENDENT | SKIP_RAW_QUADS]
)
def test_every_named_query_answers_the_same_on_virtuoso(name, embedded_reference, virtuoso_store):
    """Virtuoso 7.2.5 is the stricter reader of SPARQL (and has bugs of its own): the queries are written so
    that both engines give one answer — see the comments in form-fields, ontology-terms, instruments-by-partner
    and prioritised-opportunities."""
    query = queries.get(name)
    values = query.example_values()
    assert _comparable(queries.run(virtuoso_store, name, values)) == _comparable(
        queries.run(embedded_reference, name, values)
    )


class _Joined:
    """The solutions of several SELECT answers as one (their variables are the same)."""

    def __init__(self, answers: list[ox.QuerySolutions]) -> None:
        self.variables = answers[0].variables
        self._solutions = [solution for answer in answers for solution in answer]

    def __iter__(self):
        return iter(self._solutions)


@pytest.mark.slow
@pytest.mark.parametrize("name", [q.name for q in queries.available() if q.name not in SKIP_TIME_DEPENDENT])
def test_binding_by_values_means_what_binding_by_substitution_means(name, embedded_reference):
    """Every backend binds parameters with VALUES; pyoxigraph's own substitutions are the reference meaning."""
    query = queries.get(name)
    bound = queries.bind(query, query.example_values())
    by_values = embedded_reference.query(query.text, bound)
    # An iri-list means one row of VALUES per IRI: the reference is one substitution per IRI, answers joined.
    singles = [
        dict(zip(bound, row, strict=True))
        for row in itertools.product(*(v if isinstance(v, tuple) else (v,) for v in bound.values()))
    ] or [{}]
    answers = [
        embedded_reference._store.query(
            query.text,
            prefixes=PREFIXES,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): v for k, v in one.items()} or None,
        )
        for one in singles
    ]
    by_substitution = answers[0] if len(answers) == 1 else _Joined(answers)
    if isinstance(by_substitution, ox.QueryTriples):
        by_substitution = list(by_substitution)
    as_answer = lambda result: queries.Answer(
        query,
        [v.value for v in getattr(result, "variables", [])],  # noqa: E731
        [{k.value: s[k] for k in result.variables if s[k] is not None} for s in result]
        if isinstance(result, (ox.QuerySolutions, _Joined))
        else [],
        bool(result) if isinstance(result, ox.QueryBoolean) else None,
        result if isinstance(result, list) else None,
    )
    assert _comparable(as_answer(by_values)) == _comparable(as_answer(by_substitution))


def test_values_go_into_the_outermost_where_group_whatever_comes_before_it():
    text = (
        "# a comment with WHERE { in it\nSELECT ?x (CONCAT(\"}\", '{') AS ?y) FROM <urn:g#where> WHERE {\n"
        "  ?x ?p ?o { SELECT ?o WHERE { ?o ?q ?r } } }"
    )
    bound = with_values(text, {"x": ox.NamedNode("urn:a")})
    assert bound.index("VALUES (?x) { (<urn:a>) }") > bound.index("FROM <urn:g#where> WHERE {")
    assert bound.index("VALUES") < bound.index("?x ?p ?o")
    construct = with_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": ox.NamedNode("urn:a")})
    assert construct.startswith("CONSTRUCT { ?s ?p ?o } WHERE {\n  VALUES (?s)")
    with pytest.raises(UsageError, match="no WHERE group"):
        with_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": ox.NamedNode("urn:a")})


@pytest.mark.server
@pytest.mark.parametrize("hostile", ['"} ; DROP ALL ; {', 'x" . } DELETE WHERE { ?s ?p ?o } #', "\u202e\x07\\'"])
def test_a_hostile_parameter_stays_a_literal_on_the_server(hostile, virtuoso_store):
    before = virtuoso_store.count()
    answer = queries.run(virtuoso_store, "search-documents", {})
    assert answer.rows  # the store answers
    text = with_values("SELECT ?s WHERE { ?s ?p ?q }", {"q": ox.Literal(hostile)})
    result = virtuoso_store.query(text)
    assert list(result) == []  # no statement has that text as object: it was matched as a value
    assert virtuoso_store.count() == before


def test_the_command_line_loads_validates_and_refuses_on_each_server(fresh_server, tmp_path):
    env = {
        "CIRCE_KG_ENDPOINT": fresh_server.query_url,
        "CIRCE_KG_UPDATE_ENDPOINT": fresh_server.update_url,
        "CIRCE_KG_ENDPOINT_USER": fresh_server.user or "",
        "CIRCE_KG_ENDPOINT_PASSWORD": fresh_server.password or "",
        "CIRCE_KG_VAR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    loaded = subprocess.run([CLI, "load"], env=env, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    store = remote_store_for(fresh_server)
    before = {g: store.count(g) for g in store.named_graphs()}
    assert len(before) == len(shipped_files()) + 1  # and the provenance graph
    broken = tmp_path / "practices.ttl"
    broken.write_text((DATA_DIR / "practices.ttl").read_text().replace("skos:prefLabel", "skos:prefLabel 42 ;", 1))
    refused = subprocess.run([CLI, "load", broken], env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert {g: store.count(g) for g in store.named_graphs()} == before
    answer = subprocess.run([CLI, "query", "transfers", "--format", "csv"], env=env, capture_output=True, text=True)
    assert "albergo-diffuso" in answer.stdout


def test_an_update_the_server_refuses_changes_nothing(fresh_server):
    store = remote_store_for(fresh_server)
    load_files(store, shipped_files()[:2])
    before = store.count()
    if fresh_server.user:  # Virtuoso: a wrong password
        wrong = RemoteStore(fresh_server.query_url, fresh_server.update_url, user="dba", password="wrong")
    else:  # Oxigraph: a URL that takes queries but no updates
        wrong = RemoteStore(fresh_server.query_url, fresh_server.query_url)
    with pytest.raises((WriteRefused, UsageError, StoreUnavailable)) as refused:
        wrong.replace_graphs(
            {
                "https://w3id.org/circe-kg/graph/data/x": [
                    ox.Triple(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"))
                ]
            }
        )
    assert "nothing was changed" in refused.value.to_text()
    assert store.count() == before


def test_an_update_that_fails_part_way_leaves_the_old_graphs(fresh_server, monkeypatch):
    """A write whose last operation fails: Oxigraph rolls the request back; on Virtuoso, which keeps the
    operations before the failure, circe-kg puts the old content back itself."""
    store = remote_store_for(fresh_server)
    load_files(store, shipped_files()[:3])

    def content() -> dict[str, list[str]]:  # blank nodes get new labels when written back
        return {g: sorted(re.sub(r"_:\S+", "_:b", str(t)) for t in store.triples(g)) for g in store.named_graphs()}

    before = content()
    graph = store.named_graphs()[0]
    failing = f"CREATE GRAPH <{store.named_graphs()[1]}>"  # it exists: the operation fails at run time
    import circe_kg.store.remote as remote_store

    def emptied(graphs) -> bool:  # the write under test: the graph emptied (not the one putting it back)
        return graphs.get(graph) is not None and not graphs[graph]

    monkeypatch.setattr(
        remote_store,
        "replace_graphs_update",
        lambda graphs, append=None: (
            replace_graphs_update(graphs, append) + " ;\n" + failing
            if emptied(graphs)
            else replace_graphs_update(graphs, append)
        ),
    )
    with pytest.raises((UsageError, StoreUnavailable)):
        store.replace_graphs({graph: []})
    assert content() == before


@pytest.mark.slow
def test_a_server_that_is_not_there_is_named_with_exit_code_3(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/query"
    done = subprocess.run(
        [CLI, "graphs", "--endpoint", url],
        capture_output=True,
        text=True,
        timeout=60,
        env={"CIRCE_KG_VAR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 3
    assert url in done.stderr and "connection refused" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.server
def test_a_server_without_the_union_default_graph_is_explained(tmp_path):
    with OxigraphServer(tmp_path / "ox") as server:
        load_files(remote_store_for(server), shipped_files()[:1])
    plain = OxigraphServer(tmp_path / "ox", port=free_port(), union_default_graph=False)
    with plain, pytest.raises(StoreUnavailable, match="union of its named graphs") as refused:
        remote_store_for(plain)
    assert "--union-default-graph" in refused.value.to_text()


@pytest.mark.server
def test_the_app_says_503_while_the_server_is_away_and_recovers(tmp_path):
    server = OxigraphServer(tmp_path / "ox")
    try:
        store = remote_store_for(server)
        load_files(store, shipped_files())
        client = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"}).test_client()
        assert client.get("/page/practice/albergo-diffuso").status_code == 200
        server.kill()
        away = client.get("/page/practice/albergo-diffuso")
        assert away.status_code == 503
        assert "cannot reach the SPARQL server" in away.get_data(as_text=True)
        assert client.get("/sparql?query=ASK%7B%7D", headers={"Accept": "application/json"}).status_code == 503
        server.start()  # same folder, same port: the data is still there
        back = client.get("/page/practice/albergo-diffuso")
        assert back.status_code == 200 and "Dispersed hotel" in back.get_data(as_text=True)
    finally:
        server.stop()


@pytest.mark.server
def test_the_public_endpoint_forwards_to_the_server_with_its_limits(virtuoso_store, tmp_path):
    app = create_app(
        store=virtuoso_store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps", "SPARQL_MAX_RESULT_BYTES": 2000}
    )
    client = app.test_client()
    small = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { ?s a ?c } LIMIT 1"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert small.status_code == 200 and small.get_json()["results"]["bindings"]
    big = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert big.status_code == 413
    bad = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400 and "syntax" in bad.get_data(as_text=True).lower()
    direct = requests.get(services_of(app).store.query_url, params={"query": "ASK { ?s ?p ?o }"}, timeout=5)
    assert direct.status_code == 200


def test_the_search_index_catches_up_with_a_write_about_a_resource_with_no_text(fresh_server):
    """Virtuoso 7 answers a VALUES list holding an IRI that matches nothing with the rows of every resource (issue 7:
    found when `serve` began to build the index before the first write): catching up must keep only the rows of the
    resources it asked for, neither failing nor indexing anything twice."""
    from circe_kg.search import SearchIndex

    store = remote_store_for(fresh_server)
    load_files(store, shipped_files())
    index = SearchIndex(store)
    texts = index.prepare()
    ghost = ox.NamedNode("https://w3id.org/circe-kg/id/practice/ghost")  # a subject with no label: no rows
    named = ox.NamedNode("https://w3id.org/circe-kg/id/practice/named-ghost")  # one with a label: one row
    before = store.generation
    store.replace_graphs(
        {
            "https://w3id.org/circe-kg/graph/data/ghost": [
                ox.Triple(ghost, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso"), ox.NamedNode("urn:x")),
                ox.Triple(
                    named,
                    ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                    ox.Literal("Zanzibar ghost", language="en"),
                ),
            ]
        }
    )
    assert store.changed_subjects(before) == {ghost.value, named.value}
    assert index.prepare() == texts + 1
    assert {hit.resource for hits in index.search("zanzibar").groups.values() for hit in hits} == {named.value}
