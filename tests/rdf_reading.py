"""Reading a dump back as a second reader does (rdflib), for comparing it with what a store holds
(circe_kg.export_graphs.isomorphic: fast where most triples are ground, unlike rdflib.compare)."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib


def read_back(data: bytes, parse_as: str) -> list[ox.Triple]:
    """The triples of a file as rdflib reads it (`parse_as`: rdflib's name of the format)."""
    graph = rdflib.Graph().parse(data=data.decode(), format=parse_as)
    return [q.triple for q in ox.parse(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)]


def union_of(store) -> list[ox.Triple]:
    """Every triple of the store's graphs, from its N-Quads dump, as rdflib reads them (it writes a date-time's Z
    as +00:00: both sides of a comparison must pass through it)."""
    quads = ox.parse(store.dump(ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS)
    return read_back(ox.serialize({q.triple for q in quads}, format=ox.RdfFormat.N_TRIPLES), "nt")
