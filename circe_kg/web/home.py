"""The home page: what the graph holds, in counts (each with how many are sourced and illustrative, and a link
to the list that shows exactly that many), and where to go next."""

from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request, url_for

from ..answer_cache import Fold
from ..queries import Row
from . import europe_map, kinds
from .i18n import in_reader_language
from .pages import page
from .services import answer, services
from .sourced import sourced_only

bp = Blueprint("home", __name__)

# Partners on the map and in the list: CircE has 8, a graph of many Interreg projects thousands, which would make
# a home page of megabytes; the rest are in the list of partners (/list/partners).
PARTNERS_SHOWN = 100
MARKER_RADIUS = 11  # of a partner's marker on the map, in the map's units


@dataclass
class Count:
    label: str
    list: str  # the faceted list (/list/{list}) of exactly these records, "" where there is none
    total: int
    sourced: int
    illustrative: int


def overview() -> list[Count]:
    """How many records of each main kind the graph holds, sourced and illustrative (members of subclasses
    included, as in the lists): kinds.OVERVIEW, counted by kinds.counted."""
    return [
        Count(c.kind.label, c.kind.list, c.total, c.sourced, c.illustrative)
        for c in kinds.counted(kinds.OVERVIEW, own_only=False)
    ]


@bp.get("/")
def index() -> Response:
    """The home page; its twin (?format=json) has the same counts, partners, markers, arrows and points."""
    counts = overview()
    rows = answer("partners").rows
    more_partners = max(0, len(rows) - PARTNERS_SHOWN)
    # Each partner's row, numbered (an int) as the map marks it.
    partners: list[dict[str, Any]] = in_reader_language(
        [{k: v.value for k, v in row.items()} for row in rows[:PARTNERS_SHOWN]]
    )
    shapes = europe_map.countries()
    by_iso = {c.iso: c for c in shapes}
    markers: list[dict[str, Any]] = []
    for number, partner in enumerate(partners, start=1):
        partner["number"] = number
        if "lat" in partner and "long" in partner:  # the region's point, sourced in the graph
            x, y = europe_map.project(float(partner["long"]), float(partner["lat"]))
            markers.append({"partner": partner, "x": x, "y": y, "at": "region"})
        elif country := by_iso.get(europe_map.ISO_NUMERIC.get(partner.get("countryCode", ""), "")):
            markers.append({"partner": partner, "x": country.centroid[0], "y": country.centroid[1], "at": "country"})
    highlighted = {europe_map.ISO_NUMERIC.get(p.get("countryCode", "")) for p in partners}
    listed = _listed_practices()
    for m in markers:  # a marker opens the partner's practices (its page when it has none listed)
        iri = m["partner"]["partner"]
        m["list"] = _practices_href("partner", iri) if iri in listed["partner"] else ""
    showing = "practices" if request.args.get("map") == "practices" else "transfers"
    only_sourced = sourced_only()  # the site-wide switch: illustrative arrows and points left out too
    transfers = _transfer_arrows(markers, only_sourced) if showing == "transfers" else []
    points = _practice_points(by_iso, listed, only_sourced) if showing == "practices" else []
    sourced, total = kinds.sourced_share()
    return page(
        "home/home.html",
        counts=counts,
        sourced=sourced,
        total=total,
        partners=partners,
        more_partners=more_partners,
        markers=markers,
        highlighted=highlighted,
        at_country=[m["partner"] for m in markers if m["at"] == "country"],
        showing=showing,
        transfers=transfers,
        points=points,
        drawing={"shapes": shapes, "map": europe_map},
    )


def _practices_href(facet: str, value: str, source: str | None = None) -> str:
    """The list of practices filtered by one value (the IRI escaped whole: no "https://" in the page's map)."""
    query = f"{facet}={quote(value, safe='')}" + (f"&source={source}" if source else "")
    base = url_for("lists.faceted_list", kind="practices")  # may carry ?lang=…
    return base + ("&" if "?" in base else "?") + query


def _listed_practices() -> dict[str, Counter[str]]:
    """The partners, regions and countries that the list of practices can be filtered by (a value it does not
    have is a 400, so the map links only these), each with its rows of queries/app/practice-places.rq: counted
    once, then followed across writes by the rows they changed (AnswerCache.folded)."""
    return services().answers.folded("practice-places", None, PLACES)


def _count_place(listed: dict[str, Counter[str]], row: Row, sign: int) -> None:
    for name, values in listed.items():
        if name in row:
            value = row[name].value
            values[value] += sign
            if not values[value]:
                del values[value]  # `in` means listed


PLACES = Fold(
    lambda: {"partner": Counter(), "region": Counter(), "country": Counter()},
    _count_place,
    lambda listed: {name: Counter(values) for name, values in listed.items()},
)


def _transfer_arrows(markers: list[dict[str, Any]], only_sourced: bool) -> list[dict[str, Any]]:
    """An arrow for each transfer between two partners on the map, from the one whose practice was taken up;
    sourced or illustrative (queries/questions/transfers.rq)."""
    at = {m["partner"]["partner"]: m for m in markers}
    arrows = []
    for row in answer("transfers").rows:
        values = {k: v.value for k, v in row.items()}
        a, b = at.get(values["from"]), at.get(values["to"])
        values["mark"] = "illustrative" if values.get("illustrative") == "true" else "sourced"
        if a is None or b is None or a is b or (only_sourced and values["mark"] == "illustrative"):
            continue
        values["fromNumber"], values["toNumber"] = a["partner"]["number"], b["partner"]["number"]
        values["d"] = europe_map.curve((a["x"], a["y"]), (b["x"], b["y"]), MARKER_RADIUS + 3, MARKER_RADIUS + 4)
        arrows.append(values)
    return arrows


def _practice_points(
    by_iso: dict[str, europe_map.Country], listed: dict[str, Counter[str]], only_sourced: bool
) -> list[dict[str, Any]]:
    """The practices as points: one per region with a point in the graph, else one per country (at its
    outline's centroid), with how many sourced and illustrative practices are there
    (queries/questions/practice-points.rq)."""
    places: dict[tuple[str, str], dict[str, Any]] = {}
    seen: set[tuple[str, tuple[str, str]]] = set()
    for row in answer("practice-points").rows:
        values = {k: v.value for k, v in row.items()}
        if only_sourced and values.get("illustrative") == "true":
            continue
        if "lat" in values and "long" in values:
            key = ("region", values["region"])
            x, y = europe_map.project(float(values["long"]), float(values["lat"]))
            label = values["regionLabel"]
        elif (country := by_iso.get(europe_map.ISO_NUMERIC.get(values.get("countryCode", ""), ""))) and values.get(
            "country"
        ):
            key = ("country", values["country"])
            (x, y), label = country.centroid, country.name
            if values["region"] == values["country"]:
                label = values["regionLabel"]
        else:
            key = ("unplaced", "")
            x = y = 0.0
            label = ""
        if (values["practice"], key) in seen:
            continue
        seen.add((values["practice"], key))
        place = places.setdefault(
            key, {"facet": key[0], "iri": key[1], "label": label, "x": x, "y": y, "sourced": 0, "illustrative": 0}
        )
        place["illustrative" if values.get("illustrative") == "true" else "sourced"] += 1
    out = []
    for (facet, iri), place in sorted(places.items(), key=lambda kv: kv[1]["label"]):
        if facet == "unplaced":
            continue
        for mark in ("sourced", "illustrative"):
            linked = iri in listed[facet] and place[mark]
            place[f"{mark}_href"] = _practices_href(facet, iri, mark) if linked else ""
        out.append(place)
    return out
