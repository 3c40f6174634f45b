"""A graph's content as N-Triples text (circe_kg/ntriples.py): what every step of a write reads."""

import pyoxigraph as ox

from circe_kg.ntriples import NTriples

P = ox.NamedNode("https://w3id.org/circe-kg/ontology#p")


def _triple(subject: str, value: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(f"https://w3id.org/circe-kg/id/{subject}"), P, ox.Literal(value))


def test_triples_come_back_as_they_went_in():
    triples = [_triple("b", "two"), _triple("a", 'съд 😀 \\u00e9 "quoted"\nnew line')]
    text = NTriples.of(triples)
    assert list(text) == triples and len(text) == 2 and text
    assert NTriples.of(text) is text  # not written twice
    assert not NTriples.of([]) and len(NTriples.of([])) == 0


def test_lines_compare_graphs_and_contains_finds_a_type():
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    owl_ontology = "http://www.w3.org/2002/07/owl#Ontology"
    text = NTriples.of(
        [
            _triple("a", "x"),
            _triple("a", "x"),
            ox.Triple(ox.NamedNode("urn:o"), ox.NamedNode(rdf_type), ox.NamedNode(owl_ontology)),
        ]
    )
    assert len(text) == 3 and len(text.lines()) == 2  # a repeated triple is one line of the set
    assert text.contains(rdf_type, owl_ontology)
    assert not text.contains(rdf_type, "http://www.w3.org/ns/shacl#NodeShape")


def test_parts_are_whole_lines_and_keep_blank_nodes_together():
    plain = NTriples.of([_triple(f"s{i}", f"value {i}") for i in range(101)])
    parts = plain.parts(3)
    assert len(parts) == 3 and all(part.endswith(b"\n") for part in parts)
    assert b"".join(parts) == plain.data  # cut at line ends, in order, nothing lost
    node = ox.BlankNode()
    linked = NTriples.of(
        [_triple(f"s{i}", "v") for i in range(10)]
        + [ox.Triple(ox.NamedNode("urn:a"), P, node), ox.Triple(node, P, ox.Literal("inside"))]
    )
    parts = linked.parts(2)
    assert sum(part.count(b"\n") for part in parts) == 12
    assert parts[0].count(b"_:") == 2 and b"_:" not in parts[1]  # both triples of the blank node in part one
    assert NTriples(b"").parts(2) == [] and plain.parts(1) == [plain.data]
