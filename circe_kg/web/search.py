"""The search page (/search) and its box's suggestions (/search/suggest): words, lemmas and concepts in any
language, found by circe_kg.search's index; while the sourced-only switch is on, illustrative examples are left
out and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Response, g, jsonify, render_template, request

from ..errors import BadParameter
from ..facets import N_
from ..search import MAX_QUERY, METHODS, Results
from .services import remembered, search_index
from .sourced import checkbox, sourced_only

bp = Blueprint("search", __name__)


@bp.get("/search")
def search() -> str:
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY:
        raise BadParameter(
            f"a search may be at most {MAX_QUERY} characters, this one has {len(text)}", "use a few distinctive words"
        )
    exact = checkbox("exact", "your words only")  # no lemmas, no concepts
    reader = g.get("lang", "en")
    methods = frozenset({"words"}) if exact else METHODS
    results = _results(text, reader, methods) if text.strip() else None
    if results is not None and sourced_only():
        results = _sourced_results(results)
    # Only a search that found nothing shows them: counting the kinds takes 30 ms at 10^6 triples.
    suggestions = search_index().suggestions() if results is not None and not results.count else []
    return render_template(
        "search/search.html",
        q=text,
        results=results,
        suggestions=suggestions,
        exact=exact,
        language_name=_language_name(reader),
    )


@bp.get("/search/suggest")
def suggest() -> Response:
    """Concepts whose name starts with what was typed, in any language, with their names in the reader's language
    and the others (JSON): the search box's suggestions (static/suggest.js; the page works without them)."""
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY:
        raise BadParameter(
            f"a suggestion is asked for at most {MAX_QUERY} characters, this has {len(text)}",
            "send the first words typed",
        )
    reader = g.get("lang", "en")
    found = search_index().suggest(text, lang=reader) if text.strip() else []
    response = jsonify(query=text, suggestions=found)
    response.headers["Cache-Control"] = "no-store"
    return response


def _results(text: str, reader: str, methods: frozenset[str]) -> Results:
    """The search's results, kept for this version of the data once the index has read every passage's meaning
    (a repeated search, a page of results revisited, is not searched again); while passages are still being read
    each visit searches anew, so that what the reading adds shows."""
    index = search_index()

    def found() -> Results:
        return index.search(text, lang=reader, methods=methods)

    if index.meaning_pending():
        return found()
    return remembered(("search", text, reader, methods), found, lambda results: results.count + 1)


def _sourced_results(results: Results) -> Results:
    """The results without the illustrative examples (the sourced-only switch), saying how many it left out."""
    kept = {kind: [h for h in hits if not h.illustrative] for kind, hits in results.groups.items()}
    hidden = results.count - sum(len(hits) for hits in kept.values())
    notes = list(results.notes)
    if hidden:
        words = N_("%(count)s illustrative examples also match: not shown while sourced answers only is on")
        notes.append((words, {"count": str(hidden)}))
    return replace(results, groups={kind: hits for kind, hits in kept.items() if hits}, notes=notes)


def _language_name(reader: str) -> Callable[[str], str]:
    """The name of a language in the reader's language (CLDR, by Babel): 'sl' is 'sloveno' to an Italian reader."""
    try:
        names = Locale.parse(reader).languages
    except (ValueError, UnknownLocaleError):
        names = Locale.parse("en").languages

    def name(code: str) -> str:
        return names.get((code or "en").split("-")[0], code) if code else ""

    return name
