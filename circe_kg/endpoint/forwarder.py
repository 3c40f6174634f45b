"""The public /sparql over a SPARQL server: a stranger's query is forwarded to the server (which enforces its own
limits, e.g. `oxigraph serve --timeout-s`) under circe-kg's time limit and result-size cap, and the answer streamed
back; at most `workers` at once, and at most `workers - 1` under the full time limit, as in the sandbox."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pyoxigraph as ox
import requests

from ..errors import (
    CirceError,
    NotAcceptable,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    StreamCut,
    UsageError,
)
from ..store.remote import FormData, RemoteStore, server_error
from .sandbox import GRAPH_FORMATS, SOLUTION_FORMATS, Admission, Limits, QueryReply, explain_syntax_error


class _ForwardedAnswer:
    """A SPARQL server's answer read in chunks under circe-kg's time limit and size cap. Before it is handed on
    as a stream, going past a limit is an error with its own status; after, the stream is cut (StreamCut)."""

    def __init__(self, response: requests.Response, deadline: float, cap: int, url: str) -> None:
        self.response, self.deadline, self.cap, self.url = response, deadline, cap, url
        self.size = 0
        self._chunks = response.iter_content(64 * 1024)
        self._streaming = False

    def chunks(self) -> Iterator[bytes]:
        try:
            for chunk in self._chunks:
                self.size += len(chunk)
                if self.size > self.cap:
                    raise self._cut(
                        ResultTooLarge(
                            f"the result is larger than the {self.cap} byte limit",
                            "add LIMIT / OFFSET to page through it, or download a dump",
                        )
                    )
                if time.monotonic() > self.deadline:
                    raise self._cut(
                        QueryTimeout(
                            "the query ran longer than its time limit",
                            "narrow the pattern, add LIMIT, or run it on a dump (/dumps/)",
                        )
                    )
                yield chunk
        except requests.RequestException:
            raise self._cut(
                StoreUnavailable(f"the SPARQL server at {self.url} stopped answering mid-way", "try again")
            ) from None

    def _cut(self, error: CirceError) -> CirceError:
        return StreamCut(f"the answer was cut part-way: {error.message}", error.hint) if self._streaming else error

    def rest(self, release: Callable[[], None]) -> _ForwardedStream:
        self._streaming = True
        return _ForwardedStream(self, release)


class _ForwardedStream:
    """The rest of a streamed answer; closing it (the WSGI server does, also when the client goes away) closes the
    connection to the SPARQL server and gives the query slot back."""

    def __init__(self, answer: _ForwardedAnswer, release: Callable[[], None]) -> None:
        self._answer, self._release = answer, release

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._answer.chunks()
        finally:
            self.close()

    def close(self) -> None:
        self._answer.response.close()
        self._release()


class RemoteQueryProxy:
    """The public /sparql over a remote store: strangers' queries are forwarded to the server (which enforces
    its own limits, e.g. `oxigraph serve --timeout-s`), with circe-kg's time limit and result-size cap."""

    def __init__(self, store: RemoteStore, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        # Strangers' queries hold a web server thread while the SPARQL server works: at most `workers` of them at
        # once, so heavy queries cannot take every thread and stall the pages; and, as in the embedded store's
        # sandbox, at most `workers - 1` under the full time limit, so a short query always finds a way through.
        self._slots = threading.BoundedSemaphore(max(1, limits.workers))
        self._admission = Admission(limits)
        self._lock = threading.Lock()

    def run(
        self,
        text: str,
        solution_mime: str | None,
        graph_mime: str | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryReply:
        if not self._slots.acquire(timeout=min(self.limits.queue_wait_s, self.limits.timeout_s)):
            raise self._admission.busy("slot")
        long_allowed, limit = self._admission.admit()
        released = False

        def release() -> None:  # once: when the answer is read whole, or when its stream ends
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
            self._admission.done(long_allowed)
            self._slots.release()

        reply: QueryReply | None = None
        try:
            reply = self._forward(text, solution_mime, graph_mime, default_graphs, named_graphs, limit, release)
            return reply
        finally:
            if reply is None or reply.rest is None:
                release()

    def _forward(
        self,
        text: str,
        solution_mime: str | None,
        graph_mime: str | None,
        default_graphs: Sequence[str],
        named_graphs: Sequence[str],
        timeout_s: float,
        release: Callable[[], None],
    ) -> QueryReply:
        accept = ", ".join(m for m in (solution_mime, graph_mime) if m) or "*/*"
        data: FormData = {"query": text}
        if default_graphs:
            data["default-graph-uri"] = list(default_graphs)
        if named_graphs:
            data["named-graph-uri"] = list(named_graphs)
        started = time.monotonic()
        try:  # parse here, so every backend reports a syntax error (or an update sent as a query) the same way
            ox.Store().query(text)  # an empty store: parsing only, nothing is evaluated until iterated
        except SyntaxError as error:
            raise explain_syntax_error(text, str(error)) from None  # an undeclared prefix said plainly, too
        response = self.store.forward(data, accept, timeout_s)
        streaming = False
        try:
            if response.status_code == 400:
                body = re.sub(r"\s+", " ", response.text)[:500]
                raise UsageError(
                    f"SPARQL syntax error (reported by the SPARQL server): {body}",
                    "check the query near the position given",
                )
            if response.status_code == 406:
                raise NotAcceptable(
                    "none of the media types in Accept can express this result",
                    "accept one of: " + ", ".join([*SOLUTION_FORMATS, *GRAPH_FORMATS]),
                )
            if response.status_code != 200:
                raise server_error(self.store.query_url, response)
            mime = response.headers.get("Content-Type", "").split(";")[0].strip()
            kind = "graph" if mime in GRAPH_FORMATS else "solutions"
            answer = _ForwardedAnswer(response, started + timeout_s, self.limits.max_result_bytes, self.store.query_url)
            chunks = []
            for chunk in answer.chunks():  # kept whole up to stream_after_bytes (exact statuses), then streamed
                chunks.append(chunk)
                if answer.size > self.limits.stream_after_bytes:
                    streaming = True
                    return QueryReply(kind, mime, b"".join(chunks), answer.rest(release))
        finally:
            if not streaming:
                response.close()
        return QueryReply(kind, mime, b"".join(chunks))

    def close(self) -> None:
        pass
