"""Every write goes through one gate: the new state is validated before it becomes visible, writes are
serialised, and each accepted write is recorded with PROV-O and kept as a version that can be restored.

- A write is expressed as the new content of some named graphs (None drops a graph); SPARQL Update is run
  on an in-memory copy first to find those graphs, so it passes the same gate as an upload.
- The graph change and its provenance go to the store in one SPARQL Update (one transaction): readers see
  the old state or the new one with its history, never half of it.
- Each version's content is written to `history/{number}/{graph}.nt` before the store changes, so a
  restore can bring any recorded version back; the provenance graph says which versions exist (history.py).
- An editor's change is held as a draft for review instead (drafts.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..binding import remote_call_in
from ..errors import Conflict, NoSuchVersion, UsageError, ValidationFailed, WriteRefused
from ..incremental import validate_change
from ..namespaces import CIRCE, DCAT, GRAPH, ID, PROV, RDF, RDFS, XSD, compact
from ..ntriples import NTriples, as_ntriples
from ..rdf_files import ParsedFile, kind_of_graph
from ..validation import Report, validate_state
from .drafts import Drafts
from .history import PROVENANCE_GRAPH, History, slug

EDITS_GRAPH = f"{GRAPH}data/edits"  # where resources created in the browser or from a spreadsheet go
WRITABLE_KINDS = ("data",)


@dataclass
class GraphChange:
    graph: str
    added: int
    removed: int
    version: str


@dataclass
class Change:
    number: int
    operation: str
    agent: str
    time: str
    graphs: list[GraphChange] = field(default_factory=list)
    report: Report | None = None  # warnings and infos that did not stop the write


@dataclass(frozen=True)
class Compared:
    """A graph's new content against its current one: triples added and removed, the subjects (as N-Triples terms)
    whose triples change, and how many distinct triples the new content holds."""

    added: int
    removed: int
    subjects: set[bytes]
    size: int


def checksum(*chunks: bytes) -> str:
    """The SHA-256 of the chunks one after the other (several files' bytes, without joining them into a copy)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _literal(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(datatype))


class WriteGate(Drafts):
    """The one way to change a store: validate, record, apply — or refuse with the report."""

    def __init__(self, store: Any, history_dir: Path | None) -> None:
        self.store = store
        self.history_dir = history_dir
        self.history = History(store, history_dir)  # what the store holds and has held, asked once per need
        self._lock = threading.RLock()  # exclusive() holds it across a read and the write made from it
        self.after_write: list[Callable[[], None]] = []  # told after each commit (the web app's answer cache)

    # -- writes ---------------------------------------------------------------------------------
    def commit(
        self,
        new_graphs: Mapping[str, Iterable[ox.Triple] | None],
        operation: str,
        agent: str,
        upload_checksum: str | None = None,
        parsed: Iterable[ParsedFile] = (),
        used_version: str | None = None,
        allow_kinds: tuple[str, ...] = WRITABLE_KINDS,
        upload_name: str | None = None,
        expect: Mapping[str, str] | None = None,
        catalogue: str | None = None,
    ) -> Change:
        """Write `new_graphs` (graph → its whole new content; None drops it) if the state they make is valid.
        The history records `upload_checksum` and `upload_name` (a file's, or a harvested dump's URL) and, for a
        harvest, the `catalogue` that listed the dump.

        `expect` (graph → `base(graph)` when the change was made from it): refuse with Conflict, writing nothing,
        if any of those graphs has been written since — so that a change made from an old state cannot undo
        someone else's write. Raises ValidationFailed, WriteRefused, Conflict."""
        new = self._writable(new_graphs, allow_kinds)
        with self._lock, self.history.held():
            self._still(expect or {})
            present = set(self.history.graphs())
            # Compared before validation, which needs the memory: how many triples each graph gains and loses, and
            # the subjects whose triples change.
            compared = {g: self._compare(g, t, present) for g, t in new.items()}
            subjects = set().union(*(c.subjects for c in compared.values()))
            report = self._about_this_change(self._validate(new, present, parsed), subjects)
            if report.violations:
                raise ValidationFailed(report)
            number = self.history.next_number()
            change = Change(
                number, operation, agent, datetime.now(UTC).replace(microsecond=0).isoformat(), report=report
            )
            for graph, triples in new.items():
                version = f"{ID}version/{number}/{slug(graph)}"
                change.graphs.append(GraphChange(graph, compared[graph].added, compared[graph].removed, version))
                self.history.keep(number, graph, triples or NTriples(b""))
            record = self._provenance(change, upload_checksum, used_version, upload_name, catalogue)
            self._write(number, new, record, {g: c.size for g, c in compared.items()})
        for listener in self.after_write:
            listener()
        return change

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No other write while this block runs: a write made from what the block reads cannot lose another's.

        >>> from circe_kg.store import EmbeddedStore
        >>> gate = WriteGate(EmbeddedStore(None), None)
        >>> with gate.exclusive():
        ...     gate.base("https://w3id.org/circe-kg/graph/data/none")
        ''
        """
        with self._lock:
            yield

    def base(self, graph: str) -> str:
        """A fingerprint of a graph's current content (SHA-256 of its N-Triples as kept; "" for no graph): what
        a change made from it passes back as `expect`."""
        return self.history.base(graph)

    def _write(
        self, number: int, new: Mapping[str, NTriples | None], record: list[ox.Triple], sizes: Mapping[str, int]
    ) -> None:
        """Swap the graphs in and append the record, in one update; the history is told what the store now holds."""
        generation = self.store.generation
        try:
            self.store.replace_graphs(new, append={PROVENANCE_GRAPH: record})
        except BaseException:
            self.history.forget()  # a failed update may have left anything behind on some servers
            raise
        self.history.wrote(generation, number, new, [PROVENANCE_GRAPH], sizes)

    def _still(self, expect: Mapping[str, str]) -> None:
        changed = sorted(g for g, fingerprint in expect.items() if self.base(g) != fingerprint)
        if changed:
            raise Conflict(
                f"{len(changed)} graph(s) changed since this change was made from them: "
                + ", ".join(f"<{g}>" for g in changed),
                "nothing was written: look at the current records (a new preview, the draft's review) and make the "
                "change again from them",
            )

    def check(self, new_graphs: Mapping[str, Iterable[ox.Triple] | None]) -> Report:
        """The report `commit` would act on for this change, without writing anything (a dry run).

        Raises WriteRefused for a graph that cannot be written, like `commit`."""
        new = self._writable(new_graphs, WRITABLE_KINDS)
        with self.history.held():
            return self._validate(new, set(self.history.graphs()), ())

    @staticmethod
    def _about_this_change(report: Report, subjects: set[bytes]) -> Report:
        """The report a writer acts on: every violation (the store was valid before, so the change made them), but
        warnings and infos only about the records it touched (`subjects`: as N-Triples terms) — not the ones others
        left, which would otherwise come back as if they were reasons in every later report."""
        if all(r.severity == "Violation" for r in report.results):
            return report
        touched = {compact(s[1:-1].decode()) if s.startswith(b"<") else s.decode() for s in subjects}
        kept = [r for r in report.results if r.severity == "Violation" or r.focus in touched]
        return Report(report.conforms, kept, report.graph)

    @staticmethod
    def _writable(
        new_graphs: Mapping[str, Iterable[ox.Triple] | None], allow_kinds: tuple[str, ...] = WRITABLE_KINDS
    ) -> dict[str, NTriples | None]:
        new = {g: as_ntriples(t) for g, t in new_graphs.items()}
        for graph in new:
            if kind_of_graph(graph) not in allow_kinds:
                raise WriteRefused(f"<{graph}> cannot be written here", f"write to data graphs: {GRAPH}data/…")
        return new

    def _validate(self, new: Mapping[str, NTriples | None], present: set[str], parsed: Iterable[ParsedFile]) -> Report:
        """Validate the state the store would hold after writing `new`: a write to data graphs by the records it
        can affect (incremental.py), else — files being loaded, shapes or ontology written, a change that reaches
        too far — the whole state."""
        parsed = list(parsed)
        if not parsed and all(kind_of_graph(g) == "data" for g in new):
            schema = {k: [g for g in sorted(present) if kind_of_graph(g) == k] for k in ("shapes", "ontology")}
            if schema["shapes"]:
                report = validate_change(
                    self.store,
                    new,
                    {g: self.content(g) for g in new if g in present},
                    b"".join(self.content(g).data for g in schema["shapes"]),
                    NTriples(b"".join(self.content(g).data for g in schema["ontology"])),
                )
                if report is not None:
                    return report
        state = {g: self.content(g) for g in present if g not in new and kind_of_graph(g) != "system"}
        state.update({g: t for g, t in new.items() if t is not None})
        return validate_state(state, parsed)

    def content(self, graph: str) -> NTriples:
        """A graph's content as last written (History.content)."""
        return self.history.content(graph)

    def _compare(self, graph: str, triples: NTriples | None, present: set[str]) -> Compared:
        """How many triples writing `triples` to `graph` adds and removes, and the subjects (N-Triples terms) of
        those triples: compared as lines, without parsing either side."""
        before = self.content(graph).lines() if graph in present else set()
        after = triples.lines() if triples is not None else set()
        added, removed = after - before, before - after
        subjects = {line.split(b" ", 1)[0] for changed in (added, removed) for line in changed}
        return Compared(len(added), len(removed), subjects, len(after))

    def update(self, sparql_update: str, agent: str, upload_checksum: str | None = None) -> Change:
        """Run a SPARQL Update on a copy, then send the graphs it changed through the gate."""
        return self.commit(self.changes_of_update(sparql_update), "update", agent, upload_checksum)

    def changes_of_update(self, sparql_update: str) -> dict[str, list[ox.Triple] | None]:
        """The new content of every graph a SPARQL Update would change, found by running it on a copy."""
        remote = remote_call_in(sparql_update, ("SERVICE", "LOAD"))  # Oxigraph would fetch the URL itself
        if remote:
            raise WriteRefused(
                f"{remote} is not accepted here: this server fetches nothing from elsewhere",
                "download the data yourself and PUT or POST it to /graphs?graph=…",
            )
        copy = ox.Store()
        copy.load(input=self.store.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        before = {g: set(self._graph(copy, g)) for g in self._graphs(copy)}
        try:
            copy.update(sparql_update)
        except SyntaxError as error:
            raise UsageError(
                f"SPARQL Update syntax error: {error}", "check the update near the position given"
            ) from None
        except (OSError, RuntimeError, ValueError) as error:  # evaluation errors are the update's fault, not a 500
            raise UsageError(f"the update could not be applied: {error}") from None
        if any(True for _ in copy.quads_for_pattern(None, None, None, ox.DefaultGraph())):
            raise WriteRefused(
                "the update writes to the default graph, which holds nothing here",
                "write inside GRAPH <…/graph/data/…> { … } or use the Graph Store Protocol",
            )
        after = {g: set(self._graph(copy, g)) for g in self._graphs(copy)}
        changed: dict[str, list[ox.Triple] | None] = {}
        for graph in set(before) | set(after):
            if before.get(graph) != after.get(graph):
                changed[graph] = list(after[graph]) if graph in after else None
        if not changed:
            raise UsageError("the update changes nothing", "check its WHERE pattern and graph names")
        return changed

    def _record(self, label: str, agent: str, operation: str, extra: dict) -> None:
        """Record an activity that changes no published graph (a draft submitted, a draft rejected)."""
        number = self.history.next_number()
        change = Change(number, operation, agent, datetime.now(UTC).replace(microsecond=0).isoformat())
        triples = self._provenance(change, None, None)
        triples.append(
            ox.Triple(
                _n(f"{ID}change/{number}"),
                _n(str(RDFS.comment)),
                ox.Literal(f"{label}: {json.dumps(extra)}", language="en"),
            )
        )
        self._write(number, {}, triples, {})

    def restore(self, graph: str, number: int, agent: str) -> Change:
        """Write recorded version `number` of `graph` back as a new version. Raises NoSuchVersion, and what
        `commit` raises."""
        path = self.history.version_path(number, graph)
        versions = self.history.versions(graph)  # recorded versions only (history.recorded_versions)
        if path is None or number not in versions:
            known = ", ".join(str(n) for n in versions) or "none"
            raise NoSuchVersion(f"graph <{graph}> has no version {number}", f"its versions: {known}")
        data = path.read_bytes()
        triples = [q.triple for q in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES)] if data.strip() else None
        return self.commit({graph: triples}, "restore", agent, used_version=f"{ID}version/{number}/{slug(graph)}")

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _graphs(store: ox.Store) -> list[str]:
        return [g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)]

    @staticmethod
    def _graph(store: ox.Store, graph: str) -> Iterable[ox.Triple]:
        return (q.triple for q in store.quads_for_pattern(None, None, None, _n(graph)))

    def _provenance(
        self,
        change: Change,
        upload_checksum: str | None,
        used_version: str | None,
        upload_name: str | None = None,
        catalogue: str | None = None,
    ) -> list[ox.Triple]:
        activity = _n(f"{ID}change/{change.number}")
        agent = _n(f"{ID}agent/{re.sub(r'[^A-Za-z0-9-]+', '-', change.agent).strip('-') or 'unknown'}")
        a = _n(str(RDF.type))
        triples = [
            ox.Triple(activity, a, _n(str(PROV.Activity))),
            ox.Triple(
                activity, _n(str(RDFS.label)), ox.Literal(f"{change.operation} by {change.agent}", language="en")
            ),
            ox.Triple(activity, _n(str(CIRCE.operation)), ox.Literal(change.operation)),
            ox.Triple(activity, _n(str(CIRCE.versionNumber)), _literal(change.number, str(XSD.integer))),
            ox.Triple(activity, _n(str(PROV.startedAtTime)), _literal(change.time, str(XSD.dateTime))),
            ox.Triple(activity, _n(str(PROV.wasAssociatedWith)), agent),
            ox.Triple(agent, a, _n(str(PROV.Agent))),
            ox.Triple(agent, _n(str(RDFS.label)), ox.Literal(change.agent)),
        ]
        if upload_checksum:
            triples.append(ox.Triple(activity, _n(str(CIRCE.uploadChecksum)), ox.Literal(upload_checksum)))
        if upload_name:
            triples.append(ox.Triple(activity, _n(str(CIRCE.uploadFileName)), ox.Literal(upload_name)))
        if used_version:
            triples.append(ox.Triple(activity, _n(str(PROV.used)), _n(used_version)))
        if catalogue:
            triples += [
                ox.Triple(activity, _n(str(PROV.used)), _n(catalogue)),
                ox.Triple(_n(catalogue), a, _n(str(DCAT.Catalog))),
            ]
        for g in change.graphs:
            version = _n(g.version)
            triples += [
                ox.Triple(version, a, _n(str(PROV.Entity))),
                ox.Triple(version, _n(str(PROV.specializationOf)), _n(g.graph)),
                ox.Triple(version, _n(str(PROV.wasGeneratedBy)), activity),
                ox.Triple(version, _n(str(CIRCE.versionNumber)), _literal(change.number, str(XSD.integer))),
                ox.Triple(version, _n(str(CIRCE.triplesAdded)), _literal(g.added, str(XSD.integer))),
                ox.Triple(version, _n(str(CIRCE.triplesRemoved)), _literal(g.removed, str(XSD.integer))),
            ]
        return triples
