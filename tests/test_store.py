"""The embedded store: atomic graph replacement, counts, and dumps that round-trip."""

import pyoxigraph as ox
import pytest
import rdflib
from rdf_reading import read_back, union_of

from circe_kg.export_graphs import isomorphic
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


FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD}
FORMATS["xml"] = ox.RdfFormat.RDF_XML


@pytest.mark.slow
@pytest.mark.parametrize("parse_as", FORMATS)
def test_dumps_in_every_format_are_isomorphic_to_the_store(loaded_disk_store, parse_as):
    union = union_of(loaded_disk_store)
    assert len(union) == loaded_disk_store.count() > 1000
    assert isomorphic(read_back(loaded_disk_store.dump(FORMATS[parse_as]), parse_as), union)


@pytest.mark.slow
def test_a_dump_of_any_backend_is_isomorphic_to_the_store(loaded_store):
    """A server's dump is its CONSTRUCT answer, serialised as the embedded store's (above) is."""
    union = union_of(loaded_store)
    assert len(union) == loaded_store.count() > 1000
    assert isomorphic(read_back(loaded_store.dump(ox.RdfFormat.TURTLE), "turtle"), union)


@pytest.mark.slow
def test_nquads_dump_keeps_every_named_graph(loaded_store):
    dataset = rdflib.Dataset()
    dataset.parse(data=loaded_store.dump(ox.RdfFormat.N_QUADS).decode(), format="nquads")
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert names == set(loaded_store.named_graphs())


# -- big writes: a new generation of the folder, published by one rename (store_folder.py) ----------------------
B = ox.NamedNode("https://w3id.org/circe-kg/graph/data/big")
P = "https://w3id.org/circe-kg/graph/system/provenance"


def _triples(n: int, tag: str) -> list[ox.Triple]:
    node = ox.BlankNode()  # blank nodes keep their links inside the graph
    return [
        ox.Triple(
            ox.NamedNode(f"https://w3id.org/circe-kg/id/practice/{tag}{i}"),
            LABEL,
            ox.Literal(f"{tag} {i}", language="en"),
        )
        for i in range(n)
    ] + [ox.Triple(A, LABEL, node), ox.Triple(node, LABEL, ox.Literal(tag))]


def _writes(store) -> None:
    """Replace a small graph, a big one (most of the store: rebuilt) and an empty one; append; drop."""
    store.replace_graphs({G: _triples(3, "small"), P: _triples(1, "prov")})
    store.replace_graphs({B.value: _triples(50, "big")}, append={P: _triples(2, "rec")})
    store.replace_graphs({G: _triples(4, "small2"), "https://w3id.org/circe-kg/graph/data/empty": []})
    store.replace_graphs({B.value: _triples(60, "big2")})
    store.drop_graphs([G])


def _state(store) -> list[tuple[str, int, str]]:
    """Each graph, its size, and its triples with blank nodes named by what they hang from."""
    rows = []
    for graph in store.named_graphs():
        triples = list(store.triples(graph))
        blank = {t.object: t.subject.value for t in triples if isinstance(t.object, ox.BlankNode)}
        text = sorted(
            f"{blank.get(t.subject, t.subject)} {t.predicate} {blank.get(t.object, t.object)}" for t in triples
        )
        rows.append((graph, len(triples), "\n".join(text)))
    return rows


@pytest.mark.slow
def test_big_writes_by_generation_hold_what_transactions_hold(tmp_path, monkeypatch):
    from circe_kg.store import EmbeddedStore

    with EmbeddedStore(tmp_path / "one") as transactional:
        monkeypatch.setattr(EmbeddedStore, "BULK_WRITE_TRIPLES", 10**9)
        _writes(transactional)
        expected = _state(transactional)
    monkeypatch.setattr(EmbeddedStore, "BULK_WRITE_TRIPLES", 1)
    with EmbeddedStore(tmp_path / "two") as bulk:
        _writes(bulk)
        assert _state(bulk) == expected and bulk.generation == 5
        assert "https://w3id.org/circe-kg/graph/data/empty" in bulk.named_graphs()
        current = (tmp_path / "two" / "current").resolve().name
        assert current == "g000005"  # one per write that adds (the drop is a transaction), after the empty first
        kept = sorted(p.name for p in (tmp_path / "two").iterdir() if p.name.startswith("g"))
        assert kept == ["g000004", "g000005"]  # and the previous one, which running queries may read
    with EmbeddedStore(tmp_path / "two") as reopened:
        assert _state(reopened) == expected
        assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["current", "g000005", "lock"]


@pytest.mark.slow
def test_dropping_most_of_the_store_copies_what_stays_into_a_new_generation(tmp_path, monkeypatch):
    """A transaction removes ~25k triples/s: a drop of most of the store is made by a new generation instead."""
    from circe_kg.store import EmbeddedStore

    monkeypatch.setattr(EmbeddedStore, "BULK_WRITE_TRIPLES", 10)
    empty = "https://w3id.org/circe-kg/graph/data/empty"
    with EmbeddedStore(tmp_path / "store") as store:
        store.replace_graphs({G: _triples(3, "kept"), empty: []})  # 5 triples: a transaction
        store.replace_graphs({B.value: _triples(50, "big")})
        kept = [row for row in _state(store) if row[0] != B.value]
        before = (tmp_path / "store" / "current").resolve().name
        store.drop_graphs([B.value])
        assert _state(store) == kept and empty in store.named_graphs()
        assert (tmp_path / "store" / "current").resolve().name != before
        store.drop_graphs([G])  # 5 triples: a transaction, in the same generation
        assert store.named_graphs() == [empty]
    with EmbeddedStore(tmp_path / "store") as reopened:
        assert reopened.named_graphs() == [empty]


def test_a_big_write_that_fails_leaves_the_store_and_no_generation(tmp_path, monkeypatch):
    from circe_kg.store import EmbeddedStore

    monkeypatch.setattr(EmbeddedStore, "BULK_WRITE_TRIPLES", 1)
    staged = EmbeddedStore._staged

    def fails_after_staging(self, *args):
        staged(self, *args)  # everything written into the new generation, then the disk "fills up"
        raise OSError("No space left on device")

    with EmbeddedStore(tmp_path / "store") as store:
        store.replace_graphs({B.value: _triples(20, "old")})
        before = _state(store)
        monkeypatch.setattr(EmbeddedStore, "_staged", fails_after_staging)
        with pytest.raises(OSError, match="No space"):
            store.replace_graphs({B.value: _triples(30, "new")})
        assert _state(store) == before and store.generation == 1
        left = sorted(p.name for p in (tmp_path / "store").iterdir() if p.name.startswith("g"))
        assert left == ["g000001", "g000002"]  # the failed write's g000003 is gone


def test_a_generation_left_by_a_killed_write_is_removed_at_open(tmp_path):
    from circe_kg.store import EmbeddedStore

    with EmbeddedStore(tmp_path / "store") as store:
        store.replace_graphs({G: _triples(2, "kept")})
        before = _state(store)
        unfinished = store._folder.new_generation(store._store)  # a write killed before its rename
        half = ox.Store(str(unfinished))
        half.add(ox.Quad(A, LABEL, ox.Literal("half"), ox.NamedNode(G)))
        del half
    with EmbeddedStore(tmp_path / "store") as reopened:
        assert _state(reopened) == before
    assert not unfinished.exists()


def test_a_store_folder_of_the_earlier_layout_is_adopted(tmp_path):
    """Stores written before generations (the RocksDB files directly in the folder) open with their data."""
    from circe_kg.store import EmbeddedStore

    legacy = ox.Store(str(tmp_path / "store"))
    legacy.add(ox.Quad(A, LABEL, ox.Literal("kept"), ox.NamedNode(G)))
    legacy.flush()
    del legacy
    (tmp_path / "store" / "notes.txt").write_text("not RocksDB's")  # a folder named by mistake keeps its files
    with EmbeddedStore(tmp_path / "store") as store:
        assert [t.object.value for t in store.triples(G)] == ["kept"]
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["current", "g000001", "lock", "notes.txt"]
    assert (tmp_path / "store" / "g000001" / "CURRENT").is_file()


def test_one_process_at_a_time(tmp_path):
    from circe_kg.errors import StoreUnavailable
    from circe_kg.store import EmbeddedStore

    with EmbeddedStore(tmp_path / "store"):
        with pytest.raises(StoreUnavailable, match="another process"):
            EmbeddedStore(tmp_path / "store")
    EmbeddedStore(tmp_path / "store").close()  # free again once closed
