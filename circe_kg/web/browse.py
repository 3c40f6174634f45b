"""Pages for policy officers: search, and the transfer questions as guided pages. Every fact on them comes
from a named query in queries/; each answer links to its SPARQL on the query page ("show the query")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Response, current_app, g, has_request_context, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .. import queries, settings
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
from ..search import MAX_QUERY, METHODS, Results
from . import diagram
from .i18n import EXTENDED_BY_HAND, LANGUAGE_FREE, in_reader_language
from .linked_data import local_href
from .services import answer, remembered, search_index
from .sheets import XLSX, xlsx_of

bp = Blueprint("browse", __name__)
T = TypeVar("T")
# Words that come from the queries (kinds, profile dimensions) but are shown translated.
QUERY_WORDS = [N_("practice"), N_("action"), N_("sector"), N_("barrier category"), N_("ReSOLVE lever")]
STATUS_PROGRESS = {"not-started": 0, "in-progress": 50, "implemented": 100, "not-implemented": 0}


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
    results = search_index().search(text, lang=reader, methods=methods) if text.strip() else None
    if results is not None and sourced_only():
        results = _sourced_results(results)
    # Only a search that found nothing shows them: counting the kinds takes 30 ms at 10^6 triples.
    suggestions = search_index().suggestions() if results is not None and not results.count else []
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
    found = search_index().suggest(text, lang=reader) if text.strip() else []
    response = jsonify(query=text, suggestions=found)
    response.headers["Cache-Control"] = "no-store"
    return response


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


SOURCED_COOKIE = "sourced"
# Addresses that never carry the switch: files, assets and machine interfaces (as i18n.LANGUAGE_FREE), and the
# pages the app extends by hand ("/query" + "?query=…"), whose content it does not change.
SWITCH_FREE = LANGUAGE_FREE | EXTENDED_BY_HAND


def sourced_only() -> bool:
    """The site-wide sourced-only switch: ?sourced=1 (or on) turns it on, ?sourced=0 off; without either, the
    reader's last choice (the `sourced` cookie, kept_sourced_choice). While it is on, every page, list, question,
    CSV and the dumps listing leave out what rests on illustrative examples, and say so."""
    if "sourced" in request.args:
        return _checkbox("sourced", "sourced answers only")
    return request.cookies.get(SOURCED_COOKIE) == "1"


_sourced_only = sourced_only


def _switch_is_on() -> bool:
    """sourced_only() for links and templates: a malformed ?sourced= is the page's own error, not every link's."""
    try:
        return has_request_context() and sourced_only()
    except BadParameter:
        return False


@bp.app_url_defaults
def keep_sourced(endpoint: str | None, values: dict[str, Any]) -> None:
    """url_defaults: while the switch is on, a url_for of a page carries sourced=1 (unless the caller gave
    sourced: the switch's own link turns it off), so a shared link or a cookie-less client keeps it."""
    if endpoint is None or endpoint in SWITCH_FREE or "sourced" in values:
        return
    if _switch_is_on():
        values["sourced"] = "1"


@bp.after_app_request
def kept_sourced_choice(response: Response) -> Response:
    """The reader's choice (?sourced=1 or 0) kept in a cookie for the next visit; a page made with the cookie
    says it varies with it."""
    chosen = request.args.get("sourced")
    if chosen in ("1", "on"):
        response.set_cookie(SOURCED_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    elif chosen == "0" and SOURCED_COOKIE in request.cookies:
        response.delete_cookie(SOURCED_COOKIE, samesite="Lax", httponly=True)
    if SOURCED_COOKIE in request.cookies:
        response.vary.add("Cookie")
    return response


def sourced_turn_url() -> str:
    """This page with the switch turned (page number dropped: the other setting has other pages)."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("sourced", "page")}
    turned = {**args, "sourced": ["0" if _switch_is_on() else "1"]}
    if request.endpoint is None or request.endpoint in SWITCH_FREE:
        return request.path + "?" + urlencode(turned, doseq=True)
    return url_for(request.endpoint, **(request.view_args or {}), **turned)


@bp.app_context_processor
def sourced_switch() -> dict[str, Any]:
    """For every template (base.html may show it on every page): whether the switch is on, and its one link."""
    return {"sourced_only": _switch_is_on, "sourced_turn_url": sourced_turn_url, "sourced_field": sourced_field}


def sourced_field() -> Markup:
    """For a form sent with GET (which replaces its action's query): the switch in a hidden field while on."""
    return Markup('<input type="hidden" name="sourced" value="1">') if _switch_is_on() else Markup("")


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
    """The rows to show (all, or the sourced ones while the switch is on), and what the switch above an answer
    shows (_switch)."""
    sourced = [row for row in rows if not illustrative(row)]
    switch = _switch(len(sourced), len(rows) - len(sourced))
    return (sourced if switch["only"] else rows), switch


def _switch(sourced: int, illustrative: int) -> dict[str, Any]:
    """What _truth_switch.html shows: how many answers are sourced and illustrative, whether the illustrative
    ones are left out, and the address of this page with the switch turned."""
    return {"sourced": sourced, "illustrative": illustrative, "only": sourced_only(), "turn": sourced_turn_url()}


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


@bp.get("/questions/transfers")
def transfers() -> str:
    # The switch leaves illustrative transfers out of the diagram and the table alike.
    rows, switch = _truth_split(_rows("transfers"), lambda r: r["illustrative"] == "true")
    partners: dict[str, str] = {}
    transfers_of: Counter[str] = Counter()
    for row in rows:
        partners.setdefault(row["from"], row["fromLabel"])
        partners.setdefault(row["to"], row["toLabel"])
        transfers_of.update((row["from"], row["to"]))
    # A circle of thousands of partners is unreadable and megabytes of SVG: the diagram draws the most
    # connected ones, the table (page by page) lists every transfer.
    drawn = {iri for iri, _ in transfers_of.most_common(DIAGRAM_PARTNERS)}
    circle = sorted(((iri, label) for iri, label in partners.items() if iri in drawn), key=lambda p: p[1])
    layout = diagram.layout(circle, rows)  # labels outside the circle, never under an arrow (web/diagram.py)
    shown, pager = _paged(rows)
    return render_template(
        "question_transfers.html",
        rows=shown,
        **pager,
        switch=switch,
        diagram=layout,
        not_drawn=len(partners) - len(layout.nodes),
        query_link=_query_link("transfers"),
    )


@bp.get("/questions/progress")
def progress() -> str:
    """Each action plan's actions with their latest status, and how many of those are sourced or illustrative.
    With the switch on, illustrative actions are left out, and an illustrative status is not shown."""
    rows, switch = _truth_split(_rows("action-plan-progress"), lambda r: r.get("actionIllustrative") == "true")
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
        switch=switch,
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
    rows, switch = _truth_split(_rows("barriers-without-practice"), lambda r: r["illustrative"] == "true")
    by_partner: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_partner.setdefault(row["partnerLabel"], []).append(row)
    shown, pager = _paged(sorted(by_partner.items()))
    return render_template(
        "question_gaps.html",
        by_partner=shown,
        **pager,
        switch=switch,
        query_link=_query_link("barriers-without-practice"),
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
    size = int(current_app.config.get("LIST_PAGE_SIZE", settings.value("LIST_PAGE_SIZE")))
    shown, number, pages = page_of(items, request.args.get("page"), size)

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


SIMILAR_SHOWN = 50
# How much each kind of shared thing weighs in "Which regions are most like mine?" when it is sourced (or the
# editors' classification of sourced records); illustrative ones only break ties.
SHARED_WEIGHTS = {"transfer": 3, "sector": 2, "barrier": 1, "lever": 1}
SHARED_KINDS = {
    "transfer": N_("a transfer between you"),
    "sector": N_("the same sector"),
    "barrier": N_("barriers of the same kind"),
    "lever": N_("opportunities with the same ReSOLVE lever"),
}
MARK_WORDS = {
    "sourced": N_("sourced"),
    "editorial": N_("classified by the circe-kg editors"),
    "illustrative": N_("illustrative example — not a CircE record"),
}
PROFILE_DIMENSIONS = ["sector", "barrier category", "ReSOLVE lever", "practice", "action"]


@dataclass
class Held:
    """One thing a partner holds (a sector, a barrier, an opportunity…) and its mark."""

    iri: str
    label: str
    illustrative: bool
    editorial: bool = False
    kinds: dict[str, str] = field(default_factory=dict)  # a barrier's categories or an opportunity's lever

    @property
    def mark(self) -> str:
        return "illustrative" if self.illustrative else "editorial" if self.editorial else "sourced"


@dataclass
class Shared:
    """One reason two partners are alike, counted once, with its mark."""

    kind: str  # a key of SHARED_KINDS
    label: str
    mark: str  # a key of MARK_WORDS
    iri: str = ""
    mine: list[str] = field(default_factory=list)  # what of the chosen partner's it rests on
    theirs: list[str] = field(default_factory=list)


def _holdings() -> dict[str, dict[str, list[Held]]]:
    """What each partner holds, by kind: its sectors (its partnership's), the barriers it reported with their
    categories (narrower and broader), its opportunities with their ReSOLVE levers, its practices and actions;
    each with its own mark. Made once per version of the data (the lists' queries, already kept)."""

    def collect() -> dict[str, dict[str, list[Held]]]:
        held: dict[str, dict[str, dict[str, Held]]] = {}

        def add(partner: str, kind: str, iri: str, label: str, row: dict[str, str]) -> Held:
            found = held.setdefault(partner, {}).setdefault(kind, {})
            item = found.setdefault(iri, Held(iri, label, True))
            item.illustrative = item.illustrative and row.get("illustrative") == "true"  # the most solid wins
            item.editorial = item.editorial or row.get("editorial") == "true"
            return item

        for row in _rows("partner-profile"):
            if row["dimension"] in ("sector", "practice", "action"):
                add(row["partner"], row["dimension"], row["value"], row["valueLabel"], row)
        for query, kind, column in (("list-barriers", "barrier", "category"), ("list-opportunities", "lever", "lever")):
            for row in _rows(query):
                if "partner" in row:
                    item = add(row["partner"], kind, row["resource"], row.get("label", compact(row["resource"])), row)
                    if column in row:
                        item.kinds[row[column]] = row.get(column + "Label", compact(row[column]))
        return {
            partner: {kind: list(items.values()) for kind, items in kinds.items()} for partner, kinds in held.items()
        }

    return _kept_for_reader(("holdings",), collect, len)


def _kinds_shared(mine: list[Held], theirs: list[Held]) -> list[tuple[set[str], list[Held], list[Held]]]:
    """The kinds (barrier categories, levers) both hold, each once: categories that one record holds together
    (a barrier's Kirchherr and EMF categories, a category and its broader one) are one kind, not one per taxonomy.
    Each with the records of either side it rests on."""
    shared = {k for h in mine for k in h.kinds} & {k for h in theirs for k in h.kinds}
    group = {k: {k} for k in shared}
    for held in mine + theirs:
        together = [k for k in held.kinds if k in shared]
        for k in together[1:]:
            if group[k] is not group[together[0]]:
                merged = group[together[0]] | group[k]
                for member in merged:
                    group[member] = merged
    kinds = {frozenset(g) for g in group.values()}
    return [
        (set(kinds_), [h for h in mine if kinds_ & h.kinds.keys()], [h for h in theirs if kinds_ & h.kinds.keys()])
        for kinds_ in sorted(kinds, key=sorted)
    ]


def _shared(
    mine: dict[str, list[Held]], theirs: dict[str, list[Held]], transfers: list[dict[str, str]]
) -> list[Shared]:
    """What two partners share, each thing once: the transfers between them, their common sectors, the kinds
    of barrier both reported, the ReSOLVE levers of both's opportunities."""
    found = [
        Shared(
            "transfer",
            row["transferLabel"],
            "illustrative" if row["illustrative"] == "true" else "sourced",
            row["transfer"],
        )
        for row in {row["transfer"]: row for row in transfers}.values()
    ]
    theirs_sectors = {h.iri: h for h in theirs.get("sector", [])}
    for held in mine.get("sector", []):
        if held.iri in theirs_sectors:
            other = theirs_sectors[held.iri]
            mark = "illustrative" if held.illustrative or other.illustrative else "sourced"
            found.append(Shared("sector", held.label, mark, held.iri))
    for kind in ("barrier", "lever"):
        for kinds, my_items, their_items in _kinds_shared(mine.get(kind, []), theirs.get(kind, [])):
            labels = sorted({h.kinds[k] for h in my_items + their_items for k in kinds if k in h.kinds})
            names = [h.label for h in my_items], [h.label for h in their_items]
            solid = [h for h in my_items if not h.illustrative], [h for h in their_items if not h.illustrative]
            if all(solid):
                mark = "editorial" if any(h.editorial for h in solid[0] + solid[1]) else "sourced"
            else:
                mark = "illustrative"
            found.append(Shared(kind, " / ".join(labels), mark, "", *names))
    return found


def _without_illustrative(held: dict[str, list[Held]]) -> dict[str, list[Held]]:
    return {kind: [h for h in items if not h.illustrative] for kind, items in held.items()}


def similarity(
    mine: dict[str, list[Held]], theirs: dict[str, list[Held]], transfers: list[dict[str, str]], only: bool
) -> tuple[list[Shared], int]:
    """The reasons two partners are alike, each shared thing once, and the weight they rank by: the sourced and
    editorial reasons weigh SHARED_WEIGHTS; an illustrative one only if nothing sourced shows the same thing
    (and not at all with `only`, the sourced-only switch)."""
    solid = _shared(
        _without_illustrative(mine),
        _without_illustrative(theirs),
        [t for t in transfers if t["illustrative"] != "true"],
    )
    shown = list(solid)
    if not only:
        covered = {(r.kind, r.iri or r.label) for r in solid}
        solid_labels = {part for r in solid for part in r.label.split(" / ")}
        for reason in _shared(mine, theirs, transfers):
            if (reason.kind, reason.iri or reason.label) in covered:
                continue
            if reason.kind in ("barrier", "lever") and solid_labels & set(reason.label.split(" / ")):
                continue  # the same kind, shown with its sourced records
            shown.append(reason)
    return shown, sum(SHARED_WEIGHTS[r.kind] for r in shown if r.mark != "illustrative")


@bp.get("/questions/similar-regions")
def similar_regions() -> str:
    """Partners ranked by what they share with the chosen one, each shared thing once with its mark: transfers
    between them, sectors, kinds of barrier, ReSOLVE levers; sourced ones first, illustrative ones break ties."""
    partner = _iri_argument("partner")
    partners = _choices("partners", "partner", "partnerLabel")
    if partner and partner not in dict(partners):
        raise BadParameter("pick a partner from the list")
    ranked, switch = [], None
    if partner:
        only, held, transfers = sourced_only(), _holdings(), _rows("transfers")
        mine, sourced, hidden = held.get(partner, {}), 0, 0
        for other, label in partners:
            if other == partner:
                continue
            between = [t for t in transfers if {t["from"], t["to"]} == {partner, other}]
            every, weight = similarity(mine, held.get(other, {}), between, False)
            sourced += sum(r.mark != "illustrative" for r in every)
            hidden += sum(r.mark == "illustrative" for r in every)
            reasons = [r for r in every if r.mark != "illustrative"] if only else every
            illustrative = sum(r.mark == "illustrative" for r in reasons)
            ranked.append(
                {
                    "partner": other,
                    "label": label,
                    "score": len(reasons),
                    "weight": weight,
                    "illustrative": illustrative,
                    "reasons": reasons,
                }
            )
        ranked.sort(key=lambda r: (-r["weight"], -r["illustrative"], r["label"]))
        switch = _switch(sourced, hidden)
    more = max(0, len(ranked) - SIMILAR_SHOWN)
    partners, more_partners = _capped(partners, partner)
    return render_template(
        "question_similar.html",
        partners=partners,
        partner=partner,
        more_partners=more_partners,
        ranked=ranked[:SIMILAR_SHOWN],
        more=more,
        switch=switch,
        kinds=SHARED_KINDS,
        marks=MARK_WORDS,
        weights=SHARED_WEIGHTS,
        query_link=_query_link("partner-profile", {"partner": partner}),
    )


def _compared(partner: str) -> dict[str, list[Held]]:
    """A partner's profile for the side-by-side page, by dimension, each value with its own mark: its sectors,
    the categories of its barriers (marked as the most solid barrier in them), the ReSOLVE levers of its
    opportunities, its practices and actions."""
    held = _holdings().get(partner, {})
    profile: dict[str, list[Held]] = {}
    for dimension, kind in (("barrier category", "barrier"), ("ReSOLVE lever", "lever")):
        values: dict[str, Held] = {}
        for item in held.get(kind, []):
            for iri, label in item.kinds.items():
                value = values.setdefault(iri, Held(iri, label, True))
                if value.illustrative or (value.editorial and not item.illustrative and not item.editorial):
                    value.illustrative, value.editorial = item.illustrative, item.editorial
        profile[dimension] = list(values.values())
    for dimension in ("sector", "practice", "action"):
        profile[dimension] = list(held.get(dimension, []))
    if sourced_only():
        profile = _without_illustrative(profile)
    return {dim: sorted(profile.get(dim, []), key=lambda h: h.label) for dim in PROFILE_DIMENSIONS}


@bp.get("/questions/compare")
def compare() -> str:
    """Two partners side by side, each value with its mark."""
    partners = _choices("partners", "partner", "partnerLabel")
    chosen = [_iri_argument("a"), _iri_argument("b")]
    for iri in chosen:
        if iri and iri not in dict(partners):
            raise BadParameter("pick both partners from the list")
    profiles = [(_compared(iri), dict(partners)[iri]) if iri else None for iri in chosen]
    switch = None
    if all(profiles):
        every = [h for iri in chosen if iri for items in _holdings().get(iri, {}).values() for h in items]
        switch = _switch(sum(not h.illustrative for h in every), sum(h.illustrative for h in every))
    partners, more = _capped(partners, *chosen)
    return render_template(
        "question_compare.html",
        partners=partners,
        more=more,
        chosen=chosen,
        profiles=profiles,
        dimensions=PROFILE_DIMENSIONS,
        marks=MARK_WORDS,
        switch=switch,
        query_link=_query_link("partner-profile"),
    )
