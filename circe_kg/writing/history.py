"""The history of a store's graphs: each version's content in `{folder}/{number:06d}/{graph}.nt`, written before the
store changes, and the provenance graph, which says which versions exist (queries/app/recorded-versions.rq).

`History` answers what a write needs to know — the graphs, each one's recorded versions, its current content as
last written, the next version number — asking the store once per need and keeping the answers while they hold:
for a store only this process writes (`Store.answers_max_age` is None), until the store's generation moves on
without the gate; for one that others may write, only inside `held()`, the span of one write.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import queries
from ..namespaces import GRAPH
from ..ntriples import NTriples

PROVENANCE_GRAPH = str(GRAPH) + "system/provenance"


def slug(graph_iri: str) -> str:
    """The name a graph's version files have (its IRI after the graph base, other characters as `__`)."""
    return re.sub(
        r"[^A-Za-z0-9-]+", "__", graph_iri[len(str(GRAPH)) :] if graph_iri.startswith(str(GRAPH)) else graph_iri
    )


def _version_file(history_dir: Path, number: int, graph: str) -> Path:
    return history_dir / f"{number:06d}" / f"{slug(graph)}.nt"


def recorded_versions(store: Any, graph: str) -> list[int]:
    """The versions of `graph` that the provenance graph records, oldest first (`History.recorded`)."""
    return History(store, None).recorded(graph)


def graph_content(store: Any, history_dir: Path | None, graph: str) -> NTriples:
    """A graph's content as last written (`History.content`)."""
    return History(store, history_dir).content(graph)


@dataclass
class _Known:
    """What the store told at one generation; each part asked when first needed (None: not asked yet)."""

    generation: int
    graphs: list[str] | None = None
    versions: dict[str, list[int]] | None = None  # graph -> recorded versions, oldest first
    last_number: int = 0  # the highest number recorded, with or without a graph
    sizes: dict[str, int] | None = None  # graph -> triples held
    bases: dict[str, str] = field(default_factory=dict)  # graph -> SHA-256 of its content as last written
    contents: dict[str, NTriples] = field(default_factory=dict)  # kept inside held() only: they can be large


class History:
    """A store's graphs, their recorded versions and current content, and the next version number.

    Raises what the store raises (StoreUnavailable…); nothing of its own."""

    def __init__(self, store: Any, folder: Path | None) -> None:
        self.store = store
        self.folder = folder
        # Only this process writes the store: what it said stays true until the generation moves.
        self._lasting = store.answers_max_age(0.0) is None
        self._lock = threading.RLock()
        self._held = 0
        self._known: _Known | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """What the store says is kept (contents included) until the block ends: one write asks once per need."""
        with self._lock:
            self._held += 1
        try:
            yield
        finally:
            with self._lock:
                self._held -= 1
                if self._held == 0 and self._known is not None:
                    if self._lasting:
                        self._known.contents.clear()
                    else:
                        self._known = None

    def _now(self) -> _Known:
        """Under the lock: what is known of the store's present generation (forgotten if it moved on)."""
        generation = self.store.generation
        known = self._known
        if known is None or known.generation != generation or not (self._lasting or self._held):
            known = _Known(generation)
            if self._lasting or self._held:
                self._known = known
        return known

    # -- what the store holds ---------------------------------------------------------------------
    def graphs(self) -> list[str]:
        """The store's named graphs."""
        with self._lock:
            known = self._now()
            if known.graphs is None:
                known.graphs = self.store.named_graphs()
            return known.graphs

    def _versions(self, known: _Known) -> dict[str, list[int]]:
        if known.versions is None:
            versions: dict[str, list[int]] = {}
            for row in queries.run(self.store, "recorded-versions").rows:
                number = int(row["number"].value)
                known.last_number = max(known.last_number, number)
                if "graph" in row:
                    versions.setdefault(row["graph"].value, []).append(number)
            known.versions = {g: sorted(set(numbers)) for g, numbers in versions.items()}
        return known.versions

    def recorded(self, graph: str) -> list[int]:
        """The versions of `graph` that the provenance graph records, oldest first.

        Only these are versions. A write keeps its version files *before* the store update that records it (so a
        write that lands always has them), which means a write that never lands — the process killed by SIGKILL,
        the server gone or refusing the update — leaves a version folder behind that no record names. Reading
        the history by its folders would offer that content for restore (and, on a store without faithful
        literals, take it as the graph's current content) although the store never held it; tests/
        test_crash_safety.py kills loads at random moments and checks this."""
        with self._lock:
            return list(self._versions(self._now()).get(graph, []))

    def _size(self, known: _Known, graph: str) -> int:
        graphs = self.graphs() if self._lasting or self._held else [graph]  # kept: all at once; else the one asked
        if known.sizes is None or (graph in graphs and graph not in known.sizes):
            sizes = dict.fromkeys(graphs, 0)
            for start in range(0, len(graphs), queries.MAX_LIST):
                chunk = {"graph": graphs[start : start + queries.MAX_LIST]}
                for row in queries.run(self.store, "graph-sizes", chunk).rows:
                    sizes[row["graph"].value] = int(row["triples"].value)
            known.sizes = sizes
        return known.sizes.get(graph, 0)

    def content(self, graph: str) -> NTriples:
        """A graph's content as last written: the last version kept in the history, which holds exactly what was
        sent and reads faster than the store gives it back (Oxigraph looks up the text of every term). A store
        that keeps literals as they were sent must also hold as many triples in the graph, or the graph was
        written some other way and is read from the store; one that changes them (Virtuoso hands
        "18000.00"^^xsd:decimal back as "18000"^^xsd:integer) is read from the history whenever it has the
        graph."""
        with self._lock:
            known = self._now()
            if graph in known.contents:
                return known.contents[graph]
            kept = [self.version_path(n, graph) for n in self._versions(known).get(graph, [])]
            found = [path for path in kept if path is not None and path.exists()]
            content = None
            if found:
                content = NTriples(found[-1].read_bytes())
                if self.store.faithful_literals:
                    held = self._size(known, graph)
                    if not (len(content) == held or len(content.lines()) == held):  # a file may repeat a triple
                        content = None
            if content is None:
                content = NTriples(self.store.dump(ox.RdfFormat.N_TRIPLES, graph))
            if self._held:
                known.contents[graph] = content
            return content

    def base(self, graph: str) -> str:
        """A fingerprint of a graph's current content (SHA-256 of its N-Triples as kept; "" for no graph)."""
        with self._lock:
            known = self._now()
            if graph not in known.bases:
                present = graph in self.graphs()
                known.bases[graph] = hashlib.sha256(self.content(graph).data).hexdigest() if present else ""
            return known.bases[graph]

    # -- versions ---------------------------------------------------------------------------------
    def next_number(self) -> int:
        """The number the next recorded change takes: past every recorded one and every version folder (a write
        that never landed leaves one, which is not written over)."""
        numbers = [0]
        if self.folder is not None and self.folder.exists():
            numbers += [int(f.name) for f in self.folder.iterdir() if f.name.isdigit()]
        with self._lock:
            known = self._now()
            self._versions(known)
            numbers.append(known.last_number)
        return max(numbers) + 1

    def versions(self, graph: str) -> list[int]:
        """The recorded versions of `graph` whose content is kept, oldest first: the ones a restore can bring back."""
        if self.folder is None or not self.folder.exists():
            return []
        return [n for n in self.recorded(graph) if _version_file(self.folder, n, graph).exists()]

    def version_path(self, number: int, graph: str) -> Path | None:
        return None if self.folder is None else _version_file(self.folder, number, graph)

    def version_content(self, graph: str, number: int) -> NTriples | None:
        """`graph` as recorded version `number` left it; None if that version is not kept (or not recorded)."""
        path = self.version_path(number, graph)
        if path is None or not path.exists() or number not in self.recorded(graph):
            return None
        return NTriples(path.read_bytes())

    def version_before(self, graph: str, number: int) -> int | None:
        """The recorded version of `graph` just before `number`, or None (the graph's first version)."""
        earlier = [n for n in self.recorded(graph) if n < number]
        return earlier[-1] if earlier else None

    def keep(self, number: int, graph: str, triples: NTriples) -> None:
        """Write version `number` of `graph` (before the store update that records it)."""
        path = self.version_path(number, graph)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(triples.data)

    def forget(self) -> None:
        """Ask the store again from now on (a write failed: what it holds is not known)."""
        with self._lock:
            self._known = None

    def wrote(
        self,
        generation: int,
        number: int,
        new: Mapping[str, NTriples | None],
        appended: list[str],
        sizes: Mapping[str, int] | None = None,
    ) -> None:
        """Told by the gate after its write (`generation`: the store's before it) recorded as `number`: what it
        knew stays known, with the written graphs' new content (and their `sizes` in distinct triples, when the
        gate counted them) — unless another write came between."""
        with self._lock:
            known = self._known
            if known is None or known.generation != generation or self.store.generation != generation + 1:
                self._known = None
                return
            known.generation = self.store.generation
            known.last_number = max(known.last_number, number)
            if known.graphs is not None:
                present = set(known.graphs) | set(appended) | {g for g, t in new.items() if t is not None}
                known.graphs = sorted(present - {g for g, t in new.items() if t is None})
            for graph in appended:
                if known.sizes is not None:
                    known.sizes.pop(graph, None)
                known.bases.pop(graph, None)
                known.contents.pop(graph, None)
            for graph, triples in new.items():
                if known.versions is not None and number not in known.versions.setdefault(graph, []):
                    known.versions[graph].append(number)  # (a reader may have seen the record already)
                if known.sizes is not None:
                    counted = (sizes or {}).get(graph)
                    known.sizes[graph] = (
                        0 if triples is None else counted if counted is not None else len(triples.lines())
                    )
                known.contents.pop(graph, None)
                if triples is None:
                    known.bases[graph] = ""
                else:
                    known.bases[graph] = hashlib.sha256(triples.data).hexdigest()
                    if self._held:
                        known.contents[graph] = triples
