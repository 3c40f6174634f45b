"""Walking access paths (reach.py) over a state: backwards from a changed node to the nodes whose answer reads it,
forwards from nodes to every triple their answer reads. Used by the write gate's incremental validation
(incremental.py) and by the lists kept up to date across writes (answer_cache.py).

A state is anything with `match(subject, predicate, object)` → (triple, counts) pairs, None meaning any term; a
triple that does not count (the ontology's, for a validation that adds it whole) is walked through but not
collected.

>>> import pyoxigraph as ox
>>> from circe_kg.reach import Step
>>> store = ox.Store()
>>> n = lambda name: ox.NamedNode("http://example.org/" + name)
>>> store.extend([ox.Quad(n("a"), n("in"), n("x")), ox.Quad(n("x"), n("broader"), n("y"))])
>>> class State:
...     def match(self, s, p, o):
...         return ((q.triple, True) for q in store.quads_for_pattern(s, p, o))
>>> path = (Step(True, "http://example.org/in"), Step(True, "http://example.org/broader", repeat=True))
>>> sorted(node.value for node in backwards(State(), n("y"), path, 100))
['http://example.org/a']
>>> len(forwards(State(), {n("a")}, [path], 100))
2
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import pyoxigraph as ox

from .binding import AnyTerm, SubjectTerm
from .reach import AccessPath, Reach, Step

Trie = dict[Step, "Trie"]


class State(Protocol):
    def match(
        self, subject: SubjectTerm | None, predicate: ox.NamedNode | None, obj: AnyTerm | None
    ) -> Iterable[tuple[ox.Triple, bool]]: ...


class TooWide(Exception):
    """More nodes or triples than the walk was allowed: the caller does the whole thing instead."""


def _step(state: State, nodes: set[AnyTerm], step: Step, backward: bool) -> Iterator[tuple[ox.Triple, bool, AnyTerm]]:
    """One step from each node (against the step's direction when `backward`): (triple, counts, node reached)."""
    predicate = ox.NamedNode(step.predicate) if step.predicate is not None else None
    along = step.forward != backward
    for node in nodes:
        if along:
            if not isinstance(node, ox.Literal):
                for triple, counts in state.match(node, predicate, None):
                    yield triple, counts, triple.object
        else:
            for triple, counts in state.match(None, predicate, node):
                yield triple, counts, triple.subject


def _take(
    state: State, nodes: set[AnyTerm], step: Step, backward: bool, limit: int, found: set[ox.Triple] | None
) -> set[AnyTerm]:
    """The nodes one step (or, for a repeated step, zero or more steps) away; the triples crossed go to `found`."""
    reached: set[AnyTerm] = set(nodes) if step.repeat else set()
    frontier = set(nodes)
    while frontier:
        new: set[AnyTerm] = set()
        for triple, counts, node in _step(state, frontier, step, backward):
            if found is not None and counts:
                found.add(triple)
            if node not in reached:
                reached.add(node)
                new.add(node)
        if len(reached) > limit or (found is not None and len(found) > limit):
            raise TooWide
        frontier = new if step.repeat else set()
    return reached


def backwards(state: State, anchor: AnyTerm, path: AccessPath, limit: int) -> set[AnyTerm]:
    """The nodes from which `path` leads to `anchor`. Raises TooWide past `limit` nodes."""
    nodes = {anchor}
    for step in reversed(path):
        nodes = _take(state, nodes, step, True, limit, None)
        if not nodes:
            break
    return nodes


def forwards(state: State, starts: set[AnyTerm], paths: Iterable[AccessPath], limit: int) -> set[ox.Triple]:
    """Every counted triple read by following `paths` from `starts`. Raises TooWide past `limit` triples."""
    trie: Trie = {}
    for path in paths:
        level = trie
        for step in path:
            level = level.setdefault(step, {})
    found: set[ox.Triple] = set()

    def follow(nodes: set[AnyTerm], level: Trie) -> None:
        for step, deeper in level.items():
            reached = _take(state, nodes, step, False, limit, found)
            if deeper and reached:
                follow(reached, deeper)

    follow(starts, trie)
    return found


def reading(
    reach: Reach, anchors: Iterable[tuple[AnyTerm, str | None, bool | None]], state: State, limit: int
) -> set[AnyTerm]:
    """The nodes whose answer reads a changed triple, given each change as (node, predicate, the node's side):
    side True when the node is the triple's subject, False its object, None when not known (both); predicate None
    when not known. Raises TooWide past `limit` nodes."""
    ends: dict[Step, list[AccessPath]] = {}
    for path in reach.paths:
        last = path[-1]
        # A repeated last step reads its triples all along the chain: walk it back too, from wherever it was.
        ends.setdefault(last, []).append(path if last.repeat else path[:-1])
    walked: dict[tuple[AnyTerm, AccessPath], set[AnyTerm]] = {}
    found: set[AnyTerm] = set()
    for node, predicate, side in anchors:
        for last, prefixes in ends.items():
            if predicate is not None and last.predicate is not None and last.predicate != predicate:
                continue
            if side is not None and side != last.forward:
                continue  # the node is at the other end of the triple than the step reads it from
            for prefix in prefixes:
                key = (node, prefix)
                if key not in walked:
                    walked[key] = backwards(state, node, prefix, limit)
                found |= walked[key]
            if len(found) > limit:
                raise TooWide
    return found


def ends_of(changed: Iterable[ox.Triple]) -> list[tuple[AnyTerm, str | None, bool | None]]:
    """Both ends of each changed triple, as `reading` takes them."""
    triples = list(changed)
    return [(t.subject, t.predicate.value, True) for t in triples] + [
        (t.object, t.predicate.value, False) for t in triples
    ]


def read_everywhere(reach: Reach, changed: Iterable[ox.Triple]) -> ox.Triple | None:
    """A changed triple that matches a pattern read whatever the node (the change reaches every answer), or None."""
    for t in changed:
        subject = t.subject.value if isinstance(t.subject, (ox.NamedNode, ox.BlankNode)) else str(t.subject)
        obj = t.object.value if isinstance(t.object, (ox.NamedNode, ox.BlankNode)) else str(t.object)
        if reach.matches_everywhere(subject, t.predicate.value, obj):
            return t
    return None
