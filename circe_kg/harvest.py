"""Harvesting: a hub copies other catalogues' published RDF dumps into named graphs of its own, as data.europa.eu
aggregates national catalogues, instead of asking the sources live (store/federated.py asks them live).

`harvest(gate, source, limits, agent)` reads one source's DCAT-AP catalogue (a circe-kg's `/void`, or any
catalogue in an RDF syntax rdflib reads) and picks one RDF dump among its distributions: N-Quads first, then TriG,
N-Triples, Turtle; of one syntax the uncompressed, then the biggest, then the shortest URL (a circe-kg lists its
whole N-Quads dump beside a sourced-only one). It downloads the dump streamed to a temporary file within the size
and time limits, checks its SHA-256 against the catalogue's `spdx:checksumValue`, parses it, keeps its data graphs
(not the source's ontology, shapes or history: `rdf_files.kind_of_graph`) and writes those that differ from the
copy held through the write gate, in one commit, validated against this store's shapes and recorded as operation
"harvest" with the dump's URL (`circe:uploadFileName`), its checksum (`circe:uploadChecksum`) and the catalogue
that listed it (`prov:used`, a `dcat:Catalog`), besides the time and agent of every change.

Where a source's graphs go (`target_graph`), all under one prefix per source, so that a harvest replaces exactly
that source's graphs and drops the ones the source no longer has, in the same commit:

    https://w3id.org/circe-kg/graph/data/harvested/{source}/{path}

- `{source}`: the name given as `NAME=URL`, else made from the URL's host, port and path (`source_name`);
- `{path}`: for a source graph `https://w3id.org/circe-kg/graph/data/practices` its rest, `practices`; for any
  other graph IRI `other/{slug}-{hash}` (the slug for people, 8 hex digits of its SHA-256 so that two IRIs with the
  same slug stay apart); for the triples of a dump without named graphs (N-Triples, Turtle) `default`.

Harvesting again writes nothing when the source's dump has the checksum of the last write to its graphs, and that
write was a harvest (queries/app/harvest-last-change.rq): with a checksum in the catalogue, the dump is then not
even downloaded. A graph edited on the hub since is replaced by the next harvest. A new dump whose data graphs are
those held (a source whose history alone changed) writes nothing either, and is downloaded again next time.

Every failure is a CirceError naming the address and what to do, and leaves the store as it was:
SourceUnavailable (exit 3: the source did not answer, answered an HTTP error, too slowly, or in a redirect loop),
SourceRefused (exit 1: what it answered is not a catalogue, lists no dump, is too big, fails its checksum, does not
parse) and ValidationFailed (exit 1, the report), UsageError (exit 2: a URL that is not http(s), or that points at
a private or loopback address without `allow_private`).
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import rdflib
import requests
import urllib3
from rdflib.namespace import DCAT, RDF
from requests.adapters import DEFAULT_POOLBLOCK

from . import queries
from .errors import EXIT_INVALID_DATA, EXIT_STORE, CirceError, UsageError
from .namespaces import GRAPH
from .ntriples import NTriples
from .rdf_files import kind_of_graph
from .serialization import ANY_RDF, Output
from .writing.gate import Change, WriteGate

HARVESTED = f"{GRAPH}data/harvested/"
OPERATION = "harvest"
DEFAULT_MAX_BYTES = 2_000_000_000  # a dump, and a compressed dump's content once unpacked
DEFAULT_TIMEOUT_S = 30.0  # to connect, for each wait for more bytes, and for the whole catalogue
DEFAULT_MAX_TIME_S = 1800.0  # for the whole dump
CATALOGUE_MAX_BYTES = 16 * 1024 * 1024  # a catalogue lists files; one this big is not a catalogue
MAX_REDIRECTS = 5
CHUNK = 1024 * 1024

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
IANA = "https://www.iana.org/assignments/media-types/"

# Catalogue media types: each parsed by Oxigraph, which fetches nothing (a JSON-LD remote @context is refused, an
# RDF/XML external entity not read), then read with rdflib from the N-Triples it makes.
CATALOGUE_TYPES = {t.mime: t.format for t in ANY_RDF.values()} | {
    "application/x-turtle": ox.RdfFormat.TURTLE,  # the older names some servers still send
    "application/xml": ox.RdfFormat.RDF_XML,
    "text/xml": ox.RdfFormat.RDF_XML,
    "text/n3": ox.RdfFormat.N3,
}
CATALOGUE_ACCEPT = (
    "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, application/n-triples;q=0.7, "
    "application/trig;q=0.6, application/n-quads;q=0.6, text/n3;q=0.5"
)
# Dump media types, most preferred first: those that keep named graphs before those that merge them.
DUMP_TYPES = {
    m: ANY_RDF[m].format for m in ("application/n-quads", "application/trig", "application/n-triples", "text/turtle")
}
# For a void:dataDump no distribution describes.
DUMP_SUFFIXES = {f".{ANY_RDF[mime].extension}": mime for mime in DUMP_TYPES}
GZIP_TYPES = {"application/gzip", "application/x-gzip"}
BINARY_TYPES = {"application/octet-stream", "binary/octet-stream"}


class SourceUnavailable(CirceError):
    """The source did not answer, answered an HTTP error, answered too slowly, or redirected in a loop: nothing was
    read from it, nothing written. Trying again later may help."""

    status = 502
    exit_code = EXIT_STORE
    kind = "source-unavailable"


class SourceRefused(CirceError):
    """The source answered, but not with what can be harvested (not a catalogue, no dump, too big, a checksum that
    does not match, a dump that does not parse): nothing was written."""

    status = 422
    exit_code = EXIT_INVALID_DATA
    kind = "source-refused"


@dataclass(frozen=True)
class Limits:
    """How far a harvest goes before it gives up: bytes, seconds, and whether it may reach private addresses or
    accept a dump the catalogue gives no checksum for."""

    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_time_s: float = DEFAULT_MAX_TIME_S
    allow_private: bool = False
    require_checksum: bool = True


@dataclass(frozen=True)
class Source:
    """One source to harvest: its name (the graphs' path segment), the URL as given, and its catalogue's URL."""

    name: str
    url: str
    catalogue_url: str

    @property
    def prefix(self) -> str:
        return f"{HARVESTED}{self.name}/"


@dataclass(frozen=True)
class Dump:
    """A distribution of the catalogue that is an RDF dump."""

    url: str
    media_type: str
    compressed: bool
    byte_size: int | None
    sha256: str | None


@dataclass
class Outcome:
    """What one harvest did: the change it wrote, or the version it found the source unchanged since."""

    source: Source
    dump: Dump
    sha256: str
    change: Change | None = None
    unchanged_since: int | None = None
    graphs: dict[str, int] = field(default_factory=dict)  # target graph → triples written
    dropped: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # graphs the dump holds as they are held here: not written
    shared: list[str] = field(default_factory=list)  # the hub's own reference graphs, held alike: not copied

    def to_text(self) -> str:
        if self.change is None and self.unchanged_since is None:
            return (
                f"unchanged: {self.source.name} ({self.source.catalogue_url}): its new dump {self.dump.url} "
                f"(sha256 {self.sha256[:12]}…) holds the {len(self.same) + len(self.shared)} data graph(s) held here "
                "as they are; "
                "nothing was written"
            )
        if self.change is None:
            return (
                f"unchanged: {self.source.name} ({self.source.catalogue_url}): its dump {self.dump.url} has the "
                f"checksum {self.sha256[:12]}… of version {self.unchanged_since}; nothing was written"
            )
        lines = [
            f"harvested {self.source.name} ({self.source.catalogue_url}) from {self.dump.url} "
            f"(sha256 {self.sha256[:12]}…) as version {self.change.number}:"
        ]
        by_graph = {g.graph: g for g in self.change.graphs}
        for graph, triples in sorted(self.graphs.items()):
            change = by_graph[graph]
            lines.append(f"  {triples:>8} triples -> <{graph}> (+{change.added} / -{change.removed})")
        lines += [f"  dropped <{graph}> (the source no longer has it)" for graph in self.dropped]
        if self.same:
            lines.append(f"  {len(self.same)} graph(s) unchanged")
        if self.shared:
            lines.append(f"  {len(self.shared)} graph(s) not copied: held here already, alike (shared reference data)")
        return "\n".join(lines)


# -- naming -------------------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def source_name(url: str) -> str:
    """The default name of a source: its URL's host, port and path without a final /void, as a slug.

    >>> source_name("https://circe.example.org/void")
    'circe-example-org'
    >>> source_name("http://127.0.0.1:8123/catalogue.ttl")
    '127-0-0-1-8123-catalogue-ttl'
    """
    parts = urlsplit(url)
    path = re.sub(r"/void/?$", "", parts.path)
    return _slug(f"{parts.netloc} {path}") or "source"


def source_of(text: str) -> Source:
    """A source from `URL` or `NAME=URL`: a URL whose path is empty or `/` is a circe-kg's base URL, and its
    `/void` is read; any other URL is the catalogue's own. Raises UsageError for a URL that is not http(s) or a
    name that is not a slug (lower-case letters, digits and hyphens), before anything is fetched."""
    name, url = None, text.strip()
    if "=" in url and not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
        name, url = (part.strip() for part in url.split("=", 1))
        if not name or _slug(name) != name:
            raise UsageError(
                f"{name!r} cannot name a source: its graphs are named after it",
                "use lower-case letters, digits and hyphens, e.g. lombardy=https://example.org/",
            )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{url!r} is not an http(s) URL: harvesting reads catalogues over HTTP only",
            "give the source's address, e.g. https://circe.example.org/ (its /void is read) or the catalogue's URL",
        )
    catalogue = urljoin(url if url.endswith("/") else url + "/", "void") if parts.path in ("", "/") else url
    return Source(name or source_name(catalogue), url, catalogue)


def target_graph(source: Source, graph: str | None) -> str:
    """The hub's graph for the source's `graph` (None: the triples outside any named graph); see the module."""
    if graph is None:
        return source.prefix + "default"
    own = f"{GRAPH}data/"
    if graph.startswith(own) and re.fullmatch(r"[A-Za-z0-9._~/-]+", graph[len(own) :]):
        return source.prefix + graph[len(own) :]
    digest = hashlib.sha256(graph.encode()).hexdigest()[:8]
    return f"{source.prefix}other/{_slug(re.sub(r'^[a-z]+://', '', graph))[:80]}-{digest}"


# -- HTTP -------------------------------------------------------------------------------------------------
def check_address(url: str, allow_private: bool) -> None:
    """Refuse (UsageError) a URL that is not http(s), or whose host is or resolves to a loopback, private,
    link-local or otherwise non-public address unless `allow_private`: a hub must not be made to read its own
    network's services for someone who names them. Raises SourceUnavailable for a host that does not resolve."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{url!r} is not an http(s) URL: harvesting follows http(s) addresses only",
            "the catalogue must list its dumps at http(s) addresses",
        )
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as error:
        raise SourceUnavailable(
            f"{url}: the host {parts.hostname!r} cannot be found ({error})", "check the address"
        ) from None
    for info in infos:
        _check_public(url, parts.hostname, str(info[4][0]))


def _check_public(url: str, host: str, ip: str, connected: bool = False) -> None:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        named = host if host == str(address) else f"{host} ({address})"
        when = ", reached when connecting (the name gave another address when it was checked)" if connected else ""
        raise UsageError(
            f"{url}: {named} is a private or loopback address{when}; harvesting reads public sources only",
            "to harvest a source on your own network on purpose, add --allow-private",
        )


class _PublicConnection(urllib3.connection.HTTPConnection):
    """A connection that checks the address it reached before sending anything: a name that resolved to a public
    address for `check_address` and to a private one a moment later (DNS rebinding) is refused here."""

    def connect(self) -> None:
        super().connect()
        _check_connected(self)


class _PublicTLSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _check_connected(self)


def _check_connected(connection: urllib3.connection.HTTPConnection) -> None:
    peer = connection.sock.getpeername()[0] if connection.sock is not None else None
    if peer is not None:
        try:
            _check_public(f"{connection.host}:{connection.port}", connection.host, peer, connected=True)
        except UsageError:
            connection.close()
            raise


class _PublicPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _PublicConnection


class _PublicTLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _PublicTLSConnection


class PublicOnlyAdapter(requests.adapters.HTTPAdapter):
    """Direct connections only to public addresses, checked when connected (not only when the name was looked up).

    >>> session = requests.Session()
    >>> session.mount("http://", PublicOnlyAdapter())
    >>> session.get("http://127.0.0.1:9/", timeout=1)
    Traceback (most recent call last):
    ...
    requests.exceptions.ConnectionError: ...
    """

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = DEFAULT_POOLBLOCK, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicPool, "https": _PublicTLSPool}


class _Fetch:
    """One GET, redirects followed by hand (each hop's address checked, a loop named), the answer read in chunks
    within a byte limit and a deadline."""

    def __init__(self, session: requests.Session, limits: Limits) -> None:
        self.session, self.limits = session, limits
        if not limits.allow_private:
            for scheme in ("http://", "https://"):
                session.mount(scheme, PublicOnlyAdapter())

    @contextmanager
    def open(self, url: str, accept: str, what: str, deadline: float) -> Iterator[requests.Response]:
        seen = [url]
        while True:
            check_address(url, self.limits.allow_private)
            remaining = deadline - time.monotonic()
            wait = max(0.1, min(self.limits.timeout_s, remaining))
            try:
                response = self.session.get(
                    url,
                    headers={"Accept": accept, "Accept-Encoding": "identity", "User-Agent": "circe-kg harvest"},
                    timeout=(wait, wait),
                    stream=True,
                    allow_redirects=False,
                )
            except requests.Timeout:
                raise SourceUnavailable(
                    f"{url}: no answer within {min(self.limits.timeout_s, remaining):.3g} s (the {what})",
                    "the source is busy or down: try again later, or allow more time with --timeout",
                ) from None
            except requests.RequestException as error:
                raise SourceUnavailable(
                    f"{url}: could not be read (the {what}): {_reason(error)}",
                    "check the address and that the source is up",
                ) from None
            if response.is_redirect and response.headers.get("Location"):
                response.close()
                target = urljoin(url, response.headers["Location"])
                if target in seen:
                    raise SourceUnavailable(
                        f"{seen[0]}: redirect loop: {' -> '.join([*seen, target])}",
                        "the source's server is misconfigured: tell its operator, or give the final address",
                    )
                seen.append(target)
                if len(seen) > MAX_REDIRECTS + 1:
                    raise SourceUnavailable(
                        f"{seen[0]}: more than {MAX_REDIRECTS} redirects ({' -> '.join(seen)})",
                        "give the final address instead",
                    )
                url = target
                continue
            try:
                if response.status_code != 200:
                    raise SourceUnavailable(
                        f"{url}: answered HTTP {response.status_code} {response.reason or ''}".rstrip()
                        + f" for the {what}",
                        "the source has a problem: try again later, or tell its operator"
                        if response.status_code >= 500
                        else "check the address",
                    )
                yield response
            finally:
                response.close()
            return

    def read(self, response: requests.Response, out: Output, limit: int, what: str, deadline: float) -> str:
        """Copy the answer's body to `out`: its SHA-256 (hex). Raises SourceRefused past `limit` bytes,
        SourceUnavailable past the deadline or when the connection breaks."""
        url, digest, size = response.url, hashlib.sha256(), 0
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit:
            raise _too_big(url, what, int(length), limit)
        try:
            while True:
                if time.monotonic() > deadline:
                    raise SourceUnavailable(
                        f"{url}: the {what} took longer than the time limit; stopped after {size} bytes",
                        "the source is slow: try again later, or allow more time (--timeout, --max-time)",
                    )
                chunk = response.raw.read1(CHUNK)  # returns what one read brings: a drip meets the deadline
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _too_big(url, what, None, limit)
                digest.update(chunk)
                out.write(chunk)
        except requests.RequestException as error:
            raise SourceUnavailable(
                f"{url}: the {what} broke off after {size} bytes: {_reason(error)}", "try again later"
            ) from None
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as error:  # a read timeout, a broken chunk
            if isinstance(error, TimeoutError | urllib3.exceptions.TimeoutError) or "timed out" in str(error):
                raise SourceUnavailable(
                    f"{url}: the {what} stopped coming for {self.limits.timeout_s:g} s, after {size} bytes",
                    "the source is slow: try again later, or allow more time with --timeout",
                ) from None
            raise SourceUnavailable(
                f"{url}: the {what} broke off after {size} bytes: {_reason(error)}", "try again later"
            ) from None
        if length.isdigit() and size < int(length):
            raise SourceUnavailable(f"{url}: the {what} broke off after {size} of {length} bytes", "try again later")
        return digest.hexdigest()


def _reason(error: BaseException) -> str:
    """The operating system's words for a failed connection ("Connection refused"), else the error's first words:
    requests wraps them three deep, in a text meant for programmers."""
    text = str(error)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    return found.group(1).strip() if found else (text[:200] or type(error).__name__)


def _too_big(url: str, what: str, size: int | None, limit: int) -> SourceRefused:
    said = f" ({size} bytes)" if size is not None else ""
    return SourceRefused(
        f"{url}: the {what} is bigger than the limit of {limit} bytes{said}; nothing was kept",
        "raise the limit with --max-bytes if you trust the source"
        if what == "dump"
        else "a catalogue lists files and is far smaller: check that the address is the catalogue's",
    )


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


# -- the catalogue ------------------------------------------------------------------------------------------
def read_catalogue(fetch: _Fetch, source: Source) -> tuple[rdflib.Graph, str]:
    """The source's catalogue as a graph, relative IRIs resolved against its final URL, and that URL.
    Raises SourceUnavailable, SourceRefused (HTML, another media type, over CATALOGUE_MAX_BYTES, not parsing)."""
    deadline = time.monotonic() + fetch.limits.timeout_s
    with fetch.open(source.catalogue_url, CATALOGUE_ACCEPT, "catalogue", deadline) as response:
        kind = _media_type(response)
        if kind in ("text/html", "application/xhtml+xml"):
            base = urljoin(source.catalogue_url, "/void")
            raise SourceRefused(
                f"{response.url} answered a web page (text/html), not a DCAT catalogue in RDF",
                f"give the catalogue's own address (a circe-kg's is its base URL + /void, e.g. {base}) "
                "or the circe-kg's base URL",
            )
        if kind not in CATALOGUE_TYPES:
            raise SourceRefused(
                f"{response.url} answered {kind or 'no content type'}, not a DCAT catalogue in an RDF syntax",
                "the catalogue must be served as Turtle (text/turtle), RDF/XML, JSON-LD, N-Triples, TriG or N-Quads",
            )
        buffer = _Buffer()
        fetch.read(response, buffer, CATALOGUE_MAX_BYTES, "catalogue", deadline)
        final = response.url
    graph = rdflib.Graph()
    try:  # named graphs, if any, read as one graph
        quads = ox.parse(bytes(buffer.data), format=CATALOGUE_TYPES[kind], base_iri=final)
        graph.parse(data=ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    except (SyntaxError, ValueError) as error:
        raise SourceRefused(
            f"{final}: the catalogue does not parse as {kind}: {str(error)[:300]}",
            "a JSON-LD catalogue must have its @context inline (a remote one is not fetched): ask for Turtle"
            if "remote context" in str(error)
            else "the source's catalogue is broken: tell its operator",
        ) from None
    return graph, final


class _Buffer:
    """A catalogue's bytes, kept in memory (it is at most CATALOGUE_MAX_BYTES)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def _type_of(graph: rdflib.Graph, distribution: rdflib.term.Node, url: str) -> tuple[str | None, bool]:
    """The RDF media type of a distribution (dcat:mediaType, else dct:format, else the URL's suffix) and whether
    it is gzipped (dcat:compressFormat, or a .gz URL)."""
    from rdflib.namespace import DCTERMS

    compressed = url.lower().endswith(".gz")
    for value in graph.objects(distribution, DCAT.compressFormat):
        compressed = compressed or "gzip" in str(value).lower()
    for predicate in (DCAT.mediaType, DCTERMS["format"]):
        for value in graph.objects(distribution, predicate):
            text = str(value).removeprefix(IANA).lower()
            if text in DUMP_TYPES:
                return text, compressed
    path = urlsplit(url).path.lower().removesuffix(".gz")
    suffix = path[path.rfind(".") :] if "." in path else ""
    return DUMP_SUFFIXES.get(suffix), compressed


def _sha256_of(graph: rdflib.Graph, distribution: rdflib.term.Node) -> str | None:
    for checksum in graph.objects(distribution, SPDX.checksum):
        algorithm = str(graph.value(checksum, SPDX.algorithm) or "").lower()
        value = graph.value(checksum, SPDX.checksumValue)
        if value is not None and (algorithm.endswith("sha256") or not algorithm):
            text = str(value).strip().lower()
            if re.fullmatch(r"[0-9a-f]{64}", text):
                return text
    return None


def dumps_of(graph: rdflib.Graph) -> list[Dump]:
    """The catalogue's RDF dumps, the preferred first: N-Quads, TriG, N-Triples, Turtle; of one syntax the
    uncompressed before the compressed, then the biggest, then the shortest URL. Each distribution with a
    dcat:downloadURL counts, and each void:dataDump no distribution describes (its syntax read from its suffix)."""
    found: dict[str, Dump] = {}
    for distribution, url_node in graph.subject_objects(DCAT.downloadURL):
        url = str(url_node)
        media_type, compressed = _type_of(graph, distribution, url)
        if media_type is None:
            continue
        size = graph.value(distribution, DCAT.byteSize)
        byte_size = int(str(size)) if size is not None and str(size).isdigit() else None
        found[url] = Dump(url, media_type, compressed, byte_size, _sha256_of(graph, distribution))
    for url_node in graph.objects(None, VOID.dataDump):
        url = str(url_node)
        if url not in found:
            media_type, compressed = _type_of(graph, url_node, url)
            if media_type is not None:
                found[url] = Dump(url, media_type, compressed, None, None)
    order = list(DUMP_TYPES)
    return sorted(
        found.values(), key=lambda d: (order.index(d.media_type), d.compressed, -(d.byte_size or 0), len(d.url), d.url)
    )


def _listed(graph: rdflib.Graph) -> str:
    """What a catalogue without a dump lists instead, for the message."""
    kinds = sorted({str(t).removeprefix(IANA) for t in graph.objects(None, DCAT.mediaType)})
    distributions = len(set(graph.subjects(RDF.type, DCAT.Distribution)))
    return f"{distributions} distribution(s)" + (f" of type {', '.join(kinds)}" if kinds else "")


# -- the dump -------------------------------------------------------------------------------------------------
def _download(fetch: _Fetch, dump: Dump, folder: Path) -> tuple[Path, str]:
    """The dump in a file of `folder`, and its SHA-256. Raises SourceRefused (the listed size over the limit, the
    body over it, a web page or another media type), SourceUnavailable."""
    limits = fetch.limits
    if dump.byte_size is not None and dump.byte_size > limits.max_bytes:
        raise _too_big(dump.url, "dump", dump.byte_size, limits.max_bytes)
    deadline = time.monotonic() + limits.max_time_s
    accept = f"{dump.media_type}, application/gzip;q=0.5, */*;q=0.1"
    path = folder / "dump"
    with fetch.open(dump.url, accept, "dump", deadline) as response:
        kind = _media_type(response)
        allowed = {dump.media_type, *BINARY_TYPES, *(GZIP_TYPES if dump.compressed else ())}
        if dump.media_type in ("application/n-triples", "application/n-quads"):
            allowed.add("text/plain")  # the type servers used before these had one
        if kind and kind not in allowed:
            raise SourceRefused(
                f"{response.url}: the dump answered {kind}, not the {dump.media_type} the catalogue lists",
                "the catalogue's entry for it is out of date or the server misconfigured: tell its operator",
            )
        with path.open("wb") as out:
            sha256 = fetch.read(response, out, limits.max_bytes, "dump", deadline)
    return path, sha256


def _unpacked(path: Path, dump: Dump, limit: int) -> Path:
    """The dump's RDF: the file itself, or (gzip, by its first bytes) unpacked beside it within `limit` bytes."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    if not gzipped:
        return path
    out_path = path.with_name("dump.unpacked")
    try:
        with gzip.open(path, "rb") as packed, out_path.open("wb") as out:
            size = 0
            while chunk := packed.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise SourceRefused(
                        f"{dump.url}: the dump unpacks to more than the limit of {limit} bytes; nothing was kept",
                        "raise the limit with --max-bytes if you trust the source",
                    )
                out.write(chunk)
    except (OSError, EOFError) as error:
        raise SourceRefused(f"{dump.url}: the dump is not a whole gzip file: {error}", "try again later") from None
    return out_path


def parse_dump(path: Path, dump: Dump) -> dict[str | None, NTriples]:
    """The dump's triples by graph IRI (None: outside any named graph), blank nodes given fresh ids (one per
    label in the whole file, so that two sources' `_:b0` never become one node here). Parsed into an in-memory
    Oxigraph store, not into Python objects (10^7 triples would not fit). Raises SourceRefused naming the line
    of a syntax error."""
    parsed = ox.Store()
    with path.open("rb") as stream:
        try:
            parsed.extend(ox.parse(stream, format=DUMP_TYPES[dump.media_type], rename_blank_nodes=True))
        except SyntaxError as error:
            where = f" line {error.lineno}:" if error.lineno else ""
            raise SourceRefused(
                f"{dump.url}:{where} the dump does not parse as {dump.media_type}: {error.msg or error}",
                "the source's dump is broken: tell its operator",
            ) from None
    graphs: dict[str | None, NTriples] = {}
    for name in [None, *(g.value for g in parsed.named_graphs() if isinstance(g, ox.NamedNode))]:
        data = parsed.dump(
            format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph() if name is None else ox.NamedNode(name)
        )
        if data:
            graphs[name] = NTriples(data)
    return graphs


# -- the harvest ----------------------------------------------------------------------------------------------
def last_change(gate: WriteGate, source: Source) -> tuple[int, str, str | None] | None:
    """(number, operation, checksum) of the latest recorded write to any of the source's graphs, or None."""
    rows = queries.run(gate.store, "harvest-last-change", {"prefix": source.prefix}).rows
    if not rows:
        return None
    row = rows[0]
    return int(row["number"].value), row["operation"].value, row["checksum"].value if "checksum" in row else None


def _unchanged_since(gate: WriteGate, source: Source, sha256: str | None) -> int | None:
    last = last_change(gate, source)
    if sha256 and last is not None and last[1] == OPERATION and last[2] == sha256:
        return last[0]
    return None


def harvest(
    gate: WriteGate,
    source: Source,
    limits: Limits = Limits(),
    agent: str = "circe-kg harvest",
    session: requests.Session | None = None,
) -> Outcome:
    """Harvest one source into the store behind `gate`, all or nothing (see the module).

    Returns the Outcome: the change written, or no change when the dump's checksum is the one the source's graphs
    were last harvested with (`unchanged_since`) or its data graphs are those held (`same`). Raises
    SourceUnavailable, SourceRefused, UsageError (also for a store without shapes: harvested data is never written
    unchecked), ValidationFailed (the hub's shapes refuse the data) — and then the store is as it was."""
    if not any(kind_of_graph(g) == "shapes" for g in gate.store.named_graphs()):
        raise UsageError(
            "this store holds no shapes to validate harvested data against, so nothing would be checked",
            "load the ontology and shapes first: circe-kg load (with no files, the shipped ones)",
        )
    own = session is None
    session = session or requests.Session()
    fetch = _Fetch(session, limits)
    try:
        catalogue, final = read_catalogue(fetch, source)
        dumps = dumps_of(catalogue)
        if not dumps:
            raise SourceRefused(
                f"{final}: the catalogue lists no RDF dump (it lists {_listed(catalogue)})",
                "a dump is a distribution with a dcat:downloadURL and a dcat:mediaType of N-Quads, TriG, N-Triples "
                "or Turtle: ask the source to publish one",
            )
        dump = dumps[0]
        if dump.sha256 is None and limits.require_checksum:
            raise SourceRefused(
                f"{final}: the catalogue gives no SHA-256 checksum (spdx:checksum) for the dump {dump.url}",
                "without one a damaged or swapped file cannot be told from the real one; add --no-checksum to "
                "harvest it anyway",
            )
        since = _unchanged_since(gate, source, dump.sha256)
        if since is not None:
            return Outcome(source, dump, dump.sha256 or "", unchanged_since=since)
        with tempfile.TemporaryDirectory(prefix="circe-kg-harvest-") as folder:
            path, sha256 = _download(fetch, dump, Path(folder))
            if dump.sha256 is not None and sha256 != dump.sha256:
                raise SourceRefused(
                    f"{dump.url}: the downloaded dump's SHA-256 is {sha256}, but the catalogue {final} lists "
                    f"{dump.sha256}; nothing was kept",
                    "the file was damaged on the way or changed after the catalogue was written: try again later",
                )
            since = _unchanged_since(gate, source, sha256)
            if since is not None:
                return Outcome(source, dump, sha256, unchanged_since=since)
            graphs = parse_dump(_unpacked(path, dump, limits.max_bytes), dump)
        kept = {target_graph(source, g): t for g, t in graphs.items() if g is None or kind_of_graph(g) == "data"}
        if not any(kept.values()):
            raise SourceRefused(
                f"{dump.url}: the dump holds no data graph (only {len(graphs)} ontology, shapes or system graph(s))",
                "nothing to harvest: the source publishes no data yet",
            )
        with gate.exclusive():  # no other write (a steward's, in `serve`) between comparing and writing
            present = set(gate.store.named_graphs())
            # The reference data every circe-kg ships (taxonomies, regions, sectors…): a graph the dump holds exactly
            # as this hub holds its own graph of that name is not copied again — a copy per source would make every
            # join over the union of graphs meet each of its triples once per source.
            shared = sorted(
                target_graph(source, g)
                for g, t in graphs.items()
                if g is not None
                and g in present
                and t
                and kind_of_graph(g) == "data"
                and gate.content(g).lines() == t.lines()
            )
            same = sorted(g for g, t in kept.items() if t and g in present and gate.content(g).lines() == t.lines())
            new: dict[str, NTriples | None] = {g: t for g, t in kept.items() if t and g not in same + shared}
            dropped = sorted(g for g in present if g.startswith(source.prefix) and g not in new and g not in same)
            new.update(dict.fromkeys(dropped))
            if not new:
                return Outcome(source, dump, sha256, same=same, shared=shared)
            change = gate.commit(new, OPERATION, agent, upload_checksum=sha256, upload_name=dump.url, catalogue=final)
        written = {g: len(t) for g, t in new.items() if t}
        return Outcome(source, dump, sha256, change, graphs=written, dropped=dropped, same=same, shared=shared)
    finally:
        if own:
            session.close()


# -- on a schedule --------------------------------------------------------------------------------------------
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in `90s`, `30m`, `1h`, `1d` (a number and a unit; a bare number is seconds). Raises UsageError.

    >>> parse_duration("1h"), parse_duration("90s"), parse_duration("1.5m")
    (3600.0, 90.0, 90.0)
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if not found or float(found.group(1)) <= 0:
        raise UsageError(f"{text!r} is not a duration", "write a number and a unit: 90s, 30m, 1h or 1d")
    return float(found.group(1)) * DURATION_UNITS[found.group(2) or "s"]


def keep_harvesting(
    gate: WriteGate,
    sources: list[Source],
    limits: Limits,
    every_s: float | None,
    agent: str,
    say: Callable[[str], None],
    stop: threading.Event,
) -> None:
    """Harvest every source now, then again every `every_s` seconds (None: once) until `stop` is set, saying each
    outcome with `say`; never raises, so that a source that fails (or a bug) does not stop the schedule or the
    server it runs in. Meant for a daemon thread inside `circe-kg serve`, whose write gate it shares (one writer)."""
    while not stop.is_set():
        started = time.monotonic()
        for source in sources:
            if stop.is_set():
                return
            try:
                say(harvest(gate, source, limits, agent).to_text())
            except CirceError as error:
                say(f"harvest of {source.name} failed: {error.to_text()}")
            except Exception as error:  # noqa: BLE001 - logged; the next round tries again
                say(f"harvest of {source.name} failed unexpectedly: {type(error).__name__}: {error}")
        if every_s is None:
            return
        stop.wait(max(0.0, every_s - (time.monotonic() - started)))
