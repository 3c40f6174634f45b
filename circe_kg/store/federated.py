"""Answer any query across several SPARQL endpoints exactly as one store holding all their data would.

Past one machine the data splits naturally: each partner (or each Interreg project) runs its own endpoint.
`FederatedStore` is the read side of the `Store` interface over a list of endpoints, and it owns no query
engine: for each query it asks every endpoint, in parallel and in one request each, for the quads the query's
triple patterns can match (`fragments_of`: a pattern's constants kept, a property path's predicates read
whole), loads them into an in-memory Oxigraph store and lets Oxigraph answer the query there. So joins across
endpoints (a barrier here, a practice of its category there), aggregates, ORDER BY, LIMIT, property paths and
negation are exact — the answer is Oxigraph's over the union of the endpoints' graphs — and the reference data
every endpoint holds (ontology, taxonomies, regions, sectors) counts once, as in one store.

Why not a federated engine that splits the query: Comunica, tried over two local Oxigraph servers, was minutes slow,
failed on `skos:broader*` and, in another version, sent malformed literals (bench/README.md, federation). Oxigraph's own
`SERVICE` joins across endpoints but `SERVICE SILENT` cannot say which endpoint failed, which every partial answer must.

What it costs: each query ships what its patterns match, so a question reading every label ships every label.
`bench/federation.py` measures it; past about 10⁵ triples per endpoint, harvest (harvest.py) instead.

Endpoints hold their data in named graphs under GRAPH (every circe-kg does). An endpoint that does not answer
(down, too slow, failing) is left out: the answer is partial, and `missing_sources()` names what is missing for
the request in hand, for the page to say so; none answering is `StoreUnavailable` (503). A query whose patterns
match more than `max_quads` quads at one endpoint is refused (`ResultTooLarge`), not half-answered. Writes are
refused: each endpoint is written through its own circe-kg.

>>> sorted(fragments_of("SELECT ?r WHERE { ?r a <http://e/P> ; <http://e/in>/<http://e/up>* ?c }"))
[Fragment(subject=None, predicate='<http://e/in>', object=None), \
Fragment(subject=None, predicate='<http://e/up>', object=None), \
Fragment(subject=None, predicate='<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>', object='<http://e/P>')]
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import BinaryIO, NamedTuple, TypeVar

import pyoxigraph as ox
import rdflib
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from .. import queries, reach
from ..binding import AnyTerm, Term, with_rows, with_values
from ..errors import CirceError, ResultTooLarge, StoreUnavailable, WriteRefused
from ..namespaces import PREFIXES
from .base import QueryResult
from .remote import RemoteStore

T = TypeVar("T")
_Term = TypeVar("_Term", bound=AnyTerm)

MAX_QUADS = 2_000_000  # quads one endpoint may ship for one query: federation-fragments.rq asks for one more


class Fragment(NamedTuple):
    """The quads a triple pattern can match: each part an N-Triples term, or None for any."""

    subject: str | None
    predicate: str | None
    object: str | None


EVERYTHING = Fragment(None, None, None)


def fragments_of(sparql: str, bound: Mapping[str, Term | Sequence[Term]] | None = None) -> frozenset[Fragment]:
    """The fragments that hold every quad `sparql` can read: one per triple pattern (in any group, OPTIONAL,
    MINUS, (NOT) EXISTS or sub-query), its constants kept — and the query's parameters (`bound`, as VALUES binds
    them at the top) taken as constants outside sub-queries, one fragment per value; each predicate of a property
    path whole (a path's middle steps can go anywhere); a negated path or a query rdflib cannot read is
    EVERYTHING. Evaluating `sparql` over the union of the fragments gives its answer over the whole data: each
    pattern finds there everything it finds in the data that the answer can use."""
    values = {
        name: tuple(str(t) for t in (terms if isinstance(terms, (list, tuple)) else [terms]))
        for name, terms in (bound or {}).items()
    }
    with reach.SPARQL_PARSER_LOCK:  # rdflib's SPARQL parser is not thread-safe
        algebra = _algebra(sparql)
        if algebra is None:  # rdflib reads less SPARQL than Oxigraph: then ship everything, still exact
            return frozenset([EVERYTHING])
        found: set[Fragment] = set()
        _collect(algebra, found, values, top=True)
    return _simplest(found)


@lru_cache(maxsize=256)
def _algebra(sparql: str) -> CompValue | None:
    try:
        return prepareQuery(sparql, initNs=PREFIXES).algebra
    except Exception:
        return None


def _collect(node: object, found: set[Fragment], values: dict[str, tuple[str, ...]], top: bool = False) -> None:
    if isinstance(node, CompValue):
        if node.name == "Project":  # rdflib projects every query form once at the top: any other is a sub-query's
            if not top:
                values = {}  # a sub-query: its variables are its own
            top = False
        if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            _collect(node.graph, found, values)  # as an attribute: by key, an EXISTS in a BIND is left as parsed
            return
        if node.name == "BGP":
            for subject, predicate, obj in node.triples:
                for fragment in _pattern(subject, predicate, obj):
                    plain = not isinstance(predicate, Path)  # a path's ends are not its steps' ends
                    found.update(_bound(fragment, subject, obj, values) if plain else [fragment])
        for value in node.values():
            _collect(value, found, values, top)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _collect(value, found, values, top)


def _bound(fragment: Fragment, subject: object, obj: object, values: dict[str, tuple[str, ...]]) -> list[Fragment]:
    """A plain pattern's fragment with its bound variables as constants (one fragment per value)."""
    subjects: tuple[str | None, ...] = (fragment.subject,)
    objects: tuple[str | None, ...] = (fragment.object,)
    if fragment.subject is None and isinstance(subject, rdflib.Variable) and str(subject) in values:
        subjects = values[str(subject)]
    if fragment.object is None and isinstance(obj, rdflib.Variable) and str(obj) in values:
        objects = values[str(obj)]
    return [Fragment(s, fragment.predicate, o) for s in subjects for o in objects]


def _term(node: object) -> str | None:
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    if isinstance(node, rdflib.Literal):
        return node.n3()
    return None  # a variable, or a blank node of the query (a variable too)


def _pattern(subject: object, predicate: object, obj: object) -> list[Fragment]:
    if isinstance(predicate, InvPath):
        return _pattern(obj, predicate.arg, subject)
    if isinstance(predicate, AlternativePath):
        return [f for part in predicate.args for f in _pattern(subject, part, obj)]
    if isinstance(predicate, (SequencePath, MulPath)):
        return [f for p in _predicates(predicate) for f in ([EVERYTHING] if p is None else [Fragment(None, p, None)])]
    if isinstance(predicate, (NegatedPath, Path)):
        return [EVERYTHING]
    return [Fragment(_term(subject), _term(predicate), _term(obj))]


def _predicates(path: object) -> list[str | None]:
    """Every predicate a path can step over (None: any, for a negated set)."""
    if isinstance(path, rdflib.URIRef):
        return [f"<{path}>"]
    if isinstance(path, (SequencePath, AlternativePath)):
        return [p for part in path.args for p in _predicates(part)]
    if isinstance(path, (InvPath, MulPath)):
        return _predicates(path.path if isinstance(path, MulPath) else path.arg)
    return [None]


def _simplest(found: set[Fragment]) -> frozenset[Fragment]:
    """Drop the fragments another one holds (a predicate read whole holds its patterns with constants)."""
    if EVERYTHING in found:
        return frozenset([EVERYTHING])
    whole = {f.predicate for f in found if f.subject is None and f.object is None}
    return frozenset(f for f in found if f.predicate not in whole or (f.subject is None and f.object is None))


class FederatedStore:
    """Read-only: the union of several SPARQL endpoints' graphs, each query answered by Oxigraph over what its
    patterns match at every endpoint."""

    def __init__(
        self,
        stores: Sequence[RemoteStore | None],
        endpoints: Sequence[str],
        timeout_s: float = 30,
        max_quads: int = MAX_QUADS,
    ) -> None:
        self.stores = list(stores)
        self.endpoints = list(endpoints)
        self.timeout_s = timeout_s
        self.max_quads = max_quads
        self.generation = 0
        self.local_folder: pathlib.Path | None = None
        self.path: pathlib.Path | None = None
        self._missing = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=max(2, len(endpoints)), thread_name_prefix="circe-kg-federation")

    @classmethod
    def connect(cls, endpoints: Sequence[str], timeout_s: float = 30) -> FederatedStore:
        """Connect to each endpoint; one that cannot be reached now is retried on every query."""
        return cls([_try_connect(url, timeout_s) for url in endpoints], endpoints, timeout_s)

    faithful_literals = True  # as it reads them: never written through here, so never compared with a record
    query_engine = "federation"  # strangers' queries are answered across the endpoints (endpoint.federated)

    def answers_max_age(self, configured: float) -> float:
        return 0.0  # not kept: whether an answer is whole depends on which endpoints answered it

    def missing_sources(self) -> list[str]:
        """The endpoints left out of the answers given to this thread since `forget_missing()`."""
        return sorted(getattr(self._missing, "sources", set()))

    def forget_missing(self) -> None:
        self._missing.sources = set()

    def _store(self, index: int) -> RemoteStore:
        store = self.stores[index]
        if store is None:
            store = self.stores[index] = RemoteStore(self.endpoints[index], timeout_s=self.timeout_s)
        return store

    def _fan_out(self, call: Callable[[int, RemoteStore], T]) -> list[T]:
        """`call(index, store)` on every endpoint in parallel; the answers of those that gave one. A result too
        large is raised (never a partial answer that looks whole); an endpoint that fails is named missing."""

        def attempt(index: int) -> T | _Failed:
            try:
                return call(index, self._store(index))
            except ResultTooLarge:
                raise
            except CirceError:
                return _FAILED

        answers = list(self._pool.map(attempt, range(len(self.endpoints))))
        missing = {self.endpoints[i] for i, answer in enumerate(answers) if isinstance(answer, _Failed)}
        if not hasattr(self._missing, "sources"):
            self._missing.sources = set()
        self._missing.sources |= missing
        given = [answer for answer in answers if not isinstance(answer, _Failed)]
        if not given:
            raise StoreUnavailable(
                "none of the federated SPARQL endpoints answered: " + ", ".join(self.endpoints),
                "start them, or check the list of endpoints",
            )
        return given

    def shipped(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> ox.Store:
        """An in-memory store holding every quad `sparql` (with these parameters) can read at the endpoints that
        answer."""
        return self._ship(fragments_of(sparql, substitutions))

    def _ship(self, fragments: Iterable[Fragment]) -> ox.Store:
        """Each endpoint asked once (queries/app/federation-fragments.rq, the fragments bound as VALUES rows: one
        request, so an endpoint's blank nodes keep their labels across fragments) for the quads of `fragments`."""
        text = with_rows(queries.get("federation-fragments").text, ["s", "p", "o"], [list(f) for f in fragments])
        # The endpoints are asked in parallel; their answers are read here, in the caller's thread (pyoxigraph's
        # solutions may not be dropped by another thread).
        answers = self._fan_out(lambda index, store: (index, store, store.answer_bytes(text)))
        local = ox.Store()
        for index, store, content in answers:
            rows = store.read_answer(text, content)
            assert isinstance(rows, ox.QuerySolutions)
            quads = [_quad(index, row) for row in rows]
            if len(quads) > self.max_quads:
                raise ResultTooLarge(
                    f"the query reads more than {self.max_quads} quads at {self.endpoints[index]}, more than a "
                    "federation ships for one query",
                    "ask something narrower, or harvest the endpoints into one store (circe-kg harvest)",
                )
            local.bulk_extend(quads)
        return local

    # -- the Store interface (reads) ---------------------------------------------------------------
    def query(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> QueryResult:
        """Oxigraph's answer over what `sparql` reads at every endpoint, to be read in this thread (as any
        pyoxigraph answer: its solutions may not be dropped by another thread)."""
        result = self.shipped(sparql, substitutions).query(
            with_values(sparql, substitutions), prefixes=PREFIXES, use_default_graph_as_union=True
        )
        return list(result) if isinstance(result, ox.QueryTriples) else result

    def changed_subjects(self, since: int) -> set[str] | None:
        return None  # read-only here: its sources change on their own, unseen

    def changed_triples(self, since: int) -> None:
        return None  # read-only here: its sources change on their own, unseen

    def quads_matching(self, subject: object, predicate: object, obj: object) -> None:
        return None  # the sources are SPARQL endpoints: see RemoteStore.quads_matching

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._ship([EVERYTHING]).named_graphs())

    def count(self, graph_iri: str | None = None) -> int:
        """The quads one store holding every endpoint's graphs would hold (shared graphs once): exact, so it
        ships what it counts."""
        if graph_iri is not None:
            return sum(1 for _ in self.triples(graph_iri))
        return len(self._ship([EVERYTHING]))

    def triples(self, graph_iri: str) -> Iterator[ox.Triple]:
        shipped = self._ship([EVERYTHING])
        return iter([q.triple for q in shipped.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri))])

    def dump(self, rdf_format: ox.RdfFormat, graph_iri: str | None = None, output: BinaryIO | None = None) -> bytes:
        raise WriteRefused("a federation has no dump of its own", "download each endpoint's dump")

    def replace_graphs(
        self, graphs: Mapping[str, Iterable[ox.Triple] | None], append: Mapping[str, Iterable[ox.Triple]] | None = None
    ) -> None:
        raise WriteRefused("a federation is read-only", "write to each endpoint through its own circe-kg")

    def drop_graphs(self, graph_iris: Iterable[str]) -> None:
        self.replace_graphs({})

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        for store in self.stores:
            if store is not None:
                store.close()

    def __enter__(self) -> FederatedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Failed:
    """What an endpoint that did not answer gave."""


_FAILED = _Failed()


def _quad(index: int, row: ox.QuerySolution) -> ox.Quad:
    """A shipped row as a quad; blank nodes renamed per endpoint, so two endpoints' `_:b0` stay two nodes."""
    return ox.Quad(_own(index, row["s"]), row["p"], _own(index, row["o"]), row["g"])  # a predicate is an IRI


def _own(index: int, term: _Term) -> _Term | ox.BlankNode:
    return ox.BlankNode(f"e{index}x{term.value}") if isinstance(term, ox.BlankNode) else term


def _try_connect(url: str, timeout_s: float) -> RemoteStore | None:
    try:
        return RemoteStore(url, timeout_s=timeout_s)
    except CirceError:
        return None
