"""Answers of named queries kept in memory until the store changes, so the pages that aggregate over the whole
graph (the transfer questions, the faceted lists, the home page) are computed once per version of the data,
not once per visitor: on a large store some of those answers take seconds (bench/scale.py measures them).

Invalidation: every write through this process bumps the store's generation, which empties the cache. A server
backend can also be written by others, whose writes this process cannot see: there, answers also expire after
`max_age_s` (ANSWER_CACHE_MAX_AGE_S, 60 s by default for a SPARQL server, never for the embedded store, which
no other process can open while the app holds it). A federation is not cached: whether a page is whole or
partial (a source down) must be found out on each visit.

A list whose rows are each about one resource (`# rows: one per ?resource`) is not asked again after a write but
updated for the resources the write can change (maintained.py), which costs far less than asking it whole.

After a write, the questions that were asked of the previous version are asked again in the background, most
recent first (`warm`), so that the next visitors find them answered instead of waiting for them to be computed.
The warmer starts no answer while a request is being answered (`visitor_arrives`): on two cores it would take
turns on the interpreter with the visitor who came right after a write. A visitor who asks for an answer being
computed (by the warmer or another visitor) waits for it rather than computing it a second time.

Storage, eviction (least recently used first, by rows), expiry and that waiting are cachetools' (TTLCache and
`cached` with a condition); this module adds what is particular to answers: the version of the data they belong to,
the partial answers not kept, and the warmer.

The cached answers, and what pages make of them (web/answers.kept_for_reader), are shared between requests:
callers copy what they change.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar, cast

import cachetools

from . import maintained, queries, settings
from .store import Store

Key = tuple[str, tuple[tuple[str, str | tuple[str, ...]], ...]]
WARMER_PATIENCE_S = 2.0  # how long the warmer waits for visitors to leave before it starts an answer anyway
T = TypeVar("T")
S = TypeVar("S")


def _key(name: str, values: Mapping[str, str | Sequence[str]] | None) -> Key:
    return name, tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in (values or {}).items()))


class _Entry(NamedTuple):
    value: Any
    size: int  # rows, which the cache's cap counts
    generation: int  # the version of the data it was computed from
    whole: bool  # False: a federated source did not answer, so not to be kept


class _Kept(cachetools.TTLCache[Hashable, _Entry]):
    """The answers of one version of the data (`generation`): the least recently used dropped first past
    `maxsize` rows, each dropped after `ttl` seconds. Refuses, silently, an answer of another version, a partial
    one, and one over a quarter of `maxsize` (one answer never fills it)."""

    def __init__(self, max_rows: int, max_age_s: float | None) -> None:
        super().__init__(max_rows, math.inf if max_age_s is None else max_age_s, getsizeof=lambda e: e.size)
        self.generation: int | None = None

    def __setitem__(self, key: Hashable, entry: _Entry) -> None:
        if entry.whole and entry.generation == self.generation and entry.size <= self.maxsize // 4:
            super().__setitem__(key, entry)

    def drain(self) -> list[tuple[Hashable, _Entry]]:
        """Every answer, expired ones too, least recently used first; the cache left empty."""
        drained = list(self.expire())
        while self:
            drained.append(self.popitem())
        return drained


@dataclass(frozen=True, eq=False)
class Fold(Generic[S]):
    """A sum over an answer's rows that can take a row back: `start()` the empty sum, `step(sum, row, sign)` adds
    a row (sign 1) or takes it back (sign -1) in place, `copy(sum)` a copy to step on (the last sum is shared);
    `whole(answer)`, where given, the sum of a whole answer at once (quicker than row by row)."""

    start: Callable[[], S]
    step: Callable[[S, queries.Row, int], None]
    copy: Callable[[S], S]
    whole: Callable[[queries.Answer], S] | None = None


class AnswerCache:
    def __init__(
        self, store: Store, max_rows: int = 2_000_000, max_age_s: float | None = None, warm: bool = False
    ) -> None:
        self.store, self.max_rows, self.max_age_s, self.warm = store, max_rows, max_age_s, warm
        self._kept = _Kept(max_rows, max_age_s)
        self._lock = threading.Lock()  # the cache's, which cachetools takes too: every access holds it
        self._kept_or_computed = cachetools.cached(
            self._kept,
            key=lambda key, compute, rows, generation: key,
            lock=self._lock,
            condition=threading.Condition(self._lock),  # a visitor waits for the answer being computed
            info=True,
        )(self._computed)
        self._previous: dict[Key, tuple[int, queries.Answer]] = {}  # lists to update: key -> (generation, answer)
        self._folds: dict[Hashable, tuple[queries.Answer, Any]] = {}  # sums over answers: see folded()
        self.warmer: threading.Thread | None = None
        self._visitors = 0  # requests being answered now: the warmer waits for none (visitor_arrives)
        self._quiet = threading.Condition()

    @property
    def hits(self) -> int:
        """Answers given from memory (also to a visitor who waited for one being computed)."""
        return self._kept_or_computed.cache_info().hits

    @property
    def misses(self) -> int:
        """Answers computed (not counting those of a cache that keeps nothing, max_age_s=0)."""
        return self._kept_or_computed.cache_info().misses

    def notice_write(self) -> None:
        """Let go of the answers of the previous version now (and warm), rather than at the next visit."""
        with self._lock:
            self._follow_store()

    def _follow_store(self) -> int:
        """Under the lock: the store's generation, the cache emptied (and the warmer started) if it moved on."""
        generation, previous = self.store.generation, self._kept.generation
        if generation != previous:
            answers = [
                (k[1], e.value) for k, e in reversed(self._kept.drain()) if isinstance(k, tuple) and k[0] == "query"
            ]
            self._kept.generation = generation
            if previous is not None:  # lists updated, not asked again, when next asked
                self._previous.update({k: (previous, a) for k, a in answers if a.query.row_variable})
            asked = [key for key, _ in answers]  # most recently used first
            if self.warm and asked:
                self.warmer = threading.Thread(
                    target=self._warm, args=(generation, asked), daemon=True, name="circe-kg-warm-answers"
                )
                self.warmer.start()
        return generation

    @property
    def visitors(self) -> int:
        """Requests being answered now (visitor_arrives, not yet visitor_leaves)."""
        return self._visitors

    def visitor_arrives(self) -> None:
        """A request is being answered: the warmer starts no answer until it has left (`visitor_leaves`), so
        that on two cores a page right after a write computes what it needs without the warmer taking turns on
        the interpreter with it (what the warmer would have computed the page computes, or waits for)."""
        with self._quiet:
            self._visitors += 1

    def visitor_leaves(self) -> None:
        with self._quiet:
            self._visitors -= 1
            if self._visitors <= 0:
                self._quiet.notify_all()

    def _warm(self, generation: int, asked: list[Key]) -> None:
        for name, values in asked:
            with self._quiet:  # between answers, never in one; a visitor who stays long lets it go on after a while
                self._quiet.wait_for(lambda: self._visitors <= 0, timeout=WARMER_PATIENCE_S)
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

    def folded(self, name: str, values: Mapping[str, str | Sequence[str]] | None, fold: Fold[S]) -> S:
        """`fold`'s sum over the rows of queries/{name}.rq's answer (`run`): made from every row once, then, for
        an answer updated across writes (maintained.py), from the last sum and the rows the update dropped and
        added — so a count over a list of 10^5 rows costs what a write changed, not what the graph holds.
        The sum is shared: callers do not change it.

        >>> from circe_kg.store import EmbeddedStore
        >>> count = Fold(lambda: [0], lambda total, row, sign: total.__setitem__(0, total[0] + sign), list)
        >>> cache = AnswerCache(EmbeddedStore(None))
        >>> cache.folded("partners", None, count)
        [0]
        """
        answer = self.run(name, values)
        key = (_key(name, values), fold)
        with self._lock:
            last = self._folds.get(key)
        if last is not None and last[0] is answer:
            return cast("S", last[1])
        if last is not None and answer.change is not None and answer.change[0] == id(last[0]):
            # id() of an answer this cache still holds (in _folds), so not reused by another
            total = fold.copy(last[1])
            for rows, sign in ((answer.change[1], -1), (answer.change[2], 1)):
                for row in rows:
                    fold.step(total, row, sign)
        elif fold.whole is not None:
            total = fold.whole(answer)
        else:
            total = fold.start()
            for row in answer.rows:
                fold.step(total, row, 1)
        with self._lock:
            self._folds[key] = (answer, total)
        return total

    def derived(self, key: Hashable, compute: Callable[[], T], rows: Callable[[T], int]) -> T:
        """`compute()`, kept under `key` for this version of the data like an answer (a page's facet counts
        over a list of 10^5 items, say); `rows(value)` is its size, which the cache's cap counts."""
        if self.max_age_s == 0:
            return compute()  # nothing kept: every visitor asks
        with self._lock:
            generation = self._follow_store()
        return self._kept_or_computed(key, compute, rows, generation).value

    def _computed(
        self, key: Hashable, compute: Callable[[], Any], rows: Callable[[Any], int], generation: int
    ) -> _Entry:
        value = compute()  # outside the lock: other pages need not wait for this one
        whole = not self.store.missing_sources()
        return _Entry(value, rows(value) if whole else 0, generation, whole)
