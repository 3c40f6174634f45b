"""Interface languages (Flask-Babel): chosen by ?lang=, then the `lang` cookie, then Accept-Language.

The interface speaks the languages in circe_kg/translations/ (English is the source). Content comes in
every language the data has: a label in the chosen language when the graph has one, else English with a
visible "shown in English" mark (see `pick_label`, and `in_reader_language` for the names in query answers).

A language the reader chose (?lang= or the cookie) travels in the addresses too, so a client without cookies
(a shared link, a crawler, a privacy-minded browser) stays in it: every url_for of a page carries lang
(`add_language`, an app.url_defaults callback), as do the resource links (uris.local_href) and every
redirect (`keep_language_in_redirect`). Files, assets and machine interfaces (LANGUAGE_FREE) never carry it, and
a reader who never chose keeps plain addresses. A form sent with GET replaces its action's query: it carries the
language in a hidden field (`lang_field()` in templates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from babel import Locale
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import Babel
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from .. import queries
from .services import answer

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
INTERFACE_LANGUAGES = (
    ["en"] + sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())
    if TRANSLATIONS.exists()
    else ["en"]
)
CONTENT_LANGUAGES = ("en", "it", "ca", "es", "pl", "nl", "fr", "bg", "sl")  # the partners' languages


def _name_in_itself(code: str) -> str:
    """The language's name in itself, capitalised as a menu item's first word ("Italiano"): CLDR's, by Babel."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


LANGUAGE_NAMES = {code: _name_in_itself(code) for code in CONTENT_LANGUAGES}
# Addresses that are not pages to read: files, assets, machine interfaces, and addresses the data names as
# identities (the VoID description, the JSON-LD context). Their content does not depend on the reader's
# language, so they keep one address (and one cache entry) for everybody: they never carry lang.
LANGUAGE_FREE = frozenset(
    {
        "static",
        "vendor.asset",
        "dumps.download",
        "dumps.checksums",
        "linked_data.context",
        "linked_data.data",
        "void.description",
        "sparql.endpoint",
        "reconcile.service",
    }
)
# Pages whose bare address the app extends by hand ("/query" + "?query=…", "/reconcile/view" + "?id={{id}}"):
# a url_for of them with no values stays bare, or the added "?…" would follow a "?lang=…".
EXTENDED_BY_HAND = frozenset({"query_page.page", "reconcile.view", "reconcile.preview"})
LINKED_VALUE_MAX = 2000  # characters: a longer parameter value is not copied into links built from this address
LINKED_TOTAL_MAX = 4000  # characters of copied parameters in all, however many there are
FAILED_VALUE_MAX = 60  # on an error page any value may be the wrong one: only short ones are copied
FAILED_PATH_MAX = 300  # an error page's links back to it copy a path at most this long (a resource's is < 200)


def content_language() -> str:
    """The language people read content in: any language the data may have labels in (Slovenian, Catalan…)."""
    return chosen_language() or request.accept_languages.best_match(list(LANGUAGE_NAMES)) or "en"


def chosen_language() -> str | None:
    """The language the reader chose (?lang=, else the cookie) when it is one the site offers; None when the
    reader never chose (the language then comes from Accept-Language, and addresses stay plain)."""
    for wanted in (request.args.get("lang"), request.cookies.get("lang")):
        if wanted in LANGUAGE_NAMES:
            return wanted
    return None


def add_language(endpoint: str | None, values: dict[str, Any]) -> None:
    """url_defaults: a url_for of a page carries lang=<the chosen language>, unless the caller gave lang (the
    language switcher's own wins), the address is LANGUAGE_FREE, or it is a bare EXTENDED_BY_HAND page."""
    if not has_request_context() or "lang" in values or endpoint is None or endpoint in LANGUAGE_FREE:
        return
    if endpoint in EXTENDED_BY_HAND and not values:
        return
    chosen = chosen_language()
    if chosen is not None:
        values["lang"] = chosen


def with_language(url: str) -> str:
    """`url` (an address on this server: a path, with any query and #fragment) with lang=<the chosen language>
    added before the fragment; unchanged when the reader never chose, or the address already says lang."""
    chosen = chosen_language() if has_request_context() else None
    parts = urlsplit(url)
    if chosen is None or any(name == "lang" for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    query = parts.query + ("&" if parts.query else "") + urlencode({"lang": chosen})
    return urlunsplit(parts._replace(query=query))


def _endpoint_of(path: str) -> str | None:
    """The endpoint that answers GET `path` here (after a slash redirect), or None when none does."""
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(path, method="GET")
    except RequestRedirect as moved:
        return _endpoint_of(urlsplit(moved.new_url).path)
    except HTTPException:
        return None
    return str(endpoint)


def keep_language_in_redirect(response: Response) -> Response:
    """after_request: a redirect to a page of this server keeps the chosen language (lang=) in its Location,
    whoever built it (a view, a `next` address, werkzeug's slash redirect)."""
    location = response.headers.get("Location")
    if not location or not 300 <= response.status_code < 400:
        return response
    try:
        parts = urlsplit(location)
    except ValueError:  # not an address anybody can follow: left as it is
        return response
    if parts.netloc not in ("", request.host) or not parts.path.startswith("/"):
        return response  # not this server
    if _endpoint_of(parts.path) not in LANGUAGE_FREE:  # an unknown address too: its 404 page is in the language
        response.headers["Location"] = with_language(location)
    return response


def kept_parameters(failed: bool = False) -> list[tuple[str, str]]:
    """The parameters of this request that links built from its address (the language switcher, "sign in and
    come back") may copy, in order: each value at most LINKED_VALUE_MAX characters — FAILED_VALUE_MAX on an error
    page, where any of them may be the bad one — and LINKED_TOTAL_MAX in all. Longer ones are dropped, not cut:
    a cut value would be another question."""
    limit = FAILED_VALUE_MAX if failed else LINKED_VALUE_MAX
    kept, total = [], 0
    for name, value in request.args.items(multi=True):
        size = len(name) + len(value)
        if len(value) <= limit and len(name) <= limit and total + size <= LINKED_TOTAL_MAX:
            kept.append((name, value))
            total += size
    return kept


def _linked_path(failed: bool) -> str:
    """This request's path, for links back to it; on an error page an over-long path (itself the bad part,
    perhaps) is not copied: the links go home instead."""
    return "/" if failed and len(request.path) > FAILED_PATH_MAX else request.path


def switch_url(code: str, failed: bool = False) -> str:
    """This page in another language: the same path and (kept) parameters, with lang=`code`."""
    args = [(name, value) for name, value in kept_parameters(failed) if name != "lang"]
    return _linked_path(failed) + "?" + urlencode([*args, ("lang", code)])


def here_url(failed: bool = False) -> str:
    """This page's address with its kept parameters (lang among them): where "sign in" comes back to."""
    args = kept_parameters(failed)
    return _linked_path(failed) + ("?" + urlencode(args) if args else "")


def lang_field() -> Markup:
    """For a form sent with GET (which replaces its action's query): a hidden lang field with the chosen
    language, or nothing when the reader never chose one."""
    chosen = chosen_language()
    return Markup('<input type="hidden" name="lang" value="{}">').format(chosen) if chosen else Markup("")


def select_language() -> str:
    """The interface language: the content language when the interface speaks it, else English."""
    wanted = content_language()
    return wanted if wanted in INTERFACE_LANGUAGES else "en"


def pick_label(labels: dict[str | None, str], language: str) -> tuple[str, bool]:
    """The label in `language`, else English, else any; and whether it fell back (to mark it for people)."""
    if language in labels:
        return labels[language], False
    fallback = labels.get("en") or next(iter(labels.values()), "")
    return fallback, language != "en"


def _label_column(column: str) -> str:
    return "label" if column == "resource" else column + "Label"


def in_reader_language(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of a query answer with their names in the reader's language. The queries name things in English
    (`xLabel` beside the IRI in `x`, `label` beside `resource`); the names in the reader's language are looked
    up once for all of them (queries/app/labels.rq). A name the graph has only in English stays, and the page says
    so (g.names_in_english, shown by base.html)."""
    language = g.get("lang", "en")
    if language == "en" or not rows:
        return rows
    columns = {column for row in rows for column in row if _label_column(column) in row}
    iris = list(dict.fromkeys(row[c] for row in rows for c in columns if c in row and "://" in row[c]))
    names: dict[str, str] = {}
    for start in range(0, len(iris), queries.MAX_LIST):
        found = answer("labels", {"resource": iris[start : start + queries.MAX_LIST], "lang": language})
        names.update((row["resource"].value, row["label"].value) for row in found.rows if "label" in row)
    for row in rows:
        for column in columns:
            if column in row and _label_column(column) in row:
                if row[column] in names:
                    row[_label_column(column)] = names[row[column]]
                else:
                    g.names_in_english = True
    return rows


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language, default_translation_directories=str(TRANSLATIONS))

    @app.before_request
    def remember_language() -> None:
        g.lang = content_language()  # labels follow it; the interface falls back to English (select_language)

    app.url_defaults(add_language)
    app.after_request(keep_language_in_redirect)

    @app.after_request
    def keep_choice(response: Response) -> Response:
        if request.args.get("lang") in LANGUAGE_NAMES:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        response.headers.setdefault("Content-Language", g.get("lang", "en"))
        response.vary.add("Accept-Language")
        return response

    @app.context_processor
    def languages() -> dict[str, object]:
        return {
            "lang": g.get("lang", "en"),
            "chosen_language": chosen_language(),
            "interface_languages": INTERFACE_LANGUAGES,
            "content_languages": list(LANGUAGE_NAMES),
            "language_names": LANGUAGE_NAMES,
            "switch_url": switch_url,
            "here_url": here_url,
            "lang_field": lang_field,
        }
