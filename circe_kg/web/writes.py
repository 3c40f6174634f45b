"""Authenticated writes for data stewards, apart from the public read-only /sparql:

- POST /update                     SPARQL 1.1 Update (application/sparql-update, or form field `update`)
- GET|PUT|POST|DELETE /graphs?graph=IRI   SPARQL 1.1 Graph Store HTTP Protocol on one named data graph
- GET /history[?graph=IRI]         the recorded writes (JSON, or HTML for browsers)
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
import os
import re
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from .. import queries
from ..errors import (
    CirceError,
    Conflict,
    NotFound,
    PreconditionFailed,
    Unauthorised,
    UnsupportedMediaType,
    UsageError,
    ValidationFailed,
    WriteRefused,
    WritesDisabled,
)
from ..namespaces import GRAPH
from ..rdf_files import parse_text
from ..serialization import BY_MIME, serialize
from ..writes import WriteGate, checksum
from .store_access import get_store

bp = Blueprint("writes", __name__)

UPLOAD_TYPES = {t.mime: t.format for t in BY_MIME.values()}


ROLES = ("steward", "editor", "reviewer")  # steward: writes directly; editor: drafts only; reviewer: both + review


def configured_tokens(config: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """token -> (the agent name the history records, its role). Tokens shorter than 16 characters are ignored."""
    tokens: dict[str, tuple[str, str]] = {}
    for token, who in (config.get("WRITE_TOKENS") or {}).items():
        tokens[token] = (who, "steward") if isinstance(who, str) else (who[0], who[1])
    if os.environ.get("CIRCE_KG_WRITE_TOKEN"):
        tokens[os.environ["CIRCE_KG_WRITE_TOKEN"]] = (os.environ.get("CIRCE_KG_WRITE_AGENT", "steward"), "steward")
    path = os.environ.get("CIRCE_KG_TOKENS_FILE")
    if path and Path(path).exists():  # lines: NAME TOKEN [ROLE]
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if 2 <= len(parts) <= 3 and not line.lstrip().startswith("#"):
                role = parts[2] if len(parts) == 3 and parts[2] in ROLES else "steward"
                tokens[parts[1]] = (parts[0], role)
    return {token: who for token, who in tokens.items() if len(token) >= 16}


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


def _if_match(graph: str) -> dict[str, str] | None:
    """The version an HTTP write was based on (its If-Match), as `expect` for the gate; None without the header.
    Raises UsageError for a malformed header, PreconditionFailed for a version that is not the current one."""
    given = request.headers.get("If-Match")
    if given is None:
        return None
    if not ENTITY_TAGS.fullmatch(given):
        raise UsageError(
            f"If-Match is not an entity tag: {given[:80]!r}",
            'send back the ETag that GET /graphs?graph=… gave, quotes included (If-Match: "…"), or * for "exists"',
        )
    current = gate().base(graph)
    if given.strip() == "*":
        if not current:
            raise PreconditionFailed(f"<{graph}> does not exist (If-Match: *)", "create it without If-Match")
        return {graph: current}
    tags = [t.strip().removeprefix("W/").strip('"') for t in given.split(",")]
    if current not in tags:
        raise PreconditionFailed(
            f"<{graph}> has changed since the version you sent in If-Match",
            f'nothing was written: GET it again (its ETag is now "{current}"), merge your change, and send it with '
            "the new ETag",
        )
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
    return apply(gate().changes_of_update(text), "update", checksum(text.encode("utf-8")))


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


def _uploaded_triples(graph: str) -> tuple[list[Any], bytes]:
    rdf_format = UPLOAD_TYPES.get(request.mimetype)
    if rdf_format is None:
        raise UnsupportedMediaType(
            f"cannot read {request.mimetype or 'a body without Content-Type'}",
            "send one of: " + ", ".join(UPLOAD_TYPES),
        )
    body = request.get_data()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("the body is not UTF-8 text", "save the file as UTF-8") from None
    triples, _ = parse_text(text, f"<{graph}> (uploaded body)", rdf_format)
    return triples, body


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
    triples, body = _uploaded_triples(graph)
    return apply({graph: triples}, "PUT", checksum(body), 200 if existed else 201, expect=expect)


@bp.post("/graphs")
@requires_token
def post_graph() -> Response:
    graph = _graph_parameter()
    store = get_store()
    existed = graph in store.named_graphs()
    expect = _if_match(graph)
    triples, body = _uploaded_triples(graph)
    merged = list(set(store.triples(graph)) | set(triples)) if existed else triples
    return apply({graph: merged}, "POST", checksum(body), 200 if existed else 201, expect=expect)


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


@bp.get("/history")
def history() -> Response | str:
    graph = request.args.get("graph")
    rows = [{k: v.value for k, v in row.items()} for row in queries.run(get_store(), "history").rows]
    if graph:  # a plain filter on the answer: the graph is never put into the query text
        rows = [row for row in rows if row.get("graph") == graph]
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(rows)
    return render_template("history.html", rows=rows, graph=graph)


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
    return jsonify(gate().reject(number, g.agent))


@bp.route("/review", methods=["GET", "POST"])
def review_page() -> str | tuple[str, int]:
    """Drafts for people: a reviewer gives the token once per action; each draft shows its diff and report,
    with Publish and Reject buttons that post back here."""
    if request.method == "GET":
        return render_template("review.html", drafts=None, token_ok=False, message=None)
    token = request.form.get("token", "")
    try:
        g.agent = agent_for(token)
        action, number = request.form.get("action"), request.form.get("draft", type=int)
        message = None
        if action in ("publish", "reject") and number is not None:
            if g.role not in ("reviewer", "steward"):
                raise WriteRefused("publishing and rejecting need a reviewer token", "ask the operator for one")
            if action == "publish":
                change = gate().publish(number, g.agent)
                message = f"Draft {number} published as version {change.number}."
            else:
                gate().reject(number, g.agent)
                message = f"Draft {number} rejected."
        reviews = [gate().review(d["number"]) for d in gate().drafts() if d["status"] == "pending"]
        return render_template("review.html", drafts=reviews, token=token, token_ok=True, message=message)
    except ValidationFailed as failure:
        reviews = [gate().review(d["number"]) for d in gate().drafts() if d["status"] == "pending"]
        return render_template(
            "review.html",
            drafts=reviews,
            token=token,
            token_ok=True,
            message=f"Not published: {failure.report.summary()}",
        ), 422
    except CirceError as error:
        return render_template("review.html", drafts=None, token_ok=False, message=error.message), error.status
