"""The home page: what the graph holds, in counts (each with how many are sourced and illustrative, and a link
to the list that shows exactly that many), and where to go next."""

from dataclasses import dataclass

from flask import Blueprint, render_template

from . import europe_map, truth
from .i18n import in_reader_language
from .store_access import answer

bp = Blueprint("home", __name__)

# Partners on the map and in the list: CircE has 8, a graph of many Interreg projects thousands (3,250 at 10^6
# triples made a 1.7 MB home page); the rest are in the list of partners (/list/partners).
PARTNERS_SHOWN = 100


def N_(text: str) -> str:  # noqa: N802 - marks text for translation that comes from queries/overview-counts.rq
    return text


COUNT_LABELS = [
    N_("partners"),
    N_("practices"),
    N_("barriers"),
    N_("opportunities"),
    N_("policy instruments"),
    N_("action plans"),
    N_("actions"),
    N_("transfers"),
    N_("meetings and visits"),
]


@dataclass
class Count:
    label: str
    list: str  # the faceted list (/list/{list}) of exactly these records, "" where there is none
    total: int
    sourced: int
    illustrative: int


def overview() -> list[Count]:
    """How many records of each main kind the graph holds, sourced and illustrative (queries/overview-counts.rq:
    members of subclasses included, as in the lists)."""
    return [
        Count(
            row["label"].value,
            row["list"].value if "list" in row else "",
            int(row["count"].value),
            int(row["sourced"].value),
            int(row["illustrative"].value),
        )
        for row in answer("overview-counts").rows
    ]


@bp.get("/")
def index() -> str:
    counts = overview()
    rows = answer("partners").rows
    more_partners = max(0, len(rows) - PARTNERS_SHOWN)
    partners = in_reader_language([{k: v.value for k, v in row.items()} for row in rows[:PARTNERS_SHOWN]])
    shapes = europe_map.countries()
    by_iso = {c.iso: c for c in shapes}
    markers = []
    for number, partner in enumerate(partners, start=1):
        partner["number"] = number
        if "lat" in partner and "long" in partner:  # the region's point, sourced in the graph
            x, y = europe_map.project(float(partner["long"]), float(partner["lat"]))
            markers.append({"partner": partner, "x": x, "y": y, "at": "region"})
        elif country := by_iso.get(europe_map.ISO_NUMERIC.get(partner.get("countryCode", ""), "")):
            markers.append({"partner": partner, "x": country.centroid[0], "y": country.centroid[1], "at": "country"})
    highlighted = {europe_map.ISO_NUMERIC.get(p.get("countryCode", "")) for p in partners}
    sourced, total = truth.sourced_share()
    return render_template(
        "home.html",
        counts=counts,
        sourced=sourced,
        total=total,
        partners=partners,
        more_partners=more_partners,
        shapes=shapes,
        markers=markers,
        highlighted=highlighted,
        map=europe_map,
        at_country=[m["partner"] for m in markers if m["at"] == "country"],
    )
