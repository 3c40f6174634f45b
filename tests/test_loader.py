"""Loading is all or nothing: bad files leave the store exactly as it was; loading again replaces."""

from pathlib import Path

import pytest

from circe_kg.config import DATA_DIR, shipped_files
from circe_kg.errors import RdfSyntaxError, UsageError, ValidationFailed
from circe_kg.loader import load_files, remove_graphs
from circe_kg.store import EmbeddedStore
from circe_kg.writing.gate import PROVENANCE_GRAPH

FIXTURES = Path(__file__).parent / "fixtures"


def _snapshot(store: EmbeddedStore) -> dict[str, int]:
    """Every graph's size, the history included: a refused write must not even be recorded."""
    return {g: store.count(g) for g in store.named_graphs()}


def _data(store: EmbeddedStore) -> dict[str, int]:
    return {g: n for g, n in _snapshot(store).items() if g != PROVENANCE_GRAPH}


def test_shipped_files_load_into_one_graph_each(loaded_disk_store):
    graphs = [g for g in loaded_disk_store.named_graphs() if g != PROVENANCE_GRAPH]
    assert len(graphs) == len(shipped_files())
    assert "https://w3id.org/circe-kg/graph/data/project" in graphs
    assert all(loaded_disk_store.count(g) > 0 for g in graphs)


@pytest.mark.slow
def test_loading_again_replaces_instead_of_duplicating_and_is_recorded(loaded_disk_store):
    before = _data(loaded_disk_store)
    history = loaded_disk_store.count(PROVENANCE_GRAPH)
    summary = load_files(loaded_disk_store, shipped_files())
    assert _data(loaded_disk_store) == before
    assert all(g.replaced for g in summary.graphs)
    assert loaded_disk_store.count(PROVENANCE_GRAPH) > history and summary.version == 2


def test_malformed_turtle_changes_nothing(loaded_disk_store):
    before = _snapshot(loaded_disk_store)
    files = [DATA_DIR / "practices.ttl", FIXTURES / "syntax" / "unclosed-literal.ttl"]
    with pytest.raises(RdfSyntaxError):
        load_files(loaded_disk_store, files)
    assert _snapshot(loaded_disk_store) == before


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["missing-source", "unknown-nuts-code", "start-after-end", "transfer-to-itself"])
def test_shape_violations_change_nothing_and_carry_the_report(loaded_disk_store, fixture):
    before = _snapshot(loaded_disk_store)
    with pytest.raises(ValidationFailed) as caught:
        load_files(loaded_disk_store, [FIXTURES / "shapes" / f"{fixture}.ttl"])
    assert caught.value.report.violations >= 1
    assert caught.value.status == 422 and caught.value.exit_code == 1
    assert "Nothing was loaded" in caught.value.to_text()
    assert _snapshot(loaded_disk_store) == before


@pytest.mark.slow
def test_a_valid_new_file_is_added_and_can_be_removed(loaded_disk_store):
    before = _snapshot(loaded_disk_store)
    (path,) = sorted((FIXTURES / "valid").glob("*.ttl"))
    summary = load_files(loaded_disk_store, [path])
    (graph,) = summary.graphs
    assert graph.graph_iri == "https://w3id.org/circe-kg/graph/data/good-practice-is-a-practice"
    assert loaded_disk_store.count(graph.graph_iri) == graph.triples > 0
    remove_graphs(loaded_disk_store, [graph.graph_iri])
    assert _data(loaded_disk_store) == {g: n for g, n in before.items() if g != PROVENANCE_GRAPH}


@pytest.mark.slow
def test_removing_a_graph_others_depend_on_is_refused(loaded_disk_store):
    before = _snapshot(loaded_disk_store)
    with pytest.raises(ValidationFailed):
        remove_graphs(loaded_disk_store, ["https://w3id.org/circe-kg/graph/data/organisations"])
    assert _snapshot(loaded_disk_store) == before
    with pytest.raises(UsageError, match="no such graph"):
        remove_graphs(loaded_disk_store, ["https://w3id.org/circe-kg/graph/data/nothing"])


@pytest.mark.slow
def test_the_store_persists_on_disk(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, shipped_files())
    count = store.count()
    store.close()
    reopened = EmbeddedStore(tmp_path / "store")
    assert reopened.count() == count > 1000
    assert PROVENANCE_GRAPH in reopened.named_graphs()


def test_two_files_for_one_graph_are_refused(tmp_path, disk_store):
    with pytest.raises(UsageError, match="one file"):
        load_files(disk_store, shipped_files()[:2], graph_iri="https://w3id.org/circe-kg/graph/data/x")


@pytest.mark.slow
def test_a_load_records_the_checksum_of_the_bytes_it_read(tmp_path):
    """The provenance of a load names what was loaded: the SHA-256 of the files' bytes, one after the other."""
    import hashlib

    from circe_kg.namespaces import CIRCE

    files = shipped_files()[:2]
    with EmbeddedStore(tmp_path / "store") as store:
        load_files(store, files)
        recorded = [
            t.object.value for t in store.triples(PROVENANCE_GRAPH) if t.predicate.value == str(CIRCE.uploadChecksum)
        ]
    assert recorded == [hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()]
