"""Answers of named queries kept in memory until the store changes, so the pages that aggregate over the whole
graph (the transfer questions, the faceted lists, the home page) are computed once per version of the data,
not once per visitor. At 10^6 triples some of those answers take seconds (bench/scale.py).

Invalidation: every write through this process bumps the store's generation, which empties the cache. A server
backend can also be written by others, whose writes this process cannot see: there, answers also expire after
`max_age_s` (ANSWER_CACHE_MAX_AGE_S, 60 s by default for a SPARQL server, never for the embedded store, which
no other process can open while the app holds it). A federation is not cached: whether a page is whole or
partial (a source down) must be found out on each visit.

The cached answers are shared between requests: callers copy what they change (browse._rows makes dicts).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from . import queries
from .store import Store

Key = tuple[str, tuple[tuple[str, str | tuple[str, ...]], ...]]


def _key(name: str, values: Mapping[str, str | Sequence[str]] | None) -> Key:
    return name, tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in (values or {}).items()))


class AnswerCache:
    def __init__(self, store: Store, max_rows: int = 2_000_000, max_age_s: float | None = None) -> None:
        self.store, self.max_rows, self.max_age_s = store, max_rows, max_age_s
        self._answers: OrderedDict[Key, tuple[float, queries.Answer]] = OrderedDict()
        self._rows = 0
        self._generation: int | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def run(self, name: str, values: Mapping[str, str | Sequence[str]] | None = None) -> queries.Answer:
        """The answer of queries/{name}.rq with `values` bound: from memory if this version of the data has
        already been asked it, else from the store."""
        key = _key(name, values)
        with self._lock:
            generation = self.store.generation
            if generation != self._generation:
                self._answers.clear()
                self._rows, self._generation = 0, generation
            kept = self._answers.get(key)
            if kept and (self.max_age_s is None or time.monotonic() - kept[0] < self.max_age_s):
                self._answers.move_to_end(key)
                self.hits += 1
                return kept[1]
            self.misses += 1
        answer = queries.run(self.store, name, values)  # outside the lock: other pages need not wait for this one
        if self.max_age_s == 0 or getattr(self.store, "missing_sources", list)():
            return answer  # no cache; or a partial answer (a federated source did not answer), not to be kept
        size = len(answer.rows) + len(answer.triples or [])
        with self._lock:
            if generation == self._generation and size <= self.max_rows // 4:  # one answer never fills it
                previous = self._answers.pop(key, None)
                self._rows += size - (len(previous[1].rows) + len(previous[1].triples or []) if previous else 0)
                self._answers[key] = (time.monotonic(), answer)
                while self._rows > self.max_rows:
                    _, (_, oldest) = self._answers.popitem(last=False)
                    self._rows -= len(oldest.rows) + len(oldest.triples or [])
        return answer
