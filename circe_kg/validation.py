"""SHACL validation that explains itself: results grouped by focus node, each with the shape's message,
the path, the offending value, the file and line where the focus node is defined, and a hint to fix it.

The ontology is mixed into the data, as pySHACL does with an `ont_graph`, so that `sh:class` and
`sh:targetClass` see the class hierarchy (a circe:GoodPractice is a circe:Practice) without the cost of
RDFS inference.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
import rdflib
from pyshacl_turbo import CompiledShapes  # pySHACL's validation, in Rust: see validate()
from rdflib.collection import Collection
from rdflib.term import Node
from rdflib_turbo import Dataset as NativeDataset

from . import settings
from .config import shipped_files
from .namespaces import BASE, OWL, RDF, RDFS, SH, SKOS, compact
from .ntriples import NTriples
from .rdf_files import ParsedFile, kind_of_graph, parse_file
from .spelling import Names, nearest


class Locator(Protocol):
    def __call__(self, iri: str, used_by: str | None = None) -> tuple[str, int | None] | None:
        """The file and line where `iri` is defined (written as a subject, else first written); with `used_by`,
        where it is first written in the description of that resource."""


SEVERITIES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}


def to_rdflib(triples: Iterable[ox.Triple], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Copy Oxigraph triples into an rdflib graph (through N-Triples, which both speak exactly)."""
    graph = graph if graph is not None else rdflib.Graph()
    data = NTriples.of(triples).data
    if data:
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


class Namer:
    """Writes nodes the short way people read them (circe:Practice, practice:albergo-diffuso, "x"@en)."""

    def __init__(self, extra: dict[str, str] | None = None) -> None:
        self.extra = extra

    def __call__(self, node: Node | str | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, rdflib.Literal):
            if node.datatype is not None:
                return f"{rdflib.Literal(str(node)).n3()}^^{compact(str(node.datatype))}"
            return node.n3()
        if isinstance(node, rdflib.BNode):
            return f"_:{node}"
        return compact(str(node), self.extra)


@dataclass
class Result:
    severity: str
    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    shape: str | None = None
    component: str | None = None
    file: str | None = None
    line: int | None = None
    hint: str | None = None


@dataclass
class Report:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    graph: rdflib.Graph | None = None  # the standard SHACL validation report

    def to_turtle(self) -> str:
        graph = self.graph if self.graph is not None else rdflib.Graph()
        graph.bind("sh", SH)
        return graph.serialize(format="turtle")

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def violations(self) -> int:
        return self.count("Violation")

    def summary(self) -> str:
        v, w, i = self.count("Violation"), self.count("Warning"), self.count("Info")
        return f"{v} violation{'s' * (v != 1)}, {w} warning{'s' * (w != 1)}, {i} info{'s' * (i != 1)}"

    def by_focus(self) -> dict[str, list[Result]]:
        grouped: dict[str, list[Result]] = {}
        for result in sorted(self.results, key=lambda r: (r.file or "~", r.line or 0, r.focus)):
            grouped.setdefault(result.focus, []).append(result)
        return grouped

    def to_text(self) -> str:
        lines: list[str] = []
        for focus, results in self.by_focus().items():
            first = results[0]
            where = f"{first.file}:{first.line}" if first.file and first.line else (first.file or "(not in a file)")
            lines.append(f"{where}  {focus}")
            for r in results:
                detail = "  ".join(x for x in (r.path and f"path {r.path}", r.value and f"value {r.value}") if x)
                own_line = f"  (line {r.line})" if r.line and r.file == first.file and r.line != first.line else ""
                lines.append(f"  {r.severity}: {r.message}" + (f"  [{detail}]" if detail else "") + own_line)
                if r.shape:
                    lines.append(f"    shape {r.shape} ({r.component})")
                if r.hint:
                    lines.append(f"    hint: {r.hint}")
        lines.append(("Conforms. " if self.conforms else "Does not conform: ") + self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "summary": self.summary(),
            "violations": self.count("Violation"),
            "warnings": self.count("Warning"),
            "infos": self.count("Info"),
            "results": [asdict(r) for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


class Candidates(Protocol):
    """The resources a mistyped value may have meant, each with its labels written as identifiers (slugs)."""

    def instances(self, classes: set[str]) -> dict[str, set[str]]:
        """The IRI subjects of the data typed with one of `classes`."""

    def in_namespace(self, namespace: str) -> dict[str, set[str]]:
        """The IRI subjects of the data whose IRI starts with `namespace`."""


LABELS = tuple(str(p) for p in (SKOS.prefLabel, SKOS.altLabel, RDFS.label))


class TriplesCandidates:
    """Candidates read from the data's triples, once and only when a hint needs them."""

    def __init__(self, data: Sequence[Iterable[ox.Triple]]) -> None:
        self.data = data
        self._subjects: tuple[dict[str, set[str]], set[str], dict[str, set[str]]] | None = None

    def instances(self, classes: set[str]) -> dict[str, set[str]]:
        by_type, _, labels = self._iri_subjects()
        return {iri: labels.get(iri, set()) for c in classes for iri in by_type.get(c, ())}

    def in_namespace(self, namespace: str) -> dict[str, set[str]]:
        _, every, labels = self._iri_subjects()
        return {iri: labels.get(iri, set()) for iri in every if iri.startswith(namespace)}

    def _iri_subjects(self) -> tuple[dict[str, set[str]], set[str], dict[str, set[str]]]:
        """The data's IRI subjects, by rdf:type and all, and their labels as identifiers (slugs)."""
        if self._subjects is None:
            by_type: dict[str, set[str]] = {}
            every: set[str] = set()
            labels: dict[str, set[str]] = {}
            rdf_type = ox.NamedNode(str(RDF.type))
            label_predicates = {ox.NamedNode(p) for p in LABELS}
            for triple in itertools.chain.from_iterable(self.data):
                if isinstance(triple.subject, ox.NamedNode):
                    every.add(triple.subject.value)
                    if triple.predicate == rdf_type and isinstance(triple.object, ox.NamedNode):
                        by_type.setdefault(triple.object.value, set()).add(triple.subject.value)
                    elif triple.predicate in label_predicates and isinstance(triple.object, ox.Literal):
                        labels.setdefault(triple.subject.value, set()).add(label_slug(triple.object.value))
            self._subjects = by_type, every, labels
        return self._subjects


class _Hinter:
    """Turns a constraint component and its parameters into advice a data steward can act on."""

    def __init__(
        self,
        candidates: Candidates,
        shapes: rdflib.Graph,
        name: Namer,
        ontology: rdflib.Graph | None = None,
    ) -> None:
        self.candidates, self.shapes, self.name = candidates, shapes, name
        self._names: dict[tuple[str, str], tuple[dict[str, set[str]], Names]] = {}
        self.ontology = ontology if ontology is not None else rdflib.Graph()

    def __call__(self, shape: Node, component: str, value: Node | None) -> str | None:
        local = component.rsplit("#", 1)[-1]
        param = lambda p: self.shapes.value(shape, SH[p])  # noqa: E731
        if local == "InConstraintComponent":
            listed = param("in")
            allowed = [self.name(v) for v in Collection(self.shapes, listed)] if listed else []
            return "use one of: " + ", ".join(a for a in allowed if a)
        if local == "DatatypeConstraintComponent":
            wanted = self.name(param("datatype"))
            example = {
                "xsd:date": '"2018-04-10"^^xsd:date',
                "xsd:decimal": '"1892771.00"^^xsd:decimal',
                "xsd:boolean": "true",
                "xsd:anyURI": '"https://…"^^xsd:anyURI',
            }.get(wanted or "", "")
            got = f" (got {self.name(value)})" if isinstance(value, rdflib.Literal) else ""
            return f"write a valid {wanted} literal{', e.g. ' + example if example else ''}{got}"
        if local == "ClassConstraintComponent":
            wanted_class = param("class")
            guess = self._closest_instance(value, wanted_class)
            text = f"the value must be a {self.name(wanted_class)} (a resource typed with it or a subclass)"
            return text + (f"; did you mean {guess}?" if guess else "")
        if local == "PatternConstraintComponent":
            guess = self._closest_instance(value, None)
            return f"the value must match /{param('pattern')}/" + (f"; did you mean {guess}?" if guess else "")
        if local == "MinCountConstraintComponent":
            return f"add at least {param('minCount')} value(s) for {self.name(param('path'))}"
        if local == "MaxCountConstraintComponent":
            return f"keep at most {param('maxCount')} value(s) for {self.name(param('path'))}"
        if local == "LanguageInConstraintComponent":
            listed = param("languageIn")
            tags = [str(v) for v in Collection(self.shapes, listed)] if listed else []
            return "use one of the language tags: " + ", ".join(tags)
        if local == "UniqueLangConstraintComponent":
            return "keep one value per language tag (merge or drop the duplicates)"
        if local == "NodeKindConstraintComponent":
            return f"the value must be {self.name(param('nodeKind'))}: write <https://…>, not a string"
        if (
            local == "SPARQLConstraintComponent"
            and isinstance(value, rdflib.URIRef)
            and (value, RDF.type, OWL.Class) not in self.ontology
        ):
            classes = sorted(
                str(c) for c in self.ontology.subjects(RDF.type, OWL.Class) if isinstance(c, rdflib.URIRef)
            )
            close = difflib.get_close_matches(str(value), classes, n=1, cutoff=0.8)
            return f"did you mean {self.name(rdflib.URIRef(close[0]))}?" if close else None
        if local in ("LessThanOrEqualsConstraintComponent", "LessThanConstraintComponent"):
            return f"the value must not come after {self.name(param('lessThanOrEquals') or param('lessThan'))}"
        return None

    def _closest_instance(self, value: Node | None, wanted_class: Node | None) -> str | None:
        """The resource a mistyped IRI most likely means, or None. A typo is usually one edit away from the real
        identifier (nuts:ITC9 -> nuts:ITC4) or from the name the resource is known by (organisation:lombardyy-region
        -> organisation:regione-lombardia, labelled "Lombardy Region"). With `wanted_class` the candidates are its
        instances and those of its subclasses (rdfs:subClassOf* in the ontology: the Lombardy Region is a
        cv:PublicOrganisation, which is an org:Organization); without, the subjects of the value's namespace."""
        if not isinstance(value, rdflib.URIRef):
            return None
        if wanted_class is not None:
            keys, names = self._candidates("class", str(wanted_class))
        else:
            keys, names = self._candidates("namespace", str(value).rsplit("/", 1)[0] + "/")
        typed = _local_name(str(value))
        key = typed if typed in keys else names.nearest(typed)  # the right name in the wrong namespace, or a typo
        namespace = str(value)[: len(str(value)) - len(typed)]
        meant = sorted(keys.get(key or "", set()) - {str(value)}, key=lambda iri: (not iri.startswith(namespace), iri))
        return self.name(rdflib.URIRef(meant[0])) if meant else None

    def _candidates(self, kind: str, selector: str) -> tuple[dict[str, set[str]], Names]:
        """The resources a value may have meant — the instances of a class and its subclasses, or the subjects of
        a namespace — by identifier (local name) and by label (slug), indexed once per hinter for every result."""
        kept = self._names.get((kind, selector))
        if kept is None:
            if kind == "class":
                classes = {str(c) for c in self.ontology.transitive_subjects(RDFS.subClassOf, rdflib.URIRef(selector))}
                candidates = self.candidates.instances(classes | {selector})
            else:
                candidates = self.candidates.in_namespace(selector)
            keys: dict[str, set[str]] = {}
            for iri, labels in candidates.items():
                keys.setdefault(_local_name(iri), set()).add(iri)
                for label in labels:
                    keys.setdefault(label, set()).add(iri)
            kept = self._names[(kind, selector)] = (keys, Names(keys))
        return kept


def _local_name(iri: str) -> str:
    """What follows the IRI's last / or #: the part of an identifier people type (regione-lombardia, ITC4)."""
    return re.split(r"[/#]", iri)[-1]


def label_slug(label: str) -> str:
    """A label written as an identifier would be: "Lombardy Region" -> lombardy-region."""
    return re.sub(r"[\W_]+", "-", label.casefold()).strip("-")


# From this many data triples, the shapes are split over the cores: the engine reads the data once into one native
# dataset, and one thread per core checks part of the shapes against it (the engine releases the GIL and the threads
# share the dataset). Below it one thread is as quick. None: the setting PARALLEL_VALIDATION_TRIPLES
# (CIRCE_KG_PARALLEL_VALIDATION_TRIPLES), read at each validation; a test may set a number here instead.
PARALLEL_FROM_TRIPLES: int | None = None


def _parallel_from_triples() -> int:
    if PARALLEL_FROM_TRIPLES is not None:
        return PARALLEL_FROM_TRIPLES
    return int(settings.value("PARALLEL_VALIDATION_TRIPLES"))


_TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target")


def _engine_validation(graphs: list[NTriples], shapes: rdflib.Graph, parallel: bool) -> tuple[bool, rdflib.Graph]:
    """Check the union of `graphs` against `shapes`: all of them in one call, or (`parallel`) one batch of them per
    core, each batch in its own thread over the same dataset, and their reports merged. Each graph is read into
    the dataset as it is, not joined to the others first (that would be a copy of all the data); the
    reader gives each text fresh blank nodes, as a load gives each file."""
    dataset = NativeDataset()
    for graph in graphs:
        if graph:
            dataset.parse(data=graph.data, format="nt")
    compiled = _compiled(shapes)

    def check(use_shapes: list[str] | None) -> tuple[bool, rdflib.Graph]:
        conforms, results_graph, _ = compiled.validate(
            dataset, allow_infos=True, allow_warnings=True, abort_on_first=False, use_shapes=use_shapes
        )
        return bool(conforms), results_graph

    batches = _shape_batches(shapes, os.cpu_count() or 1) if parallel else []
    if len(batches) < 2:
        return check(None)
    with ThreadPoolExecutor(len(batches)) as pool:
        return _merged_reports(list(pool.map(check, batches)), shapes)


_COMPILED: dict[int, tuple[rdflib.Graph, CompiledShapes]] = {}


def _compiled(shapes: rdflib.Graph) -> CompiledShapes:
    """The shapes compiled once per shapes graph object (validate_state keeps one per version of the shapes)."""
    kept = _COMPILED.get(id(shapes))
    if kept is None or kept[0] is not shapes:
        if len(_COMPILED) > 4:
            _COMPILED.clear()
        kept = _COMPILED[id(shapes)] = (shapes, CompiledShapes(shapes, advanced=True))
    return kept[1]


@lru_cache(maxsize=4)
def graph_of_text(data: bytes) -> rdflib.Graph:
    """The N-Triples text as an rdflib graph, read once per text (the shapes, the class hierarchy): callers only
    read it."""
    return to_rdflib(NTriples(data))


def _shape_batches(shapes: rdflib.Graph, cores: int) -> list[list[str]]:
    """The shapes that select their own focus nodes (with a target, or as a class), dealt out over `cores`
    batches; none when a batch could not name one of them (a blank-node shape) or there is one core."""
    targeted = {s for key in _TARGETS for s in shapes.subjects(SH[key], None)}
    targeted |= {
        s
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes
    }
    if cores < 2 or len(targeted) < 2 or any(not isinstance(s, rdflib.URIRef) for s in targeted):
        return []
    names = sorted(str(s) for s in targeted)
    return [names[i::cores] for i in range(min(cores, len(names)))]


def _merged_reports(reports: list[tuple[bool, rdflib.Graph]], shapes: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
    """One SHACL report of the batches' reports: one sh:ValidationReport with every result. Blank nodes of a
    report are renamed (two reports may use the same labels) — except the shapes' own, which the results
    name as their sh:sourceShape and the hints look up in `shapes`."""
    conforms = all(c for c, _ in reports)
    merged = rdflib.Graph()
    report = rdflib.BNode()
    merged.add((report, RDF.type, SH.ValidationReport))
    merged.add((report, SH.conforms, rdflib.Literal(conforms)))
    shape_nodes = {n for n in shapes.all_nodes() if isinstance(n, rdflib.BNode)}
    for _, graph in reports:
        for prefix, namespace in graph.namespaces():
            merged.bind(prefix, namespace, override=False)
        fresh: dict[Node, rdflib.BNode] = {}

        def renamed(node: Node, fresh: dict[Node, rdflib.BNode] = fresh) -> Node:
            if isinstance(node, rdflib.BNode) and node not in shape_nodes:
                return fresh.setdefault(node, rdflib.BNode())
            return node

        own = set(graph.subjects(RDF.type, SH.ValidationReport))
        for subject, predicate, obj in graph:
            if subject in own:
                if predicate == SH.result:
                    merged.add((report, predicate, renamed(obj)))
                continue
            merged.add((renamed(subject), predicate, renamed(obj)))
    return conforms, merged


# -- terms of the project's own vocabularies ------------------------------------------------------------------
# A property or class under BASE that the ontology does not define (circe:sectr, circe:Practise) is a typo that no
# shape, query or page ever reads: the statement would be stored and vanish from every list. The shapes cannot see it
# (they select by the terms they know), so the validator looks for it itself, in the N-Triples text: one scan for the
# predicates and classes under BASE, then a set lookup (a small part of validating them); only a term that is not
# defined costs more, to find who uses it where.
_OWN = re.escape(BASE.encode())
_OWN_PREDICATE = re.compile(rb" <(" + _OWN + rb"[^>]*)> [<\"_]")  # " <p> " then the object; an object IRI ends " ."
_OWN_CLASS = re.compile(rb" <" + re.escape(str(RDF.type).encode()) + rb"> <(" + _OWN + rb"[^>]*)> \.\n")
_CLASS_TYPES = (OWL.Class, RDFS.Class)
_PROPERTY_TYPES = tuple(
    RDF.Property if name == "Property" else OWL[name]
    for name in (
        "Property",
        "ObjectProperty",
        "DatatypeProperty",
        "AnnotationProperty",
        "OntologyProperty",
        "FunctionalProperty",
        "InverseFunctionalProperty",
        "TransitiveProperty",
        "SymmetricProperty",
        "AsymmetricProperty",
        "ReflexiveProperty",
        "IrreflexiveProperty",
    )
)
USES_SHOWN = 20  # resources reported per unknown term; the message counts them all
KNOWN_TERMS = rdflib.URIRef(BASE + "shapes#KnownTermConstraintComponent")  # this check, in the SHACL report


@lru_cache(maxsize=4)
def _own_terms(ontology: bytes) -> tuple[frozenset[str], frozenset[str]]:
    """The classes and the properties that the ontology (N-Triples) defines under BASE."""
    graph = graph_of_text(ontology)
    classes = {s for t in _CLASS_TYPES for s in graph.subjects(RDF.type, t)}
    classes |= set(graph.subjects(RDFS.subClassOf, None))
    properties = {s for t in _PROPERTY_TYPES for s in graph.subjects(RDF.type, t)}
    properties |= {s for p in (RDFS.subPropertyOf, RDFS.domain, RDFS.range) for s in graph.subjects(p, None)}
    return (
        frozenset(str(c) for c in classes if str(c).startswith(BASE)),
        frozenset(str(p) for p in properties if str(p).startswith(BASE)),
    )


@dataclass
class _UnknownUse:
    result: Result
    focus: Node
    path: Node
    value: Node


def _unknown_terms(
    graphs: Sequence[NTriples], ontology: NTriples, name: Namer, locate: Locator | None
) -> list[_UnknownUse]:
    """A violation for each resource (up to USES_SHOWN per term) that uses a property or class under BASE which
    the ontology does not define, with the closest defined term as a hint and the line where the term is written.
    Nothing when the ontology defines no term under BASE: it is not there to say which terms exist."""
    classes, properties = _own_terms(ontology.data)
    if not classes and not properties:
        return []
    predicates: set[bytes] = set()
    types: set[bytes] = set()
    for graph in graphs:
        predicates.update(_OWN_PREDICATE.findall(graph.data))
        types.update(_OWN_CLASS.findall(graph.data))
    unknown = [(t.decode(), "property") for t in sorted(predicates) if t.decode() not in properties]
    unknown += [(t.decode(), "class") for t in sorted(types) if t.decode() not in classes]
    found: list[_UnknownUse] = []
    for term, kind in unknown:
        uses, count = _uses(graphs, term, kind)
        defined = properties if kind == "property" else classes
        namespace = term[: len(term) - len(_local_name(term))]
        local = {_local_name(t): t for t in sorted(defined) if t.startswith(namespace)}
        guess = nearest(_local_name(term), local)
        term_name = name(rdflib.URIRef(term))
        hint = (
            f"did you mean {name(rdflib.URIRef(local[guess]))}?"
            if guess
            else f"use a {kind} that /ontology lists, or define {term_name} in ontology/circe.ttl first"
        )
        times = f" (used {count} times)" if count > 1 else ""
        unseen = "reads this statement" if kind == "property" else "sees this resource as one"
        message = f"{term_name}{times} is not a {kind} of the circe-kg ontology: no shape, query or page {unseen}"
        for focus, path, value in uses:
            where = None
            if locate is not None:
                where = locate(term, str(focus)) if isinstance(focus, rdflib.URIRef) else locate(term)
            result = Result(
                severity="Violation",
                focus=name(focus) or "",
                message=message,
                path=name(path),
                value=name(value),
                file=where[0] if where else None,
                line=where[1] if where else None,
                hint=hint,
            )
            found.append(_UnknownUse(result, focus, path, value))
    return found


def _uses(graphs: Sequence[NTriples], term: str, kind: str) -> tuple[list[tuple[Node, Node, Node]], int]:
    """The first USES_SHOWN (subject, predicate, object) that use `term` as a property or as a class, one per
    subject, and how many triples use it in all. Read from the lines that name it: a scan's match may be the
    text of a literal, which this leaves out."""
    needle = f"<{term}>".encode()
    rdf_type = f"<{RDF.type}>".encode()
    shown: dict[Node, tuple[Node, Node, Node]] = {}
    count = 0
    for graph in graphs:
        data = graph.data
        at = data.find(needle)
        while at != -1:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end == -1 else end
            line = data[start:end]
            subject_end = line.find(b" ")
            rest = line[subject_end + 1 :]
            if (kind == "property" and rest.startswith(needle + b" ")) or (
                kind == "class" and rest == rdf_type + b" " + needle + b" ."
            ):
                count += 1
                if len(shown) < USES_SHOWN:
                    for triple in rdflib.Graph().parse(data=line.decode("utf-8"), format="nt"):
                        shown.setdefault(triple[0], triple)
            at = data.find(needle, end)
    return list(shown.values()), count


def _add_to_report(graph: rdflib.Graph, uses: Sequence[_UnknownUse]) -> None:
    """Put the unknown terms' violations into the standard SHACL report too (`--format turtle`), which then does
    not conform. Their source is this check (KNOWN_TERMS), not a shape of shapes/."""
    report = next(iter(graph.subjects(RDF.type, SH.ValidationReport)), None)
    if report is None:
        report = rdflib.BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
    graph.set((report, SH.conforms, rdflib.Literal(False)))
    for use in uses:
        node = rdflib.BNode()
        graph.add((report, SH.result, node))
        for predicate, obj in (
            (RDF.type, SH.ValidationResult),
            (SH.focusNode, use.focus),
            (SH.resultPath, use.path),
            (SH.value, use.value),
            (SH.resultSeverity, SH.Violation),
            (SH.sourceConstraintComponent, KNOWN_TERMS),
            (SH.resultMessage, rdflib.Literal(use.result.message, lang="en")),
        ):
            graph.add((node, predicate, obj))


def validate(
    data: Sequence[Iterable[ox.Triple]],
    shapes: rdflib.Graph,
    ontology: Iterable[ox.Triple] = (),
    locate: Locator | None = None,
    prefixes: dict[str, str] | None = None,
) -> Report:
    """Validate the union of the `data` triples against `shapes`, reading the class hierarchy from `ontology`, and
    check that every property and class under BASE that the data uses is defined there (a violation otherwise,
    with the closest defined term as a hint).

    pyshacl-turbo runs pySHACL's validation in Rust; every shape fixture in tests/test_shapes.py gives the same
    results with both. The data goes to it as the N-Triples text that every step of a write reads (ntriples.py),
    parsed natively into rdflib-turbo's dataset, which pyshacl-turbo's compiled shapes check in place (an rdflib
    graph in between would cost most of the time), read once for all threads. The two packages must share one
    engine build: they are pinned together (constraints.txt).
    """
    graphs = [NTriples.of(triples) for triples in data]
    hierarchy = NTriples.of(ontology)
    size = sum(len(graph) for graph in graphs)
    if len(shapes):
        conforms, results_graph = _engine_validation(
            [*graphs, hierarchy], shapes, parallel=size >= _parallel_from_triples()
        )
    else:  # no shapes: only the terms are checked
        conforms, results_graph = True, rdflib.Graph()
    return _explained(conforms, results_graph, graphs, TriplesCandidates(graphs), shapes, hierarchy, locate, prefixes)


def validate_around(
    context: rdflib.Graph,
    foci: set[Node],
    shapes: rdflib.Graph,
    ontology: NTriples,
    written: Sequence[NTriples],
    candidates: Candidates,
    locate: Locator | None = None,
    prefixes: dict[str, str] | None = None,
) -> Report:
    """The results `validate` gives about the `foci`, from `context`: triples of the state around them (every
    triple a shape reads when it validates one of them, incremental.py), with blank-node labels kept. Results
    about other nodes of the context are dropped: their surroundings may be incomplete. The property and class
    check of `validate` reads `written` (the new content of the graphs a write changes: the other graphs hold
    no unknown term, or they would not have been written); hints look through `candidates` (the whole state's).
    """
    dataset = NativeDataset.from_rdflib(context)
    if ontology:
        dataset.parse(data=ontology.data, format="nt")
    conforms, results_graph, _ = _compiled(shapes).validate(
        dataset, allow_infos=True, allow_warnings=True, abort_on_first=False
    )
    kept = rdflib.Graph()
    for prefix, namespace in results_graph.namespaces():
        kept.bind(prefix, namespace)
    report = rdflib.BNode()
    kept.add((report, RDF.type, SH.ValidationReport))
    violations = False
    for result in list(results_graph.subjects(RDF.type, SH.ValidationResult)):
        if results_graph.value(result, SH.focusNode) not in foci:
            continue
        kept.add((report, SH.result, result))
        violations |= results_graph.value(result, SH.resultSeverity) == SH.Violation
        for triple in _described(results_graph, result):
            kept.add(triple)
    kept.add((report, SH.conforms, rdflib.Literal(not violations)))
    return _explained(not violations, kept, list(written), candidates, shapes, ontology, locate, prefixes)


def _described(graph: rdflib.Graph, node: Node) -> Iterator[tuple[Node, Node, Node]]:
    """The triples about `node` and the blank nodes it leads to (a result and its path expression)."""
    seen = {node}
    todo = [node]
    while todo:
        current = todo.pop()
        for triple in graph.triples((current, None, None)):
            yield triple
            if isinstance(triple[2], rdflib.BNode) and triple[2] not in seen:
                seen.add(triple[2])
                todo.append(triple[2])


def _explained(
    conforms: bool,
    results_graph: rdflib.Graph,
    graphs: list[NTriples],
    candidates: Candidates,
    shapes: rdflib.Graph,
    hierarchy: NTriples,
    locate: Locator | None,
    prefixes: dict[str, str] | None,
) -> Report:
    """The engine's results as a Report (each with its file, line and hint), with the unknown terms of `graphs`."""
    name = Namer(prefixes)
    hint = _Hinter(candidates, shapes, name, graph_of_text(hierarchy.data))
    results: list[Result] = []
    for node in results_graph.subjects(RDF.type, SH.ValidationResult):

        def get(key: str, result: Node = node) -> Node | None:
            return results_graph.value(result, SH[key])

        focus, shape, value = get("focusNode"), get("sourceShape"), get("value")
        component = get("sourceConstraintComponent")
        messages = [str(m) for m in results_graph.objects(node, SH.resultMessage)]
        location = locate(str(focus)) if locate and isinstance(focus, rdflib.URIRef) else None
        results.append(
            Result(
                severity=SEVERITIES.get(str(get("resultSeverity")), str(get("resultSeverity"))),
                focus=name(focus) or "",
                message="; ".join(messages) or "constraint not met",
                path=name(get("resultPath")),
                value=name(value),
                shape=name(shape) if isinstance(shape, rdflib.URIRef) else None,
                component=name(component),
                file=location[0] if location else None,
                line=location[1] if location else None,
                hint=hint(shape, str(component), value) if shape is not None and component is not None else None,
            )
        )
    # An unknown class under BASE is also found by the shapes' cs:KnownClasses where they have it: reported once.
    said = {(r.focus, r.value) for r in results}
    unknown = [
        u
        for u in _unknown_terms(graphs, hierarchy, name, locate)
        if u.path != RDF.type or (u.result.focus, u.result.value) not in said
    ]
    if unknown:
        results.extend(u.result for u in unknown)
        _add_to_report(results_graph, unknown)
    return Report(conforms=bool(conforms) and not unknown, results=results, graph=results_graph)


@lru_cache(maxsize=1)
def _shipped_data_files_cached(stamp: tuple[tuple[str, float], ...]) -> tuple[ParsedFile, ...]:
    return tuple(parse_file(Path(name)) for name, _ in stamp)


def _shipped_data_files() -> tuple[ParsedFile, ...]:
    """The shipped data files, parsed once per version on disk: where a reported node is defined."""
    paths = [p for p in shipped_files() if p.parent.name == "data"]
    return _shipped_data_files_cached(tuple((str(p), p.stat().st_mtime) for p in paths))


def validate_state(state: Mapping[str, Iterable[ox.Triple]], parsed: Iterable[ParsedFile] = ()) -> Report:
    """Validate the data graphs of `state` against its shapes graphs, with its ontology graphs as hierarchy and as
    the list of the terms the data may use (see `validate`). `parsed`: the files the state was read from, so that
    each result names its file and line."""
    if not any(triples for iri, triples in state.items() if kind_of_graph(iri) in ("shapes", "ontology")):
        return Report(conforms=True)  # nothing to check against
    data: list[Iterable[ox.Triple]] = []
    ontology: list[Iterable[ox.Triple]] = []
    shapes_text: list[bytes] = []
    for iri, triples in sorted(state.items(), key=lambda item: item[0]):  # the history (system graphs) is not
        kind = kind_of_graph(iri)  # validated
        if kind == "data":
            data.append(triples)
        elif kind == "ontology":
            ontology.append(triples)
        elif kind == "shapes":
            shapes_text.append(NTriples.of(triples).data)
    shapes = graph_of_text(b"".join(shapes_text))
    files = list(parsed)
    prefixes: dict[str, str] = {}
    for p in files:
        prefixes.update(p.prefixes)
    return validate(
        data,
        shapes,
        NTriples(b"".join(NTriples.of(part).data for part in ontology)),
        locator(files, set(state)),
        prefixes,
    )


def locator(files: list[ParsedFile], graphs: set[str]) -> Locator:
    """Where a node is written: in `files` (being loaded) first, then in the shipped data files whose graphs are
    among `graphs` (the state's)."""
    given = {p.graph_iri for p in files}

    def locate(iri: str, used_by: str | None = None) -> tuple[str, int | None] | None:
        # The files being loaded first, then the shipped data files whose graphs are in the state.
        candidates = files + [s for s in _shipped_data_files() if s.graph_iri in graphs and s.graph_iri not in given]
        where = locate(used_by) if used_by is not None else None
        if where is not None and where[1]:  # the first line from the resource's own on that writes `iri`
            for p in candidates:
                line = p.line_of(iri, as_subject=False, after=where[1] - 1) if p.name == where[0] else None
                if line:
                    return p.name, line
        for as_subject in (True, False):
            for p in candidates:
                line = p.line_of(iri, as_subject) if p.kind == "data" else None
                if line:
                    return p.name, line
        return None

    return locate
