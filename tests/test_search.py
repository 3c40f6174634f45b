"""The search index catches up with a write (the resources it changed) instead of being rebuilt, and its answers
are those of a fresh build: a renamed practice is found by its new name and not its old one, a removed one is not
found at all; a write to the ontology, or one the store cannot list, rebuilds it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.search import SearchIndex
from circe_kg.store import Change, ChangeJournal, EmbeddedStore

ID = "https://w3id.org/circe-kg/id/"
PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
ALBERGO = ox.NamedNode(ID + "practice/albergo-diffuso")


@pytest.fixture
def store():
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    yield store
    store.close()


def graph_of(store: EmbeddedStore, subject: ox.NamedNode) -> str:
    return next(q.graph_name.value for q in store._store.quads_for_pattern(subject, PREF_LABEL, None))


def found(index: SearchIndex, text: str) -> set[str]:
    return {hit.resource for hits in index.search(text).groups.values() for hit in hits}


def fresh(store: EmbeddedStore, text: str) -> set[str]:
    return found(SearchIndex(store), text)


@pytest.mark.slow
def test_a_renamed_practice_is_found_by_its_new_name_after_catching_up(store):
    index = SearchIndex(store)
    assert str(ALBERGO.value) in found(index, "albergo diffuso")
    built = index._current()[0]
    graph = graph_of(store, ALBERGO)
    renamed = [t for t in store.triples(graph) if not (t.subject == ALBERGO and t.predicate == PREF_LABEL)]
    renamed.append(ox.Triple(ALBERGO, PREF_LABEL, ox.Literal("Zyzzyva scattered inn", language="en")))
    store.replace_graphs({graph: renamed})
    assert found(index, "zyzzyva") == {ALBERGO.value}
    [hit] = [h for hits in index.search("zyzzyva").groups.values() for h in hits]
    assert hit.label == "Zyzzyva scattered inn", "the result shows the new name"
    assert index._current()[0] is built, "one renamed practice must not rebuild the whole index"
    for text in ("zyzzyva", "albergo", "hotel", "textile", "procurement"):
        assert found(index, text) == fresh(store, text), text


@pytest.mark.slow
def test_a_removed_resource_is_no_longer_found(store):
    index = SearchIndex(store)
    graph = graph_of(store, ALBERGO)
    store.replace_graphs({graph: [t for t in store.triples(graph) if t.subject != ALBERGO]})
    assert ALBERGO.value not in found(index, "albergo diffuso")
    assert found(index, "hotel") == fresh(store, "hotel")


@pytest.mark.slow
def test_a_write_to_the_ontology_rebuilds_the_index(store):
    index = SearchIndex(store)
    built = index._current()[0]
    ontology = next(g for g in store.named_graphs() if "/graph/ontology" in g)
    store.replace_graphs(
        {
            ontology: list(store.triples(ontology))
            + [
                ox.Triple(
                    ox.NamedNode("https://w3id.org/circe-kg/ontology#Practice"),
                    ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                    ox.Literal("touched", language="en"),
                )
            ]
        }
    )
    assert index._current()[0] is not built


def test_the_journal_says_not_known_for_big_or_forgotten_writes(monkeypatch):
    journal = ChangeJournal()
    a = ox.Triple(ox.NamedNode(f"{ID}a"), PREF_LABEL, ox.Literal("a"))
    journal.record(1, Change({"a"}, {a}))
    journal.record(2, Change({"b"}, set()))
    assert journal.since(0, 2) == {"a", "b"} and journal.since(1, 2) == {"b"} and journal.since(2, 2) == set()
    assert journal.triples_since(0, 2) == {a} and journal.triples_since(1, 2) == set()
    journal.record(3, None)  # too big to list
    assert journal.since(1, 3) is None and journal.triples_since(1, 3) is None
    for generation in range(4, 4 + ChangeJournal.KEEP):
        journal.record(generation, Change({"c"}, set()))
    assert journal.since(1, 3 + ChangeJournal.KEEP) is None, "a generation it has forgotten is not known"
    monkeypatch.setattr(ChangeJournal, "MAX_KEPT_TRIPLES", 1)
    journal.record(100, Change({"a"}, {a, ox.Triple(ox.NamedNode(f"{ID}b"), PREF_LABEL, ox.Literal("b"))}))
    assert journal.since(99, 100) == {"a"} and journal.triples_since(99, 100) is None, "subjects kept, triples not"
    monkeypatch.setattr(ChangeJournal, "MAX_TRIPLES", 2)
    triples = [ox.Triple(ox.NamedNode(f"{ID}x{i}"), PREF_LABEL, ox.Literal("x")) for i in range(3)]
    assert ChangeJournal.of_change([], triples) is None
    assert ChangeJournal.of_change(triples[:2], triples[1:2]) == ({f"{ID}x0"}, {triples[0]})


@pytest.mark.server
def test_serve_builds_the_index_as_it_starts(tmp_path):
    """`circe-kg serve` builds the index in the background as it starts (11 s at 10^6 triples), so that the first
    person to search does not wait for it: the log says so before anyone has searched."""
    import re
    import time

    from devtools.local_servers import CirceApp

    app = CirceApp(tmp_path)
    try:
        log = tmp_path / "serve.log"
        deadline = time.monotonic() + 60
        while "search index ready" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        ready = re.search(r"search index ready: (\d+) texts", log.read_text())
        assert ready and int(ready.group(1)) > 100, log.read_text()[-2000:]
    finally:
        app.stop()
