"""Browser packages from the npm registry, served by this server (no CDN): `/vendor/<package>/<file>`.

Promises: only the files directly in a known package's build folder, and only scripts, stylesheets and their source
maps, with a year's cache (the URLs carry the package's version, `?v=`); anything else is a 404. A page asks
`vendor_url(package, file)` (web/vendored.py) for the address, which is None when setup has not installed the
package — the page then works without it (every script here is a progressive enhancement).

    >>> sorted(PACKAGES)
    ['accessible-autocomplete', 'yasgui']

Why here: the packages come pinned by package-lock.json (installed into node_modules/ by scripts/setup.sh), and
one route serves them all the same way.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

from .vendored import PACKAGES, vendor_url

bp = Blueprint("vendor", __name__)

TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
}
MAX_AGE = 365 * 24 * 3600


@bp.app_context_processor
def _templates() -> dict:
    return {"vendor_url": vendor_url}


@bp.get("/vendor/<package>/<path:filename>")
def asset(package: str, filename: str) -> Response:
    """A file directly in a known package's build folder (no subfolder, no traversal), cached for a year."""
    suffix = Path(filename).suffix
    plain = "/" not in filename and "\\" not in filename and not filename.startswith(".")
    if package not in PACKAGES or not plain or suffix not in TYPES:
        abort(404)
    # send_from_directory refuses anything outside the folder (werkzeug's safe_join) with a 404.
    response = send_from_directory(PACKAGES[package].files, filename, max_age=MAX_AGE)
    response.headers["Content-Type"] = TYPES[suffix]
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
