"""One error shape: a CirceError (or an HTTP error) renders as JSON for machines and HTML for people."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import CirceError


def wants_json() -> bool:
    """HTML only for clients that take it (browsers send */* too); machines get the JSON shape."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best != "text/html" or request.path.startswith("/sparql")


def render_error(
    status: int, message: str, hint: str | None = None, kind: str = "error", extra: dict | None = None
) -> Response:
    body = {"error": kind, "status": status, "message": message, **({"hint": hint} if hint else {}), **(extra or {})}
    if wants_json():
        response = jsonify(body)
    else:
        page = render_template("error.html", suggestions=_suggestions(status), **body)
        response = Response(page, mimetype="text/html")
    response.status_code = status
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

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        kind = error.name.lower().replace(" ", "-")
        return render_error(error.code or 500, error.description or error.name, kind=kind)
