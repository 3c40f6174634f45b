"""Public SPARQL queries run in worker processes that can be killed.

Oxigraph cannot interrupt a query inside the process that runs it: a cross product with COUNT would keep a
core busy long after its client gave up. So the public endpoint hands each query to a worker process that
holds an in-memory copy of the graph; the worker writes the result through a size-capped buffer (an answer over
`stream_after_bytes` goes on to the client in chunks as it is written), and if it has not answered within the
time limit it is killed and replaced. The web server itself never runs a
stranger's query, and keeps answering while a worker is busy or being replaced.

The copy is refreshed when the store's generation (bumped on every write) changes. Of an on-disk store it is a snapshot
(a RocksDB checkpoint: hard links, made in milliseconds) that the workers open read-only, so they share the operating
system's page cache and hold no copy of their own (a copy per worker would cost each of them the store's size in memory,
and the time to load it before the first answer). An in-memory store (tests) still goes to the workers as an N-Quads
dump.

Under load, long queries cannot starve short ones: at most `workers - 1` queries run under the full time limit
at once; a query that starts while they do gets the short `busy_timeout_s` limit (an `ASK {}` still answers,
another heavy query is stopped early); and a query that finds no free worker within `queue_wait_s` is answered
503 with Retry-After at once instead of holding a server thread until one frees up. A killed worker is replaced
in the background, so the next query does not wait for a process to start. tests/test_service_protection.py
checks that an `ASK {}` answers while heavy queries hold the other workers.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import (
    CirceError,
    EndpointBusy,
    NotAcceptable,
    QueryTimeout,
    ResultTooLarge,
    StreamCut,
    UndeclaredPrefix,
    UpdateSentAsQuery,
    UsageError,
)
from ..namespaces import PREFIXES
from ..serialization import RDF_TYPES, RESULTS_TYPES

SOLUTION_FORMATS = {t.mime: t.format for t in RESULTS_TYPES}
GRAPH_FORMATS = {t.mime: t.format for t in RDF_TYPES}

# -- Syntax errors in plain words ------------------------------------------------------------------------------
# Oxigraph's parser reports what its grammar expected at a position ("expected CONSTRUCT", "expected one of
# Prefix not found, ['%'], …"): right, but no help to someone who sent an INSERT to a read-only endpoint or
# forgot a PREFIX line. The two commonest mistakes are recognised from the query's own words (a lexical scan, the
# same on every backend), and the position the parser gives decides whether they are what it stumbled on.

READ_ONLY = "this endpoint is read-only: updates go to POST /update with a write token"
READ_ONLY_HINT = (
    "send the update to /update with 'Authorization: Bearer <token>' (a token the site's data stewards give); "
    "/sparql answers SELECT, ASK, CONSTRUCT and DESCRIBE"
)
UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
# Just enough of SPARQL's lexical structure to tell prefixed names and keywords from what sits inside comments,
# strings, IRIs and variables (as circe_kg.binding does for braces and keywords).
_LEXEME = re.compile(
    r"""
    (?P<comment>\#[^\r\n]*)
  | (?P<long_string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<variable>[?$]\w*)
  | (?P<blank>_:[\w.-]*)
  | (?P<pname>(?:[^\W\d_](?:[\w.-]*[\w-])?)?:(?:[\w.:%-]|\\.)*)
  | (?P<word>[A-Za-z_][\w-]*)
  | (?P<space>\s+)
  | (?P<other>.)
""",
    re.VERBOSE | re.DOTALL,
)
_POSITION = re.compile(r"\bat (\d+):(\d+)")


@dataclass(frozen=True)
class PrefixedName:
    prefix: str
    name: str  # as written, e.g. foo:bar
    start: int  # its offset in the query text


def _lexemes(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, offset) of each lexeme that means something: comments and white space left out."""
    for match in _LEXEME.finditer(text):
        if match.lastgroup not in ("comment", "space"):
            yield match.lastgroup or "other", match.group(), match.start()


def update_keyword(text: str) -> str | None:
    """The update operation `text` starts with after its prologue (INSERT, DROP, WITH…), upper case; None when it
    starts with anything else. A query cannot start with these words, so the answer is never a real query's."""
    for kind, lexeme, _ in _lexemes(text.lstrip("\ufeff")):
        if (kind == "word" and lexeme.upper() in ("PREFIX", "BASE")) or kind in ("pname", "iri"):
            continue  # the prologue: PREFIX name: <iri>, BASE <iri>
        return lexeme.upper() if kind == "word" and lexeme.upper() in UPDATE_WORDS else None
    return None


def undeclared_prefixes(text: str) -> list[PrefixedName]:
    """Every prefixed name of `text` whose prefix no PREFIX line declares, in the order they appear."""
    declared: set[str] = set()
    found: list[PrefixedName] = []
    previous = ""
    for kind, lexeme, start in _lexemes(text):
        if kind == "pname":
            prefix = lexeme.split(":", 1)[0]
            if previous == "PREFIX":
                declared.add(prefix)
            elif prefix not in declared:
                found.append(PrefixedName(prefix, lexeme.rstrip("."), start))
        previous = lexeme.upper() if kind == "word" else kind
    return found


def _offset(text: str, line: int, column: int) -> int:
    """The offset in `text` of a 1-based line and column (in characters, as Oxigraph counts them)."""
    lines = text.split("\n")
    return sum(len(before) + 1 for before in lines[: line - 1]) + column - 1


def undeclared_prefix_error(text: str, prefixed: PrefixedName) -> UndeclaredPrefix:
    """The error for a prefixed name of `text` whose prefix is not declared: where it is, the PREFIX line to add
    (with this site's IRI when it knows the prefix) and the prefixes it knows, whose IRIs /context.jsonld lists."""
    prefix, known = prefixed.prefix, PREFIXES.get(prefixed.prefix)
    line = text.count("\n", 0, prefixed.start) + 1
    column = prefixed.start - text.rfind("\n", 0, prefixed.start)
    declaration = f"PREFIX {prefix}: <{known}>" if known else f"PREFIX {prefix}: <…the namespace IRI…>"
    return UndeclaredPrefix(
        f"prefix {prefix}: is not declared ({prefixed.name} at line {line}, column {column})",
        f"declare it at the top of the query with {declaration}; the prefixes this site knows "
        f"(their IRIs are in /context.jsonld): {', '.join(p + ':' for p in PREFIXES)}",
    )


def explain_syntax_error(text: str, detail: str) -> UsageError:
    """The error to report for `text`, which Oxigraph's parser refused with `detail` ("error at L:C: expected
    …"): an update sent as a query, or the first undeclared prefix when it comes no later than where the parser
    stopped, each said plainly; any other mistake with the parser's own words and position."""
    if update_keyword(text):
        return UpdateSentAsQuery(READ_ONLY, READ_ONLY_HINT)
    position = _POSITION.search(detail)
    undeclared = undeclared_prefixes(text)
    if position and undeclared:
        if undeclared[0].start <= _offset(text, int(position.group(1)), int(position.group(2))):
            return undeclared_prefix_error(text, undeclared[0])
    return UsageError(f"SPARQL syntax error: {detail}", "check the query near the position given")


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0
    max_result_bytes: int = 256 * 1024 * 1024
    workers: int = 3
    busy_timeout_s: float = 1.0  # the limit of a query started while `workers - 1` others run under the full one
    queue_wait_s: float = 1.0  # how long a query waits for a free worker before it is told to come back later
    stream_after_bytes: int = 1024 * 1024  # a bigger answer is streamed (and cut, not refused, past the cap)

    @property
    def retry_after_s(self) -> int:
        """When to come back: a worker is free again within the short limit (and a restart)."""
        return math.ceil(min(self.timeout_s, self.busy_timeout_s)) + 1


class Admission:
    """How long a stranger's query may run, for an engine with `limits.workers` slots: the full time limit while
    fewer than `workers - 1` others run under it, else the short `busy_timeout_s`, so a short query always finds a
    way through. Shared by the sandbox and the forwarder (forwarder.py).

    >>> admission = Admission(Limits(timeout_s=30, workers=2, busy_timeout_s=1))
    >>> admission.admit(), admission.admit()
    ((True, 30), (False, 1))
    >>> admission.done(True); admission.admit()
    (True, 30)
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._long_running = 0  # queries running under the full time limit

    def admit(self) -> tuple[bool, float]:
        """(whether this query runs under the full limit, its limit in seconds); `done` gives it back."""
        with self._lock:
            long_allowed = self._long_running < max(1, self.limits.workers - 1)
            self._long_running += long_allowed
        return long_allowed, self.limits.timeout_s if long_allowed else min(
            self.limits.timeout_s, self.limits.busy_timeout_s
        )

    def done(self, long_allowed: bool) -> None:
        with self._lock:
            self._long_running -= long_allowed

    def busy(self, what: str) -> EndpointBusy:
        """The answer when no slot frees up in `queue_wait_s`: come back later, and when."""
        return EndpointBusy(
            f"every query {what} is busy",
            f"try again in {self.limits.retry_after_s} s",
            retry_after=self.limits.retry_after_s,
        )


@dataclass
class QueryReply:
    kind: str  # "solutions" (SELECT, ASK) or "graph" (CONSTRUCT, DESCRIBE)
    mime: str
    body: bytes
    rest: Iterable[bytes] | None = None  # a streamed answer: what follows `body`, as it comes


# -- What the server and a worker say to each other over their pipe (pickled) ----------------------------------
@dataclass(frozen=True)
class _Open:
    """Read the store snapshot in `folder` (read-only)."""

    folder: str


@dataclass(frozen=True)
class _Load:
    """Hold these N-Quads in memory (a store with no folder)."""

    nquads: bytes


@dataclass(frozen=True)
class _Loaded:
    """The worker's answer to _Open and _Load."""


@dataclass(frozen=True)
class _Query:
    text: str
    solution_mime: str | None
    graph_mime: str | None
    default_graphs: list[str]
    named_graphs: list[str]
    stream_after: int  # bytes kept whole before the answer streams
    cap: int  # bytes past which the answer is refused (or, streaming, cut)


@dataclass(frozen=True)
class _Answer:
    """An answer whole, or (`streaming`) its first part: _Chunk messages follow, then _End or _Failed."""

    kind: str  # "solutions" (SELECT, ASK) or "graph" (CONSTRUCT, DESCRIBE)
    mime: str
    body: bytes
    streaming: bool = False


@dataclass(frozen=True)
class _Chunk:
    data: bytes


@dataclass(frozen=True)
class _End:
    """A streamed answer is complete."""


@dataclass(frozen=True)
class _Failed:
    why: str  # syntax, too-large, not-acceptable (detail: the kind of result), error; cut: a stream stopped
    detail: str


class _ResultWriter:
    """Where a worker's serialiser writes. An answer of up to `stream_after` bytes is kept and sent whole in one
    message (so every error still gets its own status); past that, what was kept goes out at once and the rest
    follows in chunks as it is serialised, so a big answer neither waits nor sits whole in memory. Past `cap`
    it refuses to grow, which stops the serialisation (and the query)."""

    CHUNK = 64 * 1024

    def __init__(self, conn: Connection, kind: str, mime: str, stream_after: int, cap: int) -> None:
        self.conn, self.kind, self.mime, self.stream_after, self.cap = conn, kind, mime, stream_after, cap
        self.size, self.pending, self.streaming = 0, 0, False
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise BufferError(f"result larger than {self.cap} bytes")
        self.parts.append(bytes(data))
        self.pending += len(data)
        if (self.pending >= self.CHUNK) if self.streaming else (self.size > self.stream_after):
            self._send_kept()
        return len(data)

    def flush(self) -> None:
        pass

    def _send_kept(self) -> None:
        body, self.parts, self.pending = b"".join(self.parts), [], 0
        self.conn.send(_Chunk(body) if self.streaming else _Answer(self.kind, self.mime, body, streaming=True))
        self.streaming = True

    def finish(self) -> None:
        if not self.streaming:
            self.conn.send(_Answer(self.kind, self.mime, b"".join(self.parts)))
            return
        if self.parts:
            self._send_kept()
        self.conn.send(_End())


def _worker_main(conn: Connection) -> None:
    """Serve queries over `conn` until the parent goes away: _Open or _Load, then _Query after _Query."""
    store = ox.Store()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if isinstance(message, (_Open, _Load)):
            del store  # let go of the previous snapshot's files before opening the next
            store = ox.Store.read_only(message.folder) if isinstance(message, _Open) else ox.Store()
            if isinstance(message, _Load) and message.nquads:
                store.load(input=message.nquads, format=ox.RdfFormat.N_QUADS)
            conn.send(_Loaded())
            continue
        assert isinstance(message, _Query)
        writer: _ResultWriter | None = None
        try:
            options: dict[str, Any] = {}
            if message.default_graphs:
                options["default_graph"] = [ox.NamedNode(g) for g in message.default_graphs]
            else:
                options["use_default_graph_as_union"] = True
            if message.named_graphs:
                options["named_graphs"] = [ox.NamedNode(g) for g in message.named_graphs]
            result = store.query(message.text, **options)
            fmt: ox.RdfFormat | ox.QueryResultsFormat | None
            if isinstance(result, ox.QueryTriples):
                kind, mime, fmt = "graph", message.graph_mime, GRAPH_FORMATS.get(message.graph_mime or "")
            else:
                kind, mime, fmt = "solutions", message.solution_mime, SOLUTION_FORMATS.get(message.solution_mime or "")
            if fmt is None:
                conn.send(_Failed("not-acceptable", kind))
                continue
            writer = _ResultWriter(conn, kind, mime or "", message.stream_after, message.cap)
            # arg-type: pyoxigraph writes to any object with `write` (its stub names IO[bytes]), and `fmt` is the
            # kind of format `result` takes (RdfFormat for triples, QueryResultsFormat otherwise).
            result.serialize(output=writer, format=fmt)  # type: ignore[arg-type]
            writer.finish()
        except SyntaxError as error:
            conn.send(_Failed("syntax", str(error)))
        except BufferError as error:
            conn.send(_Failed("cut" if writer is not None and writer.streaming else "too-large", str(error)))
        except Exception as error:  # an evaluation error is the query's fault, reported, never fatal
            status = "cut" if writer is not None and writer.streaming else "error"
            conn.send(_Failed(status, f"{type(error).__name__}: {error}"))


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True, name="circe-kg-query")
        self.process.start()
        child.close()
        self.generation: int | None = None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class _Stream:
    """The rest of a streamed answer, read from the worker until its end, the time limit or the cap. Given back to
    the web server as the response body: its close() (called by WSGI servers, and when the client goes away)
    gives the worker back — killed and replaced if the answer did not end."""

    def __init__(self, sandbox: QuerySandbox, worker: _Worker, deadline: float, long_allowed: bool) -> None:
        self._sandbox, self._worker, self._deadline, self._long = sandbox, worker, deadline, long_allowed
        self._released = False

    def __iter__(self) -> Iterator[bytes]:
        worker, ended = self._worker, False
        try:
            while True:
                if not worker.conn.poll(max(0.0, self._deadline - time.monotonic())):
                    raise StreamCut(
                        "the answer was cut: the query ran past its time limit while it was sent",
                        "add LIMIT / OFFSET to page through it, or download a dump from /dumps/",
                    )
                message = worker.conn.recv()
                if isinstance(message, _End):
                    ended = True
                    return
                if not isinstance(message, _Chunk):
                    raise StreamCut(
                        f"the answer was cut part-way: {message.detail if isinstance(message, _Failed) else message}",
                        "add LIMIT / OFFSET to page through it, or download a dump from /dumps/",
                    )
                yield message.data
        except (EOFError, OSError):
            raise StreamCut("the answer was cut: the query worker stopped", "try again") from None
        finally:
            self._finish(ended)

    def _finish(self, ended: bool) -> None:
        if self._released:
            return
        self._released = True
        if not ended:
            self._worker.kill()  # it may still be writing what nobody will read
        self._sandbox._release(self._worker if ended else None, self._long)

    def close(self) -> None:
        self._finish(False)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the worker may be gone already
            self.close()


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
        self._copy: tuple[int, _Open | _Load] | None = None  # (generation, message that loads it)
        self._snapshots: list[Path] = []  # newest last
        self._admission = Admission(self.limits)
        self._closed = False
        self._restarting = 0  # slots being given a fresh worker after a stopped query
        self._running = 0  # slots a query holds
        self._slots_lock = threading.Lock()  # guards the two counts above

    def _current_copy(self) -> tuple[int, _Open | _Load]:
        with self._copy_lock:
            generation = self.store.generation
            if self._copy is None or self._copy[0] != generation:
                self._copy = (generation, self._make_copy())
            return self._copy

    def _make_copy(self) -> _Open | _Load:
        if self.store.path is None:  # in memory, or not an embedded store: a copy of its quads
            return _Load(self.store.dump(ox.RdfFormat.N_QUADS))
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
        return _Open(str(folder / "store"))

    def _ready(self, worker: _Worker | None) -> _Worker:
        if worker is None or not worker.process.is_alive():
            worker = _Worker(self._context)
        generation, message = self._current_copy()
        if worker.generation != generation:
            worker.conn.send(message)
            worker.conn.recv()
            worker.generation = generation
        return worker

    def run(
        self,
        text: str,
        solution_mime: str | None,
        graph_mime: str | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryReply:
        """Run `text`; the result is serialised in `solution_mime` or `graph_mime` depending on its kind."""
        limits = self.limits
        slot = self._take_slot()
        long_allowed, limit = self._admission.admit()  # a worker is kept for short queries
        deadline = time.monotonic() + limit
        worker: _Worker | None = None
        streaming = False
        try:
            worker = self._ready(slot)
            worker.conn.send(
                _Query(
                    text,
                    solution_mime,
                    graph_mime,
                    list(default_graphs),
                    list(named_graphs),
                    limits.stream_after_bytes,
                    limits.max_result_bytes,
                )
            )
            if not worker.conn.poll(limit):
                worker.kill()
                worker = None
                if long_allowed:
                    raise QueryTimeout(
                        f"the query ran longer than the {limit:g} s limit and was stopped",
                        "narrow the pattern, add LIMIT, or run it on a dump (/dumps/) locally",
                    )
                raise QueryTimeout(
                    f"the endpoint is busy with long queries: while it is, a query may run {limit:g} s, "
                    "and this one ran longer and was stopped",
                    f"try again in a few seconds (the limit is otherwise {limits.timeout_s:g} s)",
                    retry_after=limits.retry_after_s,
                )
            reply = worker.conn.recv()
            if isinstance(reply, _Answer) and reply.streaming:
                streaming = True  # the worker and its slot go back when the stream ends
                return QueryReply(reply.kind, reply.mime, reply.body, _Stream(self, worker, deadline, long_allowed))
        except (EOFError, BrokenPipeError, OSError):
            if worker is not None:
                worker.kill()
            worker = None
            raise CirceError("the query worker stopped unexpectedly", "try again") from None
        finally:
            if not streaming:
                self._release(worker, long_allowed)
        if isinstance(reply, _Answer):
            return QueryReply(reply.kind, reply.mime, reply.body)
        assert isinstance(reply, _Failed), reply
        if reply.why == "syntax":
            raise explain_syntax_error(text, reply.detail)
        if reply.why == "too-large":
            raise ResultTooLarge(
                f"the result is larger than the {self.limits.max_result_bytes} byte limit",
                "add LIMIT / OFFSET to page through it, or download a dump from /dumps/",
            )
        if reply.why == "not-acceptable":
            offered = SOLUTION_FORMATS if reply.detail == "solutions" else GRAPH_FORMATS
            raise NotAcceptable(
                "none of the media types in Accept can express this result", "accept one of: " + ", ".join(offered)
            )
        raise UsageError(f"the query could not be evaluated: {reply.detail}")

    def _take_slot(self) -> _Worker | None:
        """A free worker (None: start one), within `queue_wait_s` — or, when no query runs and slots are only being
        given fresh workers (their queries were stopped), as soon as one is ready: the endpoint is not busy then,
        only restarting. Raises EndpointBusy when queries hold the slots."""
        limits = self.limits
        try:
            slot = self._idle.get(timeout=min(limits.queue_wait_s, limits.timeout_s))
        except queue.Empty:
            with self._slots_lock:
                restarting_only = self._restarting and not self._running
            if not restarting_only:
                raise self._admission.busy("worker") from None
            try:
                slot = self._idle.get(timeout=limits.timeout_s)
            except queue.Empty:
                raise self._admission.busy("worker") from None
        with self._slots_lock:
            self._running += 1
        return slot

    def _release(self, worker: _Worker | None, long_allowed: bool) -> None:
        """A query is done with its worker: back to the idle ones, or (None: killed) replaced."""
        self._admission.done(long_allowed)
        if worker is None:
            self._replace()  # counted as restarting before the query stops counting as running
        else:
            self._idle.put(worker)
        with self._slots_lock:
            self._running -= 1

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
            with self._slots_lock:
                self._restarting -= 1

        with self._slots_lock:
            self._restarting += 1
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
