"""The answers of named queries as pages show them: rows with names in the reader's language, kept once per
version of the data and language, paged, offered as choices (capped), and linked to their SPARQL on the query
page. Every page that lists query answers (search, questions, lists) reads them through here, so that each
answer is turned into text once, not once per visit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request, url_for

from .. import queries, settings
from ..answer_cache import Fold
from ..errors import BadParameter
from ..facets import N_, Listing, country_name, page_of
from ..namespaces import compact, expand
from .i18n import in_reader_language
from .services import answer, remembered, services

T = TypeVar("T")
# Words that come from the queries (kinds, profile dimensions) but are shown translated.
QUERY_WORDS = [N_("practice"), N_("action"), N_("sector"), N_("barrier category"), N_("ReSOLVE lever")]


def answer_rows(name: str, values: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The answer to a named query as text, with names in the reader's language. Shared between requests
    (see kept_for_reader): callers copy a row before they change it."""
    return kept_for_reader(("rows", name, _key_of(values)), lambda: _named_texts(answer(name, values)), len)


def listing(name: str) -> Listing:
    """The faceted list of queries/{name}.rq (a list-*.rq) in the reader's language, shared between requests: in
    English followed across writes by the rows they changed (AnswerCache.folded), in another language made once
    per version of the data from the rows with their names in it."""
    if g.get("lang", "en") == "en":
        return services().answers.folded(name, None, LISTING)
    return kept_for_reader(("listing", name), lambda: Listing(answer_rows(name)), lambda found: len(found.items))


LISTING = Fold(
    Listing,
    lambda found, row, sign: found.step(queries.text_of(row), sign),
    Listing.copy,
    lambda found: Listing(found.texts()),
)


def _named_texts(found: queries.Answer) -> list[dict[str, str]]:
    """`found`'s rows as text (Answer.texts: kept across writes for the rows a write did not change), with names
    in the reader's language: in English as they are, else copies renamed (_named)."""
    texts = found.texts()
    if g.get("lang", "en") == "en":
        return texts  # the queries name things in English (in_reader_language): nothing to change
    return _named([dict(row) for row in texts])


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


def kept_for_reader(key: tuple[Any, ...], compute: Callable[[], T], size: Callable[[T], int]) -> T:
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


def query_link(name: str, values: dict[str, str | None] | None = None) -> str:
    """The query page with this answer's SPARQL; the values the page bound are listed in a comment on top
    (the query page shows text for people to read and run — the app itself never pastes values in)."""
    bound = [f"#   ?{k} = <{v}>" for k, v in (values or {}).items() if v]
    header = "# This page bound these parameters:\n" + "\n".join(bound) + "\n" if bound else ""
    return url_for("query_page.page", query=header + queries.get(name).text)


def iri_argument(name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    iri = expand(raw)
    if iri is None:
        raise BadParameter(f"{name} must be a resource address, got {raw!r}", "pick one from the list")
    return iri


def paged(items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
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


def choices(query: str, value: str, label: str, values: dict[str, str] | None = None) -> list[tuple[str, str]]:
    return kept_for_reader(
        ("choices", query, value, label, _key_of(values)),
        lambda: sorted(
            {(r[value], r.get(label) or compact(r[value])) for r in answer_rows(query, values)}, key=lambda c: c[1]
        ),
        len,
    )


CHOICES_SHOWN = 300  # options in one <select>: past that a list is unusable (14 000 barriers at 10^6 triples)


def capped(options: list[tuple[str, str]], *chosen: str | None) -> tuple[list[tuple[str, str]], int]:
    """The first CHOICES_SHOWN options, plus any chosen one, and how many are left out: those are asked about
    from their own page ("Ask about it", resource.html), found with Search."""
    if len(options) <= CHOICES_SHOWN:
        return options, 0
    shown = options[:CHOICES_SHOWN] + [o for o in options[CHOICES_SHOWN:] if o[0] in chosen]
    return shown, len(options) - len(shown)
