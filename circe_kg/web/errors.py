"""One error shape: a CirceError (or an HTTP error) renders as JSON for machines and HTML for people.

A message may name a bad value but never copies it whole: a value of the request (parameter or path) longer
than SHOWN_MAX characters is cut short with "…" wherever a message or hint echoes it (`shown`, `_cut_echoes`).
A 404 — an address that is no page here, or a resource not in the graph — says so in the reader's language and
suggests where to go: the nearest page addresses, resources whose names share words with the address, the search
(with those words) and the home page; in JSON as fields, in text as lines.
"""

from __future__ import annotations

import difflib
import re

from flask import Flask, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from ..errors import CirceError
from .i18n import with_language
from .lists import LISTS
from .services import installed, search_index
from .uris import local_href

SHOWN_MAX = 60  # characters of a request's value that a message may echo
MESSAGE_MAX = 1000  # characters of a message or hint, whatever it echoes
NEAREST_PAGES = 3  # page addresses suggested for an unknown one
NEAREST_CUTOFF = 0.6  # how alike (difflib ratio, 0..1) an address must be to a page's to be suggested
RESOURCES_SUGGESTED = 5
WORD_MAX = 40  # letters of a word of the address that the search is offered
QUOTED_LONG = re.compile(rf"(['\"])([^'\"]{{{SHOWN_MAX + 1},}})\1")  # a quoted value longer than SHOWN_MAX
# GET addresses without parameters that are no pages for people (machine interfaces, files, fragments).
NOT_SUGGESTED = frozenset({"search.suggest", "linked_data.any_resource", "query_page.snippet_texts"})
NOT_SUGGESTED_BLUEPRINTS = frozenset(
    {"sparql", "graph_store", "updates", "drafts", "reconcile", "vendor", "void", "static"}
)


def shown(text: str, limit: int = SHOWN_MAX) -> str:
    """`text` as a message may echo it: whole when at most `limit` characters, else its first `limit` and "…"."""
    return text if len(text) <= limit else text[:limit] + "…"


def _cut_echoes(text: str) -> str:
    """`text` with every over-long value of this request (a parameter's, a path segment's, the path) cut short
    where it is echoed, as is or quoted (repr), and at most MESSAGE_MAX characters in all."""
    values = [v for values in request.args.listvalues() for v in values]
    values += [request.path, *request.path.split("/")]
    values += [v.strip() for v in values]  # as a view reads it
    long = sorted({v for v in values if len(v) > SHOWN_MAX}, key=len, reverse=True)
    for value in long:
        text = text.replace(repr(value), repr(shown(value))).replace(value, shown(value))
    sent = [" ".join(v.split()).lower() for v in long]

    def cut_if_sent(quoted: re.Match) -> str:  # however a view read it (stripped, lower-cased); not what it adds
        echoed = " ".join(quoted[2].split()).lower()
        return quoted[1] + shown(quoted[2]) + quoted[1] if any(echoed in v for v in sent) else quoted[0]

    return shown(QUOTED_LONG.sub(cut_if_sent, text), MESSAGE_MAX)


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
    """The error for a terminal: the message, the hint, each suggested address (a 404's), and each result of a
    validation report on its own line (where in the sent text, what, how to fix)."""
    lines = [f"{body['status']} {body['message']}"]
    if body.get("hint"):
        lines.append(f"hint: {body['hint']}")
    for suggestion in body.get("suggestions", []):
        lines.append(_("perhaps: %(href)s — %(label)s", href=suggestion["href"], label=suggestion["label"]))
    if body.get("search"):
        lines.append(_("search: %(href)s", href=body["search"]))
    if body.get("home"):
        lines.append(_("home page: %(href)s", href=body["home"]))
    for r in (body.get("report") or {}).get("results", []):
        where = f"line {r['line']}: " if r.get("line") else ""
        lines.append(
            f"- {r['severity']}: {where}{r['focus']}: {r['message']}" + (f" — {r['hint']}" if r.get("hint") else "")
        )
    return "\n".join(lines) + "\n"


def render_error(
    status: int, message: str, hint: str | None = None, kind: str = "error", extra: dict | None = None
) -> Response:
    """One error in the client's format: JSON, a page (with the report's results listed), or plain text. The
    message and hint echo no over-long value of the request (_cut_echoes); a 404 carries its suggestions."""
    message, hint = _cut_echoes(message), _cut_echoes(hint) if hint else None
    body = {"error": kind, "status": status, "message": message, **({"hint": hint} if hint else {}), **(extra or {})}
    if status == 404 and request.blueprint not in NOT_SUGGESTED_BLUEPRINTS:
        body.update(_where_to_go())
    told = face()
    if told == "json":
        response = jsonify(body)
    elif told == "text":
        response = Response(_as_text(body), mimetype="text/plain")
    else:
        page = render_template("error.html", failed=True, search_words=_words_of_address(), **body)
        response = Response(page, mimetype="text/html")
    response.status_code = status
    response.vary.add("Accept")
    return response


def _where_to_go() -> dict:
    """A 404's way on: `suggestions` (nearest pages, then resources sharing words with the address; each an
    href in the reader's language and a label), `search` (the search for the address's words) and `home`."""
    words = _words_of_address()
    pages = [{"href": with_language(path), "label": path} for path in _nearest_pages(request.path)]
    resources = [{"href": href, "label": label} for href, label in _resources_named(words)]
    return {
        "suggestions": pages + resources,
        "search": url_for("search.search", q=words) if words else url_for("search.search"),
        "home": url_for("home.index"),
    }


def _words_of_address() -> str:
    """The words of the asked address's last part (albergo-difuso → "albergo difuso"): at most ten, each of 3 to
    WORD_MAX letters (a longer run is no word anybody typed)."""
    last = request.path.rstrip("/").rsplit("/", 1)[-1]
    words = [word for word in re.findall(r"[^\W\d_]+", last) if 3 <= len(word) <= WORD_MAX]
    return " ".join(words[:10])


def _page_paths() -> list[str]:
    """The addresses of the pages people open here: GET routes without parameters that are not machine
    interfaces or files, and each list (/list/practices…)."""
    paths = [
        rule.rule
        for rule in current_app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.arguments
        and rule.endpoint not in NOT_SUGGESTED
        and rule.endpoint.split(".")[0] not in NOT_SUGGESTED_BLUEPRINTS
    ]
    adapter = current_app.url_map.bind("localhost")
    paths += [adapter.build("lists.faceted_list", {"kind": kind}) for kind in LISTS]
    return sorted(set(paths))


def _nearest_pages(path: str) -> list[str]:
    """Up to NEAREST_PAGES page addresses most like `path` (/practises → /list/practices, /questons →
    /questions/): alike as a whole or in their last part, by difflib's ratio, at least NEAREST_CUTOFF."""
    asked = path.strip("/").lower()[:200]
    if not asked:
        return []

    def likeness(page: str) -> float:
        whole = page.strip("/")
        last = whole.rsplit("/", 1)[-1]
        return max(
            difflib.SequenceMatcher(None, asked, whole).ratio(),
            difflib.SequenceMatcher(None, asked.rsplit("/", 1)[-1], last).ratio() if last else 0.0,
        )

    scored = sorted(((likeness(page), page) for page in _page_paths() if page.strip("/") != asked), reverse=True)
    return [page for score, page in scored[:NEAREST_PAGES] if score >= NEAREST_CUTOFF]


def _resources_named(words: str) -> list[tuple[str, str]]:
    """For an address under /id/, /page/ or /data/: resources whose names share `words` (href, label)."""
    if not words or not installed(current_app) or not request.path.startswith(("/id/", "/page/", "/data/")):
        return []
    found = search_index().search(words, limit=RESOURCES_SUGGESTED, any_word=True, lang=g.get("lang", "en"))
    hits = [hit for group in found.groups.values() for hit in group][:RESOURCES_SUGGESTED]
    return [(_href(hit.resource), hit.label) for hit in hits]


def _href(iri: str) -> str:
    """Where a suggested resource is read here (its local page, in the reader's language), else its IRI."""
    return local_href(iri) or iri


def init_app(app: Flask) -> None:
    @app.errorhandler(CirceError)
    def circe_error(error: CirceError) -> Response:
        data = error.to_dict()
        extra = {k: v for k, v in data.items() if k not in ("error", "status", "message", "hint")}
        response = render_error(error.status, error.message, error.hint, error.kind, extra)
        retry_after = getattr(error, "retry_after", None)  # a busy endpoint says when to come back
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
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

    @app.errorhandler(NotFound)
    def not_a_page(error: NotFound) -> Response:
        """An address no route answers (or a stock abort(404)): not werkzeug's text, but this site's 404."""
        if error.description != NotFound.description:
            return render_error(404, error.description or "", kind="not-found")
        return render_error(
            404,
            _("%(address)s is not a page here", address=shown(request.path)),
            _("check the address, or go on from one of the pages below, the search or the home page"),
            kind="not-found",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        kind = error.name.lower().replace(" ", "-")
        return render_error(error.code or 500, error.description or error.name, kind=kind)
