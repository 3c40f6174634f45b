"""The transfer questions as guided pages for policy officers (/questions/…): which practices address a barrier,
what was transferred where, how far each action plan has come, which barriers have no practice yet, who already
solved my problem, which regions are most like mine, and two partners side by side. Every fact on them comes
from a named query in queries/; each answer links to its SPARQL on the query page ("show the query").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypedDict

from flask import Blueprint, render_template
from flask_babel import gettext as _

from ..errors import BadParameter
from ..facets import N_
from ..namespaces import compact
from . import diagram
from .answers import answer_rows, capped, choices, iri_argument, kept_for_reader, paged, query_link
from .sourced import sourced_only, switch_counts, truth_split

bp = Blueprint("questions", __name__)
STATUS_PROGRESS = {"not-started": 0, "in-progress": 50, "implemented": 100, "not-implemented": 0}


@bp.get("/questions/")
def index() -> str:
    return render_template("questions/questions.html")


@bp.get("/questions/practices-for-barrier")
def practices_for_barrier() -> str:
    barrier = iri_argument("barrier")

    def barrier_options() -> list[tuple[str, str]]:
        options = []
        illustrative = " (" + _("illustrative") + ")"  # once, not per row: thousands of barriers at 10^6 triples
        for cls in ("circe:BarrierCategory", "circe:Barrier"):
            for r in answer_rows("instances-of-class", {"type": cls}):
                mark = illustrative if r["illustrative"] == "true" else ""
                options.append((r["resource"], (r.get("label") or compact(r["resource"])) + mark))
        return options

    options = kept_for_reader(("barrier options",), barrier_options, len)
    # `found`, not `answer`: that is the name of the cached-answer function (web/services.py).
    switch = None
    if barrier:
        rows, switch = truth_split(
            answer_rows("practices-for-barrier", {"barrier": barrier}), lambda r: r["illustrative"] == "true"
        )
        found, pager = paged(rows)
    else:
        found, pager = None, {"pages": 1}
    options, more = capped(options, barrier)
    return render_template(
        "questions/question_practices.html",
        options=options,
        more=more,
        barrier=barrier,
        answer=found,
        switch=switch,
        **pager,
        query_link=query_link("practices-for-barrier", {"barrier": barrier}),
    )


DIAGRAM_PARTNERS = 24  # partners drawn in the transfer diagram (the table lists every transfer)


@bp.get("/questions/transfers")
def transfers() -> str:
    # The switch leaves illustrative transfers out of the diagram and the table alike.
    rows, switch = truth_split(answer_rows("transfers"), lambda r: r["illustrative"] == "true")
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
    shown, pager = paged(rows)
    return render_template(
        "questions/question_transfers.html",
        rows=shown,
        **pager,
        switch=switch,
        diagram=layout,
        not_drawn=len(partners) - len(layout.nodes),
        query_link=query_link("transfers"),
    )


@bp.get("/questions/progress")
def progress() -> str:
    """Each action plan's actions with their latest status, and how many of those are sourced or illustrative.
    With the switch on, illustrative actions are left out, and an illustrative status is not shown."""
    # Every action grouped into its plan: once per version of the data, reader's language and switch.
    plans, statuses, split = kept_for_reader(("progress", sourced_only()), _plans, lambda found: len(found[0]))
    shown, pager = paged(plans)
    return render_template(
        "questions/question_progress.html",
        plans=shown,
        **pager,
        switch=switch_counts(*split),
        statuses=statuses,
        query_link=query_link("action-plan-progress"),
    )


def _plans() -> tuple[list[dict[str, Any]], dict[str, int], tuple[int, int]]:
    """The action plans (those with an action shown: the switch's), by partner, each with its actions; the
    statuses' counts (status_counts); and how many actions are sourced and illustrative (the switch's counts)."""
    rows, switch = truth_split(answer_rows("action-plan-progress"), lambda r: r.get("actionIllustrative") == "true")
    plans: dict[str, dict[str, Any]] = {}
    for row in rows:
        plan = plans.setdefault(
            row["plan"], {"label": row["planLabel"], "partner": row["partnerLabel"], "iri": row["plan"], "actions": []}
        )
        status = row.get("status", "").rsplit("/", 1)[-1]
        plan["actions"].append({**row, "progress": STATUS_PROGRESS.get(status)})
    by_partner = sorted(plans.values(), key=lambda p: p["partner"])
    return by_partner, status_counts(rows), (switch["sourced"], switch["illustrative"])


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
    rows, switch = truth_split(answer_rows("barriers-without-practice"), lambda r: r["illustrative"] == "true")
    by_partner: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_partner.setdefault(row["partnerLabel"], []).append(row)
    shown, pager = paged(sorted(by_partner.items()))
    return render_template(
        "questions/question_gaps.html",
        by_partner=shown,
        **pager,
        switch=switch,
        query_link=query_link("barriers-without-practice"),
    )


@bp.get("/questions/who-solved")
def who_solved() -> str:
    """Who already solved my problem: matches by sector and by barrier, nearest first, each with its reasons."""
    sector, barrier = iri_argument("sector"), iri_argument("barrier")
    matches: dict[str, dict[str, Any]] = {}

    def note(row: dict[str, str], weight: int, reason: str) -> None:
        match = matches.setdefault(row["responder"], {"row": row, "score": 0, "reasons": []})
        if reason not in match["reasons"]:
            match["score"] += weight
            match["reasons"].append(reason)

    if barrier:
        for row in answer_rows("solved-for-barrier", {"barrier": barrier}):
            if row["match"] == "barrier":
                note(row, 3, N_("addresses this very barrier"))
            else:
                note(row, 1, row["categoryLabel"])
    if sector:
        for row in answer_rows("solved-in-sector", {"sector": sector}):
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
    ranked, switch = truth_split(ranked, lambda m: m["row"]["illustrative"] == "true")
    sectors, more_sectors = capped(choices("instances-of-class", "resource", "label", {"type": "circe:Sector"}), sector)
    barriers, more = capped(choices("instances-of-class", "resource", "label", {"type": "circe:Barrier"}), barrier)
    ranked, pager = paged(ranked)
    return render_template(
        "questions/question_who_solved.html",
        ranked=ranked,
        **pager,
        sector=sector,
        barrier=barrier,
        switch=switch if (sector or barrier) else None,
        sectors=sectors,
        barriers=barriers,
        more=more + more_sectors,
        asked=bool(sector or barrier),
        query_link=query_link("solved-for-barrier", {"barrier": barrier}),
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


class Similar(TypedDict):
    """One partner on the similar-regions page, with what it shares with the chosen one."""

    partner: str
    label: str
    score: int  # the reasons shown
    weight: int  # what it ranks by (similarity)
    illustrative: int  # the illustrative reasons among those shown
    reasons: list[Shared]


def holdings() -> dict[str, dict[str, list[Held]]]:
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

        for row in answer_rows("partner-profile"):
            if row["dimension"] in ("sector", "practice", "action"):
                add(row["partner"], row["dimension"], row["value"], row["valueLabel"], row)
        for query, kind, column in (("list-barriers", "barrier", "category"), ("list-opportunities", "lever", "lever")):
            for row in answer_rows(query):
                if "partner" in row:
                    item = add(row["partner"], kind, row["resource"], row.get("label") or compact(row["resource"]), row)
                    if column in row:
                        item.kinds[row[column]] = row.get(column + "Label") or compact(row[column])
        return {
            partner: {kind: list(items.values()) for kind, items in kinds.items()} for partner, kinds in held.items()
        }

    return kept_for_reader(("holdings",), collect, len)


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
    partner = iri_argument("partner")
    partners = choices("partners", "partner", "partnerLabel")
    if partner and partner not in dict(partners):
        raise BadParameter("pick a partner from the list")
    ranked: list[Similar] = []
    switch = None
    if partner:
        only = sourced_only()
        # Every other partner compared with the chosen one: once per version of the data, partner and switch.
        ranked, sourced, hidden = kept_for_reader(
            ("similar", partner, only), lambda: _ranked(partner, partners, only), lambda found: len(found[0])
        )
        switch = switch_counts(sourced, hidden)
    more = max(0, len(ranked) - SIMILAR_SHOWN)
    partners, more_partners = capped(partners, partner)
    return render_template(
        "questions/question_similar.html",
        partners=partners,
        partner=partner,
        more_partners=more_partners,
        ranked=ranked[:SIMILAR_SHOWN],
        more=more,
        switch=switch,
        kinds=SHARED_KINDS,
        marks=MARK_WORDS,
        weights=SHARED_WEIGHTS,
        query_link=query_link("partner-profile", {"partner": partner}),
    )


def _ranked(partner: str, partners: list[tuple[str, str]], only: bool) -> tuple[list[Similar], int, int]:
    """The other `partners` ranked by what they share with `partner` (with `only`, sourced reasons alone), and
    how many sourced and illustrative reasons there are in all (the switch's counts)."""
    held, transfers = holdings(), answer_rows("transfers")
    mine, sourced, hidden = held.get(partner, {}), 0, 0
    with_partner: dict[str, list[dict[str, str]]] = {}  # the transfers between the chosen one and each other
    for t in transfers:
        if partner in (t["from"], t["to"]):
            with_partner.setdefault(t["to"] if t["from"] == partner else t["from"], []).append(t)
    ranked: list[Similar] = []
    for other, label in partners:
        if other == partner:
            continue
        every, weight = similarity(mine, held.get(other, {}), with_partner.get(other, []), False)
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
    return ranked, sourced, hidden


def _compared(partner: str) -> dict[str, list[Held]]:
    """A partner's profile for the side-by-side page, by dimension, each value with its own mark: its sectors,
    the categories of its barriers (marked as the most solid barrier in them), the ReSOLVE levers of its
    opportunities, its practices and actions."""
    held = holdings().get(partner, {})
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
    partners = choices("partners", "partner", "partnerLabel")
    chosen = [iri_argument("a"), iri_argument("b")]
    for iri in chosen:
        if iri and iri not in dict(partners):
            raise BadParameter("pick both partners from the list")
    profiles = [(_compared(iri), dict(partners)[iri]) if iri else None for iri in chosen]
    switch = None
    if all(profiles):
        every = [h for iri in chosen if iri for items in holdings().get(iri, {}).values() for h in items]
        switch = switch_counts(sum(not h.illustrative for h in every), sum(h.illustrative for h in every))
    partners, more = capped(partners, *chosen)
    return render_template(
        "questions/question_compare.html",
        partners=partners,
        more=more,
        chosen=chosen,
        profiles=profiles,
        dimensions=PROFILE_DIMENSIONS,
        marks=MARK_WORDS,
        switch=switch,
        query_link=query_link("partner-profile"),
    )
