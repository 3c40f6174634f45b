"""Loading is all or nothing: parse every file, validate the state the store *would* have, then swap the
files' named graphs in with one atomic update. A syntax error or a shape violation leaves the store as it was.

Each file has its own named graph (data/practices.ttl -> graph/data/practices), so loading a file again
replaces its graph instead of duplicating it, and a file can be removed on its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .config import history_path
from .errors import UsageError
from .namespaces import GRAPH
from .ntriples import NTriples
from .rdf_files import DATASET_FORMATS, KINDS, ParsedFile, kind_of_graph, parse_dataset_file, parse_file, parse_text
from .store import Store
from .validation import Report, validate_state
from .writing.gate import WriteGate, checksum
from .writing.history import History

Progress = Callable[[str, int, int], None]  # (what, done, total)
LOADED_FILES = "loaded-files.json"  # graph IRI -> the file last loaded into it and its SHA-256


@dataclass
class LoadedGraph:
    file: str
    graph_iri: str
    kind: str
    triples: int
    replaced: bool


@dataclass
class LoadSummary:
    graphs: list[LoadedGraph]
    total_triples: int  # in the ontology, shapes and data graphs (the history is not counted)
    version: int
    report: Report


def _state_after(store: Store, parsed: list[ParsedFile]) -> dict[str, NTriples]:
    """Every graph's content as it would be after loading `parsed` (the current store, with those replaced)."""
    incoming = {p.graph_iri: p.triples for p in parsed}
    history = History(store, history_path(store))
    with history.held():
        state = {
            iri: history.content(iri)
            for iri in history.graphs()
            if iri not in incoming and kind_of_graph(iri) != "system"
        }
    state.update(incoming)
    return state


def parse_all(
    paths: Iterable[Path], progress: Progress | None = None, graph_iri: str | None = None
) -> list[ParsedFile]:
    paths = list(paths)
    if graph_iri and len(paths) != 1:
        raise UsageError("--graph names one graph, so it takes exactly one file")
    parsed: list[ParsedFile] = []
    for done, path in enumerate(paths, start=1):
        if path.suffix.lower() in DATASET_FORMATS:
            parsed.extend(parse_dataset_file(path))
        else:
            parsed.append(parse_file(path, graph_iri))
        if progress:
            progress(f"parsed {parsed[-1].name}", done, len(paths))
    seen: dict[str, str] = {}
    for p in parsed:
        if p.graph_iri in seen:
            raise UsageError(
                f"{seen[p.graph_iri]} and {p.name} would both load into graph <{p.graph_iri}>",
                "load them one at a time, or give one of them another name",
            )
        seen[p.graph_iri] = p.name
    return parsed


def load_files(
    store: Store,
    paths: Iterable[Path],
    progress: Progress | None = None,
    graph_iri: str | None = None,
    gate: WriteGate | None = None,
    agent: str = "circe-kg load",
) -> LoadSummary:
    """Parse, validate and load `paths` atomically through the write gate (recorded in the history).
    Raises RdfSyntaxError or ValidationFailed, and then the store is unchanged."""
    parsed = parse_all(paths, progress, graph_iri)
    existing = set(store.named_graphs())
    if progress:
        progress("validating and writing", 0, 1)
    gate = gate or WriteGate(store, history_path(store))
    upload = checksum(*(p.source for p in parsed))
    # A backup brings its history along, so the system graphs may be written by a load (not over HTTP).
    change = gate.commit(
        {p.graph_iri: p.triples for p in parsed}, "load", agent, upload, parsed, allow_kinds=(*KINDS, "system")
    )
    record_loaded_files(store, {p.graph_iri: (p.name, checksum(p.source)) for p in parsed if p.source})
    graphs = [LoadedGraph(p.name, p.graph_iri, p.kind, len(p.triples), p.graph_iri in existing) for p in parsed]
    system = [g for g in store.named_graphs() if kind_of_graph(g) == "system"]  # small: the history's records
    total = store.count() - sum(store.count(g) for g in system)
    assert change.report is not None  # a commit always carries the report it was validated with
    return LoadSummary(graphs, total, change.number, change.report)


def loaded_files_path(store: Store) -> Path | None:
    """Where the record of loaded files is kept: in the embedded store's own folder, so that it travels with the
    store it describes; beside a SPARQL server's history otherwise; None for a store in memory."""
    folder = store.path or store.local_folder
    return Path(folder) / LOADED_FILES if folder is not None else None


def loaded_files(store: Store) -> dict[str, dict[str, str]]:
    """graph IRI -> {"file": its name as shown, "sha256": …} of the file last loaded into (or exported from) it.

    `circe-kg export-graphs` reads it to tell a file edited by hand since it was loaded from one it may rewrite.
    An unreadable or missing record is {} (then nothing counts as loaded: the export refuses rather than guess)."""
    path = loaded_files_path(store)
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def record_loaded_files(store: Store, files: Mapping[str, tuple[str, str]]) -> None:
    """Record graph IRI -> (file name, SHA-256 of its bytes) after a write that made the graph equal the file.

    Written whole or not at all. A record that cannot be written is left as it was: the next export then refuses
    to overwrite those files without --force (the safe side), so a load that succeeded is not reported failed."""
    path = loaded_files_path(store)
    if path is None or not files:
        return
    record = loaded_files(store)
    record.update({graph: {"file": name, "sha256": sha256} for graph, (name, sha256) in files.items()})
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)


def validate_files(store: Store | None, paths: Iterable[Path], progress: Progress | None = None) -> Report:
    """Validate files as if loaded (with the store's other graphs, or with the shipped ones when no store)."""
    parsed = parse_all(paths, progress)
    state = _state_after(store, parsed) if store is not None else {p.graph_iri: p.triples for p in parsed}
    return validate_state(state, parsed)


def validate_text(store: Store, text: str, name: str = "pasted Turtle") -> Report:
    """Validate Turtle text as one more data file in the store's context. Nothing is stored."""
    triples, prefixes = parse_text(text, name)
    upload = ParsedFile(name, f"{GRAPH}data/validation-upload", "data", triples, prefixes, text.encode("utf-8"))
    return validate_state(_state_after(store, [upload]), [upload])


def remove_graphs(
    store: Store, graph_iris: Iterable[str], gate: WriteGate | None = None, agent: str = "circe-kg remove"
) -> list[str]:
    """Remove named graphs, refusing if what stays behind would violate the shapes."""
    wanted = list(graph_iris)
    present = set(store.named_graphs())
    missing = [g for g in wanted if g not in present]
    if missing:
        raise UsageError(f"no such graph: <{missing[0]}>", "list the graphs with `circe-kg graphs`")
    (gate or WriteGate(store, None)).commit({g: None for g in wanted}, "remove", agent, allow_kinds=KINDS)
    return wanted
