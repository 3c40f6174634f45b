"""How many records of each kind the graph holds, and how many of them are sourced, illustrative or classified by
the editors: the home page's counts and the truth page's, counted here from queries/app/record-kinds.rq (one row per
record and kind), which the answer cache keeps across writes; the counts follow it by the rows a write changed. The
aggregate questions that ask the same of the store (queries/app/overview-counts.rq,
queries/questions/truth-by-class.rq) would be asked again of the whole graph after every write
(bench/after_write.py); tests/test_maintained_lists.py checks that both give the same counts, after random writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from ..answer_cache import Fold
from ..facets import N_
from ..namespaces import CIRCE
from ..queries import Row
from .services import services


@dataclass(frozen=True)
class Kind:
    iri: str  # the class (members of its subclasses counted), or circe:partner for the project partners
    label: str  # what the pages call these records (translated there)
    list: str  # the faceted list (/list/{list}) of exactly these records, "" where there is none
    core: bool = False  # counted in the home page's one line on how much is sourced


# The home page's counts, in its order (as queries/app/overview-counts.rq).
OVERVIEW = (
    Kind(str(CIRCE.partner), N_("partners"), "partners"),
    Kind(str(CIRCE.Practice), N_("practices"), "practices"),
    Kind(str(CIRCE.Barrier), N_("barriers"), "barriers"),
    Kind(str(CIRCE.Opportunity), N_("opportunities"), "opportunities"),
    Kind(str(CIRCE.PolicyInstrument), N_("policy instruments"), "instruments"),
    Kind(str(CIRCE.ActionPlan), N_("action plans"), ""),
    Kind(str(CIRCE.Action), N_("actions"), "actions"),
    Kind(str(CIRCE.Transfer), N_("transfers"), ""),
    Kind(str(CIRCE.Meeting), N_("meetings and visits"), ""),
)
# The truth page's kinds, in its order (as queries/questions/truth-by-class.rq): the CircE project's records only.
TRUTH = (
    Kind(str(CIRCE.Practice), N_("practices"), "practices", True),
    Kind(str(CIRCE.GoodPractice), N_("of which good-practice records"), ""),
    Kind(str(CIRCE.Barrier), N_("barriers"), "barriers", True),
    Kind(str(CIRCE.Opportunity), N_("opportunities"), "opportunities", True),
    Kind(str(CIRCE.PolicyInstrument), N_("policy instruments"), "instruments", True),
    Kind(str(CIRCE.ActionPlan), N_("action plans"), ""),
    Kind(str(CIRCE.Action), N_("actions"), "actions", True),
    Kind(str(CIRCE.MonitoringObservation), N_("monitoring observations"), "", True),
    Kind(str(CIRCE.Transfer), N_("transfers"), "", True),
    Kind(str(CIRCE.Meeting), N_("meetings and visits"), ""),
)


@dataclass(frozen=True)
class Counted:
    kind: Kind
    total: int
    sourced: int
    illustrative: int
    editorial: int


def counted(kinds: tuple[Kind, ...], own_only: bool) -> list[Counted]:
    """Each kind's records (with `own_only`, those of no other party's dataset) and how many are sourced,
    illustrative, classified by the editors; a kind with no record counts 0. Counted once, then followed across
    writes by the records they changed (AnswerCache.folded)."""
    totals = services().answers.folded("record-kinds", None, totals_fold(kinds, own_only))
    return [Counted(kind, *totals[kind.iri]) for kind in kinds]


def count(rows: Iterable[Row], kinds: tuple[Kind, ...], own_only: bool) -> list[Counted]:
    """`counted` of the rows of queries/app/record-kinds.rq, all counted now."""
    fold = totals_fold(kinds, own_only)
    totals = fold.start()
    for row in rows:
        fold.step(totals, row, 1)
    return [Counted(kind, *totals[kind.iri]) for kind in kinds]


@cache  # one Fold per kinds and own_only: the answer cache keeps one sum per Fold
def totals_fold(kinds: tuple[Kind, ...], own_only: bool) -> Fold[dict[str, list[int]]]:
    """The sum behind `counted`: per kind's IRI, [records, sourced, illustrative, editorial]."""

    def step(totals: dict[str, list[int]], row: Row, sign: int) -> None:
        kept = totals.get(row["kind"].value)
        if kept is None or (own_only and row["other"].value == "true"):
            return
        kept[0] += sign
        for index, flag in enumerate(("sourced", "illustrative", "editorial"), start=1):
            if row[flag].value == "true":
                kept[index] += sign

    return Fold(
        lambda: {kind.iri: [0, 0, 0, 0] for kind in kinds}, step, lambda totals: {k: list(v) for k, v in totals.items()}
    )


def sourced_share() -> tuple[int, int]:
    """How many of the core records (practices, barriers, opportunities, instruments, actions, monitoring
    observations, transfers) are sourced, out of how many: the home page's one line and the truth page's."""
    core = [c for c in counted(TRUTH, own_only=True) if c.kind.core]
    return sum(c.sourced for c in core), sum(c.total for c in core)
