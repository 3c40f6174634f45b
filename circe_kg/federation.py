"""Answer the named questions across several SPARQL endpoints at once: fan out, then merge.

Past one machine the data splits naturally: each partner (or each Interreg project) runs its own endpoint.
`FederatedStore` is the read side of the `Store` interface over a list of endpoints. A query goes to every
endpoint in parallel (each with its parameters bound by VALUES, as for one server) and the answers are
merged the way the query asks:
- rows without aggregates: the union, each row as often as the endpoint that gives it most often;
- aggregates per group (the other columns): COUNT and SUM add up, MIN and MAX compare, GROUP_CONCAT joins
  the distinct parts, SAMPLE takes one;
- then the query's own ORDER BY and LIMIT.
The merge is exact when each answer row comes from one endpoint — every resource lives on one endpoint and
the shared reference data (ontology, taxonomies, regions, sectors) on all of them, the layout of a
federation of projects. It is incomplete, never wrong, for a question that joins records held on two
endpoints (a barrier here, a practice of the same category there: `solved-for-barrier`,
`same-category-practices`), which needs SPARQL 1.1 SERVICE between the servers; and a count of the shared
reference data itself would be added up once per endpoint.

An endpoint that does not answer (down, too slow, failing) is left out: the answer is partial, and
`missing_sources()` names what is missing for the request in hand, for the page to say so. Writes are
refused: each endpoint is written through its own circe-kg.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, BinaryIO

import pyoxigraph as ox

from .binding import Term
from .errors import CirceError, NotImplementedHere, StoreUnavailable, WriteRefused
from .remote_store import RemoteStore
from .store import QueryResult

_AGGREGATE = re.compile(
    r"\(\s*(COUNT|SUM|MIN|MAX|GROUP_CONCAT|SAMPLE|AVG)\s*\((.*?)\)\s+AS\s+\?(\w+)\s*\)", re.IGNORECASE | re.DOTALL
)
_SEPARATOR = re.compile(r"separator\s*=\s*\"((?:[^\"\\]|\\.)*)\"", re.IGNORECASE)
_ORDER_BY = re.compile(r"ORDER\s+BY\s+(.*?)(?:LIMIT|OFFSET|$)", re.IGNORECASE | re.DOTALL)
_ORDER_KEY = re.compile(r"(DESC|ASC)?\s*\(?\s*\?(\w+)\s*\)?", re.IGNORECASE)
_LIMIT = re.compile(r"LIMIT\s+(\d+)\s*$", re.IGNORECASE)
_NUMERIC = ("integer", "decimal", "double", "float", "Integer", "long", "int", "short", "byte")


class Solution(dict):
    """One merged row: a variable's term by name, None when unbound (as a pyoxigraph solution)."""

    def __missing__(self, key: str) -> None:
        return None


class MergedSolutions:
    """Rows shaped like pyoxigraph's QuerySolutions: `.variables`, and iteration over solutions."""

    def __init__(self, variables: list[ox.Variable], rows: list[Solution]) -> None:
        self.variables = variables
        self.rows = rows

    def __iter__(self) -> Iterator[Solution]:
        return iter(self.rows)


class FederatedStore:
    """Read-only: the union of several SPARQL endpoints, answered by fan-out and merge."""

    def __init__(self, stores: Sequence[RemoteStore | None], endpoints: Sequence[str], timeout_s: float = 30) -> None:
        self.stores = list(stores)
        self.endpoints = list(endpoints)
        self.timeout_s = timeout_s
        self.generation = 0
        self.local_folder = None
        self.path = None
        self._missing = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=max(2, len(endpoints)), thread_name_prefix="circe-kg-federation")

    @classmethod
    def connect(cls, endpoints: Sequence[str], timeout_s: float = 30) -> FederatedStore:
        """Connect to each endpoint; one that cannot be reached now is retried on every query."""
        return cls([_try_connect(url, timeout_s) for url in endpoints], endpoints, timeout_s)

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

    def _fan_out(self, call: Any) -> list[Any]:
        """`call(store)` on every endpoint in parallel; the answers of those that gave one."""

        def attempt(index: int) -> Any:
            try:
                return call(self._store(index))
            except CirceError:
                return _FAILED

        answers = list(self._pool.map(attempt, range(len(self.endpoints))))
        missing = {self.endpoints[i] for i, answer in enumerate(answers) if answer is _FAILED}
        if not hasattr(self._missing, "sources"):
            self._missing.sources = set()
        self._missing.sources |= missing
        given = [answer for answer in answers if answer is not _FAILED]
        if not given:
            raise StoreUnavailable(
                "none of the federated SPARQL endpoints answered: " + ", ".join(self.endpoints),
                "start them, or check the list of endpoints",
            )
        return given

    # -- the Store interface (reads) ---------------------------------------------------------------
    def query(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> QueryResult:
        answers = self._fan_out(lambda store: _materialised(store.query(sparql, substitutions)))
        first = answers[0]
        if isinstance(first, bool):
            return ox.parse_query_results(
                '{"head":{},"boolean":%s}' % ("true" if any(answers) else "false"), ox.QueryResultsFormat.JSON
            )
        if isinstance(first, list):
            return list(dict.fromkeys(triple for answer in answers for triple in answer))
        variables, _ = first
        return MergedSolutions(variables, merge_rows(sparql, [rows for _, rows in answers]))

    def changed_subjects(self, since: int) -> set[str] | None:
        return None  # read-only here: its sources change on their own, unseen

    def changed_triples(self, since: int) -> None:
        return None  # read-only here: its sources change on their own, unseen

    def quads_matching(self, subject: object, predicate: object, obj: object) -> None:
        return None  # the sources are SPARQL endpoints: see RemoteStore.quads_matching

    def named_graphs(self) -> list[str]:
        return sorted({g for graphs in self._fan_out(lambda store: store.named_graphs()) for g in graphs})

    def count(self, graph_iri: str | None = None) -> int:
        return sum(self._fan_out(lambda store: store.count(graph_iri)))

    def triples(self, graph_iri: str) -> Iterator[ox.Triple]:
        return iter(
            dict.fromkeys(t for answer in self._fan_out(lambda store: list(store.triples(graph_iri))) for t in answer)
        )

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


_FAILED = object()


class FederationEndpoint:
    """The public /sparql of a federation: it answers no query of its own, and says where to ask instead."""

    def __init__(self, endpoints: Sequence[str]) -> None:
        self.endpoints = list(endpoints)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedHere(
            "this circe-kg answers the named questions across a federation; it has no SPARQL endpoint of its own",
            "query the endpoints: " + ", ".join(self.endpoints) + " (or use SERVICE clauses in a query to one of them)",
        )

    def close(self) -> None:
        pass


def _try_connect(url: str, timeout_s: float) -> RemoteStore | None:
    try:
        return RemoteStore(url, timeout_s=timeout_s)
    except CirceError:
        return None


def _materialised(result: QueryResult) -> Any:
    """Read a result whole in the worker thread: a boolean, triples, or (variables, rows)."""
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, list):
        return result
    variables = list(result.variables)
    return variables, [Solution({v.value: s[v] for v in variables if s[v] is not None}) for s in result]


# -- merging ---------------------------------------------------------------------------------------------
def merge_rows(sparql: str, answers: list[list[Solution]]) -> list[Solution]:
    aggregates = {name: (function.upper(), _separator(inner)) for function, inner, name in _AGGREGATE.findall(sparql)}
    if aggregates:
        rows = _combine_groups([row for answer in answers for row in answer], aggregates)
    else:
        rows = _bag_union(answers)
    rows = _ordered(rows, sparql)
    limit = _LIMIT.search(sparql.strip())
    return rows[: int(limit.group(1))] if limit else rows


def _bag_union(answers: list[list[Solution]]) -> list[Solution]:
    """Each row as often as the endpoint that gives it most often: a row from replicated reference data
    comes once (not once per endpoint), and a query without DISTINCT keeps its repeated rows."""
    most: dict[tuple, int] = {}
    first: dict[tuple, Solution] = {}
    for answer in answers:
        counts: dict[tuple, int] = {}
        for row in answer:
            key = _key(row)
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, row)
        for key, count in counts.items():
            most[key] = max(most.get(key, 0), count)
    return [first[key] for key, count in most.items() for _ in range(count)]


def _separator(inner: str) -> str:
    found = _SEPARATOR.search(inner)
    return found.group(1).encode().decode("unicode_escape") if found else " "


def _key(row: Mapping[str, Any], leave_out: Iterable[str] = ()) -> tuple:
    skip = set(leave_out)
    return tuple(sorted((name, str(term)) for name, term in row.items() if name not in skip))


def _combine_groups(rows: list[Solution], aggregates: dict[str, tuple[str, str]]) -> list[Solution]:
    groups: dict[tuple, Solution] = {}
    for row in rows:
        key = _key(row, aggregates)
        merged = groups.get(key)
        if merged is None:
            groups[key] = Solution(row)
            continue
        for name, (function, separator) in aggregates.items():
            merged[name] = _combine(function, separator, merged.get(name), row.get(name))
    return list(groups.values())


def _combine(function: str, separator: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return a if b is None else b
    if function in ("COUNT", "SUM"):
        return ox.Literal(str(_number(a) + _number(b)), datatype=a.datatype)
    if function in ("MIN", "MAX"):
        smaller = a if _sort_value(a) <= _sort_value(b) else b
        return smaller if function == "MIN" else (b if smaller is a else a)
    if function == "GROUP_CONCAT":
        parts = list(dict.fromkeys([*a.value.split(separator), *b.value.split(separator)]))
        return (
            ox.Literal(separator.join(p for p in parts if p), language=a.language)
            if a.language
            else ox.Literal(separator.join(p for p in parts if p))
        )
    return a  # SAMPLE (and AVG, which cannot be combined without the counts: one endpoint's value)


def _number(term: ox.Literal) -> Decimal | int:
    return int(term.value) if re.fullmatch(r"[+-]?\d+", term.value) else Decimal(term.value)


def _sort_value(term: Any) -> tuple:
    """SPARQL's order, near enough: unbound first, then numbers by value, then everything else as text."""
    if term is None:
        return (0, 0, "")
    if isinstance(term, ox.Literal) and term.datatype.value.endswith(_NUMERIC):
        try:
            return (1, _number(term), "")
        except ArithmeticError:
            pass
    return (2, 0, term.value)


def _ordered(rows: list[Solution], sparql: str) -> list[Solution]:
    found = _ORDER_BY.search(sparql)
    if not found:
        return rows
    for direction, name in reversed(_ORDER_KEY.findall(found.group(1))):  # stable sorts, last key first
        rows.sort(key=lambda row, n=name: _sort_value(row.get(n)), reverse=direction.upper() == "DESC")
    return rows
