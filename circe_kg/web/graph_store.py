"""The SPARQL 1.1 Graph Store HTTP Protocol on one named data graph: GET|PUT|POST|DELETE /graphs?graph=IRI, and
POST /graphs/restore?graph=IRI&version=N to bring a graph back to a recorded version (the history: /history).

A graph's GET answers with an ETag; a PUT, POST or DELETE that sends it back as If-Match is written only if the
graph is still that version (412 Precondition Failed otherwise, nothing written), so no one's write is undone.
Writes need `Authorization: Bearer <token>`. Tokens come from the environment, never from the repository:
CIRCE_KG_WRITE_TOKEN (+ CIRCE_KG_WRITE_AGENT, the name the history records) or CIRCE_KG_TOKENS_FILE, a file
of `name token` lines (web/tokens.py). Without any token configured, writing is disabled (403). Every write
passes the write gate: validated before it becomes visible (422 with the report), serialised, recorded.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, g, request

from ..errors import NotFound, UnsupportedMediaType, UsageError
from ..namespaces import GRAPH
from ..rdf_files import ParsedFile, decode_utf8, parse_text
from ..serialization import BY_MIME, serialize
from ..writing.gate import checksum
from .auth import requires_role, requires_token
from .services import gate, get_store
from .write_protocol import apply, etag, if_match, written

bp = Blueprint("graph_store", __name__)

UPLOAD_TYPES = {t.mime: t.format for t in BY_MIME.values()}


def _graph_parameter() -> str:
    if "default" in request.args:
        raise UsageError(
            "the default graph holds nothing here: every file has its own named graph", f"use ?graph={GRAPH}data/…"
        )
    graph = request.args.get("graph", "")
    if not graph.startswith(("http://", "https://")) or any(c in graph for c in ' <>"{}|^`\\'):
        raise UsageError(f"?graph= must be an absolute IRI, got {graph!r}", f"e.g. ?graph={GRAPH}data/practices")
    try:  # control characters (NUL, DEL…) passed the check above and failed only when the write was recorded: a 500
        ox.NamedNode(graph)
    except ValueError as error:
        raise UsageError(f"?graph= is not a valid IRI: {error}", f"e.g. ?graph={GRAPH}data/practices") from None
    return graph


def _uploaded_triples(graph: str) -> tuple[Any, bytes, ParsedFile]:
    """The triples of the request's body, and the body as sent (its checksum is recorded). A UTF-8 byte-order
    mark at its start is ignored, as editors on Windows write one. Raises UnsupportedMediaType for a type it
    cannot read, RdfSyntaxError (400) for a body that does not parse — for bytes that are not UTF-8, naming the
    line and column of the first one."""
    rdf_format = UPLOAD_TYPES.get(request.mimetype)
    if rdf_format is None:
        raise UnsupportedMediaType(
            f"cannot read {request.mimetype or 'a body without Content-Type'}",
            "send one of: " + ", ".join(UPLOAD_TYPES),
        )
    body = request.get_data()
    name = f"<{graph}> (uploaded body)"
    triples, prefixes = parse_text(decode_utf8(body, name), name, rdf_format)
    # As a parsed file, so that each violation of the write names its line in the body.
    return triples, body, ParsedFile(name, graph, "data", triples, prefixes, body)


@bp.get("/graphs")
def read_graph() -> Response:
    graph = _graph_parameter()
    store = get_store()
    if graph not in store.named_graphs():
        raise NotFound(f"no graph <{graph}>", "the graphs are listed in the N-Quads dump at /dumps/")
    mime = request.accept_mimetypes.best_match(list(UPLOAD_TYPES)) or "text/turtle"
    response = Response(serialize(store.triples(graph), UPLOAD_TYPES[mime]), mimetype=mime)
    response.headers["Vary"] = "Accept"
    response.headers["ETag"] = etag(graph)  # send it back as If-Match to write over this version only
    return response


@bp.put("/graphs")
@requires_token
def put_graph() -> Response:
    graph = _graph_parameter()
    existed = graph in get_store().named_graphs()
    expect = if_match(graph)
    triples, body, parsed = _uploaded_triples(graph)
    return apply({graph: triples}, "PUT", checksum(body), 200 if existed else 201, (parsed,), expect=expect)


@bp.post("/graphs")
@requires_token
def post_graph() -> Response:
    graph = _graph_parameter()
    store = get_store()
    existed = graph in store.named_graphs()
    expect = if_match(graph)
    triples, body, parsed = _uploaded_triples(graph)
    merged = list(set(store.triples(graph)) | set(triples)) if existed else triples
    return apply({graph: merged}, "POST", checksum(body), 200 if existed else 201, (parsed,), expect=expect)


@bp.delete("/graphs")
@requires_token
def delete_graph() -> Response:
    graph = _graph_parameter()
    if graph not in get_store().named_graphs():
        raise NotFound(f"no graph <{graph}>", "list the graphs in /dumps/ or with SELECT DISTINCT ?g")
    return apply({graph: None}, "DELETE", expect=if_match(graph))


@bp.post("/graphs/restore")
@requires_role("steward", "reviewer")
def restore_graph() -> Response:
    graph = _graph_parameter()
    try:
        version = int(request.args.get("version", ""))
    except ValueError:
        raise UsageError("?version= must be a whole number", "see /history for the versions") from None
    return written(gate().restore(graph, version, g.agent))
