"""Validate a write by the records it can affect, in the context of the whole store, instead of re-validating
everything: a steward's form save costs what it changes, not what the store holds.

From each triple the write adds or removes, the shapes' access paths (reach.py) are walked backwards to the focus
nodes whose validation reads that triple (with the subjects the write touches, whose warnings the writer is shown);
from those, the paths are walked forwards to collect every triple their validation reads — in the state the write
would make: the store's data and ontology graphs but the written ones, and the written graphs' new content. The
engine validates that context and only the results about those focus nodes are kept (validation.validate_around).
They are the results the full validation gives about them; the others are the ones the store held before, and the
gate writes only to a store whose every earlier write passed it (tests/test_validation_incremental.py compares the
two on random writes).

`validate_change` answers None — validate in full — when the store cannot be walked (a SPARQL server cannot be asked
about one blank node), when the shapes reach without bound (reach.Reach.wide), when a changed triple matches a pattern
read whatever the focus (rdfs:subClassOf, in data), or when more than INCREMENTAL_VALIDATION_NODES focus nodes or
ten times as many context triples are involved (a full validation is then as quick).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from . import settings, walks
from .binding import AnyTerm, SubjectTerm
from .namespaces import RDF
from .ntriples import NTriples
from .rdf_files import kind_of_graph
from .reach import Reach, reach_of
from .store import Store
from .validation import LABELS, Report, graph_of_text, label_slug, locator, validate_around

log = logging.getLogger(__name__)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CONTEXT_COUNTED = 2_000  # from this many context triples, the store's size is asked


class NewState:
    """The data and ontology triples the store would hold after a write, for lookups by pattern."""

    def __init__(self, store: Store, new: Mapping[str, NTriples | None]) -> None:
        self.store = store
        self.kept = {
            ox.NamedNode(g) for g in store.named_graphs() if kind_of_graph(g) in ("data", "ontology") and g not in new
        }
        self.ontology = {g for g in self.kept if kind_of_graph(g.value) == "ontology"}
        self.written = ox.Store()
        self.written.extend(
            ox.Quad(*_own(t), ox.NamedNode(g)) for g, triples in new.items() if triples is not None for t in triples
        )

    def match(
        self, subject: SubjectTerm | None, predicate: ox.NamedNode | None, obj: AnyTerm | None
    ) -> Iterator[tuple[ox.Triple, bool]]:
        """The matching triples, each with whether it is data (not the ontology's, which the validator adds whole)."""
        quads = self.store.quads_matching(subject, predicate, obj)
        assert quads is not None  # validate_change walks only a store that can be asked (quads_matching is not None)
        for quad in quads:
            if quad.graph_name in self.kept:
                yield quad.triple, quad.graph_name not in self.ontology
        for quad in self.written.quads_for_pattern(subject, predicate, obj, None):
            yield quad.triple, True


class StateCandidates:
    """The resources a hint may offer, looked up in the state by type through the store's indexes (a namespace's
    needs a walk over every subject)."""

    TYPE = ox.NamedNode(str(RDF.type))
    LABELS = tuple(ox.NamedNode(p) for p in LABELS)

    def __init__(self, state: NewState) -> None:
        self.state = state

    def instances(self, classes: set[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for name in classes:
            for triple, data in self.state.match(None, self.TYPE, ox.NamedNode(name)):
                if data and isinstance(triple.subject, ox.NamedNode):
                    found.setdefault(triple.subject.value, set())
        return {iri: self._labels(iri) for iri in found}

    def in_namespace(self, namespace: str) -> dict[str, set[str]]:
        subjects = {
            triple.subject.value
            for triple, data in self.state.match(None, None, None)
            if data and isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(namespace)
        }
        return {iri: self._labels(iri) for iri in subjects}

    def _labels(self, iri: str) -> set[str]:
        return {
            label_slug(triple.object.value)
            for predicate in self.LABELS
            for triple, data in self.state.match(ox.NamedNode(iri), predicate, None)
            if data and isinstance(triple.object, ox.Literal)
        }


def validate_change(
    store: Store,
    new: Mapping[str, NTriples | None],
    before: Mapping[str, NTriples],
    shapes_text: bytes,
    ontology: NTriples,
) -> Report | None:
    """The report on the records a write to data graphs can affect; None when it must be validated in full.

    `new`: each written graph's new content (None: dropped); `before`: the present content of those of them that
    exist; `shapes_text`, `ontology`: the store's shapes and ontology as N-Triples."""
    if not settings.value("INCREMENTAL_VALIDATION") or store.quads_matching(None, None, None) is None:
        return None
    shapes = graph_of_text(shapes_text)
    reach = reach_of(shapes)
    if reach.wide:
        log.info("validating in full: %s", reach.wide)
        return None
    changed = _changed(new, before)
    limit = int(settings.value("INCREMENTAL_VALIDATION_NODES"))
    state = NewState(store, new)
    try:
        foci = _affected(reach, changed, state, limit)
        if foci is None:
            return None
        context = walks.forwards(state, foci, reach.paths, limit * 10)
    except walks.TooWide:
        return None
    # A context triple costs the validator about four of a full validation (it goes through rdflib): past a quarter
    # of the store, validate it all (counting the store walks it, so only then).
    if len(context) > CONTEXT_COUNTED and len(context) > store.count() // 4:
        log.info("validating in full: the records the write may affect are read by %d triples", len(context))
        return None
    label = "i" + uuid.uuid4().hex[:12]  # like a full validation's, the labels of blank nodes are new ones
    graph = rdflib.Graph()
    for triple in context:
        graph.add((_term(triple.subject, label), _term(triple.predicate, label), _term(triple.object, label)))
    written = [triples for g, triples in sorted(new.items()) if triples is not None]
    graphs = (set(store.named_graphs()) | set(new)) - {g for g, t in new.items() if t is None}
    return validate_around(
        graph,
        {_term(node, label) for node in foci},
        shapes,
        ontology,
        written,
        StateCandidates(state),
        locator([], graphs),
    )


def _changed(new: Mapping[str, NTriples | None], before: Mapping[str, NTriples]) -> list[ox.Triple]:
    """The triples the write adds or removes (as lines of each graph's text: both are Oxigraph's N-Triples)."""
    lines: set[bytes] = set()
    for graph, triples in new.items():
        old = before[graph].lines() if graph in before else set()
        lines |= old ^ (triples.lines() if triples is not None else set())
    return [ox.Triple(*_own(t)) for t in NTriples(b"".join(line + b"\n" for line in sorted(lines)))]


def _own(triple: ox.Triple) -> tuple[SubjectTerm, ox.NamedNode, AnyTerm]:
    """A written triple with its blank nodes apart from the store's: the write's `_:b0` is not the store's node of
    that label (a store's labels are hexadecimal, these start with w)."""
    subject, obj = triple.subject, triple.object
    if isinstance(subject, ox.BlankNode):
        subject = ox.BlankNode("w" + subject.value)
    if isinstance(obj, ox.BlankNode):
        obj = ox.BlankNode("w" + obj.value)
    return subject, triple.predicate, obj


def _affected(reach: Reach, changed: list[ox.Triple], state: NewState, limit: int) -> set[AnyTerm] | None:
    """The focus nodes whose validation reads a changed triple, with the changed triples' subjects (whose warnings
    the writer is shown)."""
    everywhere = walks.read_everywhere(reach, changed)
    if everywhere is not None:
        log.info("validating in full: the write changes %s, read whatever the focus", everywhere.predicate.value)
        return None
    try:
        foci = walks.reading(reach, walks.ends_of(changed), state, limit) | {t.subject for t in changed}
    except walks.TooWide:
        foci = None
    if foci is None or len(foci) > limit:
        log.info("validating in full: the write may affect more than %d records", limit)
        return None
    return {node for node in foci if not isinstance(node, ox.Literal)}


def _term(term: AnyTerm, label: str) -> Node:
    """An Oxigraph term as rdflib's, lexical form unchanged; blank nodes relabelled with `label` first."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(label + term.value)
    if isinstance(term, ox.Triple):
        raise AttributeError(f"the triple term {term} has no form in rdflib")
    if term.language:
        return rdflib.Literal(term.value, lang=term.language, normalize=False)
    if term.datatype.value == XSD_STRING:  # a plain string, as N-Triples writes it and a full validation reads it
        return rdflib.Literal(term.value, normalize=False)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)
