"""Writing triples out: one place that picks the media types, file extensions and prefixes.

JSON-LD is written compact, with the project's context (JSONLD_CONTEXT: its prefixes and short names for the
common terms, skos:prefLabel → prefLabel, dct:source → source…), so that a plain JSON reader sees short keys:
`{"@id": "practice:albergo-diffuso", "@type": "circe:Practice", "prefLabel": [{"@value": "…", "@language": "en"}]}`.
The context is published at /context.jsonld (web/linked_data.py); resource documents refer to it by that URL,
the JSON-LD dump embeds it. The writer is this module's own (write_jsonld), not rdflib's compaction: it streams
node by node, so the dump of 10^7 triples is never held in memory, and each key and value has one form only
(no type coercion in the context), which a reader can rely on.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox

from .binding import AnyTerm, value_of
from .namespaces import DCTERMS, OWL, PREFIXES, RDF, RDFS, SCHEMA, SKOS, XSD, compact

# A cell a spreadsheet program would run as a formula starts with one of these (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_text(text: str) -> str:
    """Text a spreadsheet program would read as a formula, prefixed with ' so that it is read as text.

    >>> safe_csv_text("=SUM(A1:A9)"), safe_csv_text("Milano")
    ("'=SUM(A1:A9)", 'Milano')
    """
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class RdfType:
    mime: str
    extension: str
    format: ox.RdfFormat
    rdflib_name: str  # what rdflib calls it, for clients and tests
    name: str  # what `?format=` (the SPARQL endpoint) and `--format` (the CLI) call it
    file_type: str  # the EU file-type authority's code, for DCAT-AP distributions


# Graphs (a resource's description, CONSTRUCT and DESCRIBE answers, uploads), in the order content negotiation
# prefers them.
RDF_TYPES = [
    RdfType("text/turtle", "ttl", ox.RdfFormat.TURTLE, "turtle", "turtle", "RDF_TURTLE"),
    RdfType("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, "nt", "ntriples", "RDF_N_TRIPLES"),
    RdfType("application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, "xml", "rdfxml", "RDF_XML"),
    RdfType("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, "json-ld", "jsonld", "JSON_LD"),
]
BY_MIME = {t.mime: t for t in RDF_TYPES}
BY_EXTENSION = {t.extension: t for t in RDF_TYPES}
# Datasets (named graphs kept): the dumps.
DATASET_TYPES = [
    RdfType("application/n-quads", "nq", ox.RdfFormat.N_QUADS, "nquads", "nquads", "RDF_N_QUADS"),
    RdfType("application/trig", "trig", ox.RdfFormat.TRIG, "trig", "trig", "RDF_TRIG"),
]
# Every RDF type by media type: graphs and datasets.
ANY_RDF = {t.mime: t for t in [*RDF_TYPES, *DATASET_TYPES]}


@dataclass(frozen=True)
class ResultsType:
    mime: str
    format: ox.QueryResultsFormat
    name: str  # what `?format=` and `--format` call it


# The answers of SELECT and ASK, in the order content negotiation prefers them.
RESULTS_TYPES = [
    ResultsType("application/sparql-results+json", ox.QueryResultsFormat.JSON, "json"),
    ResultsType("application/sparql-results+xml", ox.QueryResultsFormat.XML, "xml"),
    ResultsType("text/csv", ox.QueryResultsFormat.CSV, "csv"),
    ResultsType("text/tab-separated-values", ox.QueryResultsFormat.TSV, "tsv"),
]


def used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """Only the prefixes some IRI of `triples` starts with (a literal's datatype included), so output stays short.

    >>> from circe_kg.namespaces import SKOS
    >>> practice = ox.NamedNode("https://w3id.org/circe-kg/id/practice/albergo-diffuso")
    >>> sorted(used_prefixes([ox.Triple(practice, ox.NamedNode(SKOS.prefLabel), ox.Literal("Albergo diffuso"))]))
    ['practice', 'skos', 'xsd']
    """
    iris = {
        term.value for t in triples for term in (t.subject, t.predicate, t.object) if isinstance(term, ox.NamedNode)
    }
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
    longest_first = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
    used: dict[str, str] = {}
    for iri in iris:
        match = next(((p, ns) for p, ns in longest_first if iri.startswith(ns)), None)
        if match:
            used[match[0]] = match[1]
    return used


def serialize(triples: Iterable[ox.Triple], rdf_format: ox.RdfFormat) -> bytes:
    listed = sorted(set(triples), key=str)
    return ox.serialize(listed, format=rdf_format, prefixes=used_prefixes(listed)) or b""


# -- Compact JSON-LD --------------------------------------------------------------------------------------------
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
PROV = PREFIXES["prov"]
VOID = PREFIXES["void"]
# Short names for the terms of the standard vocabularies the data uses most; the project's own properties keep
# their prefix (circe:partner): their local names (sector, project, status…) are also prefixes.
JSONLD_TERMS: dict[str, str] = {
    **{
        name: str(SKOS) + name
        for name in (
            "prefLabel",
            "altLabel",
            "hiddenLabel",
            "definition",
            "note",
            "scopeNote",
            "editorialNote",
            "notation",
            "broader",
            "narrower",
            "related",
            "inScheme",
            "topConceptOf",
            "hasTopConcept",
            "exactMatch",
            "closeMatch",
        )
    },
    **{
        name: str(DCTERMS) + name
        for name in (
            "source",
            "title",
            "description",
            "coverage",
            "language",
            "spatial",
            "temporal",
            "date",
            "created",
            "modified",
            "license",
            "publisher",
            "identifier",
            "isPartOf",
            "bibliographicCitation",
        )
    },
    "label": str(RDFS.label),
    "comment": str(RDFS.comment),
    "seeAlso": str(RDFS.seeAlso),
    "sameAs": str(OWL.sameAs),
    "keywords": str(SCHEMA.keywords),
    "startDate": str(SCHEMA.startDate),
    "endDate": str(SCHEMA.endDate),
    "inDataset": VOID + "inDataset",
    "wasDerivedFrom": PROV + "wasDerivedFrom",
    "wasGeneratedBy": PROV + "wasGeneratedBy",
    "lat": GEO + "lat",
    "long": GEO + "long",
}
JSONLD_CONTEXT: dict[str, str] = {**PREFIXES, **JSONLD_TERMS}
_TERM_OF = {iri: term for term, iri in JSONLD_TERMS.items()}


@functools.lru_cache(maxsize=1 << 16)
def _compact_iri(iri: str) -> str:
    """`iri` as JSONLD_CONTEXT shortens it (practice:albergo-diffuso), or whole when no prefix fits."""
    short = compact(iri)
    return iri if short.startswith("<") else short


def _key(predicate: str) -> str:
    return _TERM_OF.get(predicate) or _compact_iri(predicate)


JsonLdValue = str | dict[str, str]  # a value of a node object's property


def _jsonld_value(term: AnyTerm) -> JsonLdValue:
    """A value in the one form each kind has: {"@id"} for an IRI or blank node, a plain string for an
    xsd:string, {"@value", "@language"} or {"@value", "@type"} for the other literals."""
    if isinstance(term, ox.NamedNode):
        return {"@id": _compact_iri(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": "_:" + term.value}
    if not isinstance(term, ox.Literal):
        raise TypeError(f"JSON-LD 1.1 cannot write the triple term {term}")
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == str(XSD.string):
        return term.value
    return {"@value": term.value, "@type": _compact_iri(term.datatype.value)}


def jsonld_node(subject: ox.NamedNode | ox.BlankNode, triples: Iterable[ox.Triple]) -> dict[str, Any]:
    """The node object of `subject` from its `triples`: "@id", "@type" (its classes), then one key per property
    in alphabetical order, a single value as such and several as a list (sorted, so output is repeatable)."""
    node: dict[str, Any] = {
        "@id": "_:" + subject.value if isinstance(subject, ox.BlankNode) else _compact_iri(subject.value)
    }
    types: list[str] = []
    values: dict[str, list[JsonLdValue]] = {}
    for t in triples:
        if t.predicate.value == str(RDF.type) and isinstance(t.object, ox.NamedNode):
            types.append(_compact_iri(t.object.value))
        else:
            values.setdefault(_key(t.predicate.value), []).append(_jsonld_value(t.object))
    if types:
        node["@type"] = types[0] if len(types) == 1 else sorted(types)
    for key in sorted(values):
        listed = sorted(values[key], key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        node[key] = listed[0] if len(listed) == 1 else listed
    return node


class Output(Protocol):
    """Where bytes are written: a binary file, or any object with its `write` (a tally that counts them, a
    worker's stream), which is all a writer here needs of it."""

    def write(self, data: bytes, /) -> int: ...


def write_jsonld(triples: Iterable[ox.Triple], output: Output, context: str | dict[str, str]) -> None:
    """Write `triples` to `output` as one compact JSON-LD document: `context` (a URL, or the context object
    itself) and an "@graph" of node objects, one per run of consecutive triples about the same subject (a subject
    that comes back later gets another node object with the same "@id", which JSON-LD merges). Streams: holds one
    subject's triples at a time. Raises TypeError for an RDF 1.2 triple term, which JSON-LD cannot express."""
    output.write(b'{"@context": ' + json.dumps(context).encode() + b',\n"@graph": [\n')
    for number, (subject, group) in enumerate(itertools.groupby(triples, key=lambda t: t.subject)):
        node = json.dumps(jsonld_node(subject, group), ensure_ascii=False)
        output.write((b",\n" if number else b"") + node.encode("utf-8"))
    output.write(b"\n]}\n")


def jsonld_document(triples: Iterable[ox.Triple], context: str | dict[str, str], first: str | None = None) -> bytes:
    """`triples` as an indented compact JSON-LD document, as write_jsonld writes it but with each subject's node
    once: the node of the IRI `first` (the resource a document describes) at the top, then the others by "@id"."""
    listed = sorted(
        set(triples), key=lambda t: (value_of(t.subject) != first, str(t.subject), str(t.predicate), str(t.object))
    )
    graph = [jsonld_node(subject, group) for subject, group in itertools.groupby(listed, key=lambda t: t.subject)]
    return json.dumps({"@context": context, "@graph": graph}, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
