"""Import a spreadsheet as one change: read it, turn its rows into records, work out the graphs it would
produce, validate them through the write gate, and show — per row and field — what would be created, changed and
removed, before anything is written.

Promises: `plan_import(gate, data, name)` never writes; its Plan lists every problem by cell (parse problems and
SHACL violations mapped back from focus node and path to the cell), the per-field diff, and counts of rows
created, updated, unchanged and refused and of cells ignored. `apply(gate, plan, agent)` writes a problem-free
plan in one transaction (or holds it as one draft for review), recording the file's name and SHA-256, only if the
graphs it changes still hold what they held when it was planned; it raises UsageError for a plan with problems,
Conflict when a graph changed since, and writes nothing for a plan that changes nothing.

A row updates only the fields its sheet has columns for; a column of one language replaces only that language.
Rows of a new record go to the edits graph, rows of an existing record to the graph that holds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, overload

import pyoxigraph as ox

from .. import queries
from ..binding import AnyTerm, value_of
from ..errors import UsageError
from ..namespaces import CIRCE, DCTERMS, ID, RDF, compact
from ..store import Store
from ..validation import Report
from ..writing.gate import EDITS_GRAPH, Change, WriteGate
from .layout import Column
from .mapping import Mapping, dataset_triples, parse_mapped
from .reading import Reading, Table, read_file
from .rows import Parsed, Problem, Row, describe, parse

RDF_TYPE = ox.NamedNode(str(RDF.type))
REIFYING = {str(RDF.subject), str(RDF.predicate), str(RDF.object)}
Term = ox.NamedNode | ox.Literal


@dataclass
class FieldChange:
    header: str
    before: list[str]
    after: list[str]

    @property
    def kind(self) -> str:
        return "added" if not self.before else "removed" if not self.after else "changed"


@dataclass
class Outcome:
    where: str
    iri: str
    status: str  # created, updated, unchanged, refused
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class Plan:
    name: str
    checksum: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    graphs: dict[str, list[ox.Triple]] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)  # graph → what it held when planned (WriteGate.base)
    report: Report | None = None
    parsed: Parsed | None = None
    tables: list[Table] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in ("created", "updated", "unchanged", "refused")}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return {**counts, "cells ignored": self.ignored_cells}

    @property
    def ignored_cells(self) -> int:
        return sum(_count(why) for _, why in self.ignored)

    @property
    def changes_anything(self) -> bool:
        return any(o.status in ("created", "updated") for o in self.outcomes)

    def summary(self) -> str:
        c = self.counts
        return (
            f"{c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged, {c['refused']} refused; "
            f"{c['cells ignored']} cell(s) ignored; {len(self.problems)} problem(s)"
        )

    def to_text(self) -> str:
        lines = [f"{self.name}: {self.summary()}"]
        if self.problems:
            lines.append("Problems (nothing was stored; fix these cells and import again):")
            lines += [f"  {p.to_text()}" for p in self.problems]
        for where, why in self.ignored:
            lines.append(f"  ignored {where}: {why}")
        for where, what in self.notes:
            lines.append(f"  note {where}: {what}")
        for outcome in self.outcomes:
            if outcome.status in ("created", "updated"):
                lines.append(f"  {outcome.status} {compact(outcome.iri)} ({outcome.where})")
                for change in outcome.changes:
                    before = "; ".join(change.before) or "—"
                    after = "; ".join(change.after) or "—"
                    lines.append(f"      {change.kind:8} {change.header}: {_short(before)} → {_short(after)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.checksum,
            "counts": self.counts,
            "problems": [p.to_dict() for p in self.problems],
            "ignored": [{"where": w, "why": y} for w, y in self.ignored],
            "notes": [{"where": w, "what": y} for w, y in self.notes],
            "rows": [
                {
                    "where": o.where,
                    "id": compact(o.iri),
                    "status": o.status,
                    "changes": [
                        {"field": c.header, "kind": c.kind, "before": c.before, "after": c.after} for c in o.changes
                    ],
                }
                for o in self.outcomes
            ],
        }


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(why: str) -> int:
    """The number of cells an `ignored` entry stands for (its text says "its N value(s)" or "its N cells")."""
    import re

    found = re.search(r"its (\d+) (?:value|cell)", why)
    return int(found.group(1)) if found else 1


def plan_import(gate: WriteGate, data: bytes, name: str, kind: str | None = None) -> Plan:
    """What importing `data` (an .xlsx or .csv file called `name`) would do; writes nothing.

    Raises UnreadableSheet for a file that cannot be read at all."""
    reading = read_file(data, name)
    return plan_rows(gate, reading, parse(gate.store, reading, kind), name, hashlib.sha256(data).hexdigest())


def plan_mapped(gate: WriteGate, data: bytes, name: str, mapping: Mapping) -> Plan:
    """What importing another party's sheet through a saved mapping would do; writes nothing."""
    reading = read_file(data, name)
    parsed = parse_mapped(gate.store, reading, mapping)
    extra = {mapping.graph: dataset_triples(mapping)}
    return plan_rows(gate, reading, parsed, name, hashlib.sha256(data).hexdigest(), extra)


def plan_rows(
    gate: WriteGate,
    reading: Reading,
    parsed: Parsed,
    name: str,
    checksum: str,
    graph_extra: dict[str, list[ox.Triple]] | None = None,
) -> Plan:
    """The plan for rows already parsed; `graph_extra`: triples a graph must also hold (a dataset's description)."""
    plan = Plan(name, checksum, problems=list(parsed.problems), ignored=list(parsed.ignored), notes=reading.notes)
    plan.parsed = parsed
    plan.tables = reading.tables
    plan.outcomes += [Outcome(where, "", "refused") for where in parsed.refused]
    store = gate.store
    drafts: dict[str, _Draft] = {}
    homes = _homes(store, parsed.rows)
    touched: set[str] = set()
    for row in parsed.rows:
        graph = homes.get(row.iri, row.graph or EDITS_GRAPH)
        if graph not in drafts:
            plan.bases[graph] = gate.base(graph)
            drafts[graph] = _Draft(store.triples(graph) if graph in store.named_graphs() else [])
        draft = drafts[graph]
        changes = _changes(row, _current(draft, row))
        status = "refused" if row.refused else "created" if row.new else "updated" if changes else "unchanged"
        plan.outcomes.append(Outcome(row.ref, row.iri, status, changes))
        if status in ("created", "updated"):
            _rewrite(draft, row)
            touched.add(graph)
    for graph, triples in (graph_extra or {}).items():
        if graph in touched:
            drafts[graph].add(triples)
    if not plan.changes_anything:
        return plan
    # Validated even when some cells could not be read, so that one pass reports every problem.
    plan.graphs = {g: drafts[g].triples() for g in touched}
    plan.bases = {g: plan.bases[g] for g in touched}
    plan.report = gate.check(plan.graphs)
    plan.problems += _violations(plan.report, parsed.rows)
    refused = {row.iri for row in parsed.rows if row.refused}
    for outcome in plan.outcomes:
        if outcome.iri in refused:
            outcome.status = "refused"
    return plan


def _homes(store: Store, rows: list[Row]) -> dict[str, str]:
    """The data graph holding each existing record's type."""
    homes: dict[str, str] = {}
    for row in rows:
        if row.new:
            continue
        graphs = [r["graph"].value for r in queries.run(store, "resource-graphs", {"resource": row.iri}).rows]
        data = [g for g in graphs if "/graph/data/" in g]
        if data:
            homes[row.iri] = data[0]
    return homes


class _Draft:
    """A graph's triples by subject, and which reifying nodes (statements, classifications) are about which
    resource — so that a row costs what it touches, not the size of its graph."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.by_subject: dict[str, list[ox.Triple]] = {}
        self.about: dict[str, set[str]] = {}
        self.add(triples)

    def add(self, triples: Iterable[ox.Triple]) -> None:
        for t in triples:
            own = self.by_subject.setdefault(str(t.subject), [])
            if t not in own:
                own.append(t)
            if t.predicate.value == str(RDF.subject):
                self.about.setdefault(value_of(t.object), set()).add(str(t.subject))

    def of(self, iri: str) -> list[ox.Triple]:
        return self.by_subject.get(f"<{iri}>", [])

    def parts(self, node: str) -> dict[str, str]:
        """A reifying node's subject and predicate IRIs and its object (as N-Triples)."""
        found = {}
        for t in self.by_subject.get(node, []):
            if t.predicate.value in REIFYING:
                key = t.predicate.value.rsplit("#", 1)[-1]
                found[key] = str(t.object) if key == "object" else value_of(t.object)
        return found

    def drop(self, node: str) -> None:
        for t in self.by_subject.pop(node, []):
            if t.predicate.value == str(RDF.subject):
                self.about.get(value_of(t.object), set()).discard(node)

    def triples(self) -> list[ox.Triple]:
        return [t for own in self.by_subject.values() for t in own]


def _matches(triple: ox.Triple, row: Row, column: Column) -> bool:
    assert column.field is not None
    if value_of(triple.subject) != row.iri or triple.predicate.value != column.field.path:
        return False
    if column.language is None:
        return True
    return isinstance(triple.object, ox.Literal) and (triple.object.language or "") == column.language


def _current(draft: _Draft, row: Row) -> dict[str, list[AnyTerm]]:
    columns = [c for c in row.layout.columns if c.key in row.values]
    current: dict[str, list[AnyTerm]] = {c.key: [] for c in columns}
    if row.new:
        return current
    for t in draft.of(row.iri):
        for column in columns:
            if _matches(t, row, column):
                current[column.key].append(t.object)
    return current


def _changes(row: Row, before: dict[str, list[AnyTerm]]) -> list[FieldChange]:
    changes = []
    for column in row.layout.columns:
        if column.key not in row.values:
            continue
        old, new = before.get(column.key, []), row.values[column.key]
        if {_key(t) for t in old} != {_key(t) for t in new}:
            changes.append(
                FieldChange(column.header, describe(old, row.layout, column), describe(new, row.layout, column))
            )
    return changes


def _key(term: AnyTerm) -> tuple[str, str]:
    """Compare values as a person does: 2500 and 2500.0 are the same number, "x"@en and "x"@en the same text."""
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#decimal"):
        return ("decimal", str(Decimal(term.value).normalize()))
    return (type(term).__name__, str(term))


def _fact(t: ox.Triple) -> tuple[str, str, str]:
    return (value_of(t.subject), t.predicate.value, str(t.object))


def _rewrite(draft: _Draft, row: Row) -> None:
    """Replace the row's fields in the graph by its values; drop the reification of a fact it removed."""
    columns = [c for c in row.layout.columns if c.key in row.values]
    own = draft.of(row.iri)
    replaced = [t for t in own if any(_matches(t, row, c) for c in columns)]
    subject = ox.NamedNode(row.iri)
    added = [ox.Triple(subject, ox.NamedNode(c.field.path), v) for c in columns for v in row.values[c.key] if c.field]
    if row.new:
        added.insert(0, ox.Triple(subject, RDF_TYPE, ox.NamedNode(row.layout.class_iri)))
    gone = {_fact(t) for t in replaced} - {_fact(t) for t in added}
    for node in list(draft.about.get(row.iri, ())):
        p = draft.parts(node)
        if (p.get("subject"), p.get("predicate"), p.get("object")) in gone:
            draft.drop(node)
    draft.by_subject[str(subject)] = [t for t in own if t not in replaced]
    draft.add(added + row.extra)
    draft.add(_circe_link_statements(draft, row))


def _circe_link_statements(draft: _Draft, row: Row) -> list[ox.Triple]:
    """A sourced record's CircE link is stated by the row's source (the template's Read me says so)."""
    link = str(CIRCE.presentedIn)
    if row.layout.class_iri != str(CIRCE.Practice) or not any(k.startswith("circe:presentedIn") for k in row.values):
        return []
    own = draft.of(row.iri)
    sources = [t.object for t in own if t.predicate.value == str(DCTERMS.source)]
    if not sources:
        return []
    stated = {
        draft.parts(n).get("object") for n in draft.about.get(row.iri, ()) if draft.parts(n).get("predicate") == link
    }
    out = []
    for t in own:
        if t.predicate.value == link and str(t.object) not in stated:
            node = ox.NamedNode(f"{ID}statement/{row.iri.rsplit('/', 1)[-1]}-circe-link")
            out += [
                ox.Triple(node, RDF_TYPE, ox.NamedNode(str(RDF.Statement))),
                ox.Triple(node, ox.NamedNode(str(RDF.subject)), ox.NamedNode(row.iri)),
                ox.Triple(node, ox.NamedNode(str(RDF.predicate)), ox.NamedNode(link)),
                ox.Triple(node, ox.NamedNode(str(RDF.object)), t.object),
                ox.Triple(node, ox.NamedNode(str(DCTERMS.source)), sources[0]),
            ]
    return out


# The rules a row breaks most, said in the sheet's words rather than Turtle's (by the shape that states them).
IN_A_SHEET = {
    "<https://w3id.org/circe-kg/shapes#DescribedResource>": (
        "a row is either sourced (a web address in Source) or an illustrative example (yes in Illustrative "
        "example): not both, not neither",
        "keep the Source if a page states the row's facts and empty the Illustrative example cell; otherwise the "
        "other way round",
    ),
}


def _violations(report: Report, rows: list[Row]) -> list[Problem]:
    """Each SHACL violation as a problem at the cell of its record's row and its property's column."""
    by_focus = {compact(r.iri): r for r in rows}
    problems = []
    for result in report.results:
        if result.severity != "Violation":
            continue
        row = by_focus.get(result.focus)
        text, fix = IN_A_SHEET.get(
            result.shape or "", (result.message, result.hint or "change the cell as the message says")
        )
        if row is None:
            problems.append(Problem(result.focus, "", result.value or "", text, fix))
            continue
        cell = _cell_for(row, result.path, result.value)
        header = next((c.header for c in row.layout.columns if cell is not None and row.cells.get(c.key) is cell), "")
        where = cell.ref if cell is not None else row.ref
        problems.append(Problem(where, header, str(cell.value) if cell and cell.value is not None else "", text, fix))
        row.refused = True
    return problems


def _cell_for(row: Row, path: str | None, value: str | None):
    """The cell a violation is about: its property's column (the language of its value, for text)."""
    if path is None:
        path = "dct:source"  # sourced-or-illustrative, the one node-level rule a row can break
    keys = [k for k in row.cells if k.split("@")[0] == path]
    if value and '"@' in value:
        language = value.rsplit("@", 1)[-1]
        keys = [k for k in keys if k.endswith("@" + language)] or keys
    return row.cells[keys[0]] if keys else row.cells.get("id")


@overload
def apply(gate: WriteGate, plan: Plan, agent: str, draft: Literal[False] = False) -> Change | None: ...
@overload
def apply(gate: WriteGate, plan: Plan, agent: str, draft: bool) -> Change | int | None: ...
def apply(gate: WriteGate, plan: Plan, agent: str, draft: bool = False) -> Change | int | None:
    """Write a problem-free plan as one change (or one draft: its number); None when it changes nothing."""
    if plan.problems:
        raise UsageError(
            f"{plan.name} has {len(plan.problems)} problem(s); nothing was stored",
            "fix the cells listed and import again",
        )
    if not plan.changes_anything:
        return None
    # Written only if the graphs are still as they were planned from: no one's later write is undone.
    if draft:
        details = {"file": plan.name, "checksum": plan.checksum}
        return gate.propose(plan.graphs, "import", agent, details, expect=plan.bases)
    return gate.commit(
        plan.graphs, "import", agent, upload_checksum=plan.checksum, upload_name=plan.name, expect=plan.bases
    )
