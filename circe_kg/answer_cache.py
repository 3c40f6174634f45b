"""Answers of named queries kept in memory until the store changes, so the pages that aggregate over the whole
graph (the transfer questions, the faceted lists, the home page) are computed once per version of the data,
not once per visitor. At 10^6 triples some of those answers take seconds (bench/scale.py).

Invalidation: every write through this process bumps the store's generation, which empties the cache. A server
backend can also be written by others, whose writes this process cannot see: there, answers also expire after
`max_age_s` (ANSWER_CACHE_MAX_AGE_S, 60 s by default for a SPARQL server, never for the embedded store, which
no other process can open while the app holds it). A federation is not cached: whether a page is whole or
partial (a source down) must be found out on each visit.

A list whose rows are each about one resource (`# rows: one per ?resource`) is not asked again after a write but
updated for the resources the write can change (maintained.py): milliseconds instead of seconds at 10^6 triples.

After a write, the questions that were asked of the previous version are asked again in the background, most
recent first (`warm`), so that the next visitors find them answered: at 10^6 triples a transfer question takes
1-5 s to compute and 10-200 ms from memory. A visitor who asks for an answer being computed (by the warmer or
another visitor) waits for it rather than computing it a second time on the same two cores.

The cached answers, and what pages make of them (web/answers.kept_for_reader), are shared between requests:
callers copy what they change.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from . import maintained, queries, settings
from .store import Store

Key = tuple[str, tuple[tuple[str, str | tuple[str, ...]], ...]]
T = TypeVar("T")


def _key(name: str, values: Mapping[str, str | Sequence[str]] | None) -> Key:
    return name, tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in (values or {}).items()))


class AnswerCache:
    def __init__(
        self, store: Store, max_rows: int = 2_000_000, max_age_s: float | None = None, warm: bool = False
    ) -> None:
        self.store, self.max_rows, self.max_age_s, self.warm = store, max_rows, max_age_s, warm
        self._kept: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()  # key -> (when, rows, value)
        self._rows = 0
        self._generation: int | None = None
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Event] = {}
        self._previous: dict[Key, tuple[int, queries.Answer]] = {}  # lists to update: key -> (generation, answer)
        self.warmer: threading.Thread | None = None
        self.hits = self.misses = 0

    def notice_write(self) -> None:
        """Let go of the answers of the previous version now (and warm), rather than at the next visit."""
        with self._lock:
            self._follow_store()

    def _follow_store(self) -> int:
        """Under the lock: the store's generation, the cache emptied (and the warmer started) if it moved on."""
        generation = self.store.generation
        if generation != self._generation:
            asked = [key[1] for key in reversed(self._kept) if isinstance(key, tuple) and key[0] == "query"]
            for key, (_, _, value) in self._kept.items():
                if isinstance(value, queries.Answer) and value.query.row_variable and self._generation is not None:
                    self._previous[key[1]] = (self._generation, value)  # updated, not asked again, when next asked
            self._kept.clear()
            self._rows, self._generation = 0, generation
            if self.warm and asked:
                self.warmer = threading.Thread(
                    target=self._warm, args=(generation, asked), daemon=True, name="circe-kg-warm-answers"
                )
                self.warmer.start()
        return generation

    def _warm(self, generation: int, asked: list[Key]) -> None:
        for name, values in asked:
            if self.store.generation != generation:
                return  # another write: its own warmer takes over
            try:
                self.run(name, dict(values))
            except Exception:  # noqa: BLE001 - a question that fails now fails for its visitor, who is told why
                continue

    def run(self, name: str, values: Mapping[str, str | Sequence[str]] | None = None) -> queries.Answer:
        """The answer of queries/{name}.rq with `values` bound: from memory if this version of the data has
        already been asked it, else from the store."""
        key = _key(name, values)
        return self.derived(
            ("query", key),
            lambda: self._updated(key) or maintained.asked(self.store, name, values),
            lambda answer: len(answer.rows) + len(answer.triples or []),
        )

    def _updated(self, key: Key) -> queries.Answer | None:
        """The answer of an earlier version of the data brought up to date (maintained.py), or None."""
        with self._lock:
            previous = self._previous.pop(key, None)
        if not settings.value("KEPT_ANSWERS"):
            return None
        return maintained.updated(self.store, previous[1], previous[0], dict(key[1])) if previous else None

    def derived(self, key: Hashable, compute: Callable[[], T], rows: Callable[[T], int]) -> T:
        """`compute()`, kept under `key` for this version of the data like an answer (a page's facet counts
        over a list of 10^5 items, say); `rows(value)` is its size, which the cache's cap counts."""
        while True:
            with self._lock:
                generation = self._follow_store()
                kept = self._kept.get(key)
                if kept and (self.max_age_s is None or time.monotonic() - kept[0] < self.max_age_s):
                    self._kept.move_to_end(key)
                    self.hits += 1
                    return kept[2]  # type: ignore[no-any-return]
                computing = self._computing.get(key)
                if computing is None or self.max_age_s == 0:
                    self.misses += 1
                    done = self._computing[key] = threading.Event()
                    break
            computing.wait()  # someone else is computing it: take theirs (or, if it was not kept, compute it)
        try:
            value = compute()  # outside the lock: other pages need not wait for this one
            if self.max_age_s == 0 or self.store.missing_sources():
                return value  # no cache; or a partial answer (a federated source did not answer), not to be kept
            size = rows(value)
            with self._lock:
                if generation == self._generation and size <= self.max_rows // 4:  # one value never fills it
                    previous = self._kept.pop(key, None)
                    self._rows += size - (previous[1] if previous else 0)
                    self._kept[key] = (time.monotonic(), size, value)
                    while self._rows > self.max_rows:
                        _, (_, oldest, _) = self._kept.popitem(last=False)
                        self._rows -= oldest
            return value
        finally:
            with self._lock:
                if self._computing.get(key) is done:
                    del self._computing[key]
            done.set()
