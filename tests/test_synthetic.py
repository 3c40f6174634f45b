"""Synthetic benchmark data (circe_kg/synthetic.py, `circe-kg generate`): the same seed gives the same bytes, the
size is about what was asked, everything is illustrative and in its own namespace, the shipped data never points at
it, it conforms to the shapes on top of the shipped files, and the named queries find it."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from circe_kg import queries, synthetic
from circe_kg.cli import main
from circe_kg.config import DATA_DIR, shipped_files
from circe_kg.errors import UsageError
from circe_kg.loader import load_files, parse_all
from circe_kg.namespaces import PREFIXES, expand
from circe_kg.store import EmbeddedStore
from circe_kg.synthetic import SYNTHETIC

SIZE = 10_000
ILLUSTRATIVE = ox.NamedNode(PREFIXES["circe"] + "illustrative")
MARKERS = {PREFIXES["circe"] + "illustrative", PREFIXES["circe"] + "illustrativeNote"}
# Named queries that cannot show synthetic resources, and why; every other query must.
NOT_ABOUT_DATA = {
    "form-fields": "reads the shapes",
    "ontology-terms": "reads the ontology",
    "history": "reads the history of writes",
    "overview-counts": "counts only",
    "truth-by-class": "counts only",
    "addresses-links": "counts only",
    "known-gaps": "what the sources do not say: the editors' record, not generated",
    "editorial-facts": "the editors' classifications: synthetic data is illustrative, never classified",
    "search-concepts": "the concepts of the shipped vocabularies: synthetic data adds none",
    "void-statistics": "counts only",
    "other-datasets": "other parties' datasets (ECESP's): synthetic data is the project's own, in none of them",
    "sourced-vs-illustrative": "counts only",
    "partners-by-sector": "lists sourced partnerships only: it filters illustrative ones out",
    "graph-versions": "reads the history of writes",
    "harvest-last-change": "reads the history of writes",
    "recorded-versions": "reads the history of writes",
    "graph-sizes": "counts only",
    "fact-sources": "the generator sources whole records, not single facts",
    "labels": "names of given resources (tests/test_queries.py)",
    "field-names": "reads the shapes",
}


def _bytes(projects: int, seed: int, rdf_format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> bytes:
    output = io.BytesIO()
    synthetic.write(output, projects, seed, rdf_format)
    return output.getvalue()


def _select(store: ox.Store, sparql: str) -> list[ox.QuerySolution]:
    return list(store.query(sparql, prefixes=PREFIXES))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.nt"
    synthetic.write_file(path, synthetic.projects_for(SIZE), seed=1)
    return path


@pytest.fixture(scope="module")
def graph(generated) -> ox.Store:
    """The synthetic triples alone."""
    store = ox.Store()
    store.load(path=str(generated), format=ox.RdfFormat.N_TRIPLES)
    return store


@pytest.fixture(scope="module")
def shipped() -> list[ox.Triple]:
    return [t for p in parse_all(shipped_files()) for t in p.triples]


@pytest.fixture(scope="module")
def loaded(generated):
    """The shipped files and the synthetic file, loaded (and so validated) the way `circe-kg load` does it."""
    store = EmbeddedStore(None)
    summary = load_files(store, [*shipped_files(), generated])
    return store, summary


# ---- determinism and size ------------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_data():
    first = _bytes(3, seed=1)
    assert first == _bytes(3, seed=1)
    other = _bytes(3, seed=2)
    assert other != first and b"--seed 2" in other
    labels = [
        {
            t.object.value
            for t in ox.parse(data, ox.RdfFormat.N_TRIPLES)
            if t.predicate.value.endswith("#prefLabel") and t.object.language != "en"
        }
        for data in (first, other)
    ]
    assert labels[0] != labels[1]


def test_a_smaller_run_is_the_start_of_a_larger_one():
    assert _bytes(5, seed=4).startswith(_bytes(3, seed=4))


@pytest.mark.parametrize("target", [SIZE, 100_000])
def test_the_size_is_about_what_was_asked(target):
    written = _bytes(synthetic.projects_for(target), seed=7).count(b"\n")
    assert 0.8 * target <= written <= 1.2 * target


def test_the_generated_file_has_about_the_size_asked(generated):
    assert 0.8 * SIZE <= generated.read_bytes().count(b"\n") <= 1.2 * SIZE


def test_a_size_below_one_project_is_refused():
    with pytest.raises(UsageError, match="less than one synthetic project"):
        synthetic.projects_for(100)
    with pytest.raises(UsageError):
        synthetic.triples(0, seed=1)


# ---- marked, namespaced, shaped like the shipped data ---------------------------------------------------------
def test_every_resource_is_illustrative_with_a_note_naming_the_command(graph):
    unmarked = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER NOT EXISTS { ?s circe:illustrative true } }"
    assert _select(graph, unmarked) == []
    unexplained = _select(
        graph,
        """SELECT ?s WHERE { ?s circe:illustrative true FILTER NOT EXISTS {
        ?s circe:illustrativeNote ?note FILTER(CONTAINS(?note, "circe-kg generate") && lang(?note) = "en") } }""",
    )
    assert unexplained == []
    assert not graph.query("ASK { ?s dct:source ?source }", prefixes=PREFIXES)


def test_synthetic_iris_stay_in_their_namespace_and_point_only_at_sourced_shipped_resources(graph, shipped):
    subjects = {t.subject for t in graph}
    assert all(isinstance(s, ox.NamedNode) and s.value.startswith(SYNTHETIC) for s in subjects)
    described = {t.subject for t in shipped}
    marked = {t.subject for t in shipped if t.predicate == ILLUSTRATIVE}
    linked = {t.object for t in graph if isinstance(t.object, ox.NamedNode)}
    inside = {iri for iri in linked if iri.value.startswith(SYNTHETIC)}
    outside = linked - inside
    assert outside and outside <= described, outside - described
    assert not outside & marked, "synthetic data must not lean on the shipped illustrative examples"
    assert inside <= subjects, inside - subjects  # no dangling synthetic link
    constants = (
        [f"nuts:{c}" for c in synthetic.REGIONS]
        + [f"sector:{s}" for s in synthetic.SECTORS]
        + [f"kirchherr:{k}" for k in synthetic.BARRIER_KINDS]
        + [f"emf:{e}" for e in synthetic.EMF_TYPES]
        + [f"resolve:{lever}" for lever in synthetic.LEVERS]
        + [f"criterion:{c}" for c in synthetic.CRITERIA]
    )
    assert {ox.NamedNode(expand(c)) for c in constants} <= described - marked


def test_classes_and_properties_are_those_the_shipped_data_uses(graph):
    data = ox.Store()
    for path in sorted(DATA_DIR.glob("*.ttl")):
        data.load(path=str(path), format=ox.RdfFormat.TURTLE)
    pairs = "SELECT DISTINCT ?class ?property WHERE { ?s a ?class ; ?property ?o }"
    shipped_pairs = {(r["class"].value, r["property"].value) for r in _select(data, pairs)}
    synthetic_pairs = {(r["class"].value, r["property"].value) for r in _select(graph, pairs)}
    unknown = {(c, p) for c, p in synthetic_pairs - shipped_pairs if p not in MARKERS}
    assert unknown == set()
    shipped_classes = {c for c, _ in shipped_pairs if c.startswith(PREFIXES["circe"])}
    expected = {
        expand(f"circe:{c}")
        for c in (
            "Project",
            "Partnership",
            "PolicyInstrument",
            "Barrier",
            "Opportunity",
            "Practice",
            "GoodPractice",
            "ActionPlan",
            "Action",
            "Stakeholder",
            "MonitoringObservation",
            "Transfer",
            "PartnerMeeting",
            "StudyVisit",
            "ProjectEvent",
            "StakeholderMeeting",
        )
    }
    assert expected <= {c for c, _ in synthetic_pairs} & shipped_classes


def test_labels_come_in_the_partners_languages_with_their_letters(graph):
    labels = [r["label"] for r in _select(graph, "SELECT ?label WHERE { ?p a circe:Practice ; skos:prefLabel ?label }")]
    assert {"en", "it", "ca", "es", "pl", "nl", "fr", "bg", "sl"} <= {label.language for label in labels}
    assert any(not label.value.isascii() for label in labels)
    assert any('"' in t.object.value for t in graph if isinstance(t.object, ox.Literal))  # escaped quotes


def test_monitoring_observations_follow_each_other_in_time(graph):
    assert not graph.query(
        """ASK { ?o circe:observedAction ?a ; dct:date ?d . ?a schema:startDate ?start
                                     FILTER(?d < ?start) }""",
        prefixes=PREFIXES,
    )
    assert not graph.query(
        """ASK { ?o circe:observedAction ?a ; circe:status ?final ; dct:date ?d .
                                     FILTER(?final IN (status:implemented, status:not-implemented))
                                     ?later circe:observedAction ?a ; dct:date ?laterDate FILTER(?laterDate >= ?d
                                     && ?later != ?o) }""",
        prefixes=PREFIXES,
    )
    series = _select(
        graph,
        """SELECT ?a WHERE { ?o circe:observedAction ?a } GROUP BY ?a
                               HAVING(COUNT(?o) > 2)""",
    )
    assert series


# ---- on top of the shipped files ---------------------------------------------------------------------------
def test_it_conforms_to_the_shapes_on_top_of_the_shipped_files(loaded, generated):
    _, summary = loaded
    assert summary.report.violations == 0 and summary.report.count("Warning") == 0, summary.report.to_text()
    mine = next(g for g in summary.graphs if g.file.endswith(generated.name))
    assert mine.kind == "data" and mine.graph_iri.endswith("/graph/data/synthetic")


def _mentions_synthetic(answer: queries.Answer) -> bool:
    terms = [value for row in answer.rows for value in row.values()]
    terms += [t.subject for t in answer.triples or []]
    return any(isinstance(term, ox.NamedNode) and term.value.startswith(SYNTHETIC) for term in terms)


@pytest.mark.slow
@pytest.mark.parametrize(
    "query", [q for q in queries.available() if q.name not in NOT_ABOUT_DATA], ids=lambda q: q.name
)
def test_named_queries_find_synthetic_resources(loaded, graph, query):
    store, _ = loaded
    candidates = {
        "type": ["circe:Practice"],
        "partner": [f"{SYNTHETIC}organisation/s1-o1"],
        "resource": [f"{SYNTHETIC}organisation/s1-o1"],
        "sector": [f"sector:{s}" for s in synthetic.SECTORS],
        "barrier": sorted(r["b"].value for r in _select(graph, "SELECT ?b WHERE { ?b a circe:Barrier }"))[:40],
    }
    (required,) = [p.name for p in query.parameters if p.required] or [None]
    for value in candidates[required] if required else [None]:
        answer = queries.run(store, query.name, {required: value} if required else {})
        if _mentions_synthetic(answer):
            return
    pytest.fail(f"{query.name} finds no synthetic resource")


# ---- the command -----------------------------------------------------------------------------------------------
def test_generate_writes_n_triples_or_turtle_and_says_how_much(runner, tmp_path):
    result = runner.invoke(main, ["generate", "--projects", "2", "--seed", "3", "--out", str(tmp_path / "s.nt")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "s.nt").read_bytes()
    lines = written.count(b"\n")
    assert f"wrote {lines} triples of 2 synthetic project(s) (seed 3)" in result.output
    result = runner.invoke(main, ["generate", "--projects", "2", "--seed", "3", "--out", str(tmp_path / "s.ttl")])
    assert result.exit_code == 0, result.output
    turtle = set(ox.parse(path=str(tmp_path / "s.ttl"), format=ox.RdfFormat.TURTLE))
    assert turtle == set(ox.parse(written, ox.RdfFormat.N_TRIPLES))
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    "arguments, name, message",
    [
        (["--triples", "10"], "s.nt", "less than one synthetic project"),
        (["--triples", "5000", "--projects", "2"], "s.nt", "either --triples or --projects"),
        ([], "s.nt", "either --triples or --projects"),
        (["--projects", "0"], "s.nt", "0 is not in the range"),
        (["--projects", "1"], "s.txt", "unknown file type '.txt'"),
    ],
)
def test_generate_refuses_bad_sizes_and_formats(runner, tmp_path, arguments, name, message):
    result = runner.invoke(main, ["generate", *arguments, "--out", str(tmp_path / name)])
    assert result.exit_code == 2 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_generate_never_writes_into_the_shipped_folders(runner):
    target = DATA_DIR / "synthetic-test.nt"
    result = runner.invoke(main, ["generate", "--projects", "1", "--out", str(target)])
    assert result.exit_code == 2 and "never goes into data/" in result.output
    assert not target.exists() and not target.with_name(target.name + ".partial").exists()
