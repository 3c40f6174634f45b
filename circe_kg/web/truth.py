"""How much of this is true: per kind of record, how many are sourced, classified by the editors, or
illustrative; what the records leave unrecorded; and what the sources do not say (the known gaps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, url_for

from ..answer_cache import Fold
from ..facets import N_, OWN_DATASET
from ..queries import Row
from . import kinds
from .answers import LISTING
from .pages import page as data_page
from .pages import twin, wants_twin
from .services import answer, remembered, services

bp = Blueprint("truth", __name__)
CIRCE_KG = OWN_DATASET

# Completeness checks: (list, dimension, what a record without a value in that dimension lacks). Each count is
# the number of items `/list/{list}?{dimension}=none` shows, so the count and its list cannot disagree.
CHECKS = [
    ("practices", "project", N_("practices that no source ties to CircE (documented in a partner's region)")),
    ("practices", "region", N_("practices with no region")),
    ("practices", "sector", N_("practices with no sector")),
    ("practices", "barrier", N_("practices that address no recorded barrier")),
    ("barriers", "category", N_("barriers with no barrier category")),
    ("barriers", "sector", N_("barriers with no sector")),
    ("opportunities", "sector", N_("opportunities with no sector")),
    ("opportunities", "lever", N_("opportunities with no circular strategy")),
    ("actions", "year", N_("actions with no date")),
    ("actions", "status", N_("actions with no monitoring status")),
    ("instruments", "partner", N_("policy instruments that no partner is recorded to address")),
]
LIST_QUERIES = {
    "practices": "list-practices",
    "barriers": "list-barriers",
    "opportunities": "list-opportunities",
    "actions": "list-actions",
    "instruments": "list-instruments",
}


@dataclass
class ClassTruth:
    label: str
    list: str  # the faceted list of this kind, "" where there is none
    core: bool  # counted in the headline share (good-practice records are counted as practices)
    total: int
    sourced: int
    illustrative: int
    editorial: int


def by_class() -> list[ClassTruth]:
    """Per kind of record (kinds.TRUTH, as queries/questions/truth-by-class.rq), its sourced / illustrative /
    editorial counts: the CircE project's records only."""
    return [
        ClassTruth(c.kind.label, c.kind.list, c.kind.core, c.total, c.sourced, c.illustrative, c.editorial)
        for c in kinds.counted(kinds.TRUTH, own_only=True)
    ]


def addresses_links() -> dict[str, int]:
    """How many "addresses" links are sourced at both ends, illustrative at one, and in all (the counts of
    queries/questions/addresses-links.rq), counted from queries/app/addresses-link-rows.rq once and then followed
    across writes by the links they changed (AnswerCache.folded): the aggregate would be asked of the whole graph."""
    total, sourced = services().answers.folded("addresses-link-rows", None, LINKS)
    return {"sourced": sourced, "illustrative": total - sourced, "total": total}


def _count_link(counts: list[int], row: Row, sign: int) -> None:
    counts[0] += sign
    counts[1] += sign * int(row["isSourced"].value)


LINKS = Fold(lambda: [0, 0], _count_link, list)  # [links, sourced at both ends]


def _completeness() -> list[dict[str, Any]]:
    """Each check's count among the CircE project's own records (another party's dataset is described apart,
    other-datasets), read from the followed listings' counts (Listing.own_missing): no item is read again."""

    def compute() -> list[dict[str, Any]]:
        found = []
        for kind, dimension, text in CHECKS:
            listing = services().answers.folded(LIST_QUERIES[kind], None, LISTING)
            found.append(
                {
                    "kind": kind,
                    "dimension": dimension,
                    "text": text,
                    "count": listing.own_missing[dimension],
                    "of": listing.own,
                }
            )
        return found

    return remembered(("truth completeness",), compute, len)


def _missing_filters(check: dict[str, Any]) -> dict[str, Any]:
    """The list filters (url_for's values) that show what `check` finds missing: its dimension "none", and for
    practices the CircE project's records only, as `_completeness` counts them."""
    return {check["dimension"]: "none", **({"dataset": CIRCE_KG} if check["kind"] == "practices" else {})}


@bp.get("/truth")
def page() -> Response:
    """The truth page; its twin (?format=json, or Accept preferring application/json) has the same figures, the
    known gaps as one list (each naming what it is about)."""
    classes = by_class()
    addresses = addresses_links()
    gaps: dict[str, list[dict[str, str]]] = {}
    for row in answer("known-gaps").rows:
        about = row["aboutLabel"].value if "aboutLabel" in row else (row["about"].value if "about" in row else "")
        gaps.setdefault(about, []).append({k: v.value for k, v in row.items()})
    sourced, total = kinds.sourced_share()
    completeness = [
        {
            **check,
            "href": url_for("lists.faceted_list", kind=check["kind"], **_missing_filters(check)),
        }
        for check in _completeness()
    ]
    others = [{k: v.value for k, v in row.items()} for row in answer("other-datasets").rows]
    if wants_twin():
        return twin(
            {
                "classes": classes,
                "addresses": addresses,
                "completeness": completeness,
                "gaps": [g for _, rows in sorted(gaps.items()) for g in rows],
                "sourced": sourced,
                "total": total,
                "other_datasets": others,
            }
        )
    return data_page(
        "truth/truth.html",
        classes=classes,
        addresses=addresses,
        completeness=completeness,
        gaps=sorted(gaps.items()),
        sourced=sourced,
        total=total,
        other_datasets=others,
        own={"dataset": CIRCE_KG},
    )
