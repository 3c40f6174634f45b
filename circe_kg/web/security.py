"""Security headers on every response (an after_request hook; a view that sets one of them keeps its own).

The Content-Security-Policy is the strictest under which every page works (tests/test_browser_journey.py,
test_query_page.py and test_accessibility.py run the pages in Chromium under it):
- scripts only from this server, never inline: the one page with JavaScript (/query) loads static/query.js and
  the Yasgui bundle from /vendor/yasgui/ (no eval: the bundle's one eval is a JSON.parse fallback for browsers
  without JSON, never reached);
- stylesheets only from this server, and the two <style> elements Yasgui's table adds for its column resizer, by
  hash (YASGUI_STYLES; after upgrading Yasgui, the browser test names the hash of any other); `style` attributes
  are allowed (style-src-attr), as the templates size the map and the diagrams with them;
- images from here or data: URLs (Yasgui's icons); fetches (Yasgui's queries) to this server only;
- no plugins, no <base> elsewhere, no framing of these pages, forms post only here.

Other sites' scripts may read what is published for machines (CROSS_ORIGIN: the SPARQL endpoint, the
reconciliation service, RDF, the JSON-LD context, the dataset description and the dumps) with
Access-Control-Allow-Origin: * (flask-cors), and nothing else: no credentials are ever allowed.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_cors import CORS
from flask_cors.core import ResourcePattern

# sha256 of the text of the <style> elements @zazuko/yasgui's column resizer creates (yasgui.min.js, createStyle):
# its table rules, and the cursor while a column is dragged.
YASGUI_STYLES = [
    "sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=",
    "sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=",
]
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' " + " ".join(f"'{digest}'" for digest in YASGUI_STYLES),
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Paths (regular expressions matched from the start when they hold one) -> their flask-cors options.
CROSS_ORIGIN: dict[ResourcePattern, dict[str, Any]] = {
    "/sparql": {"methods": ["GET", "POST", "OPTIONS"], "allow_headers": ["Content-Type", "Accept"]},
    r"/reconcile(/.*)?$": {"methods": ["GET", "POST"]},  # OpenRefine calls from the browser too
    r"/data/.+": {},
    "/context.jsonld": {},
    "/ontology": {},
    "/void": {},
    r"/dumps/.+": {},
}


def init_app(app: Flask) -> None:
    CORS(app, resources=CROSS_ORIGIN, send_wildcard=True)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # A page answering a form post may carry the sender's write token back (edit, import, review): never
        # kept in a cache.
        if request.method == "POST" and response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response
