"""A write asks the store once per need: one `PUT /graphs` of a shipped graph makes at most MAX_CALLS calls on the
store (queries, updates, graph listings, journal…), counted by wrapping a real on-disk store in a counting proxy."""

from __future__ import annotations

import inspect
import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest

from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.store import EmbeddedStore
from circe_kg.store.base import Store
from circe_kg.web import create_app
from circe_kg.web.services import services_of
from circe_kg.writing.gate import WriteGate

MAX_CALLS = 8
STEWARD = secrets.token_urlsafe(24)
PRACTICES = "https://w3id.org/circe-kg/graph/data/practices"
PRACTICES_FILE = Path(__file__).parent.parent / "data" / "practices.ttl"
# Every public method of the one interface every store has (store/base.py).
STORE_METHODS = frozenset(
    name for name, member in vars(Store).items() if inspect.isfunction(member) and not name.startswith("_")
)


class CountingStore:
    """The store it wraps, with a list of the calls made on its public methods (name and first argument)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in STORE_METHODS:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(f"{name}({' '.join(str(args[0]).split())[:70] if args else ''})")
            return found(*args, **kwargs)

        return counted


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A store loaded through the write gate (every graph has a recorded first version), and its history."""
    folder = tmp_path_factory.mktemp("recorded")
    with EmbeddedStore(folder / "store") as store:
        load_files(store, shipped_files(), gate=WriteGate(store, folder / "history"))
    return folder


@pytest.fixture
def counted(tmp_path, recorded):
    shutil.copytree(recorded, tmp_path / "site", symlinks=True)
    store = CountingStore(EmbeddedStore(tmp_path / "site" / "store"))
    app = create_app(
        store=store,  # type: ignore[arg-type]
        config={
            "TESTING": True,
            "WRITE_TOKENS": {STEWARD: "Ana Steward"},
            "DUMPS_DIR": tmp_path / "dumps",
            "HISTORY_DIR": tmp_path / "site" / "history",
        },
    )
    yield app.test_client(), store
    services_of(app).sandbox.close()
    store.close()


def test_the_interface_is_counted_whole():
    assert {"query", "named_graphs", "count", "triples", "dump", "replace_graphs", "changed_subjects"} <= STORE_METHODS


@pytest.mark.slow
def test_a_put_of_a_shipped_graph_asks_the_store_at_most_eight_times(counted):
    client, store = counted
    tag = client.get(f"/graphs?graph={PRACTICES}").headers["ETag"]
    text = PRACTICES_FILE.read_text(encoding="utf-8")
    changed = text.replace('"Door-to-door food-waste collection in Milan"@en', '"Door-to-door food waste in Milan"@en')
    assert changed != text
    store.calls.clear()
    put = client.put(
        f"/graphs?graph={PRACTICES}",
        data=changed.encode("utf-8"),
        content_type="text/turtle",
        headers={"Authorization": f"Bearer {STEWARD}", "If-Match": tag},
    )
    calls = list(store.calls)
    assert put.status_code == 200, put.get_json()
    [written] = put.get_json()["graphs"]  # blank nodes are new ones at each write: counted as added and removed
    assert written["graph"] == PRACTICES and written["added"] == written["removed"] >= 1
    assert put.headers["ETag"] != tag
    assert len(calls) <= MAX_CALLS, f"{len(calls)} calls on the store:\n" + "\n".join(calls)
    # The write landed, was recorded, and the next If-Match is the new ETag.
    assert client.get(f"/graphs?graph={PRACTICES}").headers["ETag"] == put.headers["ETag"]
    history = client.get(f"/history?graph={PRACTICES}", headers={"Accept": "application/json"}).get_json()
    assert [h["operation"] for h in history] == ["PUT", "load"]
