"""What a change did, for people: per resource, per field, the values added, removed or changed — with names,
not IRIs — bounded so that the diff of a 10^5-triple load stays a short page.

The two states are compared as canonical N-Triples lines (ntriples.py), so only the differing triples are parsed;
the caller gives the names (`names`: IRIs → labels, one call for everything shown).

>>> a = NTriples(b'<http://x/p1> <http://www.w3.org/2004/02/skos/core#prefLabel> "Old"@en .\\n')
>>> b = NTriples(b'<http://x/p1> <http://www.w3.org/2004/02/skos/core#prefLabel> "New"@en .\\n')
>>> d = diff(a, b, lambda iris: {"http://x/p1": "Practice 1"})
>>> [(r.label, r.status, [(f.kind, f.before, f.after) for f in r.fields]) for r in d.resources]
[('Practice 1', 'updated', [('changed', ['Old (en)'], ['New (en)'])])]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .binding import AnyTerm, value_of
from .namespaces import RDF, compact
from .ntriples import NTriples

Names = Callable[[list[str]], dict[str, str]]
SHOWN_RESOURCES = 40  # resources described field by field; the rest are counted
SHOWN_VALUES = 12  # values per field and side


@dataclass
class FieldChange:
    """One field of one resource: `kind` is added, removed or changed (values on both sides)."""

    predicate: str
    name: str
    kind: str
    before: list[str]
    after: list[str]


@dataclass
class ResourceChange:
    """A resource the change touched: created (no triple before), deleted (none after) or updated."""

    iri: str
    label: str
    status: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Diff:
    """The resources changed (the first SHOWN_RESOURCES described; `more` counted only) and the triple counts."""

    added: int
    removed: int
    resources: list[ResourceChange]
    more: int = 0

    @property
    def changed_count(self) -> int:
        return len(self.resources) + self.more


def _parse(lines: Iterable[bytes]) -> list[ox.Triple]:
    text = b"\n".join(lines) + b"\n"
    return [q.triple for q in ox.parse(input=text, format=ox.RdfFormat.N_TRIPLES)]


def _by_subject(triples: list[ox.Triple]) -> dict[str, dict[str, list[AnyTerm]]]:
    grouped: dict[str, dict[str, list[AnyTerm]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        key = t.subject.value if isinstance(t.subject, ox.NamedNode) else f"_:{value_of(t.subject)}"
        grouped[key][t.predicate.value].append(t.object)
    return grouped


def _drop_renamed_blank_nodes(
    gone: dict[str, dict[str, list[AnyTerm]]], came: dict[str, dict[str, list[AnyTerm]]]
) -> None:
    """Forget blank nodes that went and came back with the same content under a new name (every write may
    rename them): a person sees no change there."""

    def signature(fields: dict[str, list[AnyTerm]]) -> tuple:
        return tuple(
            sorted((p, "_" if isinstance(o, ox.BlankNode) else str(o)) for p, os in fields.items() for o in os)
        )

    waiting: dict[tuple, list[str]] = {}
    for subject, fields in gone.items():
        if subject.startswith("_:"):
            waiting.setdefault(signature(fields), []).append(subject)
    for subject in [s for s in came if s.startswith("_:")]:
        twins = waiting.get(signature(came[subject]))
        if twins:
            del gone[twins.pop()], came[subject]


def _shown(term: AnyTerm, names: dict[str, str]) -> str:
    if isinstance(term, ox.Literal):
        return f"{term.value} ({term.language})" if term.language else term.value
    if isinstance(term, ox.NamedNode):
        return names.get(term.value) or compact(term.value)
    return "(a blank node)"


def diff(before: NTriples, after: NTriples, names: Names, limit: int = SHOWN_RESOURCES) -> Diff:
    """The per-resource, per-field difference between two states of a graph.

    Resources are ordered by name; at most `limit` are described (with at most SHOWN_VALUES values per side of a
    field), the others only counted in `more`. A resource whose every triple is new is "created", one whose every
    triple went is "deleted" (decided from the whole states, not only the differing lines)."""
    old, new = before.lines(), after.lines()
    removed, added = old - new, new - old
    gone, came = _by_subject(_parse(sorted(removed))), _by_subject(_parse(sorted(added)))
    _drop_renamed_blank_nodes(gone, came)
    subjects = sorted(set(gone) | set(came))
    kept_subjects = {line.split(b" ", 1)[0] for line in old & new}
    wanted = subjects[: max(limit * 4, limit)]  # named before ordering by name; the rest are only counted
    objects = {
        o.value
        for s in wanted
        for side in (gone, came)
        for os in side.get(s, {}).values()
        for o in os
        if isinstance(o, ox.NamedNode)
    }
    predicates = {p for s in wanted for side in (gone, came) for p in side.get(s, {})}
    names_of = names(sorted(iri for iri in set(wanted) | predicates | objects if "://" in iri))
    ordered = sorted(wanted, key=lambda s: (names_of.get(s) or compact(s)).casefold())[:limit]
    resources = []
    for s in ordered:
        was, now = gone.get(s, {}), came.get(s, {})
        in_both = (f"<{s}>" if "://" in s else s).encode() in kept_subjects
        status = "updated" if in_both else ("created" if not was else "deleted" if not now else "updated")
        fields = []
        for p in sorted(set(was) | set(now), key=lambda p: (p != str(RDF.type), names_of.get(p) or compact(p))):
            b = sorted(_shown(o, names_of) for o in was.get(p, []))[:SHOWN_VALUES]
            a = sorted(_shown(o, names_of) for o in now.get(p, []))[:SHOWN_VALUES]
            if a == b:  # e.g. only a blank node's name changed: nothing a person would call a change
                continue
            kind = "changed" if a and b else ("added" if a else "removed")
            fields.append(FieldChange(p, names_of.get(p) or compact(p), kind, b, a))
        if fields:
            resources.append(ResourceChange(s, names_of.get(s) or compact(s), status, fields))
    return Diff(len(added), len(removed), resources, more=len(subjects) - len(resources))
