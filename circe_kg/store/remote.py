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
- **Answers as SPARQL writes them.** Virtuoso names blank nodes `nodeID://b1`, writes true as
  "1"^^xsd:boolean, and answers a VALUES list holding an IRI that matches nothing with the rows of every
  resource; its answers are put right here (`virtuoso_answer`), so no caller knows which server it asked.

Errors are typed: an unreachable server is `StoreUnavailable` (HTTP 503, exit code 3) naming the URL; a
refused update is `WriteRefused`; a server that does not answer in time is `QueryTimeout`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import pyoxigraph as ox
import requests

from ..binding import Term, query_form, with_values
from ..errors import CirceError, QueryTimeout, StoreUnavailable, UsageError, WriteRefused
from ..namespaces import GRAPH, PREFIXES, XSD
from ..ntriples import NTriples
from ..serialization import serialize
from .base import (
    ChangeJournal,
    OneWriteAtATime,
    QueryResult,
    Write,
    change_of_write,
    replace_graphs_update,
)

GRAPH_BASE = str(GRAPH)
PROLOGUE = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in PREFIXES.items())
SOLUTIONS_ACCEPT = "application/sparql-results+json"  # (Oxigraph's XML results reader trims literals)
TRIPLES_ACCEPT = "application/n-triples"
PART_TRIPLES = 500  # triples a request adds on a server that does not run a request as one transaction
_VIRTUOSO_BNODE = re.compile(rb'("type": ?"bnode", ?"value": ?")nodeID://')
_BOOLEAN = str(XSD.boolean)
_CANONICAL_BOOLEANS = {"1": "true", "0": "false"}
FormData = dict[str, str | list[str]]  # a SPARQL protocol request's form fields (a list: the field repeated)


class RemoteStore(OneWriteAtATime):
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
        self.path: Path | None = None  # no folder of its own: not an embedded store
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
        return session

    def _post(
        self,
        url: str,
        data: FormData,
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

    query_engine = "server"  # strangers' queries are forwarded to the server, which enforces its own limits

    def answers_max_age(self, configured: float) -> float:
        return configured  # other programs may write the server: answers expire

    def missing_sources(self) -> list[str]:
        return []

    def forget_missing(self) -> None:
        pass

    def forward(self, data: FormData, accept: str, timeout_s: float) -> requests.Response:
        """POST a stranger's request to the query URL as it is, the answer left to stream (endpoint.forwarder).
        Raises StoreUnavailable or QueryTimeout."""
        return self._post(self.query_url, data, accept, stream=True, timeout_s=timeout_s)

    def _check_reachable_and_union(self) -> None:
        response = self._post(self.query_url, {"query": "ASK { ?s ?p ?o }"}, SOLUTIONS_ACCEPT, timeout_s=10)
        # Oxigraph runs each update request as one transaction; for any other server circe-kg does not
        # assume it (Virtuoso keeps the operations before a failing one), and undoes a failed write itself.
        self.atomic_updates = response.headers.get("Server", "").startswith("Oxigraph/")
        # Virtuoso 7 keeps typed numbers as SQL values: "18000.00"^^xsd:decimal comes back as
        # "18000"^^xsd:integer, "1"^^xsd:positiveInteger as true. The write gate then validates against its
        # own record of what it wrote (the history) instead of what the server hands back.
        self.virtuoso = response.headers.get("Server", "").startswith("Virtuoso/")
        self.faithful_literals = not self.virtuoso
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
            raise server_error(self.query_url, response)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if graph_result and content_type == "text/turtle":
            try:
                quads = ox.parse(response.content, format=ox.RdfFormat.TURTLE)
                return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
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
        if graph_result:
            return response.content
        return virtuoso_answer(response.content, substitutions) if self.virtuoso else response.content

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
            quads = [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]
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
            raise server_error(self.update_url, response, writing=True)
        self.generation += 1

    def changed_subjects(self, since: int) -> set[str] | None:
        return self._journal.since(since, self.generation)

    def changed_triples(self, since: int) -> set[ox.Triple] | None:
        return self._journal.triples_since(since, self.generation)

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


def server_error(url: str, response: requests.Response, writing: bool = False) -> CirceError:
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


def virtuoso_answer(content: bytes, substitutions: Mapping[str, Term | Sequence[Term]] | None = None) -> bytes:
    """Virtuoso's SPARQL JSON results as the specification writes them: blank nodes `nodeID://b1` → `b1`, booleans
    "1"/"0" → "true"/"false", and only the rows whose IRI parameters have the IRIs they were bound to (VALUES joins
    the query's outermost group, so a row with another IRI there is Virtuoso's mistake, not an answer).

    >>> answer = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "typed-literal", '
    >>> answer += b'"datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1"}}]}}'
    >>> b'"true"' in virtuoso_answer(answer)
    True
    """
    content = _VIRTUOSO_BNODE.sub(rb"\1b", content)
    bound = {}
    for name, terms in (substitutions or {}).items():
        listed = terms if isinstance(terms, (list, tuple)) else [terms]
        iris = [term.value for term in listed if isinstance(term, ox.NamedNode)]
        if len(iris) == len(listed):  # IRIs only
            bound[name] = set(iris)
    if b"XMLSchema#boolean" not in content and not bound:
        return content
    answer = json.loads(content)
    if "results" not in answer:  # ASK
        return content
    rows = []
    for row in answer["results"]["bindings"]:
        if any(
            row.get(name, {}).get("type") == "uri" and row[name]["value"] not in values
            for name, values in bound.items()
        ):
            continue
        for term in row.values():
            if term.get("datatype") == _BOOLEAN and term.get("value") in _CANONICAL_BOOLEANS:
                term["value"] = _CANONICAL_BOOLEANS[term["value"]]
        rows.append(row)
    answer["results"]["bindings"] = rows
    return json.dumps(answer).encode()
