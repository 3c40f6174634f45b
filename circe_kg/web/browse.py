"""Pages for policy officers: search, and the transfer questions as guided pages. Every fact on them comes
from a named query in queries/; each answer links to its SPARQL on the query page ("show the query")."""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .. import queries
from ..errors import BadParameter, NotFound
from ..facets import (
    ALWAYS_SET,
    N_,
    NONE,
    WORDS,
    Facet,
    Item,
    country_name,
    dimensions_of,
    facet,
    page_of,
    to_csv,
)
from ..namespaces import compact, expand
from ..search import MAX_QUERY, METHODS, SearchIndex
from .i18n import in_reader_language
from .linked_data import local_href
from .sheets import XLSX, xlsx_of
from .store_access import answer, remembered

bp = Blueprint("browse", __name__)
T = TypeVar("T")
# Words that come from the queries (kinds, profile dimensions) but are shown translated.
QUERY_WORDS = [N_("practice"), N_("action"), N_("sector"), N_("barrier category"), N_("ReSOLVE lever")]
STATUS_PROGRESS = {"not-started": 0, "in-progress": 50, "implemented": 100, "not-implemented": 0}


def index() -> SearchIndex:
    return current_app.extensions["circe_search"]  # type: ignore[no-any-return]


@bp.app_template_filter("marked")
def marked(snippet: str) -> Markup:
    """Escape the text, then turn the index's match markers into <mark>."""
    return Markup(str(escape(snippet)).replace("\x01", "<mark>").replace("\x02", "</mark>"))


@bp.app_template_filter("href")
def href(iri: str) -> str:
    return local_href(iri) or iri


def _rows(name: str, values: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The answer to a named query as text, with names in the reader's language. Shared between requests
    (see _kept_for_reader): callers copy a row before they change it."""
    return _kept_for_reader(
        ("rows", name, _key_of(values)),
        lambda: _named([{k: v.value for k, v in row.items()} for row in answer(name, values).rows]),
        len,
    )


def _named(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with their names in the reader's language (in_reader_language); a country (`country`,
    `countryLabel`) the graph names only in English is named by CLDR (country_name), not left in English."""
    language = g.get("lang", "en")
    if language == "en" or not any("countryLabel" in row for row in rows):
        return in_reader_language(rows)
    english = [row.pop("countryLabel", None) for row in rows]  # in_reader_language would mark them English
    rows = in_reader_language(rows)
    names = _country_names(sorted({row["country"] for row in rows if "country" in row}), language)
    for row, name in zip(rows, english, strict=True):
        if name is not None:
            row["countryLabel"] = names.get(row["country"]) or _left_in_english(name)
    return rows


def _country_names(countries: list[str], language: str) -> dict[str, str]:
    """The countries' names in `language`: the graph's own where it has one, else CLDR's (by NUTS code)."""
    found = answer("labels", {"resource": countries, "lang": language}).rows if countries else []
    names = {row["resource"].value: row["label"].value for row in found if "label" in row}
    return {iri: names.get(iri) or country_name(iri, language) or "" for iri in countries}


def _left_in_english(name: str) -> str:
    """`name`, noted as shown in English (base.html says so on the page)."""
    g.names_in_english = True
    return name


def _key_of(values: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    """A query's values as part of a cache key."""
    return tuple(sorted((values or {}).items()))


def _kept_for_reader(key: tuple[Any, ...], compute: Callable[[], T], size: Callable[[T], int]) -> T:
    """`compute()` made once per version of the data and reader's language, like the answers it is made from
    (turning 10^5 rows into text took a second per visit at 10^7 triples), with whether it had to leave some
    names in English: the page says so (base.html) on every visit, not only the first."""

    def made() -> tuple[T, bool]:
        outer = g.get("names_in_english", False)
        g.names_in_english = False
        value = compute()
        in_english = g.names_in_english
        g.names_in_english = outer or in_english
        return value, in_english

    value, in_english = remembered((*key, g.get("lang", "en")), made, lambda kept: size(kept[0]))
    if in_english:
        g.names_in_english = True
    return value


def _query_link(name: str, values: dict[str, str | None] | None = None) -> str:
    """The query page with this answer's SPARQL; the values the page bound are listed in a comment on top
    (the query page shows text for people to read and run — the app itself never pastes values in)."""
    bound = [f"#   ?{k} = <{v}>" for k, v in (values or {}).items() if v]
    header = "# This page bound these parameters:\n" + "\n".join(bound) + "\n" if bound else ""
    return url_for("query_page.page", query=header + queries.get(name).text)


@bp.get("/search")
def search() -> str:
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY:
        raise BadParameter(
            f"a search may be at most {MAX_QUERY} characters, this one has {len(text)}", "use a few distinctive words"
        )
    exact = _checkbox("exact", "your words only")  # no lemmas, no concepts
    reader = g.get("lang", "en")
    methods = frozenset({"words"}) if exact else METHODS
    results = index().search(text, lang=reader, methods=methods) if text.strip() else None
    # Only a search that found nothing shows them: counting the kinds takes 30 ms at 10^6 triples.
    suggestions = index().suggestions() if results is not None and not results.count else []
    return render_template(
        "search.html",
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
    found = index().suggest(text, lang=reader) if text.strip() else []
    response = jsonify(query=text, suggestions=found)
    response.headers["Cache-Control"] = "no-store"
    return response


def _language_name(reader: str) -> Callable[[str], str]:
    """The name of a language in the reader's language (CLDR, by Babel): 'sl' is 'sloveno' to an Italian reader."""
    try:
        names = Locale.parse(reader).languages
    except (ValueError, UnknownLocaleError):
        names = Locale.parse("en").languages

    def name(code: str) -> str:
        return names.get((code or "en").split("-")[0], code) if code else ""

    return name


@bp.get("/questions/")
def questions() -> str:
    return render_template("questions.html")


def _iri_argument(name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    iri = expand(raw)
    if iri is None:
        raise BadParameter(f"{name} must be a resource address, got {raw!r}", "pick one from the list")
    return iri


def _sourced_only() -> bool:
    """The sourced-only switch (?sourced=1): answers that rest on illustrative examples are left out."""
    return _checkbox("sourced", "sourced answers only")


def _checkbox(name: str, meaning: str) -> bool:
    """A switch in the URL: ?name=1 (or on, as a ticked HTML checkbox sends it) ticks it; 0 or nothing does not."""
    raw = request.args.get(name, "")
    if raw not in ("", "0", "1", "on"):
        raise BadParameter(
            f"{name} is a checkbox: {name} must be 1 ({meaning}) or 0, not {raw[:20]!r}",
            f"use ?{name}=1 for {meaning}, or leave it out",
        )
    return raw in ("1", "on")


def _truth_split(rows: list[T], illustrative: Callable[[T], bool]) -> tuple[list[T], dict[str, Any]]:
    """The rows to show (all, or the sourced ones with ?sourced=1), and what the switch above an answer shows:
    how many answers are sourced and illustrative, and the address of the page with the switch turned."""
    sourced = [row for row in rows if not illustrative(row)]
    only = _sourced_only()
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("sourced", "page")}
    turned = {**args, "sourced": ["0" if only else "1"]}
    switch = {
        "sourced": len(sourced),
        "illustrative": len(rows) - len(sourced),
        "only": only,
        "turn": url_for(request.endpoint or "", **(request.view_args or {}), **turned),
    }
    return (sourced if only else rows), switch


@bp.get("/questions/practices-for-barrier")
def practices_for_barrier() -> str:
    barrier = _iri_argument("barrier")

    def barrier_options() -> list[tuple[str, str]]:
        options = []
        for cls in ("circe:BarrierCategory", "circe:Barrier"):
            for r in _rows("instances-of-class", {"type": cls}):
                mark = " (" + _("illustrative") + ")" if r["illustrative"] == "true" else ""
                options.append((r["resource"], r.get("label", compact(r["resource"])) + mark))
        return options

    options = _kept_for_reader(("barrier options",), barrier_options, len)
    # `found`, not `answer`: that name is the cached-answer function every query of this module goes through.
    switch = None
    if barrier:
        rows, switch = _truth_split(
            _rows("practices-for-barrier", {"barrier": barrier}), lambda r: r["illustrative"] == "true"
        )
        found, pager = _paged(rows)
    else:
        found, pager = None, {"pages": 1}
    options, more = _capped(options, barrier)
    return render_template(
        "question_practices.html",
        options=options,
        more=more,
        barrier=barrier,
        answer=found,
        switch=switch,
        **pager,
        query_link=_query_link("practices-for-barrier", {"barrier": barrier}),
    )


DIAGRAM_PARTNERS = 24  # partners drawn in the transfer diagram (the table lists every transfer)


@dataclass
class Node:
    iri: str
    label: str
    x: float
    y: float

    @property
    def lines(self) -> list[str]:
        """The label in at most two short lines, so it fits under the node."""
        lines = textwrap.wrap(self.label, 24)
        return lines[:1] + [textwrap.shorten(" ".join(lines[1:]), 26, placeholder="…")] if len(lines) > 1 else lines


@bp.get("/questions/transfers")
def transfers() -> str:
    rows = _rows("transfers")
    partners: dict[str, str] = {}
    transfers_of: Counter[str] = Counter()
    for row in rows:
        partners.setdefault(row["from"], row["fromLabel"])
        partners.setdefault(row["to"], row["toLabel"])
        transfers_of.update((row["from"], row["to"]))
    # A circle of thousands of partners is unreadable and megabytes of SVG: the diagram draws the most
    # connected ones, the table (page by page) lists every transfer.
    drawn = {iri for iri, _ in transfers_of.most_common(DIAGRAM_PARTNERS)}
    size, radius, margin = 520, 180, 80  # the margin leaves room for labels left and right
    circle = sorted(((iri, label) for iri, label in partners.items() if iri in drawn), key=lambda p: p[1])
    nodes = {
        iri: Node(
            iri,
            label,
            margin + size / 2 + radius * math.cos(2 * math.pi * i / max(1, len(circle)) - math.pi / 2),
            size / 2 + radius * math.sin(2 * math.pi * i / max(1, len(circle)) - math.pi / 2),
        )
        for i, (iri, label) in enumerate(circle)
    }
    arrows: list[dict[str, Any]] = []
    for row in rows:
        if row["from"] not in nodes or row["to"] not in nodes:
            continue
        a, b = nodes[row["from"]], nodes[row["to"]]
        length = math.hypot(b.x - a.x, b.y - a.y) or 1
        shorten = 34 / length  # stop at the node's circle
        arrows.append(
            {
                "row": row,
                "x1": a.x + (b.x - a.x) * shorten,
                "y1": a.y + (b.y - a.y) * shorten,
                "x2": b.x - (b.x - a.x) * shorten,
                "y2": b.y - (b.y - a.y) * shorten,
            }
        )
    shown, pager = _paged(rows)
    return render_template(
        "question_transfers.html",
        rows=shown,
        **pager,
        nodes=nodes.values(),
        arrows=arrows,
        size=size,
        width=size + 2 * margin,
        not_drawn=len(partners) - len(nodes),
        query_link=_query_link("transfers"),
    )


@bp.get("/questions/progress")
def progress() -> str:
    """Each action plan's actions with their latest status, and how many of those are sourced or illustrative."""
    rows = _rows("action-plan-progress")
    plans: dict[str, dict[str, Any]] = {}
    for row in rows:
        plan = plans.setdefault(
            row["plan"], {"label": row["planLabel"], "partner": row["partnerLabel"], "iri": row["plan"], "actions": []}
        )
        status = row.get("status", "").rsplit("/", 1)[-1]
        plan["actions"].append({**row, "progress": STATUS_PROGRESS.get(status)})
    shown, pager = _paged(sorted(plans.values(), key=lambda p: p["partner"]))
    return render_template(
        "question_progress.html",
        plans=shown,
        **pager,
        statuses=status_counts(rows),
        query_link=_query_link("action-plan-progress"),
    )


def status_counts(rows: list[dict[str, str]]) -> dict[str, int]:
    """Of the latest statuses in `rows` (action-plan-progress, every page): how many are sourced, how many of
    those the editors' classification, how many illustrative; and how many actions have no status recorded.

    >>> status_counts([{"action": "a", "status": "s", "statusIllustrative": "true"}, {"action": "b"},
    ...                {"action": "c", "status": "s", "statusIllustrative": "false", "statusEditorial": "true"}])
    {'sourced': 1, 'editorial': 1, 'illustrative': 1, 'not_recorded': 1}
    """
    shown = [row for row in rows if "status" in row]
    sourced = [row for row in shown if row.get("statusIllustrative") != "true"]
    return {
        "sourced": len(sourced),
        "editorial": sum(row.get("statusEditorial") == "true" for row in sourced),
        "illustrative": len(shown) - len(sourced),
        "not_recorded": len({row["action"] for row in rows} - {row["action"] for row in shown}),
    }


@bp.get("/questions/gaps")
def gaps() -> str:
    by_partner: dict[str, list[dict[str, str]]] = {}
    for row in _rows("barriers-without-practice"):
        by_partner.setdefault(row["partnerLabel"], []).append(row)
    shown, pager = _paged(sorted(by_partner.items()))
    return render_template(
        "question_gaps.html", by_partner=shown, **pager, query_link=_query_link("barriers-without-practice")
    )


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
    if _sourced_only():  # the site-wide switch, the same as choosing "Sourced facts" in the source facet
        chosen["source"] = ["sourced"]
    # Counting every facet over every item takes seconds at 10^6 triples: once per version of the data.
    key = ("facets", query, tuple(sorted((k, tuple(v)) for k, v in chosen.items())))
    items, facets = _kept_for_reader(key, lambda: _in_words(*facet(_rows(query), chosen)), lambda found: len(found[0]))
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
    shown, pager = _paged(items)
    without_source = {k: v for k, v in chosen.items() if k != "source"}
    return render_template(
        "list.html",
        kind=kind,
        title=title,
        items=shown,
        total=len(items),
        **pager,
        without_source=without_source,
        facets=facets,
        chosen=chosen,
        lists=LISTS,
        query_link=_query_link(query),
    )


def _words() -> dict[str, str]:
    """The lists' own words (facets.WORDS: "Sourced facts", "not recorded"…) in the reader's language."""
    return {word: _(word) for word in WORDS}


def _in_words(items: list[Item], facets: list[Facet]) -> tuple[list[Item], list[Facet]]:
    """`items` and `facets` (fresh from facet(), not yet shared) with the lists' own values named in the reader's
    language ("Fatti con fonte", "non registrato"): those of the source and classified facets, and "none" in any.
    Names from the graph are left as they are (already in the reader's language where the graph has it)."""
    words = _words()
    for item in items:
        for name, values in item.dimensions.items():
            for value, label in values.items():
                if name in ALWAYS_SET or value == NONE:
                    values[value] = words.get(label, label)
    for found in facets:
        for value in found.values:
            if found.name in ALWAYS_SET or value.value == NONE:
                value.label = words.get(value.label, value.label)
    return items, facets


def _paged(items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of a list that grows with the data (?page=N, LIST_PAGE_SIZE a page), and what the pager
    (_pager.html) needs: this page's number, how many pages, and the address of any page, other arguments kept."""
    shown, number, pages = page_of(items, request.args.get("page"), int(current_app.config.get("LIST_PAGE_SIZE", 50)))

    def page_url(n: int) -> str:
        return url_for(
            request.endpoint or "",
            **{**(request.view_args or {}), **request.args.to_dict(flat=False), "page": [str(n)]},
        )

    return shown, {"page": number, "pages": pages, "page_url": page_url}


def _choices(query: str, value: str, label: str, values: dict[str, str] | None = None) -> list[tuple[str, str]]:
    return _kept_for_reader(
        ("choices", query, value, label, _key_of(values)),
        lambda: sorted({(r[value], r.get(label, compact(r[value]))) for r in _rows(query, values)}, key=lambda c: c[1]),
        len,
    )


CHOICES_SHOWN = 300  # options in one <select>: past that a list is unusable (14 000 barriers at 10^6 triples)


def _capped(options: list[tuple[str, str]], *chosen: str | None) -> tuple[list[tuple[str, str]], int]:
    """The first CHOICES_SHOWN options, plus any chosen one, and how many are left out: those are asked about
    from their own page ("Ask about it", resource.html), found with Search."""
    if len(options) <= CHOICES_SHOWN:
        return options, 0
    shown = options[:CHOICES_SHOWN] + [o for o in options[CHOICES_SHOWN:] if o[0] in chosen]
    return shown, len(options) - len(shown)


@bp.get("/questions/who-solved")
def who_solved() -> str:
    """Who already solved my problem: matches by sector and by barrier, nearest first, each with its reasons."""
    sector, barrier = _iri_argument("sector"), _iri_argument("barrier")
    matches: dict[str, dict[str, Any]] = {}

    def note(row: dict[str, str], weight: int, reason: str) -> None:
        match = matches.setdefault(row["responder"], {"row": row, "score": 0, "reasons": []})
        if reason not in match["reasons"]:
            match["score"] += weight
            match["reasons"].append(reason)

    if barrier:
        for row in _rows("solved-for-barrier", {"barrier": barrier}):
            if row["match"] == "barrier":
                note(row, 3, N_("addresses this very barrier"))
            else:
                note(row, 1, row["categoryLabel"])
    if sector:
        for row in _rows("solved-in-sector", {"sector": sector}):
            note(row, 2, N_("works in the same sector"))
    # Sourced answers first, however well an illustrative example matches; CircE's own before another dataset's.
    ranked = sorted(
        matches.values(),
        key=lambda m: (
            m["row"]["illustrative"] == "true",
            bool(m["row"].get("dataset")),
            -m["score"],
            m["row"]["partnerLabel"],
        ),
    )
    ranked, switch = _truth_split(ranked, lambda m: m["row"]["illustrative"] == "true")
    sectors, more_sectors = _capped(
        _choices("instances-of-class", "resource", "label", {"type": "circe:Sector"}), sector
    )
    barriers, more = _capped(_choices("instances-of-class", "resource", "label", {"type": "circe:Barrier"}), barrier)
    ranked, pager = _paged(ranked)
    return render_template(
        "question_who_solved.html",
        ranked=ranked,
        **pager,
        sector=sector,
        barrier=barrier,
        switch=switch if (sector or barrier) else None,
        sectors=sectors,
        barriers=barriers,
        more=more + more_sectors,
        asked=bool(sector or barrier),
        query_link=_query_link("solved-for-barrier", {"barrier": barrier}),
    )


def _profile(partner: str) -> dict[str, dict[str, str]]:
    return _profiles({"partner": partner}).get(partner, {})


def _profiles(values: dict[str, str] | None = None) -> dict[str, dict[str, dict[str, str]]]:
    """Each partner's profile (dimension -> value -> label); every partner's from one query when no partner
    is given (one query per partner took 6.8 s with 345 partners)."""

    def collect() -> dict[str, dict[str, dict[str, str]]]:
        profiles: dict[str, dict[str, dict[str, str]]] = {}
        for row in _rows("partner-profile", values):
            profiles.setdefault(row["partner"], {}).setdefault(row["dimension"], {})[row["value"]] = row["valueLabel"]
        return profiles

    return _kept_for_reader(
        ("profiles", _key_of(values)), collect, lambda profiles: sum(len(p) for p in profiles.values())
    )


SIMILAR_SHOWN = 50


@bp.get("/questions/similar-regions")
def similar_regions() -> str:
    """Partners ranked by what they share with the chosen one: sectors, barrier categories, ReSOLVE levers."""
    partner = _iri_argument("partner")
    partners = _choices("partners", "partner", "partnerLabel")
    if partner and partner not in dict(partners):
        raise BadParameter("pick a partner from the list")
    ranked = []
    if partner:
        profiles = _profiles()
        mine = profiles.get(partner, {})
        for other, label in partners:
            if other == partner:
                continue
            theirs = profiles.get(other, {})
            shared = {
                dim: sorted(set(mine.get(dim, {})) & set(theirs.get(dim, {})))
                for dim in ("sector", "barrier category", "ReSOLVE lever")
            }
            reasons = {dim: [theirs[dim][v] for v in values] for dim, values in shared.items() if values}
            ranked.append(
                {"partner": other, "label": label, "score": sum(len(v) for v in reasons.values()), "reasons": reasons}
            )
        ranked.sort(key=lambda r: (-r["score"], r["label"]))
    more = max(0, len(ranked) - SIMILAR_SHOWN)
    partners, more_partners = _capped(partners, partner)
    return render_template(
        "question_similar.html",
        partners=partners,
        partner=partner,
        more_partners=more_partners,
        ranked=ranked[:SIMILAR_SHOWN],
        more=more,
        query_link=_query_link("partner-profile", {"partner": partner}),
    )


@bp.get("/questions/compare")
def compare() -> str:
    """Two partners side by side."""
    partners = _choices("partners", "partner", "partnerLabel")
    chosen = [_iri_argument("a"), _iri_argument("b")]
    for iri in chosen:
        if iri and iri not in dict(partners):
            raise BadParameter("pick both partners from the list")
    profiles = [(_profile(iri), dict(partners)[iri]) if iri else None for iri in chosen]
    dimensions = ["sector", "barrier category", "ReSOLVE lever", "practice", "action"]
    partners, more = _capped(partners, *chosen)
    return render_template(
        "question_compare.html",
        partners=partners,
        more=more,
        chosen=chosen,
        profiles=profiles,
        dimensions=dimensions,
        query_link=_query_link("partner-profile"),
    )
