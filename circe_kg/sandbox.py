"""Public SPARQL queries run in worker processes that can be killed.

Oxigraph cannot interrupt a query inside the process that runs it: a cross product with COUNT would keep a
core busy long after its client gave up. So the public endpoint hands each query to a worker process that
holds an in-memory copy of the graph; the worker writes the result through a size-capped buffer, and if it
has not answered within the time limit it is killed and replaced. The web server itself never runs a
stranger's query, and keeps answering while a worker is busy or being replaced.

The copy is refreshed when the store's generation (bumped on every write) changes.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from .errors import CirceError, EndpointBusy, NotAcceptable, QueryTimeout, ResultTooLarge, UsageError

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
    """Serve queries over `conn` until the parent goes away: ('load', nquads) and ('query', …)."""
    store = ox.Store()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] == "load":
            store = ox.Store()
            if message[1]:
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
        self._dump_lock = threading.Lock()
        self._dump: tuple[int, bytes] | None = None

    def _current_dump(self) -> tuple[int, bytes]:
        with self._dump_lock:
            generation = self.store.generation
            if self._dump is None or self._dump[0] != generation:
                self._dump = (generation, self.store.dump(ox.RdfFormat.N_QUADS))
            return self._dump

    def _ready(self, worker: _Worker | None) -> _Worker:
        if worker is None or not worker.process.is_alive():
            worker = _Worker(self._context)
        generation, data = self._current_dump()
        if worker.generation != generation:
            worker.conn.send(("load", data))
            worker.conn.recv()
            worker.generation = generation
        return worker

    def run(self, text: str, solution_mime: str | None, graph_mime: str | None,
            default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> QueryReply:
        """Run `text`; the result is serialised in `solution_mime` or `graph_mime` depending on its kind."""
        try:
            slot = self._idle.get(timeout=self.limits.timeout_s)
        except queue.Empty:
            raise EndpointBusy("every query worker is busy", "try again in a few seconds") from None
        worker: _Worker | None = None
        try:
            worker = self._ready(slot)
            worker.conn.send(("query", text, solution_mime, graph_mime, list(default_graphs), list(named_graphs),
                              self.limits.max_result_bytes))
            if not worker.conn.poll(self.limits.timeout_s):
                worker.kill()
                worker = None
                raise QueryTimeout(f"the query ran longer than the {self.limits.timeout_s:g} s limit and was stopped",
                                   "narrow the pattern, add LIMIT, or run it on a dump (/dumps/) locally")
            reply = worker.conn.recv()
        except (EOFError, BrokenPipeError, OSError):
            if worker is not None:
                worker.kill()
            worker = None
            raise CirceError("the query worker stopped unexpectedly", "try again") from None
        finally:
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

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            if worker is not None:
                worker.kill()
