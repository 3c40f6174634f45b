"""Every write goes through one gate: the new state is validated before it becomes visible, writes are
serialised, and each accepted write is recorded with PROV-O and kept as a version that can be restored.

- A write is expressed as the new content of some named graphs (None drops a graph); SPARQL Update is run
  on an in-memory copy first to find those graphs, so it passes the same gate as an upload.
- The graph change and its provenance go to the store in one SPARQL Update (one transaction): readers see
  the old state or the new one with its history, never half of it.
- Each version's content is written to `history/{number}/{graph}.nt` before the store changes, so a
  restore can bring any recorded version back; the provenance graph says which versions exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import queries
from .binding import remote_call_in
from .errors import Conflict, NoSuchVersion, UsageError, ValidationFailed, WriteRefused
from .incremental import validate_change
from .namespaces import CIRCE, DCAT, GRAPH, ID, PROV, RDF, RDFS, XSD, compact
from .ntriples import NTriples, as_ntriples
from .rdf_files import ParsedFile, kind_of_graph
from .validation import Report, validate_state

PROVENANCE_GRAPH = str(GRAPH) + "system/provenance"
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


def _slug(graph_iri: str) -> str:
    return re.sub(
        r"[^A-Za-z0-9-]+", "__", graph_iri[len(str(GRAPH)) :] if graph_iri.startswith(str(GRAPH)) else graph_iri
    )


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


def graph_content(store: Any, history_dir: Path | None, graph: str) -> NTriples:
    """A graph's content as last written: the last version the write gate kept in the history, which holds exactly
    what was sent and reads in 0.2 s, where the store takes 6 s for 10^6 triples (Oxigraph looks up the text of
    every term). A store that keeps literals as they were sent must also hold as many triples in the graph, or
    the graph was written some other way and is read from the store; one that changes them (Virtuoso hands
    "18000.00"^^xsd:decimal back as "18000"^^xsd:integer) is read from the history whenever it has the graph."""
    kept = [_version_file(history_dir, n, graph) for n in recorded_versions(store, graph)] if history_dir else []
    kept = [path for path in kept if path.exists()]
    if kept:
        content = NTriples(kept[-1].read_bytes())
        if not store.faithful_literals:
            return content
        held = store.count(graph)
        if len(content) == held or len(content.lines()) == held:  # a file may repeat a triple; the store holds it once
            return content
    return NTriples(store.dump(ox.RdfFormat.N_TRIPLES, graph))


def _version_file(history_dir: Path, number: int, graph: str) -> Path:
    return history_dir / f"{number:06d}" / f"{_slug(graph)}.nt"


def recorded_versions(store: Any, graph: str) -> list[int]:
    """The versions of `graph` that the provenance graph records, oldest first.

    Only these are versions. A write keeps its version files *before* the store update that records it (so a
    write that lands always has them), which means a write that never lands — the process killed by SIGKILL,
    the server gone or refusing the update — leaves a version folder behind that no record names. Reading
    the history by its folders would offer that content for restore (and, on a store without faithful
    literals, take it as the graph's current content) although the store never held it; tests/
    test_crash_safety.py kills loads at random moments and checks this."""
    return [int(row["number"].value) for row in queries.run(store, "graph-versions", {"graph": graph}).rows]


def _about_this_change(report: Report, touched: set[str]) -> Report:
    """The report a writer acts on: every violation (the store was valid before, so the change made them), but
    warnings and infos only about the records it touched — not the ones others left, which would otherwise come
    back as if they were reasons in every later report."""
    kept = [r for r in report.results if r.severity == "Violation" or r.focus in touched]
    return Report(report.conforms, kept, report.graph)


def _write_whole(path: Path, text: str) -> None:
    """Write a file whole or not at all (a process killed mid-write leaves the old file, never half of one)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


class WriteGate:
    """The one way to change a store: validate, record, apply — or refuse with the report."""

    def __init__(self, store: object, history_dir: Path | None) -> None:
        self.store = store
        self.history_dir = history_dir
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
        with self._lock:
            self._still(expect or {})
            present = set(self.store.named_graphs())
            counted = {g: self._added_removed(g, t, present) for g, t in new.items()}  # before validation needs memory
            report = _about_this_change(self._validate(new, present, parsed), self._touched(new, present))
            if report.violations:
                raise ValidationFailed(report)
            number = self._next_number()
            change = Change(
                number, operation, agent, datetime.now(UTC).replace(microsecond=0).isoformat(), report=report
            )
            for graph, triples in new.items():
                version = f"{ID}version/{number}/{_slug(graph)}"
                change.graphs.append(GraphChange(graph, *counted[graph], version))
                self._keep_version(number, graph, triples or NTriples(b""))
            record = self._provenance(change, upload_checksum, used_version, upload_name, catalogue)
            self.store.replace_graphs(new, append={PROVENANCE_GRAPH: record})
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
        if graph not in self.store.named_graphs():
            return ""
        return hashlib.sha256(self.content(graph).data).hexdigest()

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
        return self._validate(new, set(self.store.named_graphs()), ())

    @staticmethod
    def _writable(
        new_graphs: Mapping[str, Iterable[ox.Triple] | None], allow_kinds: tuple[str, ...]
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
        return graph_content(self.store, self.history_dir, graph)

    def _touched(self, new: Mapping[str, NTriples | None], present: set[str]) -> set[str]:
        """The subjects (compacted, as reports name them) whose triples this change adds or removes."""
        touched: set[str] = set()
        for graph, triples in new.items():
            before = self.content(graph).lines() if graph in present else set()
            after = triples.lines() if triples is not None else set()
            for line in before ^ after:
                subject = line.split(b" ", 1)[0].decode()
                touched.add(compact(subject[1:-1]) if subject.startswith("<") else subject)
        return touched

    def _added_removed(self, graph: str, triples: NTriples | None, present: set[str]) -> tuple[int, int]:
        """How many triples writing `triples` to `graph` adds and removes (compared as lines: 1 s at 10^6)."""
        before = self.content(graph).lines() if graph in present else set()
        after = triples.lines() if triples is not None else set()
        return len(after - before), len(before - after)

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

    # -- review before publication ----------------------------------------------------------------
    def propose(
        self,
        new_graphs: Mapping[str, Iterable[ox.Triple] | None],
        operation: str,
        agent: str,
        details: Mapping[str, str] | None = None,
        expect: Mapping[str, str] | None = None,
    ) -> int:
        """Hold a change as a draft for review: kept beside the history, invisible to readers, recorded.

        `details` (e.g. an imported file's name and checksum) are kept with the draft and in its record; `expect`
        as for `commit`. Publishing refuses (Conflict) if a graph the draft writes has changed since."""
        if self.history_dir is None:
            raise WriteRefused("drafts need a history folder", "run the server over an on-disk store")
        new = self._writable(new_graphs, WRITABLE_KINDS)
        with self._lock:
            self._still(expect or {})
            same = self._pending_like(new, operation, agent)
            if same is not None:  # the same change sent twice (a double click, a retried request): one draft
                return same
            drafts = self.history_dir / "drafts"
            drafts.mkdir(parents=True, exist_ok=True)
            number = max([0] + [int(f.name) for f in drafts.iterdir() if f.name.isdigit()]) + 1
            folder = drafts / str(number)
            folder.mkdir()
            for index, triples in enumerate(new.values()):
                if triples is not None:
                    (folder / f"{index}.nt").write_bytes(triples.data)
            meta = {
                "number": number,
                "operation": operation,
                "agent": agent,
                "status": "pending",
                # What each graph held when the draft was made: publishing refuses if it has changed since.
                "bases": {g: self.base(g) for g in new},
                "time": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "graphs": [
                    {"graph": g, "file": f"{i}.nt" if t is not None else None} for i, (g, t) in enumerate(new.items())
                ],
                **dict(details or {}),
            }
            _write_whole(folder / "draft.json", json.dumps(meta, indent=2))
            self._record(f"draft {number} ({operation})", agent, "draft", {"draft": number, **dict(details or {})})
            return number

    def _pending_like(self, new: Mapping[str, NTriples | None], operation: str, agent: str) -> int | None:
        """The pending draft by `agent` that makes exactly this change from the same versions, or None."""
        bases = {g: self.base(g) for g in new}
        for meta in self.drafts():
            if (meta["status"], meta["agent"], meta["operation"], meta["bases"]) != (
                "pending",
                agent,
                operation,
                bases,
            ):
                continue
            folder = self.history_dir / "drafts" / str(meta["number"])  # type: ignore[operator]
            files = {item["graph"]: item["file"] for item in meta["graphs"]}
            if set(files) == set(new) and all(
                (t is None and files[g] is None)
                or (
                    t is not None
                    and files[g] is not None
                    and NTriples((folder / files[g]).read_bytes()).lines() == t.lines()
                )
                for g, t in new.items()
            ):
                return int(meta["number"])
        return None

    def drafts(self) -> list[dict]:
        folder = None if self.history_dir is None else self.history_dir / "drafts"
        if folder is None or not folder.exists():
            return []
        # A folder without draft.json is a submission killed before it was complete: not a draft.
        return [
            json.loads((f / "draft.json").read_text())
            for f in sorted(folder.iterdir(), key=lambda f: int(f.name))
            if f.name.isdigit() and (f / "draft.json").exists()
        ]

    def draft(self, number: int) -> tuple[dict, dict[str, list[ox.Triple] | None]]:
        folder = None if self.history_dir is None else self.history_dir / "drafts" / str(number)
        if folder is None or not (folder / "draft.json").exists():
            raise NoSuchVersion(f"there is no draft {number}", "GET /drafts lists them")
        meta = json.loads((folder / "draft.json").read_text())
        content: dict[str, list[ox.Triple] | None] = {}
        for item in meta["graphs"]:
            data = (folder / item["file"]).read_bytes() if item["file"] else None
            content[item["graph"]] = (
                None if data is None else [q.triple for q in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES)]
            )
        return meta, content

    def review(self, number: int) -> dict:
        """What a reviewer sees: the draft, its diff against the published graphs, and its validation report."""
        meta, content = self.draft(number)
        present = set(self.store.named_graphs())
        diff = []
        for graph, triples in content.items():
            before = {str(t) for t in self.store.triples(graph)} if graph in present else set()
            after = {str(t) for t in triples or []}
            diff.append({"graph": graph, "added": sorted(after - before), "removed": sorted(before - after)})
        state = {g: list(self.store.triples(g)) for g in present if g not in content and kind_of_graph(g) != "system"}
        state.update({g: t for g, t in content.items() if t is not None})
        touched = self._touched({g: as_ntriples(t) for g, t in content.items()}, present)
        return {**meta, "diff": diff, "report": _about_this_change(validate_state(state), touched).to_dict()}

    def publish(self, number: int, reviewer: str) -> Change:
        meta, content = self._pending(number)
        change = self.commit(
            content,
            f"publish draft {number} by {meta['agent']}",
            reviewer,
            upload_checksum=meta.get("checksum"),
            upload_name=meta.get("file"),
            expect=meta.get("bases"),  # drafts made before this rule carry none
        )
        self._set_status(number, "published", reviewer, change.number)
        return change

    def reject(self, number: int, reviewer: str, reason: str = "") -> dict:
        """Mark a pending draft rejected; the reason (for its author) is kept with the draft and in the history."""
        meta, _ = self._pending(number)
        extra = {"draft": number, **({"reason": reason.strip()} if reason.strip() else {})}
        with self._lock:
            self._record(f"reject draft {number}", reviewer, "reject", extra)
        return self._set_status(number, "rejected", reviewer, None, reason.strip() or None)

    def _pending(self, number: int) -> tuple[dict, dict[str, list[ox.Triple] | None]]:
        meta, content = self.draft(number)
        if meta["status"] != "pending":
            raise UsageError(f"draft {number} is already {meta['status']}", "only pending drafts can be reviewed")
        return meta, content

    def _set_status(
        self, number: int, status: str, reviewer: str, version: int | None, reason: str | None = None
    ) -> dict:
        path = self.history_dir / "drafts" / str(number) / "draft.json"  # type: ignore[operator]
        meta = json.loads(path.read_text())
        meta.update(status=status, reviewer=reviewer, version=version, **({"reason": reason} if reason else {}))
        _write_whole(path, json.dumps(meta, indent=2))
        return meta

    def _record(self, label: str, agent: str, operation: str, extra: dict) -> None:
        """Record an activity that changes no published graph (a draft submitted, a draft rejected)."""
        number = self._next_number()
        change = Change(number, operation, agent, datetime.now(UTC).replace(microsecond=0).isoformat())
        triples = self._provenance(change, None, None)
        triples.append(
            ox.Triple(
                _n(f"{ID}change/{number}"),
                _n(str(RDFS.comment)),
                ox.Literal(f"{label}: {json.dumps(extra)}", language="en"),
            )
        )
        self.store.replace_graphs({}, append={PROVENANCE_GRAPH: triples})

    def restore(self, graph: str, number: int, agent: str) -> Change:
        path = self._version_path(number, graph)
        if path is None or number not in self.versions(graph):  # recorded versions only (recorded_versions)
            known = ", ".join(str(n) for n in self.versions(graph)) or "none"
            raise NoSuchVersion(f"graph <{graph}> has no version {number}", f"its versions: {known}")
        data = path.read_bytes()
        triples = [q.triple for q in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES)] if data.strip() else None
        return self.commit({graph: triples}, "restore", agent, used_version=f"{ID}version/{number}/{_slug(graph)}")

    def version_content(self, graph: str, number: int) -> NTriples | None:
        """`graph` as recorded version `number` left it; None if that version is not kept (or not recorded)."""
        path = self._version_path(number, graph)
        if path is None or not path.exists() or number not in recorded_versions(self.store, graph):
            return None
        return NTriples(path.read_bytes())

    def version_before(self, graph: str, number: int) -> int | None:
        """The recorded version of `graph` just before `number`, or None (the graph's first version)."""
        earlier = [n for n in recorded_versions(self.store, graph) if n < number]
        return earlier[-1] if earlier else None

    def versions(self, graph: str) -> list[int]:
        if self.history_dir is None or not self.history_dir.exists():
            return []
        return [n for n in recorded_versions(self.store, graph) if _version_file(self.history_dir, n, graph).exists()]

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _graphs(store: ox.Store) -> list[str]:
        return [g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)]

    @staticmethod
    def _graph(store: ox.Store, graph: str) -> Iterable[ox.Triple]:
        return (q.triple for q in store.quads_for_pattern(None, None, None, _n(graph)))

    def _next_number(self) -> int:
        numbers = [0]
        if self.history_dir is not None and self.history_dir.exists():
            numbers += [int(f.name) for f in self.history_dir.iterdir() if f.name.isdigit()]
        numbers += (
            [
                int(t.object.value)
                for t in self.store.triples(PROVENANCE_GRAPH)
                if t.predicate.value == str(CIRCE.versionNumber)
            ]
            if PROVENANCE_GRAPH in self.store.named_graphs()
            else []
        )
        return max(numbers) + 1

    def _version_path(self, number: int, graph: str) -> Path | None:
        return None if self.history_dir is None else _version_file(self.history_dir, number, graph)

    def _keep_version(self, number: int, graph: str, triples: NTriples) -> None:
        path = self._version_path(number, graph)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(triples.data)

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
