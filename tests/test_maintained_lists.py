"""A differential test of the lists kept across writes (circe_kg/maintained.py): after random writes of every
kind — labels changed, links added and removed, resources deleted and created, concept hierarchies rewired,
classification markers dropped — each list the answer cache updated for the resources a write can change must equal
the list asked again of the whole graph. Updating is only worth having if it is exact; and the test checks that the
update, not a silent recomputation, is what answered."""

from __future__ import annotations

import doctest
import random

import pyoxigraph as ox
import pytest

from circe_kg import binding, maintained, queries
from circe_kg.answer_cache import AnswerCache
from circe_kg.config import shipped_files
from circe_kg.facets import DIMENSIONS, Listing, missing, own_record
from circe_kg.loader import load_files
from circe_kg.store import ChangeJournal, EmbeddedStore
from circe_kg.web import answers, home, kinds, truth

LISTS = ("list-practices", "list-barriers", "list-opportunities", "list-instruments", "list-actions")
ASKED = [(name, {}) for name in LISTS] + [
    ("practices-for-barrier", {}),
    ("practices-for-barrier", {"barrier": "kirchherr:regulatory"}),
    ("solved-for-barrier", {"barrier": "barrier:sos-public-procurement"}),
    ("solved-in-sector", {"sector": "sector:textile"}),
    ("partner-profile", {}),
    ("partner-profile", {"partner": "organisation:sos"}),
    ("transfers", {}),
    ("transfers", {"from": "organisation:regione-lombardia"}),
    ("action-plan-progress", {}),
    ("barriers-without-practice", {}),
    ("practice-points", {}),
    ("partners", {}),
    ("record-kinds", {}),
    ("practice-places", {}),
    ("addresses-link-rows", {}),
    ("other-datasets", {}),
    ("instances-of-class", {"type": "circe:Barrier"}),
    ("instances-of-class", {"type": "circe:Sector"}),
    ("labels", {"resource": "practice:albergo-diffuso nuts:ITC4 kirchherr:regulatory organisation:sos", "lang": "it"}),
    ("labels", {"resource": "organisation:sos sector:textile barrier:sos-public-procurement", "lang": "en"}),
]
ID = "https://w3id.org/circe-kg/id/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")


def canonical(rows: list[queries.Row]) -> list[str]:
    return sorted(repr(sorted((name, str(term)) for name, term in row.items())) for row in rows)


@pytest.fixture
def loaded():
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    yield store
    store.close()


@pytest.fixture
def updates(monkeypatch):
    """Whether each answer came from an update (True) or had to be asked whole (False)."""
    seen: list[bool] = []
    original = maintained.updated

    def spy(store, answer, since, values=None):
        result = original(store, answer, since, values)
        seen.append(result is not None)
        return result

    monkeypatch.setattr(maintained, "updated", spy)
    return seen


def random_write(store: EmbeddedStore, rng: random.Random) -> str:
    """One random change to one data graph; what it did, for the failure message."""
    graphs = [g for g in store.named_graphs() if "/graph/data/" in g]
    graph = rng.choice(graphs)
    triples = list(store.triples(graph))
    if not triples:
        return "nothing"
    kind = rng.choice(["label", "remove", "link", "delete-resource", "new-practice", "rewire", "bnodes"])
    picked = rng.choice(triples)
    if kind == "label":
        literals = [t for t in triples if isinstance(t.object, ox.Literal) and t.object.language]
        if literals:
            picked = rng.choice(literals)
            triples.remove(picked)
            triples.append(ox.Triple(picked.subject, picked.predicate, ox.Literal("Renamed", language="en")))
    elif kind == "remove":
        triples.remove(picked)
    elif kind == "link":  # the same property to another object of it, or a subject pointed at another resource
        objects = [t.object for t in triples if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE]
        if objects and isinstance(picked.subject, ox.NamedNode):
            triples.append(ox.Triple(picked.subject, rng.choice(triples).predicate, rng.choice(objects)))
    elif kind == "delete-resource":
        triples = [t for t in triples if t.subject != picked.subject and t.object != picked.subject]
    elif kind == "new-practice":
        practice = ox.NamedNode(f"{ID}practice/random-{rng.randrange(10**9)}")
        links = [t for t in triples if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE]
        triples += [
            ox.Triple(practice, RDF_TYPE, ox.NamedNode("https://w3id.org/circe-kg/ontology#Practice")),
            ox.Triple(practice, PREF_LABEL, ox.Literal("A new practice", language="en")),
        ] + [ox.Triple(practice, t.predicate, t.object) for t in rng.sample(links, min(3, len(links)))]
    elif kind == "rewire":  # a concept's broader (a region's country, a category's parent) moved
        broader = [t for t in store.triples(graph) if t.predicate.value.endswith("#broader")]
        if broader:
            picked = rng.choice(broader)
            triples.remove(picked)
            triples.append(ox.Triple(picked.subject, picked.predicate, rng.choice(broader).object))
    elif kind == "bnodes":  # a graph with markers rewritten with one of them gone
        blank = [t for t in triples if isinstance(t.subject, ox.BlankNode)]
        if blank:
            gone = rng.choice(blank).subject
            triples = [t for t in triples if t.subject != gone]
    store.replace_graphs({graph: triples})
    return f"{kind} in {graph.rsplit('/', 1)[-1]} ({picked})"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_an_answer_updated_after_random_writes_equals_the_question_asked_again(loaded, updates, seed):
    rng = random.Random(seed)
    cache = AnswerCache(loaded)
    for name, values in ASKED:
        cache.run(name, values)
    for step in range(10):
        did = random_write(loaded, rng)
        for name, values in ASKED:
            kept = cache.run(name, values)
            fresh = queries.run(loaded, name, values)
            assert canonical(kept.rows) == canonical(fresh.rows), f"seed {seed} step {step}: {did}; {name} {values}"
            assert kept.texts() == [queries.text_of(row) for row in kept.rows], f"{name}: texts kept with their rows"
            order = maintained._order_of(kept.query.text)
            keys = [maintained._sort_key(row, order) for row in kept.rows]
            assert keys == sorted(keys), f"{name}: the rows stay in the query's order"
        assert counts_agree(cache.run("record-kinds").rows, loaded), f"seed {seed} step {step}: {did}"
        assert folded_agree(cache, loaded), f"seed {seed} step {step}: {did}"
    assert updates.count(True) >= 0.8 * len(updates), "most answers came from an update, not a new question"


def counts_agree(rows: list[queries.Row], store: EmbeddedStore) -> bool:
    """The home and truth pages' counts, made from the kept rows, equal the aggregate questions' answers."""
    overview = [(c.kind.label, c.total, c.sourced, c.illustrative) for c in kinds.count(rows, kinds.OVERVIEW, False)]
    asked = [
        (r["label"].value, int(r["count"].value), int(r["sourced"].value), int(r["illustrative"].value))
        for r in queries.run(store, "overview-counts").rows
    ]
    truth = [
        (c.kind.label, c.total, c.sourced, c.illustrative, c.editorial) for c in kinds.count(rows, kinds.TRUTH, True)
    ]
    by_class = [
        (r["label"].value, *(int(r[k].value) for k in ("total", "sourced", "illustrative", "editorial")))
        for r in queries.run(store, "truth-by-class").rows
    ]
    return overview == asked and truth == by_class


def folded_agree(cache: AnswerCache, store: EmbeddedStore) -> bool:
    """The pages' counts as the answer cache follows them across writes (AnswerCache.folded) equal the counts of
    the rows asked again."""
    rows = queries.run(store, "record-kinds").rows
    for kinds_, own_only in ((kinds.OVERVIEW, False), (kinds.TRUTH, True)):
        totals = cache.folded("record-kinds", None, kinds.totals_fold(kinds_, own_only))
        if [kinds.Counted(k, *totals[k.iri]) for k in kinds_] != kinds.count(rows, kinds_, own_only):
            return False
    places = home.PLACES.start()
    for row in queries.run(store, "practice-places").rows:
        home.PLACES.step(places, row, 1)
    if cache.folded("practice-places", None, home.PLACES) != places:
        return False
    for name in LISTS:  # the faceted lists, as the list pages and the truth page read them
        kept = cache.folded(name, None, answers.LISTING)
        fresh = Listing(queries.text_of(row) for row in queries.run(store, name).rows)
        if (kept.ordered(), kept.counts, kept.labels) != (fresh.ordered(), fresh.counts, fresh.labels):
            return False
        own = [item for item in fresh.ordered() if own_record(item)]  # the truth page's completeness counts
        missing_now = {name: missing(own, name) for name in DIMENSIONS}
        if (kept.own, {k: v for k, v in kept.own_missing.items() if v}) != (
            len(own),
            {k: v for k, v in missing_now.items() if v},
        ):
            return False
    links = queries.run(store, "addresses-links").rows[0]
    total, sourced = cache.folded("addresses-link-rows", None, truth.LINKS)
    return (sourced, total - sourced, total) == tuple(
        int(links[k].value) if k in links else 0 for k in ("sourced", "illustrative", "total")
    )


@pytest.mark.slow
def test_the_counts_of_the_pages_agree_with_the_aggregate_questions(loaded):
    assert counts_agree(queries.run(loaded, "record-kinds").rows, loaded)


@pytest.mark.slow
def test_a_write_the_journal_does_not_know_asks_the_whole_list_again(loaded, updates, monkeypatch):
    cache = AnswerCache(loaded)
    before = cache.run("list-practices")
    monkeypatch.setattr(ChangeJournal, "MAX_KEPT_TRIPLES", 0)
    graph = next(g for g in loaded.named_graphs() if g.endswith("/practices"))
    loaded.replace_graphs({graph: [t for t in loaded.triples(graph) if t.predicate != PREF_LABEL]})
    after = cache.run("list-practices")
    assert updates == [False]
    assert canonical(after.rows) == canonical(queries.run(loaded, "list-practices").rows) != canonical(before.rows)


def test_only_plain_orders_are_kept():
    assert maintained._order_of("SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a DESC(?b)") == (("a", False), ("b", True))
    assert maintained._order_of("SELECT ?a WHERE { ?a ?b ?c }") == ()
    assert maintained._order_of("SELECT ?a WHERE { ?a ?b ?c } ORDER BY STR(?a)") is None
    assert maintained._order_of("SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a LIMIT 10") is None
    assert maintained._order_of("SELECT ?a (SAMPLE(?c) AS ?d) WHERE { ?a ?b ?c } GROUP BY ?a ?b") == ()
    assert maintained._order_of("SELECT ?a WHERE { ?a ?b ?c } GROUP BY ?a HAVING (COUNT(?c) > 1)") is None


@pytest.mark.slow
def test_a_region_moved_three_levels_up_changes_the_country_of_the_practices_below_it(loaded, updates):
    """The country is found by skos:broader* from a practice's region: with a level put between Sofia (BG411) and
    Yugozapaden (BG41), moving BG41 under Italy reaches the practices of BG411 three levels down."""
    cache = AnswerCache(loaded)
    cache.run("list-practices")
    broader = ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader")
    nuts = "http://data.europa.eu/nuts/code/"
    sofia, middle, region = (ox.NamedNode(nuts + code) for code in ("BG411", "BG41Z", "BG41"))
    graph = next(g for g in loaded.named_graphs() if ox.Triple(sofia, broader, region) in set(loaded.triples(g)))

    def rewrite(old: ox.Triple, *new: ox.Triple) -> None:
        loaded.replace_graphs({graph: [*(t for t in loaded.triples(graph) if t != old), *new]})

    rewrite(ox.Triple(sofia, broader, region), ox.Triple(sofia, broader, middle), ox.Triple(middle, broader, region))
    cache.run("list-practices")
    rewrite(
        ox.Triple(region, broader, ox.NamedNode(nuts + "BG")), ox.Triple(region, broader, ox.NamedNode(nuts + "IT"))
    )
    kept = cache.run("list-practices")
    assert updates == [True, True]
    countries = {
        r["country"].value
        for r in kept.rows
        if r["resource"].value.endswith("/kubratovo-wwtp-sludge-to-biogas") and "country" in r
    }
    assert countries == {nuts + "IT"}
    assert canonical(kept.rows) == canonical(queries.run(loaded, "list-practices").rows)


@pytest.mark.parametrize(
    "query, pushed",
    [
        ("SELECT ?r WHERE { { SELECT ?r (COUNT(*) AS ?n) WHERE { ?r ?p ?o } GROUP BY ?r } }", True),
        ("SELECT ?r WHERE { { SELECT DISTINCT ?r WHERE { ?r ?p ?o } } }", True),
        ("SELECT ?r WHERE { { SELECT ?r WHERE { ?r ?p ?o } LIMIT 5 } }", False),  # which 5 depends on the rest
        ("SELECT ?r WHERE { { SELECT ?p (COUNT(?r) AS ?n) WHERE { ?r ?p ?o } GROUP BY ?p } ?r ?p ?x }", False),
        ("SELECT ?r WHERE { { SELECT (COUNT(?r) AS ?n) WHERE { ?r ?p ?o } } ?r ?q ?n }", False),  # ?r not projected
    ],
)
def test_a_resource_is_bound_inside_a_sub_query_only_where_the_answer_stays_the_same(query, pushed):
    text = binding.with_values_in_subqueries(query, "r", [ox.NamedNode(f"{ID}a")])
    assert (text.count("VALUES") == 1) == pushed
    assert doctest.testmod(binding).failed == 0


# A small graph where a branch that is bound too widely would change the answer: ?r = a has p and q, b has p only,
# c is linked from x (q) and has no p; d has p to a literal.
UNION_DATA = """
@prefix e: <https://w3id.org/circe-kg/id/> .
e:a e:p e:x ; e:q e:y . e:b e:p e:x . e:x e:q e:c . e:d e:p "text" . e:k e:m e:a .
"""
E = "PREFIX e: <https://w3id.org/circe-kg/id/> "


@pytest.mark.parametrize(
    "query, pushed",
    [
        (E + "SELECT ?r ?o WHERE { { ?r e:p ?o } UNION { ?o e:q ?r } }", 2),
        (E + "SELECT ?r ?o WHERE { { ?r e:p ?o } UNION { ?o e:q ?x } }", 1),  # ?r not in the second branch
        (E + "SELECT * WHERE { { ?r e:p ?o } UNION { ?o e:p ?x OPTIONAL { ?x e:q ?r } ?k e:m ?r } }", 1),
        (E + "SELECT ?r ?o WHERE { { ?r e:p ?o } UNION { ?x e:m ?o BIND(?o AS ?r) } }", 1),
        (E + "SELECT ?r WHERE { ?r e:p ?x FILTER NOT EXISTS { { ?r e:q ?y } UNION { ?y e:q ?r } } }", 0),
        (E + "SELECT ?r WHERE { ?r e:p ?x MINUS { { ?r e:q ?y } UNION { ?y e:q ?r } } }", 0),
        (
            E + "SELECT ?r ?n WHERE { ?r e:p ?x { SELECT (COUNT(*) AS ?n) WHERE { { ?r e:p ?o } UNION "
            "{ ?r e:q ?o } } } }",
            0,
        ),
        # a sub-query that is one UNION of bound branches: the branches bound, not the sub-query besides
        (
            E + "SELECT ?r ?o WHERE { ?r e:p ?x OPTIONAL { { SELECT DISTINCT ?r ?o WHERE { { ?r e:q ?o } UNION "
            "{ ?o e:q ?r } } } } }",
            2,
        ),
        (E + "SELECT ?r ?k WHERE { { VALUES ?k { e:p e:q } ?r ?k ?o } UNION { ?o e:m ?r BIND(e:m AS ?k) } }", 2),
    ],
)
def test_a_resource_is_bound_inside_union_branches_only_where_the_answer_stays_the_same(query, pushed):
    store = EmbeddedStore(None)
    store.replace_graphs({f"{ID}graph": list(ox.parse(UNION_DATA.encode(), ox.RdfFormat.TURTLE))})
    nodes = [ox.NamedNode(f"{ID}{name}") for name in ("a", "c")]
    text = binding.with_values_in_subqueries(query, "r", nodes)
    assert text.count("VALUES (?r)") == pushed

    def rows(sparql: str) -> list[str]:
        found = store.query(sparql, {"r": tuple(nodes)})
        return sorted(repr(sorted((v.value, str(s[v])) for v in found.variables if s[v] is not None)) for s in found)

    assert rows(text) == rows(query), "the same answer as with the outer VALUES alone"
