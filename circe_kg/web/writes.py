"""Authenticated writes for data stewards, apart from the public read-only /sparql:

- POST /update                     SPARQL 1.1 Update (application/sparql-update, or form field `update`); with
                                   If-Match (the ETags of the graphs it changes), only over those versions
- GET|PUT|POST|DELETE /graphs?graph=IRI   SPARQL 1.1 Graph Store HTTP Protocol on one named data graph
- GET /history[?graph=IRI]         the recorded writes (JSON, or HTML for browsers: web/changes.py)
- POST /graphs/restore?graph=IRI&version=N   bring a graph back to a recorded version

A graph's GET answers with an ETag; a PUT, POST or DELETE that sends it back as If-Match is written only if the
graph is still that version (412 Precondition Failed otherwise, nothing written), so no one's write is undone.
Writes need `Authorization: Bearer <token>`. Tokens come from the environment, never from the repository:
CIRCE_KG_WRITE_TOKEN (+ CIRCE_KG_WRITE_AGENT, the name the history records) or CIRCE_KG_TOKENS_FILE, a file
of `name token` lines. Without any token configured, writing is disabled (403). Every write passes the
write gate: validated before it becomes visible (422 with the report), serialised, recorded.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, jsonify, request

from ..errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    Unauthorised,
    UnsupportedMediaType,
    UsageError,
    WriteRefused,
    WritesDisabled,
)
from ..namespaces import GRAPH
from ..rdf_files import ParsedFile, decode_utf8, parse_text
from ..serialization import BY_MIME, serialize
from ..writing.gate import WriteGate, checksum
from .store_access import get_store
from .tokens import configured_tokens  # noqa: F401  (create_app reads the tokens through this module)

bp = Blueprint("writes", __name__)

UPLOAD_TYPES = {t.mime: t.format for t in BY_MIME.values()}


def gate() -> WriteGate:
    return current_app.extensions["circe_gate"]  # type: ignore[no-any-return]


def agent_for(given: str) -> str:
    """The agent name of a configured token (compared in constant time), or Unauthorised / WritesDisabled."""
    tokens = current_app.extensions["circe_tokens"]
    if not tokens:
        raise WritesDisabled(
            "writing is disabled on this server",
            "the operator enables it by setting CIRCE_KG_WRITE_TOKEN or CIRCE_KG_TOKENS_FILE",
        )
    found = None
    for token, who in tokens.items():  # no early exit: every check costs the same
        if hmac.compare_digest(given.encode(), token.encode()):
            found = who
    if found is None:
        raise Unauthorised(
            "a valid bearer token is required to write",
            "send `Authorization: Bearer <token>`; ask the operator for a token",
        )
    g.role = found[1]
    return found[0]


def requires_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the request through only with a configured bearer token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        g.agent = agent_for(header[7:].strip() if header.lower().startswith("bearer ") else "")
        return view(*args, **kwargs)

    return wrapper


ENTITY_TAGS = re.compile(r'\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*')


def etag(graph: str) -> str:
    """The entity tag of a graph's current version (quoted, as HTTP sends it)."""
    return f'"{gate().base(graph)}"'


def _if_match_tags() -> list[str] | None:
    """The entity tags of If-Match (["*"] for any), None without the header. Raises UsageError when malformed."""
    given = request.headers.get("If-Match")
    if given is None:
        return None
    if not ENTITY_TAGS.fullmatch(given):
        raise UsageError(
            f"If-Match is not an entity tag: {given[:80]!r}",
            'send back the ETag that GET /graphs?graph=… gave, quotes included (If-Match: "…"), or * for "exists"',
        )
    if given.strip() == "*":
        return ["*"]
    return [t.strip().removeprefix("W/").strip('"') for t in given.split(",")]


def _stale(graph: str, current: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"<{graph}> has changed since the version you sent in If-Match",
        f'nothing was written: GET it again (its ETag is now "{current}"), merge your change, and send it with '
        "the new ETag",
    )


def _if_match(graph: str) -> dict[str, str] | None:
    """The version an HTTP write was based on (its If-Match), as `expect` for the gate; None without the header.
    Raises UsageError for a malformed header, PreconditionFailed for a version that is not the current one."""
    tags = _if_match_tags()
    if tags is None:
        return None
    current = gate().base(graph)
    if tags == ["*"]:
        if not current:
            raise PreconditionFailed(f"<{graph}> does not exist (If-Match: *)", "create it without If-Match")
    elif current not in tags:
        raise _stale(graph, current)
    return {graph: current}


def apply(
    changes: dict[str, Any],
    operation: str,
    upload: str | None = None,
    status: int = 200,
    parsed: tuple = (),
    expect: dict[str, str] | None = None,
) -> Response:
    """Write now (stewards, reviewers) or hold as a draft for review (editors: 202 Accepted); with `expect`
    (WriteGate.commit), only if those graphs are still the versions it names."""
    try:
        if g.get("role") == "editor":
            number = gate().propose(changes, operation, g.agent, expect=expect)
            response = jsonify({"draft": number, "status": "pending", "review": f"/drafts/{number}"})
            response.status_code = 202
            return response
        response = _written(gate().commit(changes, operation, g.agent, upload, parsed, expect=expect), status)
    except Conflict as conflict:
        if expect is None or isinstance(conflict, PreconditionFailed):
            raise
        raise PreconditionFailed(conflict.message, conflict.hint) from None
    if len(changes) == 1:
        response.headers["ETag"] = etag(next(iter(changes)))
    return response


def requires_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.get("role") not in roles:
                raise WriteRefused(f"this needs a {' or '.join(roles)} token", "ask the operator for one")
            return view(*args, **kwargs)

        return requires_token(wrapper)

    return decorate


def _written(change: Any, status: int = 200) -> Response:
    body = {
        "version": change.number,
        "operation": change.operation,
        "agent": change.agent,
        "time": change.time,
        "graphs": [{"graph": c.graph, "added": c.added, "removed": c.removed} for c in change.graphs],
    }
    if change.report is not None and change.report.results:
        body["report"] = change.report.to_dict()
    response = jsonify(body)
    response.status_code = status
    return response


@bp.post("/update")
@requires_token
def update() -> Response:
    if request.mimetype == "application/sparql-update":
        text = request.get_data(as_text=True)
    else:
        text = request.form.get("update", "")
    if not text.strip():
        raise UsageError("no update given", "POST application/sparql-update, or a form with update=…")
    tags = _if_match_tags()
    with gate().exclusive():  # no write between reading the graphs and writing what the update made of them
        changes = gate().changes_of_update(text)
        bases = {graph: gate().base(graph) for graph in changes}
        for graph, current in bases.items() if tags is not None else ():  # the client's versions
            if tags == ["*"] and not current:
                raise PreconditionFailed(f"<{graph}> does not exist (If-Match: *)", "send the update without If-Match")
            if tags != ["*"] and current and current not in tags:
                raise _stale(graph, current)
        return apply(changes, "update", checksum(text.encode("utf-8")), expect=bases)


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
    expect = _if_match(graph)
    triples, body, parsed = _uploaded_triples(graph)
    return apply({graph: triples}, "PUT", checksum(body), 200 if existed else 201, (parsed,), expect=expect)


@bp.post("/graphs")
@requires_token
def post_graph() -> Response:
    graph = _graph_parameter()
    store = get_store()
    existed = graph in store.named_graphs()
    expect = _if_match(graph)
    triples, body, parsed = _uploaded_triples(graph)
    merged = list(set(store.triples(graph)) | set(triples)) if existed else triples
    return apply({graph: merged}, "POST", checksum(body), 200 if existed else 201, (parsed,), expect=expect)


@bp.delete("/graphs")
@requires_token
def delete_graph() -> Response:
    graph = _graph_parameter()
    if graph not in get_store().named_graphs():
        raise NotFound(f"no graph <{graph}>", "list the graphs in /dumps/ or with SELECT DISTINCT ?g")
    return apply({graph: None}, "DELETE", expect=_if_match(graph))


@bp.post("/graphs/restore")
@requires_role("steward", "reviewer")
def restore_graph() -> Response:
    graph = _graph_parameter()
    try:
        version = int(request.args.get("version", ""))
    except ValueError:
        raise UsageError("?version= must be a whole number", "see /history for the versions") from None
    return _written(gate().restore(graph, version, g.agent))


@bp.get("/drafts")
@requires_token
def drafts() -> Response:
    return jsonify(gate().drafts())


@bp.get("/drafts/<int:number>")
@requires_token
def review(number: int) -> Response:
    """The draft, its diff against the published graphs, and the validation report of publishing it."""
    return jsonify(gate().review(number))


@bp.post("/drafts/<int:number>/publish")
@requires_role("reviewer", "steward")
def publish(number: int) -> Response:
    return _written(gate().publish(number, g.agent))


@bp.post("/drafts/<int:number>/reject")
@requires_role("reviewer", "steward")
def reject(number: int) -> Response:
    reason = request.args.get("reason") or (request.get_json(silent=True) or {}).get("reason", "")
    return jsonify(gate().reject(number, g.agent, str(reason)))
