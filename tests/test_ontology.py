"""The ontology is consistent under HermiT, alone and with all the data, and documents itself in en and it."""

import re
import tempfile
from pathlib import Path

import owlready2
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from circe_kg.config import DATA_DIR, ONTOLOGY_DIR, QUERIES_DIR
from circe_kg.namespaces import CIRCE


def _reason(files: list[Path]) -> owlready2.World:
    """Load `files` into owlready2 (through N-Triples: owlready2 cannot read Turtle) and run HermiT."""
    graph = rdflib.Graph()
    for path in files:
        graph.parse(path)
    with tempfile.TemporaryDirectory() as folder:
        nt = Path(folder) / "all.nt"
        graph.serialize(nt, format="nt", encoding="utf-8")
        world = owlready2.World()
        ontology = world.get_ontology(nt.as_uri()).load(format="ntriples")
        with ontology:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world


@pytest.mark.slow
def test_ontology_is_consistent_with_no_unsatisfiable_class():
    world = _reason(sorted(ONTOLOGY_DIR.glob("*.ttl")))
    assert list(world.inconsistent_classes()) == []


@pytest.mark.slow
def test_ontology_and_all_data_are_consistent():
    world = _reason(sorted(ONTOLOGY_DIR.glob("*.ttl")) + sorted(DATA_DIR.glob("*.ttl")))
    assert list(world.inconsistent_classes()) == []


@pytest.mark.slow
def test_reasoner_catches_an_inconsistency(tmp_path):
    """The check has teeth: one resource that is both a barrier and a practice (disjoint classes)."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(f"<https://w3id.org/circe-kg/id/x/y> a <{CIRCE.Barrier}> , <{CIRCE.Practice}> .")
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _reason(sorted(ONTOLOGY_DIR.glob("*.ttl")) + [bad])


def test_every_term_has_english_and_italian_label_and_definition():
    graph = rdflib.Graph().parse(ONTOLOGY_DIR / "circe.ttl")
    terms = {
        s
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in graph.subjects(RDF.type, kind)
        if str(s).startswith(str(CIRCE))
    }
    assert len(terms) > 60
    for term in terms:
        for prop in (RDFS.label, SKOS.definition):
            langs = {o.language for o in graph.objects(term, prop)}
            assert {"en", "it"} <= langs, f"{term} lacks {prop} in en or it"


@pytest.mark.slow
def test_every_circe_term_used_in_data_shapes_and_queries_is_defined():
    graph = rdflib.Graph().parse(ONTOLOGY_DIR / "circe.ttl")
    defined = {str(s) for s in graph.subjects() if str(s).startswith(str(CIRCE))}
    used: set[str] = set()
    for path in sorted(DATA_DIR.glob("*.ttl")) + sorted(Path("shapes").glob("*.ttl")):
        for triple in rdflib.Graph().parse(path):
            used.update(str(t) for t in triple if isinstance(t, rdflib.URIRef) and str(t).startswith(str(CIRCE)))
    query_files = sorted(QUERIES_DIR.glob("*/*.rq"))
    assert len(query_files) > 50, "the named queries are read, wherever they are kept"
    for path in query_files:
        used.update(str(CIRCE) + m for m in re.findall(r"\bcirce:([A-Za-z]+)", path.read_text()))
    assert used - defined == set()
