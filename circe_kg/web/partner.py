"""A page per partner, to print for a meeting: /partner/<slug> (the slug of /page/organisation/<slug>).

One query (queries/questions/partner-page.rq) gives every item the page lists, section by section, with the truth mark
and the sources of the fact that puts it there: its own (an rdf:Statement with dct:source) where it has one,
otherwise the record's that states it. The action plan's progress is the resource pages' timeline
(timeline.py, _timeline.html). static/print.css makes the page print cleanly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g
from flask_babel import gettext as _

from ..errors import NotFound
from ..facets import N_
from ..namespaces import compact
from .errors import shown
from .i18n import in_reader_language
from .pages import page as data_page
from .services import answer
from .timeline import Progress, progress
from .uris import local_href

bp = Blueprint("partner", __name__)

# The sections of the page, in order, with their headings and what to say when the graph holds nothing.
SECTIONS = [
    ("region", N_("Region")),
    ("instrument", N_("Policy instruments")),
    ("sector", N_("Sectors")),
    ("barrier", N_("Barriers")),
    ("opportunity", N_("Opportunities")),
    ("practice-shown", N_("Good practices it showed")),
    ("practice-seen", N_("Good practices seen at the partner meetings others hosted")),
    ("transfer-in", N_("Practices transferred to it")),
    ("transfer-out", N_("Practices transferred from it")),
    ("plan", N_("Action plan")),
    ("action", N_("Actions")),
    ("stakeholder", N_("Stakeholders")),
]
MARKS = ("sourced", "editorial", "illustrative")
SLUG = re.compile(r"[\w.~-]{1,200}")  # the last segment of an organisation's IRI: nothing else names a partner


@dataclass(frozen=True)
class Item:
    """One item of a section: its name, where it is described, its mark and the sources of the fact."""

    iri: str
    label: str
    href: str
    mark: str  # one of MARKS
    sources: tuple[str, ...]
    own_source: bool  # True: the fact's own source; False: the record's that states it
    language: str | None = None  # "en" where the reader asked for another language and the graph has no name in it

    @property
    def source_links(self) -> tuple[tuple[str, str, bool], ...]:
        """Each source as (address, host, whether to link it): only web addresses are links."""
        return tuple(
            (url, urlsplit(url).hostname or url, url.startswith(("http://", "https://"))) for url in self.sources
        )


def _item(row: dict[str, str], english: dict[str, str]) -> Item:
    fact_sources = tuple(row.get("factSources", "").split())
    record_sources = tuple(row.get("recordSources", "").split())
    illustrative, editorial = row.get("illustrative") == "true", row.get("editorial") == "true"
    mark = "illustrative" if illustrative else "editorial" if editorial else "sourced"
    if editorial and not fact_sources:
        record_sources = ()  # the editors' judgement: the record's source does not state it
    return Item(
        iri=row["item"],
        label=row.get("itemLabel") or compact(row["item"]),
        href=local_href(row["item"]) or row["item"],
        mark=mark,
        sources=fact_sources or record_sources,
        own_source=bool(fact_sources),
        language="en" if row["item"] in english and english[row["item"]] == row.get("itemLabel") else None,
    )


def _partner_iri(slug: str) -> str:
    return str(current_app.config["PERSISTENT_BASE"]) + "id/organisation/" + slug


@bp.get("/partner/<slug>")
def page(slug: str) -> Response:
    """The partner's page; its twin (?format=json) has each section's items with their marks and sources."""
    iri = _partner_iri(slug)
    found = answer("partner-page", {"partner": iri}).rows if SLUG.fullmatch(slug) else []
    rows = [{k: v.value for k, v in row.items()} for row in found]
    if not any(row["section"] == "partner" for row in rows):
        raise NotFound(
            _("“%(slug)s” is not a CircE partner in the graph", slug=shown(slug)),
            _("see the list of partners on the home page"),
        )
    # The English names, to mark those the reader's language leaves in English (lang="en").
    english = {row["item"]: row["itemLabel"] for row in rows if "itemLabel" in row and g.get("lang", "en") != "en"}
    rows = in_reader_language(rows)
    sections: dict[str, list[Item]] = {key: [] for key, _heading in SECTIONS}
    partner: Item | None = None
    for row in rows:
        item = _item(row, english)
        if row["section"] == "partner":
            partner = item
        elif item not in sections.setdefault(row["section"], []):
            sections[row["section"]].append(item)
    assert partner is not None
    plans = [item.iri for item in sections["plan"]]
    timeline: Progress | None = None
    if plans:
        timeline = progress(_timeline_rows(plans), plan=True)
    return data_page(
        "partner/partner.html",
        partner=partner,
        slug=slug,
        sections=[(key, _(heading), sections[key]) for key, heading in SECTIONS],
        marks=MARKS,
        timeline=timeline,
    )


def _timeline_rows(plans: list[str]) -> list[dict[str, str]]:
    """The observations of each action of the partner's plans (queries/questions/timeline.rq), names in the reader's
    language."""
    rows = []
    for plan in plans:
        rows += [{k: v.value for k, v in row.items()} for row in answer("timeline", {"plan": plan}).rows]
    return in_reader_language(rows)
