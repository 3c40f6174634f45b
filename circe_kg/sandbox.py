"""Public SPARQL queries run in worker processes that can be killed.

Oxigraph cannot interrupt a query inside the process that runs it: a cross product with COUNT would keep a
core busy long after its client gave up. So the public endpoint hands each query to a worker process that
holds an in-memory copy of the graph; the worker writes the result through a size-capped buffer, and if it
has not answered within the time limit it is killed and replaced. The web server itself never runs a
stranger's query, and keeps answering while a worker is busy or being replaced.

The copy is refreshed when the store's generation (bumped on every write) changes. Of an on-disk store it is a
snapshot (a RocksDB checkpoint: hard links, made in milliseconds) that the workers open read-only, so they share
the operating system's page cache and hold no copy of their own; the first version sent each worker an N-Quads
dump to load into memory, which at 10^7 triples meant 1.9 GB per worker and minutes before the first answer.
An in-memory store (tests) still goes to the workers as an N-Quads dump.

Under load, long queries cannot starve short ones: at most `workers - 1` queries run under the full time limit
at once; a query that starts while they do gets the short `busy_timeout_s` limit (an `ASK {}` still answers,
another heavy query is stopped early); and a query that finds no free worker within `queue_wait_s` is answered
503 with Retry-After at once instead of holding a server thread until one frees up. A killed worker is replaced
in the background, so the next query does not wait for a process to start. tests/test_service_protection.py
measured the need: before, an `ASK {}` waited up to the full time limit behind three heavy queries.
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import CirceError, EndpointBusy, NotAcceptable, QueryTimeout, ResultTooLarge, UsageError
from .store import EmbeddedStore

SOLUTION_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}

@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0
    max_result_bytes: int = 16 * 1024 * 1024
    workers: int = 3
    busy_timeout_s: float = 1.0  # the limit of a query started while `workers - 1` others run under the full one
    queue_wait_s: float = 1.0  # how long a query waits for a free worker before it is told to come back later

    @property
    def retry_after_s(self) -> int:
        """When to come back: a worker is free again within the short limit (and a restart)."""
        return math.ceil(min(self.timeout_s, self.busy_timeout_s)) + 1


@dataclass
class QueryReply:
    kind: str  # "solutions" (SELECT, ASK) or "graph" (CONSTRUCT, DESCRIBE)
    mime: str
    body: bytes


class _CappedBuffer:
    """A write target that refuses to grow past `cap` bytes, which stops the serialisation (and the query)."""

    def __init__(self, cap: int) -> None:
        self.cap, self.size, self.parts = cap, 0, []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise BufferError(f"result larger than {self.cap} bytes")
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _worker_main(conn: Connection) -> None:
    """Serve queries over `conn` until the parent goes away: ('open', snapshot folder) or ('load', nquads),
    then ('query', …)."""
    store: ox.Store | None = ox.Store()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] in ("open", "load"):
            store = None  # let go of the previous snapshot's files before opening the next
            store = ox.Store.read_only(message[1]) if message[0] == "open" else ox.Store()
            if message[0] == "load" and message[1]:
                store.load(input=message[1], format=ox.RdfFormat.N_QUADS)
            conn.send(("loaded",))
            continue
        _, text, solution_mime, graph_mime, default_graphs, named_graphs, cap = message
        try:
            options: dict[str, Any] = {}
            if default_graphs:
                options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
            else:
                options["use_default_graph_as_union"] = True
            if named_graphs:
                options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
            result = store.query(text, **options)
            if isinstance(result, ox.QueryTriples):
                kind, mime, fmt = "graph", graph_mime, GRAPH_FORMATS.get(graph_mime or "")
            else:
                kind, mime, fmt = "solutions", solution_mime, SOLUTION_FORMATS.get(solution_mime or "")
            if fmt is None:
                conn.send(("not-acceptable", kind))
                continue
            buffer = _CappedBuffer(cap)
            result.serialize(output=buffer, format=fmt)
            conn.send(("ok", kind, mime, b"".join(buffer.parts)))
        except SyntaxError as error:
            conn.send(("syntax", str(error)))
        except BufferError as error:
            conn.send(("too-large", str(error)))
        except Exception as error:  # an evaluation error is the query's fault, reported, never fatal
            conn.send(("error", f"{type(error).__name__}: {error}"))


class _Worker:
    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True, name="circe-kg-query")
        self.process.start()
        child.close()
        self.generation: int | None = None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class QuerySandbox:
    """A small pool of killable query workers over a copy of `store`."""

    def __init__(self, store: Any, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits or Limits()
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        # Last in, first out: sequential traffic keeps reusing one warm worker.
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(self.limits.workers):
            self._idle.put(None)  # workers start on first use
        self._copy_lock = threading.Lock()
        self._copy: tuple[int, tuple[str, str | bytes]] | None = None  # (generation, message that loads it)
        self._snapshots: list[Path] = []  # newest last
        self._lock = threading.Lock()
        self._long_running = 0  # queries running under the full time limit
        self._closed = False

    def _current_copy(self) -> tuple[int, tuple[str, str | bytes]]:
        with self._copy_lock:
            generation = self.store.generation
            if self._copy is None or self._copy[0] != generation:
                self._copy = (generation, self._make_copy())
            return self._copy

    def _make_copy(self) -> tuple[str, str | bytes]:
        if not isinstance(self.store, EmbeddedStore) or self.store.path is None:
            return ("load", self.store.dump(ox.RdfFormat.N_QUADS))
        root = self.store.path.parent / f".{self.store.path.name}-query-snapshots"
        if not self._snapshots:  # left by a process that was killed: only this one serves this store (its lock)
            shutil.rmtree(root, ignore_errors=True)
        root.mkdir(exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=root))
        self.store.snapshot(folder / "store")
        self._snapshots.append(folder)
        # The one before stays: a query that started on it may still read its files.
        while len(self._snapshots) > 2:
            shutil.rmtree(self._snapshots.pop(0), ignore_errors=True)
        return ("open", str(folder / "store"))

    def _ready(self, worker: _Worker | None) -> _Worker:
        if worker is None or not worker.process.is_alive():
            worker = _Worker(self._context)
        generation, message = self._current_copy()
        if worker.generation != generation:
            worker.conn.send(message)
            worker.conn.recv()
            worker.generation = generation
        return worker

    def run(self, text: str, solution_mime: str | None, graph_mime: str | None,
            default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> QueryReply:
        """Run `text`; the result is serialised in `solution_mime` or `graph_mime` depending on its kind."""
        limits = self.limits
        try:
            slot = self._idle.get(timeout=min(limits.queue_wait_s, limits.timeout_s))
        except queue.Empty:
            raise EndpointBusy("every query worker is busy", f"try again in {limits.retry_after_s} s",
                               retry_after=limits.retry_after_s) from None
        with self._lock:  # a worker is kept for short queries: long ones get at most workers - 1 of them
            long_allowed = self._long_running < max(1, limits.workers - 1)
            self._long_running += long_allowed
        limit = limits.timeout_s if long_allowed else min(limits.timeout_s, limits.busy_timeout_s)
        worker: _Worker | None = None
        try:
            worker = self._ready(slot)
            worker.conn.send(("query", text, solution_mime, graph_mime, list(default_graphs), list(named_graphs),
                              limits.max_result_bytes))
            if not worker.conn.poll(limit):
                worker.kill()
                worker = None
                if long_allowed:
                    raise QueryTimeout(f"the query ran longer than the {limit:g} s limit and was stopped",
                                       "narrow the pattern, add LIMIT, or run it on a dump (/dumps/) locally")
                raise QueryTimeout(f"the endpoint is busy with long queries: while it is, a query may run {limit:g} s, "
                                   "and this one ran longer and was stopped",
                                   f"try again in a few seconds (the limit is otherwise {limits.timeout_s:g} s)",
                                   retry_after=limits.retry_after_s)
            reply = worker.conn.recv()
        except (EOFError, BrokenPipeError, OSError):
            if worker is not None:
                worker.kill()
            worker = None
            raise CirceError("the query worker stopped unexpectedly", "try again") from None
        finally:
            with self._lock:
                self._long_running -= long_allowed
            if worker is None:
                self._replace()
            else:
                self._idle.put(worker)
        status = reply[0]
        if status == "ok":
            return QueryReply(reply[1], reply[2], reply[3])
        if status == "syntax":
            raise UsageError(f"SPARQL syntax error: {reply[1]}", "check the query near the position given")
        if status == "too-large":
            raise ResultTooLarge(f"the result is larger than the {self.limits.max_result_bytes} byte limit",
                                 "add LIMIT / OFFSET to page through it, or download a dump from /dumps/")
        if status == "not-acceptable":
            offered = SOLUTION_FORMATS if reply[1] == "solutions" else GRAPH_FORMATS
            raise NotAcceptable("none of the media types in Accept can express this result",
                                "accept one of: " + ", ".join(offered))
        raise UsageError(f"the query could not be evaluated: {reply[1]}")

    def _replace(self) -> None:
        """Give a killed worker's slot back with a fresh worker, started and loaded in the background."""
        def start() -> None:
            worker: _Worker | None = None
            try:
                worker = _Worker(self._context)
                self._ready(worker)
            except Exception:  # the slot comes back empty; the next query starts a worker itself
                if worker is not None:
                    worker.kill()
                worker = None
            if self._closed and worker is not None:
                worker.kill()
                worker = None
            self._idle.put(worker)

        threading.Thread(target=start, daemon=True, name="circe-kg-query-restart").start()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                worker.kill()
        for folder in self._snapshots:
            shutil.rmtree(folder, ignore_errors=True)
        self._snapshots.clear()
