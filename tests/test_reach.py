"""How far the shapes look from a focus node (circe_kg/reach.py), and when a write is validated by the records it
can affect rather than in full (circe_kg/incremental.py): the reading of the shapes must bound what a change can
alter, and must say "wide" where it cannot — a check that quietly fell back to the full one every time would pass
the differential test (tests/test_validation_incremental.py) without doing its job, so these tests look at which
way each write went."""

from __future__ import annotations

import doctest

import pyoxigraph as ox
import pytest
import rdflib

from circe_kg import queries, reach, walks
from circe_kg.config import shipped_files
from circe_kg.errors import ValidationFailed
from circe_kg.loader import load_files
from circe_kg.namespaces import RDFS
from circe_kg.store import EmbeddedStore
from circe_kg.writing import gate as gate_module
from circe_kg.writing.gate import EDITS_GRAPH, WriteGate

TARGETED = "ex:S sh:targetClass ex:C ; "
SHAPES_PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
EX = "http://example.org/"


def paths_of(turtle: str) -> reach.Reach:
    return reach.reach_of(rdflib.Graph().parse(data=SHAPES_PREFIXES + turtle, format="turtle"))


def readable(found: reach.Reach) -> set[str]:
    return {" ".join(str(step) for step in path) for path in found.paths}


def test_the_examples_run():
    for module in (reach, walks):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_the_shipped_shapes_are_bounded_and_read_the_markers_from_the_fact():
    shapes = rdflib.Graph()
    for path in shipped_files():
        if path.parent.name == "shapes":
            shapes.parse(path)
    found = reach.reach_of(shapes)
    assert found.wide is None
    paths = readable(found)
    # cs:StatedFact: the statement, then every triple of the resource it is about
    assert "rdf:subject *" in paths
    # cs:CircELinkWithoutSource / cs:UnmarkedClassification: markers found from the resource they are about, by
    # the shortest chain — not from the category, which hundreds of resources share
    assert {"^rdf:subject dct:source", "^rdf:subject rdf:predicate", "^rdf:subject rdf:object"} <= paths
    assert not any(p.startswith("circe:barrierCategory ^rdf:object") for p in paths)
    # sh:class: the value's type; cs:SourcedPointsAtIllustrative: every value's illustrative flag
    assert "circe:sector rdf:type" in paths and "* circe:illustrative" in paths
    assert (None, str(RDFS.subClassOf), None) in found.everywhere


@pytest.mark.parametrize(
    "turtle, why",
    [
        (
            TARGETED + "sh:property [ sh:path [ sh:zeroOrMorePath ( ex:p ex:q ) ] ; sh:minCount 1 ] .",
            "more than one step",
        ),
        (
            TARGETED + 'sh:sparql [ sh:select "SELECT $this WHERE { $this (ex:p/ex:q)* ?x }" ; sh:prefixes ex:S ] .'
            " ex:S sh:declare [ sh:prefix 'ex' ; sh:namespace 'http://example.org/'^^xsd:anyURI ] .",
            "more than one step",
        ),
        (
            TARGETED + 'sh:sparql [ sh:select "SELECT $this WHERE { GRAPH ?g { $this ?p ?o } }" ] .',
            "Graph",
        ),
        ("ex:S sh:target [ a ex:SomeTargetType ] .", "not a SPARQL-based target"),
        ("ex:S sh:targetClass ex:C ; sh:node ex:S .", "deeper"),
    ],
)
def test_what_cannot_be_bounded_is_validated_in_full(turtle, why):
    assert why in (paths_of(turtle).wide or "")


def test_a_repeated_path_is_one_repeated_step_walked_to_its_end():
    found = paths_of(TARGETED + "sh:property [ sh:path ( ex:in [ sh:oneOrMorePath ex:broader ] ) ; sh:minCount 1 ] .")
    assert {p.replace(EX, "") for p in readable(found)} == {"<in>", "<in> <broader>*", "rdf:type"}


def test_the_lists_read_each_record_along_bounded_paths():
    for name in ("list-practices", "list-barriers", "list-opportunities", "list-instruments", "list-actions"):
        found = reach.reach_of_query(queries.get(name).text, "resource")
        assert found.wide is None and not found.everywhere, name
    practices = readable(reach.reach_of_query(queries.get("list-practices").text, "resource"))
    assert "circe:inRegion skos:broader* skos:prefLabel" in practices  # the country, however far up
    assert "^rdf:subject rdf:type" in practices  # the editors' classification markers
    assert "circe:resolveLever skos:prefLabel" in practices and "* skos:prefLabel" not in practices


def test_property_paths_sequences_inverses_and_alternatives():
    found = paths_of(
        "ex:S sh:targetSubjectsOf ex:a ; sh:property [ sh:path ( ex:p [ sh:inversePath ex:q ] ) ; sh:class ex:D ] ,"
        " [ sh:path [ sh:alternativePath ( ex:r ex:s ) ] ; sh:node ex:T ] ."
        " ex:T sh:property [ sh:path ex:t ; sh:minCount 1 ] ."
    )
    assert found.wide is None
    assert {p.replace(EX, "") for p in readable(found)} == {
        "<a>",
        "<p>",
        "<p> ^<q>",
        "<p> ^<q> rdf:type",
        "<r>",
        "<s>",
        "<r> <t>",
        "<s> <t>",
    }


def test_a_union_branch_reads_from_its_own_variables_and_a_global_pattern_is_everywhere():
    query = """SELECT $this WHERE {
        { $this <http://example.org/p> ?a } UNION { $this <http://example.org/q> ?b . ?b <http://example.org/r> ?a }
        FILTER NOT EXISTS { ?a <http://example.org/s> ?c }
        ?x <http://example.org/lonely> ?y }"""
    found = paths_of(f'ex:S sh:targetClass ex:C ; sh:sparql [ sh:select """{query}""" ] .')
    paths = {p.replace(EX, "") for p in readable(found)}
    # ?a reached through either branch: the filter's pattern is read along both
    assert {"<p> <s>", "<q> <r> <s>"} <= paths
    assert (None, EX + "lonely", None) in found.everywhere


# -- the write gate --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reach")
    store = EmbeddedStore(folder / "store")
    gate = WriteGate(store, folder / "history")
    load_files(store, shipped_files(), gate=gate)
    yield gate
    store.close()


@pytest.fixture
def full_validations(monkeypatch):
    """How many times the gate validated the whole state."""
    counted = []
    whole = gate_module.validate_state

    def counting(*args, **kwargs):
        counted.append(1)
        return whole(*args, **kwargs)

    monkeypatch.setattr(gate_module, "validate_state", counting)
    return counted


def new_practice(name: str, graph_content: list[ox.Triple]) -> list[ox.Triple]:
    practice = ox.NamedNode(f"https://w3id.org/circe-kg/id/practice/{name}")
    return [
        *graph_content,
        ox.Triple(
            practice, ox.NamedNode(str(rdflib.RDF.type)), ox.NamedNode("https://w3id.org/circe-kg/ontology#Practice")
        ),
    ]


@pytest.mark.slow
def test_a_small_write_is_validated_by_the_records_it_affects(gate, full_validations, monkeypatch):
    monkeypatch.setenv("CIRCE_KG_INCREMENTAL_VALIDATION", "on")
    before = list(gate.content(EDITS_GRAPH)) if EDITS_GRAPH in gate.store.named_graphs() else []
    seen = {}
    original = walks.forwards

    def spy(state, foci, paths, limit):
        seen["foci"] = foci
        return original(state, foci, paths, limit)

    monkeypatch.setattr(walks, "forwards", spy)
    report = gate.check({EDITS_GRAPH: new_practice("reach-test", before)})
    assert full_validations == []
    assert 1 <= len(seen["foci"]) < 10, seen["foci"]
    # the practice has no name, no summary…: the same violations as a full validation would report
    assert report.violations and all(r.focus == "practice:reach-test" for r in report.results)
    monkeypatch.setenv("CIRCE_KG_INCREMENTAL_VALIDATION", "off")
    full = gate.check({EDITS_GRAPH: new_practice("reach-test", before)})
    assert full_validations == [1]
    assert sorted((r.message, r.path) for r in full.results if r.focus == "practice:reach-test") == sorted(
        (r.message, r.path) for r in report.results
    )
    with pytest.raises(ValidationFailed):
        monkeypatch.setenv("CIRCE_KG_INCREMENTAL_VALIDATION", "on")
        gate.commit({EDITS_GRAPH: new_practice("reach-test", before)}, "test", "tester")
    assert full_validations == [1]


@pytest.mark.slow
def test_a_change_to_the_class_hierarchy_loading_files_or_too_many_records_validate_in_full(
    gate, full_validations, monkeypatch
):
    before = list(gate.content(EDITS_GRAPH)) if EDITS_GRAPH in gate.store.named_graphs() else []
    sub = ox.Triple(
        ox.NamedNode("https://w3id.org/circe-kg/id/x"),
        ox.NamedNode(str(RDFS.subClassOf)),
        ox.NamedNode("https://w3id.org/circe-kg/ontology#Practice"),
    )
    gate.check({EDITS_GRAPH: [*before, sub]})
    assert len(full_validations) == 1  # rdfs:subClassOf is read whatever the focus
    monkeypatch.setenv("CIRCE_KG_INCREMENTAL_VALIDATION_NODES", "0")
    gate.check({EDITS_GRAPH: new_practice("reach-wide", before)})
    assert len(full_validations) == 2
    monkeypatch.setenv("CIRCE_KG_INCREMENTAL_VALIDATION_NODES", "20000")
    monkeypatch.setenv("CIRCE_KG_INCREMENTAL_VALIDATION", "off")
    gate.check({EDITS_GRAPH: new_practice("reach-off", before)})
    assert len(full_validations) == 3
