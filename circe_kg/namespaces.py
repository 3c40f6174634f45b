"""Namespaces and the URI scheme of circe-kg, defined once."""

from functools import lru_cache

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SH, SKOS, XSD

BASE = "https://w3id.org/circe-kg/"
CIRCE = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
ORG = Namespace("http://www.w3.org/ns/org#")
CV = Namespace("http://data.europa.eu/m8g/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")
NUTS = Namespace("http://data.europa.eu/nuts/code/")
NACE = Namespace("http://data.europa.eu/ux2/nace2/")

# Prefixes offered to queries, parameters and error messages (so people can write circe:Practice).
PREFIXES: dict[str, str] = {
    "circe": str(CIRCE),
    "id": str(ID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "sh": str(SH),
    "org": str(ORG),
    "cv": str(CV),
    "prov": str(PROV),
    "schema": str(SCHEMA),
    "nuts": str(NUTS),
    "nace": str(NACE),
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}

# The per-kind prefixes of docs/MODEL.md, so people can write practice:albergo-diffuso anywhere.
KIND_PREFIXES: dict[str, str] = {
    "project": "project/",
    "organisation": "organisation/",
    "partnership": "partnership/",
    "instrument": "instrument/",
    "sector": "sector/",
    "opportunity": "opportunity/",
    "barrier": "barrier/",
    "practice": "practice/",
    "plan": "action-plan/",
    "action": "action/",
    "observation": "observation/",
    "meeting": "meeting/",
    "transfer": "transfer/",
    "scheme": "scheme/",
    "kirchherr": "concept/kirchherr-2018/",
    "emf": "concept/emf-barrier-types/",
    "resolve": "concept/resolve/",
    "rladder": "concept/r-ladder/",
    "itype": "concept/instrument-type/",
    "improvement": "concept/improvement-type/",
    "criterion": "concept/prioritisation-criterion/",
    "role": "concept/partner-role/",
    "evidence": "concept/evidence-level/",
    "status": "concept/monitoring-status/",
    "statement": "statement/",
    "dataset": "dataset/",
}
PREFIXES.update({prefix: str(ID) + path for prefix, path in KIND_PREFIXES.items()})
_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def compact(iri: str, extra: dict[str, str] | None = None) -> str:
    """The shortest prefixed name for `iri` (the longest namespace of PREFIXES, or of `extra`, that it starts with,
    when the rest is a valid local name); `<iri>` otherwise. Pages and error messages show IRIs this way.

    >>> compact("https://w3id.org/circe-kg/id/practice/albergo-diffuso")
    'practice:albergo-diffuso'
    >>> compact("https://example.org/x/y")
    '<https://example.org/x/y>'
    >>> compact("https://example.org/x/y", {"ex": "https://example.org/x/"})
    'ex:y'
    """
    if not extra:
        return _compact_known(iri)
    return _compacted(iri, sorted({**PREFIXES, **extra}.items(), key=lambda i: -len(i[1])))


@lru_cache(maxsize=1 << 16)
def _compact_known(iri: str) -> str:
    """`compact` with PREFIXES alone, remembered: pages name every row of a list this way, again after each write."""
    return _compacted(iri, _LONGEST_FIRST)


def _compacted(iri: str, candidates: list[tuple[str, str]]) -> str:
    for prefix, namespace in candidates:
        if prefix and namespace and iri.startswith(namespace):
            local = iri[len(namespace) :]
            if local and all(c.isalnum() or c in "-_." for c in local) and not local.endswith("."):
                return f"{prefix}:{local}"
    return f"<{iri}>"


def expand(text: str) -> str | None:
    """The full IRI for `prefix:local`, `<iri>` or an absolute http(s) IRI; None if it is none of those, so that
    a caller can say what it expected instead of guessing.

    >>> expand("nuts:ITC4")
    'http://data.europa.eu/nuts/code/ITC4'
    >>> expand("<https://example.org/a>")
    'https://example.org/a'
    >>> expand("nowhere:ITC4") is None
    True
    """
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if text.startswith(("http://", "https://")):
        return text
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return None


__all__ = [
    "KIND_PREFIXES",
    "compact",
    "expand",
    "BASE",
    "CIRCE",
    "CV",
    "DCAT",
    "DCTERMS",
    "GRAPH",
    "ID",
    "NACE",
    "NUTS",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SH",
    "SKOS",
    "XSD",
]
