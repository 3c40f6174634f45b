"""/dumps/: the whole graph as files, with their size, triple count, checksum and date (HTML or JSON)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_file

from ..dumps import BY_NAME, Dumps
from ..errors import NotFound

bp = Blueprint("dumps", __name__)


def dumps() -> Dumps:
    return current_app.extensions["circe_dumps"]  # type: ignore[no-any-return]


@bp.get("/dumps/")
def index() -> Response | str:
    manifest = dumps().manifest()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify([asdict(info) for info in manifest])
    return render_template("dumps.html", dumps=manifest, updating=dumps().updating, failure=dumps().failure)


@bp.get("/dumps/<name>")
def download(name: str) -> Response:
    path = dumps().path(name)
    if path is None or not path.exists():
        raise NotFound(f"no dump called {name!r}", "the dumps are listed at /dumps/")
    fmt = BY_NAME[name]
    response = send_file(
        path,
        mimetype="application/gzip" if fmt.gzip else fmt.mime,
        as_attachment=False,
        download_name=name,
        conditional=True,
        max_age=300,
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
