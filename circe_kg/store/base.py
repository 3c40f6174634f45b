"""The one interface every store has (`Store`), what a query answers (`QueryResult`), the SPARQL Update text of a
write (`replace_graphs_update`) and the journal of changes every store keeps (`ChangeJournal`), so the loader,
queries, CLI and web app never care which store is behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, Self, TypeVar

import pyoxigraph as ox

from ..binding import AnyTerm, SubjectTerm, Term
from ..ntriples import NTriples, as_ntriples

T = TypeVar("T")

# A CONSTRUCT or DESCRIBE answer comes as a list of triples, the one form every backend can give.
QueryResult = ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]


class Store(Protocol):
    generation: int  # bumped by every write, so copies and caches know when they are stale
    local_folder: Path | None  # where history, dumps and indexes are kept beside the store (None: nowhere)
    path: Path | None  # the embedded store's own folder (None: in memory, or not embedded)
    # Whether the store gives back literals as written: Virtuoso turns "18000.00"^^xsd:decimal into an integer, so
    # the write gate validates against its own record of what it wrote instead.
    faithful_literals: bool
    # Who answers a stranger's SPARQL query (endpoint.for_store): "process" (this process, in killable workers),
    # "server" (forwarded to the SPARQL server) or "federation" (across the federated endpoints).
    query_engine: str

    def answers_max_age(self, configured: float) -> float | None:
        """How long an answer may be kept, in seconds: None while the store's generation is unchanged (only this
        process writes it), `configured` when others may write it, 0 when answers are not to be kept."""

    def missing_sources(self) -> list[str]:
        """The sources that did not answer the queries this thread asked since `forget_missing()` (a federation's
        endpoints); empty for a store that answers whole or not at all."""

    def forget_missing(self) -> None: ...

    def changed_subjects(self, since: int) -> set[str] | None:
        """The IRI subjects whose triples changed after generation `since`; None when not known (rebuild)."""

    def changed_triples(self, since: int) -> set[ox.Triple] | None:
        """The triples added or removed after generation `since`; None when not known (recompute)."""

    def named_graphs(self) -> list[str]: ...
    def count(self, graph_iri: str | None = None) -> int: ...
    def triples(self, graph_iri: str) -> Iterator[ox.Triple]: ...
    def replace_graphs(
        self, graphs: Mapping[str, Iterable[ox.Triple] | None], append: Mapping[str, Iterable[ox.Triple]] | None = None
    ) -> None: ...
    def drop_graphs(self, graph_iris: Iterable[str]) -> None: ...
    def query(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> QueryResult: ...
    def dump(self, rdf_format: ox.RdfFormat, graph_iri: str | None = None, output: BinaryIO | None = None) -> bytes:
        """The store (or one graph) in `rdf_format`: returned, or written to `output` (then b"" is returned)."""

    def quads_matching(
        self, subject: SubjectTerm | None, predicate: ox.NamedNode | None, obj: AnyTerm | None
    ) -> Iterator[ox.Quad] | None:
        """The quads of every named graph with these terms (None: any), blank nodes included; None when the store
        cannot be asked about one blank node (a SPARQL server: a query's blank node is a new one)."""

    def close(self) -> None: ...

    def __enter__(self) -> Self:
        """The store itself, closed by `__exit__`: `with open_store() as store: ...`."""

    def __exit__(self, *exc: object) -> None: ...


def replace_graphs_update(
    graphs: Mapping[str, Iterable[ox.Triple] | None], append: Mapping[str, Iterable[ox.Triple]] | None = None
) -> str:
    """One SPARQL Update that swaps in each graph's new content (None drops the graph) and adds `append`'s
    triples to theirs. Terms are written by Oxigraph's own N-Triples serialisation (escaped by the
    library), never by string formatting of user values."""
    parts: list[str] = []

    def insert(graph: ox.NamedNode, triples: Iterable[ox.Triple]) -> None:
        body = NTriples.of(triples)
        if not body:
            return
        # Blank nodes: some servers (Virtuoso) refuse them in INSERT DATA; an INSERT template with an empty
        # WHERE means the same (one fresh node per label) everywhere.
        if body.has_blank_nodes():
            parts.append(f"INSERT {{ GRAPH {graph} {{\n" + body.data.decode("utf-8") + "} } WHERE {}")
        else:
            parts.append(f"INSERT DATA {{ GRAPH {graph} {{\n" + body.data.decode("utf-8") + "} }")

    for graph_iri, triples in graphs.items():
        graph = ox.NamedNode(graph_iri)
        parts.append(f"DROP SILENT GRAPH {graph}")
        if triples is not None:
            parts.append(f"CREATE SILENT GRAPH {graph}")  # an empty file stays visible as an empty graph
            insert(graph, triples)
    for graph_iri, triples in (append or {}).items():
        insert(ox.NamedNode(graph_iri), triples)
    return " ;\n".join(parts)


class ChangeJournal:
    """Which subjects each write changed, so that an index can catch up with a write instead of being rebuilt
    (search.py: a rebuild reads every text of the store), and which triples, so that a list can be updated for what they
    change (answer_cache.py). A write touching more than MAX_TRIPLES triples (MAX_KEPT_TRIPLES for the triples),
    and one older than the journal remembers, is "not known" (None)."""

    MAX_TRIPLES = 200_000
    MAX_KEPT_TRIPLES = 20_000
    KEEP = 64  # writes

    def __init__(self) -> None:
        self._subjects: dict[int, frozenset[str] | None] = {}
        self._triples: dict[int, frozenset[ox.Triple] | None] = {}

    def record(self, generation: int, change: Change | None) -> None:
        self._subjects[generation] = frozenset(change.subjects) if change is not None else None
        kept = change is not None and len(change.triples) <= self.MAX_KEPT_TRIPLES
        self._triples[generation] = frozenset(change.triples) if change is not None and kept else None
        for old in [g for g in self._subjects if g <= generation - self.KEEP]:
            del self._subjects[old]
            self._triples.pop(old, None)

    def since(self, since: int, now: int) -> set[str] | None:
        return self._union(self._subjects, since, now)

    def triples_since(self, since: int, now: int) -> set[ox.Triple] | None:
        return self._union(self._triples, since, now)

    @staticmethod
    def _union(kept: Mapping[int, frozenset[T] | None], since: int, now: int) -> set[T] | None:
        """What the writes after `since` up to `now` changed; None if one of them is not known."""
        changed: set[T] = set()
        for generation in range(since + 1, now + 1):
            found = kept.get(generation)
            if found is None:
                return None
            changed |= found
        return changed

    @classmethod
    def of_change(cls, before: Iterable[ox.Triple], after: Iterable[ox.Triple]) -> Change | None:
        """The triples in one of `before` and `after` but not both, and their IRI subjects (None: too many)."""
        if isinstance(after, Sized) and len(after) > cls.MAX_TRIPLES:
            return None  # known at once: not a set of too many triples built to be thrown away
        old: set[ox.Triple] = set()
        for triple in before:
            old.add(triple)
            if len(old) > cls.MAX_TRIPLES:
                return None
        new = set(after)
        if len(new) > cls.MAX_TRIPLES:
            return None
        changed = old ^ new
        return Change({t.subject.value for t in changed if isinstance(t.subject, ox.NamedNode)}, changed)


class Change(NamedTuple):
    subjects: set[str]  # the IRI subjects of the changed triples
    triples: set[ox.Triple]  # added or removed (blank nodes as each side labels them)


Write = tuple[dict[str, NTriples | None], dict[str, NTriples]]  # graphs to replace, to append to


def listed_write(
    graphs: Mapping[str, Iterable[ox.Triple] | None], append: Mapping[str, Iterable[ox.Triple]] | None
) -> Write:
    """A write's triples as N-Triples: read twice, once for the journal and once for the update."""
    return (
        {iri: as_ntriples(triples) for iri, triples in graphs.items()},
        {iri: NTriples.of(triples) for iri, triples in (append or {}).items()},
    )


def change_of_write(content: Callable[[str], Iterable[ox.Triple] | None], write: Write) -> Change | None:
    """What a write is about to change: the triples that differ between each replaced graph's content
    (`content(iri)`) and its new one, and those it appends, with their subjects (None: too many to list)."""
    graphs, append = write
    changes: list[tuple[Iterable[ox.Triple], Iterable[ox.Triple]]] = [
        (content(iri) or (), triples or ()) for iri, triples in graphs.items()
    ]
    changes += [((), triples) for triples in append.values()]
    touched = Change(set(), set())
    for before, after in changes:
        change = ChangeJournal.of_change(before, after)
        if change is None:
            return None
        touched.subjects.update(change.subjects)
        touched.triples.update(change.triples)
    return touched


# How the store writes a triple dump, not a question for people (queries/ holds those): every triple once.


class OneWriteAtATime:
    """`replace_graphs` and `drop_graphs` as one `_write` each, for the stores that write (embedded and remote)."""

    def replace_graphs(
        self, graphs: Mapping[str, Iterable[ox.Triple] | None], append: Mapping[str, Iterable[ox.Triple]] | None = None
    ) -> None:
        self._write(listed_write(graphs, append))

    def drop_graphs(self, graph_iris: Iterable[str]) -> None:
        self._write(({iri: None for iri in graph_iris}, {}))  # None: drop the graph

    def _write(self, write: Write) -> None:
        raise NotImplementedError
