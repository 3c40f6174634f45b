"""The embedded store: atomic graph replacement, counts, and dumps that round-trip."""

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from circe_kg.store import replace_graphs_update

G = "https://w3id.org/circe-kg/graph/data/test"
A = ox.NamedNode("https://w3id.org/circe-kg/id/practice/a")
LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")


def test_replace_is_one_transaction(disk_store):
    disk_store.replace_graphs({G: [ox.Triple(A, LABEL, ox.Literal("one", language="en"))]})
    broken = {G: [ox.Triple(A, LABEL, ox.Literal("two", language="en"))]}
    update = replace_graphs_update(broken) + " ; INSERT DATA { GRAPH <x:y> { <x:a> <x:b> <x:c> } } ; NOT SPARQL"
    with pytest.raises(SyntaxError):
        disk_store._store.update(update)
    assert [t.object.value for t in disk_store.triples(G)] == ["one"]


def test_hostile_literals_are_stored_as_text(disk_store):
    hostile = '"} ; DROP ALL ; INSERT DATA { <x:a> <x:b> "c" } #\n\u202e<script>alert(1)</script>'
    disk_store.replace_graphs({G: [ox.Triple(A, LABEL, ox.Literal(hostile, language="en"))]})
    assert [t.object.value for t in disk_store.triples(G)] == [hostile]
    assert disk_store.named_graphs() == [G]


def test_empty_graph_stays_visible(disk_store):
    disk_store.replace_graphs({G: []})
    assert disk_store.named_graphs() == [G] and disk_store.count(G) == 0


@pytest.mark.parametrize("fmt, parse_as", [(ox.RdfFormat.TURTLE, "turtle"), (ox.RdfFormat.N_TRIPLES, "nt"),
                                           (ox.RdfFormat.JSON_LD, "json-ld"), (ox.RdfFormat.RDF_XML, "xml")])
def test_dumps_are_isomorphic_to_the_store(loaded_store, fmt, parse_as):
    dataset = rdflib.Dataset()
    dataset.parse(data=loaded_store.dump(ox.RdfFormat.N_QUADS).decode(), format="nquads")
    union = rdflib.Graph()
    for subject, predicate, obj, _graph in dataset.quads((None, None, None, None)):
        union.add((subject, predicate, obj))
    assert len(union) == loaded_store.count() > 1000
    dumped = rdflib.Graph().parse(data=loaded_store.dump(fmt).decode(), format=parse_as)
    assert isomorphic(dumped, union)


def test_nquads_dump_keeps_every_named_graph(loaded_store):
    dataset = rdflib.Dataset()
    dataset.parse(data=loaded_store.dump(ox.RdfFormat.N_QUADS).decode(), format="nquads")
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert names == set(loaded_store.named_graphs())
