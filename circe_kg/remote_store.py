"""The `Store` interface over any SPARQL 1.1 server (Query + Update protocols), e.g. Oxigraph server or Virtuoso.

What a remote server cannot do the way the embedded store does, and what this module does instead:
- **Parameters** are bound by a `VALUES` block at the top of the query's outermost `WHERE` group, as on every
  backend (binding.py).
- **Prefixes.** The shared prefixes (`namespaces.PREFIXES`) are declared in front of every query.
- **Union default graph.** Named queries read the union of the named graphs. Virtuoso does that by default;
  Oxigraph server needs `--union-default-graph`. Opening the store checks it, and says what to change.
- **All or nothing.** A write is validated before it is sent, then sent as one SPARQL Update request (DROP +
  INSERT DATA per graph). Oxigraph server runs one request as one transaction: a failure leaves the old
  graphs. Virtuoso applies the operations before a failing one and keeps them, so for it (and any server
  not known to be transactional) the graphs' old content is read first, the write goes one graph per
  request, and every graph is put back if one request fails.
  What this does not cover on such a server: a crash of the server in the middle of an update. Then
  `circe-kg restore` brings a graph back from the history. tests/test_backends.py proves both paths.

Errors are typed: an unreachable server is `StoreUnavailable` (HTTP 503, exit code 3) naming the URL; a
refused update is `WriteRefused`; a server that does not answer in time is `QueryTimeout`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import pyoxigraph as ox
import requests

from .binding import Term, query_form, with_values
from .errors import (
    CirceError,
    EndpointBusy,
    NotAcceptable,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    StreamCut,
    UsageError,
    WriteRefused,
)
from .namespaces import GRAPH, PREFIXES
from .ntriples import NTriples
from .sandbox import GRAPH_FORMATS, SOLUTION_FORMATS, Limits, QueryReply, explain_syntax_error
from .serialization import serialize
from .store import ChangeJournal, QueryResult, Write, change_of_write, listed_write, replace_graphs_update

GRAPH_BASE = str(GRAPH)
PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
SOLUTIONS_ACCEPT = "application/sparql-results+json"  # (Oxigraph's XML results reader trims literals)
TRIPLES_ACCEPT = "application/n-triples"
PART_TRIPLES = 500  # triples a request adds on a server that does not run a request as one transaction
_VIRTUOSO_BNODE = re.compile(rb'("type": ?"bnode", ?"value": ?")nodeID://')


class RemoteStore:
    """A SPARQL 1.1 server as the store. Reads go to `query_url`, writes to `update_url`; `user`/`password`
    (Basic or Digest, whichever the server asks for) are sent only when the server asks."""

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout_s: float = 60.0,
        local_folder: Path | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.timeout_s = timeout_s
        self.generation = 0
        self._journal = ChangeJournal()  # this process's writes only; others' are not seen (nor by the caches)
        self.path = None  # no folder of its own: not an embedded store
        self.local_folder = local_folder
        self._credentials = (user, password or "") if user else None
        self._auth: requests.auth.AuthBase | None = None
        self._sessions = threading.local()
        self._check_reachable_and_union()

    # -- HTTP ------------------------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        return session  # type: ignore[no-any-return]

    def _post(
        self,
        url: str,
        data: dict[str, Any],
        accept: str,
        *,
        stream: bool = False,
        timeout_s: float | None = None,
        auth: bool = False,
    ) -> requests.Response:
        try:
            response = self._session().post(
                url,
                data=data,
                headers={"Accept": accept},
                stream=stream,
                timeout=(5, timeout_s or self.timeout_s),
                auth=self._auth if auth else None,
            )
            if response.status_code == 401 and auth and self._credentials and self._auth is None:
                challenge = response.headers.get("WWW-Authenticate", "")
                self._auth = (
                    requests.auth.HTTPDigestAuth(*self._credentials)
                    if "digest" in challenge.lower()
                    else requests.auth.HTTPBasicAuth(*self._credentials)
                )
                return self._post(url, data, accept, stream=stream, timeout_s=timeout_s, auth=True)
            return response
        except requests.Timeout:
            raise QueryTimeout(
                f"the SPARQL server at {url} did not answer within {timeout_s or self.timeout_s:g} s",
                "try again; if it persists the server is overloaded or the query too heavy",
            ) from None
        except requests.ConnectionError as error:
            raise StoreUnavailable(
                f"cannot reach the SPARQL server at {url}: {_reason(error)}",
                "start the server, or check --endpoint / CIRCE_KG_ENDPOINT",
            ) from None

    def _check_reachable_and_union(self) -> None:
        response = self._post(self.query_url, {"query": "ASK { ?s ?p ?o }"}, SOLUTIONS_ACCEPT, timeout_s=10)
        # Oxigraph runs each update request as one transaction; for any other server circe-kg does not
        # assume it (Virtuoso keeps the operations before a failing one), and undoes a failed write itself.
        self.atomic_updates = response.headers.get("Server", "").startswith("Oxigraph/")
        # Virtuoso 7 keeps typed numbers as SQL values: "18000.00"^^xsd:decimal comes back as
        # "18000"^^xsd:integer, "1"^^xsd:positiveInteger as true. The write gate then validates against its
        # own record of what it wrote (the history) instead of what the server hands back.
        self.faithful_literals = not response.headers.get("Server", "").startswith("Virtuoso/")
        if response.status_code != 200:
            raise StoreUnavailable(
                f"{self.query_url} is not a SPARQL endpoint: it answered HTTP "
                f"{response.status_code} to ASK {{ ?s ?p ?o }}",
                "give the server's query URL, e.g. http://host:7878/query for Oxigraph "
                "or http://host:8890/sparql for Virtuoso",
            )
        try:
            default_has_triples = bool(ox.parse_query_results(response.content, ox.QueryResultsFormat.JSON))
        except SyntaxError:
            content_type = response.headers.get("Content-Type", "no type")
            raise StoreUnavailable(
                f"{self.query_url} is not a SPARQL endpoint: it answered ASK {{ ?s ?p ?o }} with {content_type}, "
                "not SPARQL results",
                "give the server's query URL, e.g. http://host:7878/query for Oxigraph "
                "or http://host:8890/sparql for Virtuoso",
            ) from None
        if not default_has_triples and self.count() > 0:
            raise StoreUnavailable(
                f"the SPARQL server at {self.query_url} does not query the union of its named graphs by default",
                "start Oxigraph server with --union-default-graph (Virtuoso does this by default)",
            )

    # -- reads -----------------------------------------------------------------------------------------------
    def _select(self, sparql: str) -> ox.QuerySolutions:
        result = self.query(sparql)
        assert isinstance(result, ox.QuerySolutions)
        return result

    def named_graphs(self) -> list[str]:
        rows = self._select(
            f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}")) }}'
        )
        return sorted(row["g"].value for row in rows)

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is None:
            pattern = f'GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}"))'
        else:
            pattern = f"GRAPH {ox.NamedNode(graph_iri)} {{ ?s ?p ?o }}"
        rows = list(self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"))
        return int(rows[0]["n"].value) if rows else 0

    def triples(self, graph_iri: str) -> Iterator[ox.Triple]:
        result = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(graph_iri)} {{ ?s ?p ?o }} }}")
        assert isinstance(result, list)
        return iter(result)

    def quads_matching(self, subject: object, predicate: object, obj: object) -> None:
        """None: a SPARQL server cannot be asked about one blank node (in a query it is a new one)."""
        return None

    def query(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all graphs, with parameters bound by VALUES (never pasted)."""
        return self.read_answer(sparql, self.answer_bytes(sparql, substitutions))

    def answer_bytes(self, sparql: str, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> bytes:
        """The server's answer to `sparql`, unread: SPARQL JSON results, or N-Triples for CONSTRUCT/DESCRIBE.
        Any thread may fetch it; `read_answer` reads it in the thread that will use the result (pyoxigraph's
        solutions may not be dropped by another thread)."""
        text = PROLOGUE + with_values(sparql, substitutions)
        graph_result = query_form(sparql) in ("CONSTRUCT", "DESCRIBE")
        response = self._post(self.query_url, {"query": text}, TRIPLES_ACCEPT if graph_result else SOLUTIONS_ACCEPT)
        if response.status_code != 200:
            raise _server_error(self.query_url, response)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if graph_result and content_type == "text/turtle":
            try:
                return ox.serialize(ox.parse(response.content, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_QUADS)
            except SyntaxError as error:
                raise StoreUnavailable(
                    f"the SPARQL server at {self.query_url} sent Turtle that cannot be read: {error}"
                ) from None
        if not graph_result and content_type not in ("application/sparql-results+json", "application/json"):
            raise StoreUnavailable(
                f"the SPARQL server at {self.query_url} sent {content_type or 'an answer without a type'}, "
                "not SPARQL JSON results",
                "check that the URL is the server's SPARQL query endpoint",
            )
        # Virtuoso names blank nodes nodeID://b123, which is not a blank node label.
        return response.content if graph_result else _VIRTUOSO_BNODE.sub(rb"\1b", response.content)

    def read_answer(self, sparql: str, content: bytes) -> QueryResult:
        """Read what `answer_bytes` fetched: triples, a boolean, or solutions."""
        try:
            if query_form(sparql) in ("CONSTRUCT", "DESCRIBE"):
                return [quad.triple for quad in ox.parse(content, format=ox.RdfFormat.N_QUADS)]
            return ox.parse_query_results(content, ox.QueryResultsFormat.JSON)
        except SyntaxError as error:
            if "cancelled" in str(error):  # Oxigraph server ends the answer so when its time limit strikes
                raise QueryTimeout(
                    f"the SPARQL server at {self.query_url} stopped the query at its time limit",
                    "narrow the pattern, or raise the server's limit (oxigraph serve --timeout-s)",
                ) from None
            raise StoreUnavailable(
                f"the SPARQL server at {self.query_url} sent an answer that cannot be read: {error}"
            ) from None

    def dump(self, rdf_format: ox.RdfFormat, graph_iri: str | None = None, output: BinaryIO | None = None) -> bytes:
        # The server's answer is read whole (SPARQL JSON results), then written: a dump of a big server is best
        # taken with the server's own tools.
        if graph_iri is not None:
            data = serialize(self.triples(graph_iri), rdf_format)
        elif rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            rows = self._select(
                f'SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}")) }}'
            )
            quads = [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]  # type: ignore[arg-type]
            data = ox.serialize(quads, format=rdf_format) or b""
        else:
            result = self.query(
                "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
                f'FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}")) }}'
            )
            assert isinstance(result, list)
            data = serialize(result, rdf_format)
        if output is None:
            return data
        output.write(data)
        return b""

    # -- writes ----------------------------------------------------------------------------------------------
    def _update(self, sparql: str) -> None:
        response = self._post(self.update_url, {"update": sparql}, "*/*", auth=True, timeout_s=max(self.timeout_s, 600))
        if response.status_code in (401, 403):
            raise WriteRefused(
                f"the SPARQL server at {self.update_url} refused the update "
                f"(HTTP {response.status_code}); nothing was changed",
                "give circe-kg an account with update rights: CIRCE_KG_ENDPOINT_USER and "
                "CIRCE_KG_ENDPOINT_PASSWORD (Virtuoso: updates go to /sparql-auth)",
            )
        if response.status_code >= 300:
            raise _server_error(self.update_url, response, writing=True)
        self.generation += 1

    def changed_subjects(self, since: int) -> set[str] | None:
        return self._journal.since(since, self.generation)

    def changed_triples(self, since: int) -> set[ox.Triple] | None:
        return self._journal.triples_since(since, self.generation)

    def replace_graphs(
        self, graphs: Mapping[str, Iterable[ox.Triple] | None], append: Mapping[str, Iterable[ox.Triple]] | None = None
    ) -> None:
        self._write(listed_write(graphs, append))

    def drop_graphs(self, graph_iris: Iterable[str]) -> None:
        self._write(({iri: None for iri in graph_iris}, {}))  # None: drop the graph

    def _write(self, write: Write) -> None:
        graphs, append = write
        if not graphs and not any(append.values()):
            return
        if self.atomic_updates:
            touched = change_of_write(self.triples, write)
            self._update(replace_graphs_update(graphs, append))
            self._journal.record(self.generation, touched)
            return
        # A server that may apply part of a failed update (Virtuoso does): keep what the graphs hold now, and
        # put it back if the update fails, so the failure still leaves the old state. Such a server gains nothing
        # from one request per write, and Virtuoso refuses a request whose SQL would pass 10,000 lines (a graph of
        # 2,000 labels did): the graphs go a part at a time, and are put back the same way.
        before = {iri: list(self.triples(iri)) or None for iri in {*graphs, *append}}
        touched = change_of_write(before.get, write)
        try:
            for iri, triples in graphs.items():
                self._replace_in_parts(iri, triples)
            for iri, triples in append.items():
                self._replace_in_parts(iri, triples, append=True)
        except CirceError as failure:
            try:
                for iri, old in before.items():
                    self._replace_in_parts(iri, None if old is None else NTriples.of(old))
            except CirceError:
                raise StoreUnavailable(
                    f"the update failed part-way and the previous content could not be put back: "
                    f"{', '.join(sorted(before))} may be mixed ({failure.message})",
                    "bring each back with `circe-kg restore GRAPH --to VERSION` (see `circe-kg query history`)",
                ) from None
            raise
        self._journal.record(self.generation, touched)

    def _replace_in_parts(self, iri: str, triples: NTriples | None, append: bool = False) -> None:
        """Graph `iri` replaced by `triples` (None: dropped), or `triples` added to it, a part of at most
        PART_TRIPLES triples a request (every triple with a blank node in the first part, so a node stays one)."""
        if triples is None:
            self._update(replace_graphs_update({iri: None}))
            return
        parts = triples.parts(-(-len(triples) // PART_TRIPLES)) if triples else [b""]
        first = NTriples(parts[0])
        self._update(replace_graphs_update({}, {iri: first}) if append else replace_graphs_update({iri: first}))
        for part in parts[1:]:
            self._update(replace_graphs_update({}, {iri: NTriples(part)}))

    def close(self) -> None:
        session = getattr(self._sessions, "session", None)
        if session is not None:
            session.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused (is the server running?)"
    if "Name or service not known" in text or "NameResolution" in text:
        return "unknown host name"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the server closed the connection"
    return text.split(":")[-1].strip(" ')\"") or type(error).__name__


def _server_error(url: str, response: requests.Response, writing: bool = False) -> CirceError:
    body = re.sub(r"\s+", " ", response.text)[:500]
    what = "update" if writing else "query"
    if re.search(r"estimated execution time|timeout|timed out", body, re.IGNORECASE):
        return QueryTimeout(
            f"the SPARQL server at {url} stopped the {what} at its time limit: {body}",
            "narrow the pattern, add LIMIT, or run it on a dump (/dumps/)",
        )
    if response.status_code == 400:
        return UsageError(
            f"the SPARQL server at {url} rejected the {what}: {body}",
            "nothing was changed" if writing else "check the query",
        )
    return StoreUnavailable(
        f"the SPARQL server at {url} failed the {what} (HTTP {response.status_code}): {body}",
        ("nothing was changed; " if writing else "") + "see the server's log",
    )


def local_folder_for(query_url: str, root: Path) -> Path:
    """A folder under `root` for what circe-kg keeps beside a remote store (history, dumps, search index)."""
    parts = urlsplit(query_url)
    return root / "remote" / re.sub(r"[^A-Za-z0-9.-]+", "-", f"{parts.hostname}-{parts.port or 80}{parts.path}")


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
        self._lock = threading.Lock()
        self._long_running = 0

    def run(
        self,
        text: str,
        solution_mime: str | None,
        graph_mime: str | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryReply:
        if not self._slots.acquire(timeout=min(self.limits.queue_wait_s, self.limits.timeout_s)):
            raise EndpointBusy(
                "every query slot is busy",
                f"try again in {self.limits.retry_after_s} s",
                retry_after=self.limits.retry_after_s,
            )
        with self._lock:
            long_allowed = self._long_running < max(1, self.limits.workers - 1)
            self._long_running += long_allowed
        released = False

        def release() -> None:  # once: when the answer is read whole, or when its stream ends
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                self._long_running -= long_allowed
            self._slots.release()

        reply: QueryReply | None = None
        try:
            limit = self.limits.timeout_s if long_allowed else min(self.limits.timeout_s, self.limits.busy_timeout_s)
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
        data: dict[str, Any] = {"query": text}
        if default_graphs:
            data["default-graph-uri"] = list(default_graphs)
        if named_graphs:
            data["named-graph-uri"] = list(named_graphs)
        started = time.monotonic()
        try:  # parse here, so every backend reports a syntax error (or an update sent as a query) the same way
            ox.Store().query(text)  # an empty store: parsing only, nothing is evaluated until iterated
        except SyntaxError as error:
            raise explain_syntax_error(text, str(error)) from None  # an undeclared prefix said plainly, too
        response = self.store._post(self.store.query_url, data, accept, stream=True, timeout_s=timeout_s)
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
                raise _server_error(self.store.query_url, response)
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
