"""How far the shapes — or a query — look from a node: the access paths that validating a focus node (or answering
for one value of a query's variable) may read, found by reading the shapes (their targets, property paths, nested
shapes and the triple patterns of their SPARQL constraints and targets) or the query's triple patterns. A change can
only alter the verdict on (or the answer for) the nodes from which some access path reaches a changed triple: this
lets a write validate the records it can affect instead of the whole store (incremental.py), and a list be updated
for the records a write changed (answer_cache.py).

An access path is a sequence of steps: forward follows a triple from its subject to its object, backward from its
object to its subject; a predicate of None is any predicate; a repeated step is taken zero or more times (a path
`p*`, `p+` or `p?`, and `sh:zeroOrMorePath`, read as `p*`, which reads at least as much). For example cs:StatedFact's
`$this rdf:subject ?s . ?s ?p ?v` reads `rdf:subject *` (the statement's subject, then all its triples).

What makes a check wider: a repeated path of more than one step, shapes nested deeper than MAX_DEPTH, `GRAPH` or
`SERVICE` or `$PATH` in a SPARQL constraint, or a target type other than SPARQL's make `Reach.wide` (every write
validated in full, and why); a triple pattern that no path from the focus reaches is read whatever the focus, and so
is `rdfs:subClassOf` for the shapes (the class hierarchy every `sh:class` and `sh:targetClass` reads): these are
`Reach.everywhere`, and a change that matches one is checked in full.

>>> import rdflib
>>> shapes = rdflib.Graph().parse(data='''
... @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
... ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:class ex:D ] .''', format="turtle")
>>> sorted(" ".join(str(step) for step in path) for path in reach_of(shapes).paths)
['<http://example.org/p>', '<http://example.org/p> rdf:type', 'rdf:type']
>>> query = "SELECT ?r ?c WHERE { ?r <http://example.org/in> ?x . ?x <http://example.org/broader>* ?c }"
>>> sorted(" ".join(str(step) for step in path) for path in reach_of_query(query, "r").paths)
['<http://example.org/in>', '<http://example.org/in> <http://example.org/broader>*']
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import rdflib
from rdflib.collection import Collection
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

from .namespaces import OWL, RDF, RDFS, SH, compact


class Step(NamedTuple):
    forward: bool  # from a triple's subject to its object (else from its object to its subject)
    predicate: str | None  # None: any predicate
    repeat: bool = False  # zero or more times (a path p* or p+)

    def __str__(self) -> str:
        return ("" if self.forward else "^") + (compact(self.predicate) if self.predicate else "*") + "*" * self.repeat


AccessPath = tuple[Step, ...]
Pattern = tuple[str | None, str | None, str | None]  # subject, predicate, object as N-Triples-free IRIs/None

MAX_DEPTH = 8  # nested shapes followed; deeper is `wide`
MAX_SPARQL_PATH = 6  # steps of a SPARQL access path; longer is `wide`
_TYPE = Step(True, str(RDF.type))
_SUBCLASS: Pattern = (None, str(RDFS.subClassOf), None)
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


class _Wide(Exception):
    """The shapes use a construct whose reach cannot be bounded: validate in full."""


@dataclass(frozen=True)
class Reach:
    paths: frozenset[AccessPath] = frozenset()
    everywhere: tuple[Pattern, ...] = ()
    wide: str | None = None  # why every write is validated in full; None when paths bound the reach

    def matches_everywhere(self, subject: str, predicate: str, obj: str) -> bool:
        """Whether a changed triple (its terms as strings) matches a pattern read whatever the focus."""
        return any(
            (s is None or s == subject) and (p is None or p == predicate) and (o is None or o == obj)
            for s, p, o in self.everywhere
        )


@dataclass
class _Collector:
    shapes: rdflib.Graph
    paths: set[AccessPath] = field(default_factory=set)
    everywhere: set[Pattern] = field(default_factory=set)

    def add(self, path: AccessPath) -> None:
        """A path and each of its beginnings: every step's triples are read on the way."""
        for end in range(1, len(path) + 1):
            self.paths.add(path[:end])


# rdflib's SPARQL parser (pyparsing) is not safe to run in two threads at once, and pages ask in several: one
# reading at a time (each is kept, so this is paid once per query or shapes graph).
SPARQL_PARSER_LOCK = threading.Lock()


def reach_of(shapes: rdflib.Graph) -> Reach:
    """The access paths of every active shape that selects focus nodes (with a target or as a class), with their
    targets' own paths, and what forces a full validation. Read once per shapes graph."""
    with SPARQL_PARSER_LOCK:
        return _reach_cached(_Key(shapes))


class _Key:
    """A shapes graph as a cache key: the same object is the same shapes (validate_state keeps one per text)."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph

    def __hash__(self) -> int:
        return id(self.graph)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.graph is self.graph


@lru_cache(maxsize=4)
def _reach_cached(key: _Key) -> Reach:
    shapes = key.graph
    found = _Collector(shapes)
    try:
        for shape in sorted(_rooted(shapes), key=str):
            _targets(found, shape)
            _node(found, shape, (), 0)
    except _Wide as why:
        return Reach(wide=str(why))
    found.everywhere.add(_SUBCLASS)
    return Reach(frozenset(found.paths), tuple(sorted(found.everywhere, key=str)))


def reach_of_query(text: str, root: str) -> Reach:
    """The access paths from the variable `root` of a SPARQL query: what its answer for one value of `root` may read.

    Raises nothing for a query it cannot bound: the Reach is `wide` and says why."""
    with SPARQL_PARSER_LOCK:
        return _query_reach_cached(text, root)


@lru_cache(maxsize=64)
def _query_reach_cached(text: str, root: str) -> Reach:
    found = _Collector(rdflib.Graph())
    try:
        algebra = prepareQuery(text).algebra
        _solve(found, [algebra], {Variable(root): frozenset({()})})
    except _Wide as why:
        return Reach(wide=str(why))
    return Reach(frozenset(found.paths), tuple(sorted(found.everywhere, key=str)))


def _rooted(shapes: rdflib.Graph) -> set[Node]:
    rooted = {s for key in _TARGETS for s in shapes.subjects(key, None)}
    rooted |= {
        s
        for s in set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
        if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes
    }
    return {s for s in rooted if not _deactivated(shapes, s)}


def _deactivated(shapes: rdflib.Graph, shape: Node) -> bool:
    return shapes.value(shape, SH.deactivated) == rdflib.Literal(True)


def _targets(found: _Collector, shape: Node) -> None:
    g = found.shapes
    if any(True for _ in g.objects(shape, SH.targetClass)) or (shape, RDF.type, RDFS.Class) in g:
        found.add((_TYPE,))
    if (shape, RDF.type, OWL.Class) in g:
        found.add((_TYPE,))
    for predicate in g.objects(shape, SH.targetSubjectsOf):
        found.add((Step(True, str(predicate)),))
    for predicate in g.objects(shape, SH.targetObjectsOf):
        found.add((Step(False, str(predicate)),))
    for target in g.objects(shape, SH.target):
        select = g.value(target, SH.select)
        if select is None:
            raise _Wide(f"the target of {shape} is not a SPARQL-based target")
        _sparql(found, str(select), _prefixes(g, target), ())


def _node(found: _Collector, shape: Node, at: AccessPath, depth: int) -> None:
    """The paths read when the node reached by `at` is validated against `shape`."""
    g = found.shapes
    if depth > MAX_DEPTH:
        raise _Wide(f"shapes nest deeper than {MAX_DEPTH} levels (from {shape})")
    if _deactivated(g, shape):
        return
    path = g.value(shape, SH.path)
    if path is not None:  # a property shape: its constraints apply to the values
        for steps in _path(g, path):
            values = at + steps
            found.add(values)
            _values(found, shape, values, depth)
        _compared(found, shape, at)
        _sparql_constraints(found, shape, at)
        return
    _values(found, shape, at, depth)
    _compared(found, shape, at)
    _sparql_constraints(found, shape, at)
    if g.value(shape, SH.closed) == rdflib.Literal(True):
        found.add(at + (Step(True, None),))
    for member in g.objects(shape, SH.property):
        _node(found, member, at, depth + 1)


def _values(found: _Collector, shape: Node, at: AccessPath, depth: int) -> None:
    """The reads of the constraints that look at each value node (the node itself for a node shape)."""
    g = found.shapes
    if any(True for _ in g.objects(shape, SH["class"])):
        found.add(at + (_TYPE,))
    for key in (SH.node, SH.qualifiedValueShape, SH["not"]):
        for member in g.objects(shape, key):
            _node(found, member, at, depth + 1)
    for key in (SH["and"], SH["or"], SH.xone):
        for members in g.objects(shape, key):
            for member in Collection(g, members):
                _node(found, member, at, depth + 1)
    if g.value(shape, SH.qualifiedValueShapesDisjoint) == rdflib.Literal(True):
        raise _Wide(f"{shape} uses sh:qualifiedValueShapesDisjoint")


def _compared(found: _Collector, shape: Node, at: AccessPath) -> None:
    """sh:equals, sh:disjoint, sh:lessThan(OrEquals) read another property of the focus node."""
    g = found.shapes
    for key in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
        for other in g.objects(shape, key):
            found.add(at + (Step(True, str(other)),))


def _sparql_constraints(found: _Collector, shape: Node, at: AccessPath) -> None:
    g = found.shapes
    for constraint in g.objects(shape, SH.sparql):
        if _deactivated(g, constraint):
            continue
        select = g.value(constraint, SH.select)
        if select is None:
            raise _Wide(f"{constraint} is a SPARQL constraint without sh:select")
        _sparql(found, str(select), _prefixes(g, constraint), at)


def _path(g: rdflib.Graph, path: Node) -> list[AccessPath]:
    """The step sequences a SHACL property path may follow (alternatives as several sequences)."""
    if isinstance(path, rdflib.URIRef):
        return [(Step(True, str(path)),)]
    if (path, RDF.first, None) in g:  # a sequence path
        sequences: list[AccessPath] = [()]
        for part in Collection(g, path):
            sequences = [head + tail for head in sequences for tail in _path(g, part)]
        return sequences
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return [
            tuple(Step(not s.forward, s.predicate, s.repeat) for s in reversed(steps)) for steps in _path(g, inverse)
        ]
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return [steps for member in Collection(g, alternatives) for steps in _path(g, member)]
    optional = g.value(path, SH.zeroOrOnePath)
    if optional is not None:
        return [(), *_path(g, optional)]
    repeated = g.value(path, SH.zeroOrMorePath) or g.value(path, SH.oneOrMorePath)  # p+ read as p*: a little more
    if repeated is not None:
        inner = _path(g, repeated)
        if all(len(steps) == 1 and not steps[0].repeat for steps in inner):
            return [(Step(steps[0].forward, steps[0].predicate, True),) for steps in inner]
    raise _Wide("a repeated property path of more than one step")


def _prefixes(g: rdflib.Graph, node: Node) -> dict[str, str]:
    declared: dict[str, str] = {}
    for source in g.objects(node, SH.prefixes):
        for declaration in g.objects(source, SH.declare):
            prefix, namespace = g.value(declaration, SH.prefix), g.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                declared[str(prefix)] = str(namespace)
    return declared


# -- SPARQL -------------------------------------------------------------------------------------------------------
# A query's triple patterns form a graph over its terms. Within one conjunctive group every pattern holds in every
# solution, so a pattern is read from `$this` along any chain of the group's patterns that reaches one of its ends:
# the shortest is taken. A UNION's branches are alternatives (a variable's paths are those of every branch); an
# OPTIONAL, a MINUS and a FILTER (NOT) EXISTS are groups of their own that start from the variables the enclosing
# group has reached (for a MINUS, only those it shares with it: it is evaluated apart and joined on them).

Env = dict[Node, frozenset[AccessPath]]
Verb = tuple[str | None, bool]  # a pattern's predicate (None: a variable) and whether it repeats
Triple = tuple[Node, Verb, Node]


def _sparql(found: _Collector, text: str, prefixes: dict[str, str], at: AccessPath) -> None:
    if "$PATH" in text or "?PATH" in text:
        raise _Wide("a SPARQL constraint uses $PATH")
    algebra = prepareQuery(text, initNs=prefixes).algebra
    this = Variable("this")
    _solve(found, [algebra], {this: frozenset({at})})


def _solve(found: _Collector, parts: list[object], env: Env) -> list[Env]:
    """Read the group made of `parts` from `env`; the environments of its alternatives."""
    patterns: list[Triple] = []
    nested: list[CompValue] = []  # UNION, OPTIONAL, MINUS, EXISTS: groups of their own
    for part in parts:
        _flatten(part, patterns, nested)
    order = {"Union": 0, "LeftJoin": 1}  # alternatives and optional bindings first: the filters see their variables
    return _finish(found, patterns, sorted(nested, key=lambda block: order.get(block.name, 2)), env)


def _finish(found: _Collector, patterns: list[Triple], nested: list[CompValue], env: Env) -> list[Env]:
    env = _closure(patterns, env)
    envs = [env]
    unions = [block for block in nested if block.name == "Union"]
    while unions:  # a union that shares a variable with what is reached first: its branches start from it
        block = next((u for u in unions if _variables(u) & set(envs[0])), unions[0])
        unions.remove(block)
        envs = [e for current in envs for branch in (block.p1, block.p2) for e in _solve(found, [branch], current)]
        envs = [_closure(patterns, e) for e in envs]
    for block in nested:
        if block.name == "Union":
            continue
        if block.name == "Minus":
            for current in envs:
                _solve(found, [block.p2], current)  # the shared variables: those the MINUS names are the same ones
        else:  # OPTIONAL's right side, or an EXISTS / NOT EXISTS graph: read with the group's bindings
            inner = block.p2 if block.name == "LeftJoin" else block.graph
            envs = [e for current in envs for e in _solve(found, [inner], current)]
    for current in envs:
        for subject, predicate, obj in patterns:
            _read(found, current, subject, predicate, obj)
    return envs


def _variables(block: CompValue) -> set[Node]:
    """The variables of a block's triple patterns, nested groups included."""
    patterns: list[Triple] = []
    nested: list[CompValue] = []
    for part in (block.get("p1"), block.get("p2"), block.get("p"), block.get("graph")):
        if part is not None:
            _flatten(part, patterns, nested)
    found: set[Node] = {t for s, _, o in patterns for t in (s, o) if isinstance(t, Variable)}
    for inner in nested:
        found |= _variables(inner)
    return found


def _read(found: _Collector, env: Env, subject: Node, predicate: Verb, obj: Node) -> None:
    sides = []
    if subject in env:
        sides.append({path + (Step(True, *predicate),) for path in env[subject]})
    if obj in env:
        sides.append({path + (Step(False, *predicate),) for path in env[obj]})
    if not sides:
        found.everywhere.add(
            (
                str(subject) if isinstance(subject, rdflib.URIRef) else None,
                predicate[0],
                str(obj) if isinstance(obj, rdflib.URIRef) else None,
            )
        )
        return
    chosen = min(sides, key=lambda paths: (max(len(p) for p in paths), len(paths)))
    for path in chosen:
        if len(path) > MAX_SPARQL_PATH:
            raise _Wide(f"a SPARQL pattern is read {len(path)} steps from $this")
        found.add(path)


def _closure(patterns: list[Triple], env: Env) -> Env:
    """Every term the group's patterns reach from `env`, each by its shortest chains (ties: all of them): terms
    are reached in order of their distance, as in a breadth-first search."""
    env = dict(env)
    while True:
        reached: dict[Node, set[AccessPath]] = {}
        for subject, predicate, obj in patterns:
            if subject in env and obj not in env and not isinstance(obj, rdflib.Literal):
                reached.setdefault(obj, set()).update(p + (Step(True, *predicate),) for p in env[subject])
            if obj in env and subject not in env:
                reached.setdefault(subject, set()).update(p + (Step(False, *predicate),) for p in env[obj])
        if not reached:
            return env
        nearest = min(len(p) for paths in reached.values() for p in paths)
        for term, paths in reached.items():
            shortest = frozenset(p for p in paths if len(p) == nearest)
            if shortest:
                env[term] = shortest


def _flatten(part: object, patterns: list[Triple], nested: list[CompValue]) -> None:
    """The conjunctive triple patterns of an algebra node, and its nested groups."""
    if not isinstance(part, CompValue):
        return
    name = part.name
    if name == "BGP":
        for triple in part.triples:
            patterns.extend(_pattern_triples(triple))
        return
    if name in ("Graph", "ServiceGraphPattern", "Service"):
        raise _Wide(f"a SPARQL constraint uses {name}")
    if name == "Slice":
        raise _Wide("LIMIT or OFFSET: what one node's answer holds depends on the others'")
    if name == "Union":
        nested.append(part)
        return
    if name == "LeftJoin":
        _flatten(part.p1, patterns, nested)
        nested.append(part)
        _exists(part.get("expr"), nested)
        return
    if name == "Minus":
        _flatten(part.p1, patterns, nested)
        nested.append(part)
        return
    if name == "Join":
        _flatten(part.p1, patterns, nested)
        _flatten(part.p2, patterns, nested)
        return
    if name in ("Filter", "Extend"):
        _exists(part.get("expr"), nested)
    for key in ("p", "p1", "p2"):
        child = part.get(key)
        if child is not None:
            _flatten(child, patterns, nested)


def _exists(expression: object, nested: list[CompValue]) -> None:
    """The EXISTS / NOT EXISTS graphs anywhere inside a filter or bind expression."""
    for node in _expressions(expression):
        if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            nested.append(node)


def _expressions(expression: object) -> Iterator[CompValue]:
    if isinstance(expression, CompValue):
        yield expression
        if expression.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            return
        for value in expression.values():
            yield from _expressions(value)
    elif isinstance(expression, (list, tuple)):
        for value in expression:
            yield from _expressions(value)


_fresh = iter(range(10**9))


def _pattern_triples(triple: tuple[Node, Node | Path, Node]) -> Iterable[Triple]:
    """A triple pattern as plain patterns: property paths of fixed length become chains over fresh variables, a
    repeated one (p*, p+, p?: read as p*, which reads at least as much) one repeated step."""
    subject, predicate, obj = triple
    if not isinstance(predicate, Path):
        return [(subject, (str(predicate) if isinstance(predicate, rdflib.URIRef) else None, False), obj)]
    if isinstance(predicate, InvPath):
        return _pattern_triples((obj, predicate.arg, subject))
    if isinstance(predicate, SequencePath):
        chain: list[Triple] = []
        current = subject
        for index, part in enumerate(predicate.args):
            following = obj if index == len(predicate.args) - 1 else Variable(f"_chain{next(_fresh)}")
            chain.extend(_pattern_triples((current, part, following)))
            current = following
        return chain
    if isinstance(predicate, AlternativePath) and all(isinstance(a, (rdflib.URIRef, InvPath)) for a in predicate.args):
        # Alternatives as patterns of one group: they reach their variables at the same distance, so each
        # variable keeps the paths of all of them, the one taken among them.
        return [pattern for part in predicate.args for pattern in _pattern_triples((subject, part, obj))]
    if isinstance(predicate, (AlternativePath, NegatedPath)):
        return [(subject, (None, False), obj)]
    if isinstance(predicate, MulPath):
        inner = predicate.path
        if isinstance(inner, rdflib.URIRef):
            return [(subject, (str(inner), True), obj)]
        if isinstance(inner, InvPath) and isinstance(inner.arg, rdflib.URIRef):
            return [(obj, (str(inner.arg), True), subject)]
        raise _Wide("a repeated SPARQL property path of more than one step")
    raise _Wide(f"a SPARQL property path this check does not know ({type(predicate).__name__})")
