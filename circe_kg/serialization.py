"""Writing triples out: one place that picks the media types, file extensions and prefixes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import PREFIXES


@dataclass(frozen=True)
class RdfType:
    mime: str
    extension: str
    format: ox.RdfFormat
    rdflib_name: str  # what rdflib calls it, for clients and tests


RDF_TYPES = [
    RdfType("text/turtle", "ttl", ox.RdfFormat.TURTLE, "turtle"),
    RdfType("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, "nt"),
    RdfType("application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, "xml"),
    RdfType("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, "json-ld"),
]
BY_MIME = {t.mime: t for t in RDF_TYPES}
BY_EXTENSION = {t.extension: t for t in RDF_TYPES}


def used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """Only the prefixes some IRI of `triples` starts with, so output stays short."""
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
