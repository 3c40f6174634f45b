"""The SPARQL query page at /query, and the Yasgui files it uses, served from this server (no CDN).

The page works without JavaScript: the examples of `queries/*.rq` are listed with their text and a
permalink each, and the form posts the query to /sparql. With JavaScript, `static/query.js` turns the
editor area into Yasqe (the editor of Yasgui) and shows results with Yasr's table. The Yasgui build
comes from the npm registry (`package.json`, installed into node_modules/ by scripts/setup.sh).

A permalink is `/query?query=<urlencoded text>`; `/query?example=NAME` opens a named example.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request, send_from_directory, url_for

from .. import queries
from ..config import PROJECT_ROOT

bp = Blueprint("query_page", __name__)

YASGUI_PACKAGE = PROJECT_ROOT / "node_modules" / "@zazuko" / "yasgui"
YASGUI_BUILD = YASGUI_PACKAGE / "build"
# Only the files directly in build/, and only these kinds: the bundle, its stylesheet, their source maps.
VENDOR_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
}
# The URLs carry the package's version (?v=…), so a browser may keep a file for a year.
VENDOR_MAX_AGE = 365 * 24 * 3600
DEFAULT_EXAMPLE = "overview-counts"
MAX_QUERY_CHARS = 100_000


@cache
def _yasgui_version(mtime: float) -> str | None:
    try:
        return str(json.loads((YASGUI_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def yasgui_version() -> str | None:
    """The installed Yasgui's version, or None when setup has not installed it (the page then works without it)."""
    try:
        mtime = (YASGUI_PACKAGE / "package.json").stat().st_mtime
    except OSError:
        return None
    return _yasgui_version(mtime)


def permalink(text: str) -> str:
    """The local URL that reopens this page with `text` in the editor."""
    return url_for("query_page.page") + "?" + urlencode({"query": text})


@bp.get("/query")
def page() -> str:
    examples = queries.available()
    by_name = {q.name: q for q in examples}
    text = request.args.get("query")
    selected = request.args.get("example", "")
    if text is None:
        chosen = by_name.get(selected) or by_name.get(DEFAULT_EXAMPLE) or (examples[0] if examples else None)
        text = chosen.text if chosen else ""
        selected = chosen.name if chosen else ""
    elif selected not in by_name:
        selected = ""
    text = text[:MAX_QUERY_CHARS]
    version = yasgui_version()
    return render_template(
        "query.html",
        examples=examples,
        query_text=text,
        selected=selected,
        permalink=permalink,
        current_permalink=permalink(text),
        yasgui_version=version,
    )


@bp.get("/vendor/yasgui/<path:filename>")
def vendor(filename: str) -> Response:
    """A file of node_modules/@zazuko/yasgui/build/ (no subfolder, no traversal), cached for long."""
    suffix = Path(filename).suffix
    if "/" in filename or "\\" in filename or filename.startswith(".") or suffix not in VENDOR_TYPES:
        abort(404)
    # send_from_directory refuses anything outside the folder (werkzeug's safe_join) with a 404.
    response = send_from_directory(YASGUI_BUILD, filename, max_age=VENDOR_MAX_AGE)
    response.headers["Content-Type"] = VENDOR_TYPES[suffix]
    response.headers["Cache-Control"] = f"public, max-age={VENDOR_MAX_AGE}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
