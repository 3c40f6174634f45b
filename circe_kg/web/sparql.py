"""The public SPARQL 1.1 Protocol endpoint at /sparql: read-only, results negotiated by Accept (or `format`).

The default graph is the union of all named graphs. Updates are refused here (the data-steward issue adds
authenticated writes on a separate path).
"""

from __future__ import annotations

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, request
from rdflib.namespace import RDF

from ..errors import UsageError
from .store_access import get_store

bp = Blueprint("sparql", __name__)

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")

SOLUTION_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
FORMAT_PARAMETER = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle",
    "ntriples": "application/n-triples", "nt": "application/n-triples", "rdfxml": "application/rdf+xml",
    "xmlrdf": "application/rdf+xml", "jsonld": "application/ld+json",
}


class NotAcceptable(UsageError):
    status = 406
    kind = "not-acceptable"


class UpdateRefused(UsageError):
    status = 403
    kind = "update-refused"


def _query_text() -> str | None:
    if request.method == "GET":
        return request.args.get("query")
    if request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    if request.mimetype == "application/sparql-update" or "update" in request.form:
        raise UpdateRefused("this endpoint is read-only: SPARQL Update is refused",
                            "the public /sparql answers queries only")
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("query")
    raise UsageError(f"unsupported request content type {request.mimetype!r}",
                     "POST application/sparql-query, or application/x-www-form-urlencoded with query=…")


def _choose(offered: dict[str, object]) -> str:
    fmt = (request.values.get("format") or "").lower()
    if fmt:
        mime = FORMAT_PARAMETER.get(fmt, fmt)
        if mime in offered:
            return mime
        raise NotAcceptable(f"format {fmt!r} cannot express this result",
                            "use one of: " + ", ".join(k for k, v in FORMAT_PARAMETER.items() if v in offered))
    if not request.accept_mimetypes or request.accept_mimetypes.best in ("*/*", None):
        return next(iter(offered))
    best = request.accept_mimetypes.best_match(list(offered))
    if best is None:
        raise NotAcceptable("none of the media types in Accept can express this result",
                            "accept one of: " + ", ".join(offered))
    return best


def _service_description() -> Response:
    graph = rdflib.Graph()
    graph.bind("sd", SD)
    service = rdflib.URIRef(request.base_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        graph.add((service, SD.resultFormat, FORMATS[fmt]))
    response = Response(graph.serialize(format="turtle"), mimetype="text/turtle")
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    text = _query_text()
    if not text:
        return _service_description()
    try:
        result = get_store().query(text)
    except SyntaxError as error:
        raise UsageError(f"SPARQL syntax error: {error}", "check the query near the position given") from None
    if isinstance(result, ox.QueryTriples):
        mime = _choose(GRAPH_TYPES)
        body = result.serialize(format=GRAPH_TYPES[mime]) or b""
    else:
        mime = _choose(SOLUTION_TYPES)
        body = result.serialize(format=SOLUTION_TYPES[mime]) or b""
    response = Response(body, mimetype=mime)
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
