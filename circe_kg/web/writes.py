"""Authenticated writes for data stewards, apart from the public read-only /sparql:

- POST /update                     SPARQL 1.1 Update (application/sparql-update, or form field `update`)
- GET|PUT|POST|DELETE /graphs?graph=IRI   SPARQL 1.1 Graph Store HTTP Protocol on one named data graph
- GET /history[?graph=IRI]         the recorded writes (JSON, or HTML for browsers)
- POST /graphs/restore?graph=IRI&version=N   bring a graph back to a recorded version

Writes need `Authorization: Bearer <token>`. Tokens come from the environment, never from the repository:
CIRCE_KG_WRITE_TOKEN (+ CIRCE_KG_WRITE_AGENT, the name the history records) or CIRCE_KG_TOKENS_FILE, a file
of `name token` lines. Without any token configured, writing is disabled (403). Every write passes the
write gate: validated before it becomes visible (422 with the report), serialised, recorded.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from .. import queries
from ..errors import CirceError, UsageError
from ..namespaces import GRAPH
from ..rdf_files import parse_text
from ..serialization import BY_MIME, serialize
from ..writes import WriteGate, checksum
from .store_access import get_store

bp = Blueprint("writes", __name__)

UPLOAD_TYPES = {t.mime: t.format for t in BY_MIME.values()}


class Unauthorised(CirceError):
    status = 401
    kind = "unauthorised"


class WritesDisabled(CirceError):
    status = 403
    kind = "writes-disabled"


class NoGraph(CirceError):
    status = 404
    kind = "not-found"


class UnsupportedMediaType(UsageError):
    status = 415
    kind = "unsupported-media-type"


def configured_tokens(config: dict[str, Any]) -> dict[str, str]:
    """token -> the agent name the history records for it."""
    tokens: dict[str, str] = dict(config.get("WRITE_TOKENS") or {})
    if os.environ.get("CIRCE_KG_WRITE_TOKEN"):
        tokens[os.environ["CIRCE_KG_WRITE_TOKEN"]] = os.environ.get("CIRCE_KG_WRITE_AGENT", "steward")
    path = os.environ.get("CIRCE_KG_TOKENS_FILE")
    if path and Path(path).exists():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            parts = line.replace(":", " ").split()
            if len(parts) == 2 and not line.lstrip().startswith("#"):
                tokens[parts[1]] = parts[0]
    return {token: name for token, name in tokens.items() if len(token) >= 16}


def gate() -> WriteGate:
    return current_app.extensions["circe_gate"]  # type: ignore[no-any-return]


def agent_for(given: str) -> str:
    """The agent name of a configured token (compared in constant time), or Unauthorised / WritesDisabled."""
    tokens = current_app.extensions["circe_tokens"]
    if not tokens:
        raise WritesDisabled("writing is disabled on this server",
                             "the operator enables it by setting CIRCE_KG_WRITE_TOKEN or CIRCE_KG_TOKENS_FILE")
    agent = None
    for token, name in tokens.items():  # no early exit: every check costs the same
        if hmac.compare_digest(given.encode(), token.encode()):
            agent = name
    if agent is None:
        raise Unauthorised("a valid bearer token is required to write",
                           "send `Authorization: Bearer <token>`; ask the operator for a token")
    return agent


def requires_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the request through only with a configured bearer token."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        g.agent = agent_for(header[7:].strip() if header.lower().startswith("bearer ") else "")
        return view(*args, **kwargs)
    return wrapper


def _written(change: Any, status: int = 200) -> Response:
    body = {"version": change.number, "operation": change.operation, "agent": change.agent, "time": change.time,
            "graphs": [{"graph": c.graph, "added": c.added, "removed": c.removed} for c in change.graphs]}
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
    return _written(gate().update(text, g.agent, checksum(text.encode("utf-8"))))


def _graph_parameter() -> str:
    if "default" in request.args:
        raise UsageError("the default graph holds nothing here: every file has its own named graph",
                         f"use ?graph={GRAPH}data/…")
    graph = request.args.get("graph", "")
    if not graph.startswith(("http://", "https://")) or any(c in graph for c in ' <>"{}|^`\\'):
        raise UsageError(f"?graph= must be an absolute IRI, got {graph!r}", f"e.g. ?graph={GRAPH}data/practices")
    return graph


def _uploaded_triples(graph: str) -> tuple[list[Any], bytes]:
    rdf_format = UPLOAD_TYPES.get(request.mimetype)
    if rdf_format is None:
        raise UnsupportedMediaType(f"cannot read {request.mimetype or 'a body without Content-Type'}",
                                   "send one of: " + ", ".join(UPLOAD_TYPES))
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
        raise NoGraph(f"no graph <{graph}>", "the graphs are listed in the N-Quads dump at /dumps/")
    mime = request.accept_mimetypes.best_match(list(UPLOAD_TYPES)) or "text/turtle"
    response = Response(serialize(store.triples(graph), UPLOAD_TYPES[mime]), mimetype=mime)
    response.headers["Vary"] = "Accept"
    return response


@bp.put("/graphs")
@requires_token
def put_graph() -> Response:
    graph = _graph_parameter()
    existed = graph in get_store().named_graphs()
    triples, body = _uploaded_triples(graph)
    change = gate().commit({graph: triples}, "PUT", g.agent, checksum(body))
    return _written(change, 200 if existed else 201)


@bp.post("/graphs")
@requires_token
def post_graph() -> Response:
    graph = _graph_parameter()
    store = get_store()
    existed = graph in store.named_graphs()
    triples, body = _uploaded_triples(graph)
    merged = list(set(store.triples(graph)) | set(triples)) if existed else triples
    return _written(gate().commit({graph: merged}, "POST", g.agent, checksum(body)), 200 if existed else 201)


@bp.delete("/graphs")
@requires_token
def delete_graph() -> Response:
    graph = _graph_parameter()
    if graph not in get_store().named_graphs():
        raise NoGraph(f"no graph <{graph}>", "list the graphs in /dumps/ or with SELECT DISTINCT ?g")
    return _written(gate().commit({graph: None}, "DELETE", g.agent))


@bp.post("/graphs/restore")
@requires_token
def restore_graph() -> Response:
    graph = _graph_parameter()
    try:
        version = int(request.args.get("version", ""))
    except ValueError:
        raise UsageError("?version= must be a whole number", "see /history for the versions") from None
    return _written(gate().restore(graph, version, g.agent))


@bp.get("/history")
def history() -> Response | str:
    values = {"graph": request.args["graph"]} if request.args.get("graph") else {}
    answer = queries.run(get_store(), "history", values)
    rows = [{k: v.value for k, v in row.items()} for row in answer.rows]
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(rows)
    return render_template("history.html", rows=rows, graph=values.get("graph"))
