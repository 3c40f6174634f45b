"""Answers kept across writes: a list whose every row is about one resource (`# rows: one per ?resource` in its
header) is updated for the resources a write can change, instead of being asked again of the whole graph.

The query's access paths from its row variable (reach.py) are walked back from both ends of every triple the
writes since the answer changed (the store's journal), in the store as it is now (walks.py): those are the
resources whose rows may differ. Their old rows are dropped and the query is asked for them alone (their values
bound by VALUES); the rest are kept: an update costs what the write changed, not what the graph holds. An answer
about given resources (its row variable bound, as labels.rq is) asks again only those of them that may change. An
updated answer carries what pages need to follow it without reading it whole: the texts of the rows it kept
(Answer.texts) and the rows it dropped and added (Answer.change, for AnswerCache.folded); with nothing to ask again
it is the same answer.
tests/test_maintained_lists.py compares updated answers with fresh ones after random writes.

`updated` answers None — ask the whole query — when the journal does not know the writes (too many triples, too
long ago, another process's), when the store cannot be walked (a SPARQL server), when the query's paths are not
bounded or a changed triple matches a pattern it reads whatever the row, when it is ordered by anything but its
variables or has rows about blank nodes, or when more than MAX_RESOURCES resources may change.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import compress
from operator import itemgetter, not_
from typing import Any

import pyoxigraph as ox

from . import queries, walks
from .binding import AnyTerm, SubjectTerm
from .reach import reach_of_query
from .store import Store

MAX_RESOURCES = 2000  # resources asked again; past it the whole list is asked (VALUES of thousands cost as much)
_ORDER = re.compile(r"\bORDER\s+BY\s+(.*?)\s*$", re.IGNORECASE | re.DOTALL)
_GROUPED = re.compile(r"^\s*GROUP\s+BY(\s+\?\w+)+\s*$", re.IGNORECASE)  # groups by variables, unordered
_KEY = re.compile(r"^(?:\?(\w+)|(ASC|DESC)\s*\(\s*\?(\w+)\s*\))$", re.IGNORECASE)


class _StoreState:
    """The store as it is now, for walks: every triple of every graph (what its queries read)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def match(
        self, subject: SubjectTerm | None, predicate: ox.NamedNode | None, obj: AnyTerm | None
    ) -> Iterator[tuple[ox.Triple, bool]]:
        quads = self.store.quads_matching(subject, predicate, obj)
        assert quads is not None  # `updated` walks only a store that can be asked (quads_matching is not None)
        for quad in quads:
            yield quad.triple, True


def updated(
    store: Store, answer: queries.Answer, since: int, values: queries.Values | None = None
) -> queries.Answer | None:
    """`answer` (asked at generation `since` with `values` bound to its parameters) brought up to the store's present
    generation, or None."""
    query = answer.query
    variable, order = query.row_variable, _order_of(query.text)
    if variable is None or order is None or store.quads_matching(None, None, None) is None:
        return None
    changed = store.changed_triples(since)
    if changed is None:
        return None
    reach = reach_of_query(query.text, variable)
    if reach.wide or walks.read_everywhere(reach, changed) is not None:
        return None
    if answer.change is None and not _about_named_nodes(answer.rows, variable):  # an update's rows were checked
        return None
    try:
        nodes = walks.reading(reach, walks.ends_of(changed), _StoreState(store), MAX_RESOURCES)
    except walks.TooWide:
        return None
    again = sorted((n for n in nodes if isinstance(n, ox.NamedNode)), key=lambda n: n.value)
    if len(again) > MAX_RESOURCES:
        return None
    if variable in (values or {}):  # rows about the resources asked for: only those of them that may change asked
        bound = queries.bind(query, values or {})[variable]
        asked_for = set(bound) if isinstance(bound, tuple) else {bound}
        again = [n for n in again if n in asked_for]
        if again and isinstance(bound, tuple):
            values = {**(values or {}), variable: [n.value for n in again]}
    if not again:
        return answer  # the same answer: what was made from it (its texts, sums over it) stands
    fresh = queries.run_for(store, query.name, again, values)
    if fresh.variables != answer.variables or not _about_named_nodes(fresh.rows, variable):
        return None
    dropping = list(map(set(again).__contains__, map(itemgetter(variable), answer.rows)))  # in C, row by row
    rows = list(compress(answer.rows, map(not_, dropping)))  # still in order
    texts = None if answer.kept_texts is None else list(compress(answer.kept_texts, map(not_, dropping)))
    for row in fresh.rows:  # into their places: keys made for the rows probed, not for all
        at = bisect.bisect_right(rows, _sort_key(row, order), key=lambda other: _sort_key(other, order))
        rows.insert(at, row)
        if texts is not None:
            texts.insert(at, queries.text_of(row))
    dropped = list(compress(answer.rows, dropping))
    change = (id(answer), dropped, fresh.rows)
    return queries.Answer(query, answer.variables, rows, kept_texts=texts, change=change)


def _about_named_nodes(rows: list[queries.Row], variable: str) -> bool:
    """Whether every row's `variable` is an IRI (a blank node cannot be asked about again by VALUES)."""
    return all(isinstance(row.get(variable), ox.NamedNode) for row in rows)


def asked(store: Store, name: str, values: queries.Values | None = None) -> queries.Answer:
    """The query's answer asked of the whole store; for one that is kept across writes, its reading of the query
    done now (while the answer is computed anyway), not at the first update after a write."""
    answer = queries.run(store, name, values)
    if answer.query.row_variable:
        reach_of_query(answer.query.text, answer.query.row_variable)
        _order_of(answer.query.text)
    return answer


@lru_cache(maxsize=64)
def _order_of(text: str) -> tuple[tuple[str, bool], ...] | None:
    """The query's ORDER BY as (variable, descending) pairs, after its last closing brace; () for none; None when
    it orders by an expression or has a LIMIT or OFFSET (the rows kept would then depend on the others)."""
    tail = text[text.rfind("}") + 1 :]
    tail = "\n".join(line.split("#", 1)[0] for line in tail.splitlines())
    if re.search(r"\b(LIMIT|OFFSET)\b", tail, re.IGNORECASE):
        return None
    found = _ORDER.search(tail)
    if found is None:
        return () if not tail.strip() or _GROUPED.match(tail) else None
    keys: list[tuple[str, bool]] = []
    for part in re.findall(r"(?:ASC|DESC)\s*\([^)]*\)|\S+", found.group(1), re.IGNORECASE):
        match = _KEY.match(part)
        if match is None:
            return None
        name = match.group(1) or match.group(3)
        keys.append((name, (match.group(2) or "").upper() == "DESC"))
    return tuple(keys)


def _sort_key(row: queries.Row, order: Iterable[tuple[str, bool]]) -> tuple[Any, ...]:
    """SPARQL's order of terms: unbound, blank nodes, IRIs, literals (by their text); DESC reverses one key."""
    key: list[Any] = []
    for variable, descending in order:
        term = row.get(variable)
        if term is None:
            part: tuple[Any, ...] = (0, "")
        elif isinstance(term, ox.BlankNode):
            part = (1, term.value)
        elif isinstance(term, ox.NamedNode):
            part = (2, term.value)
        else:
            part = (3, term.value)
        key.append(_Reversed(part) if descending else part)
    return tuple(key)


class _Reversed:
    __slots__ = ("value",)

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)
