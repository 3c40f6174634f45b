"""The search's vectors: every passage of the indexed texts with its vector (circe_kg.meaning), and the resources
nearest a question.

Vectors the cache knows are in place at once; the others are read by the model in a background thread, a few at a
time, so a large graph is searchable by words at once and by meaning as the passages are read (`pending` says how
many are left; the search page says so). A write's few new texts are read before the write's search index is used.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from . import meaning

SYNC_AT_MOST = 48  # passages read before returning; more are read in the background
BATCH = 16  # passages the background reads at once (a question waits for at most one batch)


@dataclass(frozen=True)
class Near:
    """How close a resource is to a question: the best of its passages."""

    resource: str
    similarity: float
    passage: str
    language: str


class MeaningIndex:
    """The passages' vectors in one matrix, row by row, with whose each row is. A write's passages go into room
    kept at the matrix's end (grown by a quarter when full), and a removed resource's rows are found by
    resource: a small write costs what it changes, not a copy of every vector (hundreds of MB at 10^6 triples)."""

    def __init__(self, cache: meaning.VectorCache) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._resources: list[str] = []  # per row: its resource ("" once removed)
        self._passages: list[tuple[str, str]] = []  # (text, language) per row
        self._keys: list[str] = []
        self._vectors = np.zeros((0, meaning.DIMENSIONS), dtype=np.float32)  # the rows, then room for more
        self._read_rows = np.zeros(0, dtype=bool)  # per row: its vector is in place
        self._owner_rows = np.zeros(0, dtype=np.int64)  # per row: its resource's number, -1 once removed
        self._rows_of: dict[str, list[int]] = {}  # resource -> its rows
        self._todo: dict[str, list[int]] = {}  # key → rows waiting for its vector
        self._texts: dict[str, str] = {}  # key → passage text, for the rows waiting
        self._worker: threading.Thread | None = None
        self._stopped = False
        self._numbers: dict[str, int] = {}  # resource -> its number (a removed one keeps it, with no row)
        self._names: list[str] = []

    @property
    def _matrix(self) -> np.ndarray:
        return self._vectors[: len(self._resources)]

    @property
    def _filled(self) -> np.ndarray:
        return self._read_rows[: len(self._resources)]

    @property
    def pending(self) -> int:
        """Passages not yet read by the model."""
        with self._lock:
            return len(self._todo)

    def add(self, texts: Iterable[tuple[str, str, str]]) -> None:
        """Index (resource, text, language) triples: each text's passages, with the vectors the cache knows; the
        rest read now when few, in the background otherwise."""
        rows: list[tuple[str, str, str, str]] = []
        for resource, text, language in texts:
            for passage in meaning.chunks(text):
                rows.append((resource, passage, language, meaning.key(passage)))
        known = self.cache.get({k for *_, k in rows})
        with self._lock:
            first = len(self._resources)
            self._make_room(len(rows))
            for i, (resource, passage, language, k) in enumerate(rows, start=first):
                self._resources.append(resource)
                self._passages.append((passage, language))
                self._keys.append(k)
                self._rows_of.setdefault(resource, []).append(i)
                number = self._numbers.get(resource)
                if number is None:
                    number = self._numbers[resource] = len(self._names)
                    self._names.append(resource)
                self._owner_rows[i] = number
                if k in known:
                    self._vectors[i] = known[k]
                    self._read_rows[i] = True
                else:
                    self._todo.setdefault(k, []).append(i)
                    self._texts[k] = passage
            waiting = len(self._todo)
        if waiting and waiting <= SYNC_AT_MOST and (self._worker is None or not self._worker.is_alive()):
            self._read(waiting)
        elif waiting:
            self._start()

    def _make_room(self, extra: int) -> None:
        """Under the lock: room for `extra` more rows, with some to spare; when full, the arrays grown by at least
        a quarter (copied: a search holding the old ones reads them unchanged)."""
        needed = len(self._resources) + extra
        if needed <= len(self._vectors):
            return
        capacity = max(needed + needed // 16 + 64, len(self._vectors) + len(self._vectors) // 4)
        for name in ("_vectors", "_read_rows", "_owner_rows"):
            old = getattr(self, name)
            grown = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            grown[: len(self._resources)] = old[: len(self._resources)]
            setattr(self, name, grown)

    def remove(self, resources: Iterable[str]) -> None:
        """Forget the passages of `resources` (their rows stay, empty, until the next build)."""
        with self._lock:
            rows = [row for resource in set(resources) for row in self._rows_of.pop(resource, [])]
            if not rows:
                return
            owners = self._owner_rows.copy()  # a search under way keeps reading the arrays it was given
            owners[rows] = -1
            self._owner_rows = owners
            for row in rows:
                self._resources[row] = ""
            self._read_rows[rows] = False
            self._vectors[rows] = 0

    def stop(self) -> None:
        """Stop the background reading (the index was replaced)."""
        self._stopped = True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every passage is read; True when none is left."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return not self._todo

    def _start(self) -> None:
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._run, name="search-meaning", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        while not self._stopped and self._read(BATCH):
            pass

    def _read(self, count: int) -> int:
        """Read up to `count` waiting passages with the model; how many were read."""
        with self._lock:
            batch = list(self._todo)[:count]
            texts = [self._texts[k] for k in batch]
        if not batch:
            return 0
        vectors = meaning.passages(texts)
        self.cache.put(dict(zip(batch, vectors, strict=True)))
        with self._lock:
            for k, vector in zip(batch, vectors, strict=True):
                for row in self._todo.pop(k, []):
                    if self._resources[row]:
                        self._vectors[row] = vector
                        self._read_rows[row] = True
                self._texts.pop(k, None)
        return len(batch)

    def nearest(self, question: np.ndarray) -> Nearness:
        """How near each resource with a read passage is to `question` (a unit vector): its best passage."""
        with self._lock:
            owners, numbers, names = self._owners()
            scores = self._matrix @ question
            read = self._filled & (owners >= 0)
            best = np.full(len(names), UNREAD, dtype=np.float32)
            np.maximum.at(best, owners[read], scores[read])
            return Nearness(best, scores, numbers, names, owners, self._passages)

    def _owners(self) -> tuple[np.ndarray, dict[str, int], list[str]]:
        """Each row's resource as a number (-1 for a removed one), the numbers by resource, the resources in order."""
        return self._owner_rows[: len(self._resources)], self._numbers, self._names


UNREAD = -2.0  # below any similarity: a resource none of whose passages is read yet


class Nearness:
    """How near each resource is to a question: its best passage's similarity, the passage on request."""

    def __init__(
        self,
        best: np.ndarray,
        scores: np.ndarray,
        numbers: dict[str, int],
        names: list[str],
        owners: np.ndarray,
        passages: list[tuple[str, str]],
    ) -> None:
        self._best, self._scores, self._numbers, self._names = best, scores, numbers, names
        self._owners, self._passages = owners, passages
        # How far a resource stands out from the rest: a question of no known words is about equally near everything.
        measured = best[best > UNREAD]
        self._mean = float(measured.mean()) if len(measured) else 0.0
        self._spread = float(measured.std()) if len(measured) > 1 else 0.0

    def standing_out(self, similarity: float) -> float:
        """How many standard deviations `similarity` is above the mean of all resources' (0 when they all agree)."""
        return (similarity - self._mean) / self._spread if self._spread > 0 else 0.0

    def similarity(self, resource: str) -> float | None:
        """The resource's best passage's similarity, or None when none of its passages is read."""
        number = self._numbers.get(resource)  # shared with the index: one added since has no place in _best
        if number is None or number >= len(self._best) or self._best[number] <= UNREAD:
            return None
        return float(self._best[number])

    def _near(self, number: int) -> Near:
        similarity = float(self._best[number])
        rows = np.flatnonzero((self._owners == number) & (self._scores >= similarity))
        passage, language = self._passages[int(rows[0])]
        return Near(self._names[number], similarity, passage, language)

    def top(self, count: int) -> list[Near]:
        """The `count` nearest resources, nearest first."""
        count = min(count, int((self._best > UNREAD).sum()))
        if count <= 0:
            return []
        nearest = np.argpartition(-self._best, count - 1)[:count]
        return [self._near(int(n)) for n in sorted(nearest, key=lambda n: (-self._best[n], n))]
