"""The public SPARQL 1.1 Protocol endpoint at /sparql: read-only, results negotiated by Accept (or `format`).

Queries run in the sandbox's killable workers (time limit, result-size cap); an answer over 1 MiB is streamed as
the worker writes it (sandbox._ResultWriter). The default graph is the union
of all named graphs unless `default-graph-uri` says otherwise.

Updates are refused here, in words that say where they go ("this endpoint is read-only: updates go to POST /update
with a write token"): an update request (`update=`, application/sparql-update) gets 403 Forbidden, a request this
endpoint understands and refuses; an update sent as a query (`query=INSERT DATA …`) gets 400 Bad Request, as any
other text that is not a query (the protocol's "malformed query"). Not 405: GET and POST are this path's methods,
and the method is not what is wrong. A query using an undeclared prefix is told which, and the PREFIX line to add
(sandbox.explain_syntax_error).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import rdflib
from flask import Blueprint, Response, request, url_for
from rdflib.namespace import RDF, XSD
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import ClosingIterator

from ..endpoint.sandbox import (
    GRAPH_FORMATS,
    READ_ONLY,
    READ_ONLY_HINT,
    SOLUTION_FORMATS,
    QueryReply,
)
from ..errors import NotAcceptable, UriTooLong, UsageError, WriteRefused
from ..serialization import BY_MIME, RDF_TYPES, RESULTS_TYPES
from .query_rules import check_query
from .services import get_store, sandbox

bp = Blueprint("sparql", __name__)

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
MAX_QUERY_STRING = 64 * 1024
MAX_QUERY_BODY = 1024 * 1024  # queries are text; uploads (16 MiB) go to the steward paths

ALIASES = {"application/json": "application/sparql-results+json"}
FORMAT_PARAMETER = (
    {t.name: t.mime for t in RESULTS_TYPES}
    | {t.name: t.mime for t in RDF_TYPES}
    | {t.extension: t.mime for t in RDF_TYPES}
)


def _query_text() -> str | None:
    if (request.content_length or 0) > MAX_QUERY_BODY:
        raise RequestEntityTooLarge(f"a query may be at most {MAX_QUERY_BODY} bytes")
    if len(request.query_string) > MAX_QUERY_STRING:
        raise UriTooLong(
            f"the query string is longer than {MAX_QUERY_STRING} bytes",
            "send long queries with POST (application/sparql-query)",
        )
    if request.method == "GET":
        if "update" in request.args:
            raise WriteRefused(READ_ONLY, READ_ONLY_HINT)
        return request.args.get("query")
    if request.mimetype == "application/sparql-update" or "update" in request.form:
        raise WriteRefused(READ_ONLY, READ_ONLY_HINT)
    if request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("query")
    raise UsageError(
        f"unsupported request content type {request.mimetype!r}",
        "POST application/sparql-query, or application/x-www-form-urlencoded with query=…",
    )


def _negotiate() -> tuple[str | None, str | None]:
    """The media type for solutions (SELECT/ASK) and for graphs (CONSTRUCT/DESCRIBE) this client wants."""
    fmt = (request.values.get("format") or "").lower()
    if fmt:
        mime = ALIASES.get(FORMAT_PARAMETER.get(fmt, fmt), FORMAT_PARAMETER.get(fmt, fmt))
        if mime in SOLUTION_FORMATS or mime in GRAPH_FORMATS:
            return (mime if mime in SOLUTION_FORMATS else None, mime if mime in GRAPH_FORMATS else None)
        raise NotAcceptable(f"unknown format {fmt!r}", "use one of: " + ", ".join(sorted(FORMAT_PARAMETER)))
    accept = request.accept_mimetypes
    if not accept or accept.best in ("*/*", None):
        return "application/sparql-results+json", "text/turtle"
    solution = accept.best_match([*SOLUTION_FORMATS, *ALIASES])
    graph = accept.best_match(list(GRAPH_FORMATS))
    if solution is None and graph is None:
        raise NotAcceptable(
            "none of the media types in Accept is offered",
            "accept one of: " + ", ".join([*SOLUTION_FORMATS, *GRAPH_FORMATS]),
        )
    return ALIASES.get(solution or "", solution), graph


def _graph_iris(name: str) -> list[str]:
    values = request.values.getlist(name)
    for value in values:
        if not value.startswith(("http://", "https://", "urn:")) or any(c in value for c in ' <>"{}|^`\\'):
            raise UsageError(f"{name} must be an absolute IRI, got {value!r}")
    return values


def _service_description() -> Response:
    graph = rdflib.Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    service = rdflib.URIRef(request.base_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    ):
        graph.add((service, SD.resultFormat, FORMATS[fmt]))
    dataset = rdflib.BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default = rdflib.BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, VOID.triples, rdflib.Literal(get_store().count(), datatype=XSD.integer)))
    graph.add(
        (
            service,
            rdflib.URIRef("http://rdfs.org/ns/void#inDataset"),
            rdflib.URIRef(url_for("void.description", _external=True)),
        )
    )
    mime = request.accept_mimetypes.best_match(list(GRAPH_FORMATS)) or "text/turtle"
    response = Response(graph.serialize(format=BY_MIME[mime].rdflib_name), mimetype=mime)
    response.headers["Vary"] = "Accept"
    return response


def _body(reply: QueryReply) -> bytes | Iterable[bytes]:
    """The answer whole, or streamed: its first part, then the rest as the worker writes it. The rest's close()
    runs when the response is closed (by the WSGI server, also when the client goes away mid-way)."""
    if reply.rest is None:
        return reply.body
    return ClosingIterator(itertools.chain([reply.body], reply.rest), [getattr(reply.rest, "close", lambda: None)])


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    if request.method == "OPTIONS":  # a CORS preflight, which flask-cors answers (security.CROSS_ORIGIN)
        return Response(status=204)
    text = _query_text()
    if not text:
        return _service_description()
    check_query(text)
    solution_mime, graph_mime = _negotiate()
    reply = sandbox().run(
        text, solution_mime, graph_mime, _graph_iris("default-graph-uri"), _graph_iris("named-graph-uri")
    )
    response = Response(_body(reply), mimetype=reply.mime)
    response.headers["Vary"] = "Accept"
    missing = get_store().missing_sources()
    if missing:  # a federation's endpoint that did not answer: the answer is partial, and says so
        response.headers["Warning"] = f'199 circe-kg "partial answer: no answer from {", ".join(missing)}"'
    return response
