"""The data rules of ../shared/README.md, checked on the shipped files themselves."""

import re

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF

from circe_kg.config import DATA_DIR, PROJECT_ROOT
from circe_kg.namespaces import CIRCE

FACTS = PROJECT_ROOT.parent / "shared" / "FACTS.md"
DATA_FILES = sorted(DATA_DIR.glob("*.ttl"))


# Reference data that is not a fact about CircE, and the one kind of fact each may source: region points are
# geometry from Natural Earth (via an npm package, scripts/region_centroids.py), not a claim of the project.
GEO = rdflib.Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
REFERENCE_SOURCES = {
    "https://www.naturalearthdata.com/downloads/10m-cultural-vectors/10m-admin-1-states-provinces/":
        {GEO.lat, GEO.long},
}


def test_every_source_url_is_one_that_facts_md_gives():
    """No invented sources: each dct:source in data/ is a URL written in FACTS.md (or the Eurostat NUTS page),
    or reference geometry that sources only coordinates, fact by fact."""
    if not FACTS.exists():
        pytest.skip("../shared/FACTS.md is not beside this checkout")
    facts = FACTS.read_text(encoding="utf-8")
    unknown = set()
    for path in DATA_FILES:
        graph = rdflib.Graph().parse(path)
        for subject, source in graph.subject_objects(DCTERMS.source):
            if str(source) in REFERENCE_SOURCES:
                assert (subject, RDF.type, RDF.Statement) in graph, f"{source} may source single facts only"
                assert graph.value(subject, RDF.predicate) in REFERENCE_SOURCES[str(source)], subject
            elif str(source) not in facts:
                unknown.add((path.name, str(source)))
    assert unknown == set()


def test_illustrative_content_lives_in_its_own_file():
    for path in DATA_FILES:
        graph = rdflib.Graph().parse(path)
        marked = set(graph.subjects(CIRCE.illustrative, rdflib.Literal(True)))
        if path.name == "illustrative.ttl":
            typed = {s for s in graph.subjects(RDF.type, None) if isinstance(s, rdflib.URIRef)}
            assert typed <= marked, typed - marked
        else:
            assert marked == set(), f"{path.name} marks {len(marked)} resources illustrative"


def test_no_personal_names_of_people():
    """The graph describes organisations and roles, not private persons (FACTS.md lists named leads)."""
    names = ["Sciunnach", "Cañellas", "Frycz", "Huntink", "Crump", "Lazarova", "Kek", "Wiseler"]
    for path in DATA_FILES:
        text = path.read_text(encoding="utf-8")
        assert not [n for n in names if re.search(rf"\b{n}\b", text)], path.name
