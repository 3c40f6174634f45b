"""Loading is all or nothing: parse every file, validate the state the store *would* have, then swap the
files' named graphs in with one atomic update. A syntax error or a shape violation leaves the store as it was.

Each file has its own named graph (data/practices.ttl -> graph/data/practices), so loading a file again
replaces its graph instead of duplicating it, and a file can be removed on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import rdflib

from .config import shipped_files
from .errors import UsageError, ValidationFailed
from .rdf_files import ParsedFile, kind_of_graph, parse_file
from .store import Store
from .validation import Report, to_rdflib, validate

Progress = Callable[[str, int, int], None]  # (what, done, total)


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
    report: Report
    total_triples: int


def _state_after(store: Store, parsed: list[ParsedFile]) -> dict[str, list[ox.Triple]]:
    """Every graph's content as it would be after loading `parsed` (the current store, with those replaced)."""
    incoming = {p.graph_iri: p.triples for p in parsed}
    state = {iri: list(store.triples(iri)) for iri in store.named_graphs() if iri not in incoming}
    state.update(incoming)
    return state


@lru_cache(maxsize=1)
def _shipped_data_files_cached(stamp: tuple[tuple[str, float], ...]) -> tuple[ParsedFile, ...]:
    return tuple(parse_file(Path(name)) for name, _ in stamp)


def _shipped_data_files() -> tuple[ParsedFile, ...]:
    """The shipped data files, parsed once per version on disk: where a reported node is defined."""
    paths = [p for p in shipped_files() if p.parent.name == "data"]
    return _shipped_data_files_cached(tuple((str(p), p.stat().st_mtime) for p in paths))


def validate_state(state: dict[str, list[ox.Triple]], parsed: Iterable[ParsedFile] = ()) -> Report:
    """Validate the data graphs of `state` against its shapes graphs, with its ontology graphs as hierarchy."""
    by_kind: dict[str, rdflib.Graph] = {kind: rdflib.Graph() for kind in ("ontology", "shapes", "data")}
    for iri, triples in state.items():
        to_rdflib(triples, by_kind[kind_of_graph(iri)])
    files = list(parsed)
    given = {p.graph_iri for p in files}
    prefixes: dict[str, str] = {}
    for p in files:
        prefixes.update(p.prefixes)

    def locate(iri: str) -> tuple[str, int | None] | None:
        # The files being loaded first, then the shipped data files whose graphs are in the state.
        candidates = files + [s for s in _shipped_data_files() if s.graph_iri in state and s.graph_iri not in given]
        for as_subject in (True, False):
            for p in candidates:
                line = p.line_of(iri, as_subject) if p.kind == "data" else None
                if line:
                    return p.name, line
        return None

    if len(by_kind["shapes"]) == 0:
        return Report(conforms=True)
    return validate(by_kind["data"], by_kind["shapes"], by_kind["ontology"], locate, prefixes)


def parse_all(paths: Iterable[Path], progress: Progress | None = None,
              graph_iri: str | None = None) -> list[ParsedFile]:
    paths = list(paths)
    if graph_iri and len(paths) != 1:
        raise UsageError("--graph names one graph, so it takes exactly one file")
    parsed: list[ParsedFile] = []
    for done, path in enumerate(paths, start=1):
        parsed.append(parse_file(path, graph_iri))
        if progress:
            progress(f"parsed {parsed[-1].name}", done, len(paths))
    seen: dict[str, str] = {}
    for p in parsed:
        if p.graph_iri in seen:
            raise UsageError(f"{seen[p.graph_iri]} and {p.name} would both load into graph <{p.graph_iri}>",
                             "load them one at a time, or give one of them another name")
        seen[p.graph_iri] = p.name
    return parsed


def load_files(store: Store, paths: Iterable[Path], progress: Progress | None = None,
               graph_iri: str | None = None) -> LoadSummary:
    """Parse, validate and load `paths` atomically. Raises RdfSyntaxError or ValidationFailed, store unchanged."""
    parsed = parse_all(paths, progress, graph_iri)
    existing = set(store.named_graphs())
    state = _state_after(store, parsed)
    if progress:
        progress("validating", 0, 1)
    report = validate_state(state, parsed)
    if report.violations:
        raise ValidationFailed(report)
    if progress:
        progress("writing to the store", 0, 1)
    store.replace_graphs({p.graph_iri: p.triples for p in parsed})
    graphs = [LoadedGraph(p.name, p.graph_iri, p.kind, len(p.triples), p.graph_iri in existing) for p in parsed]
    return LoadSummary(graphs, report, store.count())


def validate_files(store: Store | None, paths: Iterable[Path], progress: Progress | None = None) -> Report:
    """Validate files as if loaded (with the store's other graphs, or with the shipped ones when no store)."""
    parsed = parse_all(paths, progress)
    state = _state_after(store, parsed) if store is not None else {p.graph_iri: p.triples for p in parsed}
    return validate_state(state, parsed)


def remove_graphs(store: Store, graph_iris: Iterable[str]) -> list[str]:
    """Remove named graphs, refusing if what stays behind would violate the shapes."""
    wanted = list(graph_iris)
    present = set(store.named_graphs())
    missing = [g for g in wanted if g not in present]
    if missing:
        raise UsageError(f"no such graph: <{missing[0]}>", "list the graphs with `circe-kg graphs`")
    state = {iri: list(store.triples(iri)) for iri in present if iri not in wanted}
    report = validate_state(state)
    if report.violations:
        raise ValidationFailed(report)
    store.drop_graphs(wanted)
    return wanted
