"""One error shape: a CirceError (or an HTTP error) renders as JSON for machines and HTML for people."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import CirceError


def wants_json() -> bool:
    """HTML only for clients that take it (browsers send */* too); machines get the JSON shape."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best != "text/html" or request.path.startswith("/sparql")


def face() -> str:
    """How an error is told: "html" to a browser (it names text/html), "text" to a client that asks for text/plain
    or takes anything (curl, `*/*`), "json" otherwise (a client that asks for JSON, or sends no Accept)."""
    named = {value for value, quality in request.accept_mimetypes if quality > 0}
    if request.path.startswith("/sparql"):
        return "json"
    if "text/html" in named or "application/xhtml+xml" in named:
        return "html" if not wants_json() else "json"
    best = request.accept_mimetypes.best_match(["application/json", "text/plain"])
    if best == "text/plain" or (named == {"*/*"}):
        return "text"
    return "json"


def _as_text(body: dict) -> str:
    """The error for a terminal: the message, the hint, and each result of a validation report on its own line
    (where in the sent text, what, how to fix)."""
    lines = [f"{body['status']} {body['message']}"]
    if body.get("hint"):
        lines.append(f"hint: {body['hint']}")
    for r in (body.get("report") or {}).get("results", []):
        where = f"line {r['line']}: " if r.get("line") else ""
        lines.append(
            f"- {r['severity']}: {where}{r['focus']}: {r['message']}" + (f" — {r['hint']}" if r.get("hint") else "")
        )
    return "\n".join(lines) + "\n"


def render_error(
    status: int, message: str, hint: str | None = None, kind: str = "error", extra: dict | None = None
) -> Response:
    """One error in the client's format: JSON, a page (with the report's results listed), or plain text."""
    body = {"error": kind, "status": status, "message": message, **({"hint": hint} if hint else {}), **(extra or {})}
    shown = face()
    if shown == "json":
        response = jsonify(body)
    elif shown == "text":
        response = Response(_as_text(body), mimetype="text/plain")
    else:
        page = render_template("error.html", suggestions=_suggestions(status), **body)
        response = Response(page, mimetype="text/html")
    response.status_code = status
    response.vary.add("Accept")
    return response


def _suggestions(status: int) -> list[tuple[str, str]]:
    """For a page that is not there: resources whose names share words with the address that was asked for."""
    if status != 404 or not request.path.startswith(("/id/", "/page/", "/data/")):
        return []
    words = " ".join(re.findall(r"[A-Za-z]{3,}", request.path.rsplit("/", 1)[-1]))
    search = current_app.extensions.get("circe_search")
    if not words or search is None:
        return []
    hits = [hit for group in search.search(words, limit=5, any_word=True).groups.values() for hit in group]
    return [(hit.resource, hit.label) for hit in hits[:5]]


def init_app(app: Flask) -> None:
    @app.errorhandler(CirceError)
    def circe_error(error: CirceError) -> Response:
        data = error.to_dict()
        extra = {k: v for k, v in data.items() if k not in ("error", "status", "message", "hint")}
        response = render_error(error.status, error.message, error.hint, error.kind, extra)
        if getattr(error, "retry_after", None):  # a busy endpoint says when to come back
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Response:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        message = (
            error.description
            if error.description != RequestEntityTooLarge.description
            else f"the request is larger than this server takes: at most {limit / 1_000_000:.0f} MB ({limit} bytes)"
        )
        return render_error(
            413,
            message,
            "nothing was stored. Load bigger data on the server with `circe-kg load FILE…` (no size limit), split it "
            "into several uploads, or import a spreadsheet with `circe-kg import FILE.xlsx`",
            kind="too-large",
            extra={"limit_bytes": limit},
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        kind = error.name.lower().replace(" ", "-")
        return render_error(error.code or 500, error.description or error.name, kind=kind)
