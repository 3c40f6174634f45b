"""The store behind one small interface, so the loader, queries, CLI and web app never care which one it is.

`EmbeddedStore` is Oxigraph on disk (RocksDB): a folder, opened by one process at a time, behind the `Store`
interface (base.py). `RemoteStore` (remote.py) is any SPARQL 1.1 server behind the same interface, `FederatedStore`
(federated.py) several of them; `open.open_store` picks one.

Atomicity: `replace_graphs` sends one SPARQL Update (DROP + INSERT DATA per graph). Oxigraph applies an
update in one transaction, so readers see the old graphs or the new ones, never a mix, and a crash in the
middle leaves the old state. A big write (BULK_WRITE_TRIPLES) is made by the bulk loader in a new generation of
the store's folder instead, published by one rename (folder.py): the same guarantee, many times faster (the
figures: bench/README.md, "The bulk loader").
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .. import settings
from ..binding import AnyTerm, SubjectTerm, Term, with_values
from ..errors import StoreUnavailable
from ..namespaces import PREFIXES
from .base import (
    ChangeJournal,
    OneWriteAtATime,
    QueryResult,
    Write,
    change_of_write,
    replace_graphs_update,
)
from .folder import StoreFolder

_DISTINCT_TRIPLES = "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
_GRAPH_SIZE = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"  # ?g bound by VALUES


_CORES = os.cpu_count() or 1


class EmbeddedStore(OneWriteAtATime):
    """Oxigraph on disk (or in memory when `path` is None, for tests and benchmarks)."""

    # A write adding at least this many triples goes through the bulk loader into a new generation of the
    # folder (folder.py) instead of one transaction: much faster for a big write, as atomic. Below it a
    # transaction is quicker (no new files); CIRCE_KG_BULK_WRITE_TRIPLES changes it, read at each write (a test
    # may set this attribute to a number instead).
    @property
    def BULK_WRITE_TRIPLES(self) -> int:
        return int(settings.value("BULK_WRITE_TRIPLES"))

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.local_folder = path.parent if path is not None else None
        self.generation = 0
        self._journal = ChangeJournal()
        self._folder: StoreFolder | None = None
        try:
            if path is None:
                self._store = ox.Store()
            else:
                self._folder = StoreFolder(path)
                self._store = ox.Store(str(self._folder.current()))
        except OSError as error:
            if self._folder is not None:
                self._folder.release()
            raise StoreUnavailable(
                f"cannot open the store at {path}: {error}",
                "another process (a running `circe-kg serve`?) may hold it: stop that process, or point "
                "CIRCE_KG_STORE / --store at another folder",
            ) from None

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is None:
            return len(self._store)  # counted by Oxigraph, not by a walk in Python
        graph = ox.NamedNode(graph_iri)
        if not self._store.contains_named_graph(graph):
            return 0
        counted = self.query(_GRAPH_SIZE, {"g": graph})  # counted in Rust, not by a walk in Python
        assert isinstance(counted, ox.QuerySolutions)
        return int(next(iter(counted))[0].value)

    def triples(self, graph_iri: str) -> Iterator[ox.Triple]:
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)):
            yield quad.triple

    def quads_matching(
        self, subject: SubjectTerm | None, predicate: ox.NamedNode | None, obj: AnyTerm | None
    ) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(subject, predicate, obj, None)

    def _write(self, write: Write) -> None:
        graphs, append = write
        adding = sum(len(t) for t in graphs.values() if t is not None) + sum(len(t) for t in append.values())
        touched = change_of_write(self.triples, write)  # before the write: it reads the graphs' old content
        replaced = [ox.NamedNode(iri) for iri in graphs if self._store.contains_named_graph(ox.NamedNode(iri))]
        removing = sum(self.count(g.value) for g in replaced) if self._folder is not None else 0
        # A transaction removes triples several times slower than the bulk loader adds them: a write
        # that removes most of the store copies what stays into a new generation instead (len() walks the store,
        # so only a big removal asks it).
        bulk = self.BULK_WRITE_TRIPLES
        rebuild = removing >= bulk and removing * 4 > len(self._store) - removing
        if self._folder is not None and (adding >= bulk or rebuild):
            self._write_new_generation(write, replaced, rebuild)
        else:
            update = replace_graphs_update(*write)
            if not update:
                return
            self._store.update(update)
            self._store.flush()
        self.generation += 1
        self._journal.record(self.generation, touched)

    def _write_new_generation(self, write: Write, replaced: list[ox.NamedNode], rebuild: bool) -> None:
        """The write in a new generation nobody reads yet, by the bulk loader, then published by one rename.
        The generation starts as a checkpoint of this one, less the `replaced` graphs — or, to `rebuild` when
        those hold most of the store, as an empty database that the other graphs are copied into."""
        assert self._folder is not None
        folder = self._folder.new_generation(None if rebuild else self._store)
        try:
            staged = self._staged(folder, write, replaced, rebuild)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # the current generation was never touched
            raise
        previous = self._folder.current()
        self._folder.publish(folder)
        self._store = staged
        self._folder.collect_garbage(keep=previous)  # queries still running may read the previous one

    def _staged(self, folder: Path, write: Write, replaced: list[ox.NamedNode], rebuild: bool) -> ox.Store:
        graphs, append = write
        staged = ox.Store(str(folder))
        if rebuild:  # the kept graphs only: the replaced ones are not even read
            skipped = set(replaced)
            kept = [g for g in self._store.named_graphs() if g not in skipped]
            staged.bulk_extend(
                itertools.chain.from_iterable(
                    self._store.quads_for_pattern(None, None, None, g) for g in [ox.DefaultGraph(), *kept]
                )
            )
            for graph in kept:  # empty graphs have no quads to carry them
                staged.add_graph(graph)
        else:
            for graph in replaced:
                staged.remove_graph(graph)
        for iri, triples in graphs.items():
            if triples is not None:
                staged.add_graph(ox.NamedNode(iri))
        # One part per core: the bulk loader parses and sorts one input on one core. Lenient: the parts are
        # Oxigraph's own serialisation of terms it has already checked, so checking every IRI again would only
        # cost time.
        with ThreadPoolExecutor(_CORES) as pool:
            for loaded in [
                pool.submit(
                    staged.bulk_load,
                    input=part,
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(iri),
                    lenient=True,
                )
                for iri, triples in [*graphs.items(), *append.items()]
                if triples
                for part in triples.parts(_CORES)
            ]:
                loaded.result()
        staged.flush()
        return staged

    def changed_subjects(self, since: int) -> set[str] | None:
        return self._journal.since(since, self.generation)

    def changed_triples(self, since: int) -> set[ox.Triple] | None:
        return self._journal.triples_since(since, self.generation)

    def query(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all graphs, with parameters bound (never pasted) the way every
        backend binds them: a VALUES block at the top of the WHERE group, which Oxigraph plans better than its own
        pre-bound variables."""
        result = self._store.query(
            with_values(sparql, substitutions), prefixes=PREFIXES, use_default_graph_as_union=True
        )
        return list(result) if isinstance(result, ox.QueryTriples) else result

    def dump(self, rdf_format: ox.RdfFormat, graph_iri: str | None = None, output: BinaryIO | None = None) -> bytes:
        if graph_iri is not None:
            return self._store.dump(output, format=rdf_format, from_graph=ox.NamedNode(graph_iri)) or b""
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            return self._store.dump(output, format=rdf_format) or b""
        # A triple format cannot carry graph names: write the union of all graphs, without duplicates. Oxigraph
        # finds the distinct triples (in Rust, not in a Python set) and they stream to `output` as they come.
        distinct = self._store.query(_DISTINCT_TRIPLES)
        assert isinstance(distinct, ox.QuerySolutions)
        triples = (ox.Triple(row[0], row[1], row[2]) for row in distinct)
        return ox.serialize(triples, output, format=rdf_format, prefixes=PREFIXES) or b""

    faithful_literals = True  # Oxigraph gives back the literals it was given
    query_engine = "process"  # strangers' queries run here, in killable workers over a snapshot

    def answers_max_age(self, configured: float) -> None:
        return None  # only this process writes it: an answer is good until the generation changes

    def missing_sources(self) -> list[str]:
        return []

    def forget_missing(self) -> None:
        pass

    def snapshot(self, folder: Path) -> None:
        """A read-only copy of the store at this moment in `folder` (which must not exist), for
        `ox.Store.read_only`: a RocksDB checkpoint, hard links to the store's files, so it costs no copy."""
        self._store.flush()
        self._store.backup(str(folder))

    def close(self) -> None:
        """Flush and release the folder (the lock) so that another process or command can open it."""
        if hasattr(self, "_store"):
            self._store.flush()
            del self._store
        if self._folder is not None:
            self._folder.release()
            self._folder = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
