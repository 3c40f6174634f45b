"""The faceted lists (/list/<kind>): partners, practices, barriers, opportunities, policy instruments and
actions, filtered by any facet, paged, and downloadable whole as CSV or as a spreadsheet to edit and import.
Each list is followed across writes by the rows they changed (facets.Listing); a filter's items and counts are kept
once per version of the data and reader's language.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from ..errors import NotFound
from ..facets import ALWAYS_SET, N_, NONE, WORDS, Facet, Item, dimensions_of, to_csv
from .answers import kept_for_reader, listing, paged, query_link
from .services import answer
from .sourced import sourced_only
from .workbooks import XLSX, xlsx_of

bp = Blueprint("lists", __name__)
SHEET_KINDS = {  # the spreadsheet kind of each list's records
    "partners": "organisation",
    "practices": "practice",
    "barriers": "barrier",
    "opportunities": "opportunity",
    "instruments": "instrument",
    "actions": "action",
}
LISTS = {
    "partners": ("list-partners", N_("Partners")),
    "practices": ("list-practices", N_("Practices")),
    "barriers": ("list-barriers", N_("Barriers")),
    "opportunities": ("list-opportunities", N_("Opportunities")),
    "instruments": ("list-instruments", N_("Policy instruments")),
    "actions": ("list-actions", N_("Actions")),
}


@bp.get("/list/<kind>")
def faceted_list(kind: str) -> Response | str:
    if kind not in LISTS:
        raise NotFound(f"there is no list of {kind!r}", "lists: " + ", ".join(LISTS))
    query, title = LISTS[kind]
    chosen = {
        name: request.args.getlist(name) for name in request.args if name not in ("lang", "format", "page", "sourced")
    }
    if sourced_only():  # the site-wide switch, the same as choosing "Sourced facts" in the source facet
        chosen["source"] = ["sourced"]
    # The items a filter keeps and the counts within the others: once per version of the data and filters.
    key = ("facets", query, tuple(sorted((k, tuple(v)) for k, v in chosen.items())))
    items, facets = kept_for_reader(
        key, lambda: _facets_in_words(*listing(query).facet(chosen)), lambda found: len(found[0])
    )
    if request.args.get("format") == "csv":  # the whole list, every page, streamed
        words = _words()  # looked up now: the rows are written after the request's context has ended
        columns = dimensions_of(answer(query).variables)  # the list's, whatever the filters leave
        response = Response(to_csv(items, columns, lambda text: words.get(text, text)), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="circe-kg-{kind}.csv"'
        return response
    if request.args.get("format") == "xlsx":  # the listed records in their template's layout, to edit and import
        response = Response(xlsx_of([SHEET_KINDS[kind]], True, {i.resource for i in items}), mimetype=XLSX)
        response.headers["Content-Disposition"] = f'attachment; filename="circe-kg-{kind}.xlsx"'
        return response
    shown, pager = paged(items)
    shown = _items_in_words(shown)
    without_source = {k: v for k, v in chosen.items() if k != "source"}
    return render_template(
        "lists/list.html",
        kind=kind,
        title=title,
        items=shown,
        total=len(items),
        **pager,
        without_source=without_source,
        facets=facets,
        chosen=chosen,
        lists=LISTS,
        query_link=query_link(query),
    )


def _words() -> dict[str, str]:
    """The lists' own words (facets.WORDS: "Sourced facts", "not recorded"…) in the reader's language."""
    return {word: _(word) for word in WORDS}


def _items_in_words(items: list[Item]) -> list[Item]:
    """Copies of `items` (shared: Listing) with the lists' own values named in the reader's language ("Fatti con
    fonte", "non registrato"): those of the source and classified dimensions, and "none" in any. Names from the
    graph are left as they are (already in the reader's language where the graph has it)."""
    words = _words()
    return [
        replace(
            item,
            dimensions={
                name: {
                    value: words.get(label, label) if name in ALWAYS_SET or value == NONE else label
                    for value, label in values.items()
                }
                for name, values in item.dimensions.items()
            },
        )
        for item in items
    ]


def _facets_in_words(items: list[Item], facets: list[Facet]) -> tuple[list[Item], list[Facet]]:
    """`facets` (fresh from Listing.facet, not yet shared) with the lists' own values named in the reader's language,
    as _items_in_words names them."""
    words = _words()
    for found in facets:
        for shown in found.values:
            if found.name in ALWAYS_SET or shown.value == NONE:
                shown.label = words.get(shown.label, shown.label)
    return items, facets
