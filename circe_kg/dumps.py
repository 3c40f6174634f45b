"""Downloadable dumps of the whole graph, regenerated from the store whenever it has changed.

Each dump is written to a temporary name and renamed into place, so a download never sees half a file.
A manifest (dumps.json) records each file's media type, size, triple count, SHA-256 and modification time;
`sha256sums` turns it into a SHA256SUMS file that `sha256sum -c` checks. All the files of a version are written
under temporary names first and renamed into place together, just before the manifest: the listed checksums and
the files on disk disagree for microseconds, not for the minutes the writing takes.

Beside the full dumps, the same formats hold the sourced and editorial statements only (circe-kg-sourced.*):
no resource marked illustrative, and no statement about one or pointing at one (SOURCED). They are filtered
from the full N-Triples and N-Quads files of the same version, streamed.

The JSON-LD dump is compact, with the project's context embedded (serialization.JSONLD_CONTEXT, the one
/context.jsonld serves), so that it reads offline. It is made from the N-Triples dump just written (parsed back
as it is read), streamed node by node: never the whole graph in memory.

The dumps are written in the background: writing them takes time in proportion to the store, and neither /void
nor /dumps/ may wait that long. Visits wait for them until `wait_s` (5 s) after the writing
started; until they are done, the files of the previous version stay listed and downloadable, and the page
says that new ones are being written.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from .namespaces import PREFIXES
from .serialization import ANY_RDF, JSONLD_CONTEXT, Output, RdfType, write_jsonld
from .store import Store

# The dataset's licence, as /void states it (dct:license, the EU's licence authority); the ECESP records keep
# each its own source link, as the EU's reuse policy (Commission Decision 2011/833/EU) asks.
LICENCE = {
    "name": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "iri": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
}


@dataclass(frozen=True)
class DumpFormat:
    name: str
    title: str
    kind: RdfType  # of the content (before compression)
    gzip: bool = False
    made_from: str | None = None  # written from this (N-Triples, gzip) dump of the same version, not the store
    sourced_only: bool = False  # only sourced and editorial statements: no illustrative resource (see SOURCED)
    filtered_from: str | None = None  # the full dump of the same version whose statements it keeps

    @property
    def mime(self) -> str:
        return self.kind.mime

    @property
    def rdf_format(self) -> ox.RdfFormat:
        return self.kind.format

    @property
    def file_type(self) -> str:
        return self.kind.file_type


FORMATS = [
    DumpFormat("circe-kg.ttl", "Turtle, all graphs merged", ANY_RDF["text/turtle"]),
    DumpFormat(
        "circe-kg.nt.gz",
        "N-Triples (gzip), all graphs merged",
        ANY_RDF["application/n-triples"],
        gzip=True,
    ),
    DumpFormat(
        "circe-kg.nq",
        "N-Quads, one named graph per source file",
        ANY_RDF["application/n-quads"],
    ),
    DumpFormat(
        "circe-kg.jsonld",
        "JSON-LD, all graphs merged",
        ANY_RDF["application/ld+json"],
        made_from="circe-kg.nt.gz",
    ),
    # The same four formats with the sourced and editorial statements only (see SOURCED): the full dumps are
    # filtered (never the store read again), and the Turtle and JSON-LD made from the filtered N-Triples.
    DumpFormat(
        "circe-kg-sourced.nt.gz",
        "N-Triples (gzip), sourced and editorial statements only (no illustrative examples)",
        ANY_RDF["application/n-triples"],
        gzip=True,
        sourced_only=True,
        filtered_from="circe-kg.nt.gz",
    ),
    DumpFormat(
        "circe-kg-sourced.nq",
        "N-Quads, one named graph per source file, sourced and editorial statements only (no illustrative examples)",
        ANY_RDF["application/n-quads"],
        sourced_only=True,
        filtered_from="circe-kg.nq",
    ),
    DumpFormat(
        "circe-kg-sourced.ttl",
        "Turtle, sourced and editorial statements only (no illustrative examples)",
        ANY_RDF["text/turtle"],
        sourced_only=True,
        made_from="circe-kg-sourced.nt.gz",
    ),
    DumpFormat(
        "circe-kg-sourced.jsonld",
        "JSON-LD, sourced and editorial statements only (no illustrative examples)",
        ANY_RDF["application/ld+json"],
        sourced_only=True,
        made_from="circe-kg-sourced.nt.gz",
    ),
]
BY_NAME = {f.name: f for f in FORMATS}
# What the sourced-only dumps leave out: every resource marked illustrative and every statement about it or
# pointing at it (its subject or object). What stays is sourced (dct:source), the editors' classification
# (circe:EditorialClassification) or the ontology, vocabularies and shapes the data is written in.
SOURCED = """PREFIX circe: <https://w3id.org/circe-kg/ontology#>
SELECT DISTINCT ?resource WHERE { ?resource circe:illustrative true FILTER(isIRI(?resource)) }"""


@dataclass
class DumpInfo:
    name: str
    title: str
    mime: str
    compression: str | None
    bytes: int
    triples: int
    sha256: str
    modified: str  # ISO 8601, UTC
    sourced_only: bool = False  # the sourced and editorial statements only (no illustrative examples)


def human_size(size: int) -> str:
    """`size` bytes in words, in decimal units as file managers show them.

    >>> human_size(512), human_size(2_100_000), human_size(999_999)
    ('512 bytes', '2.1 MB', '1.0 MB')
    """
    units = ["bytes", "kB", "MB", "GB", "TB"]
    value, index = float(size), 0
    while value >= 999.95 and index < len(units) - 1:
        value, index = value / 1000, index + 1
    return f"{size} bytes" if index == 0 else f"{value:.1f} {units[index]}"


def sha256sums(infos: list[DumpInfo]) -> str:
    """The SHA256SUMS file of these dumps: a `<hex>  <name>` line each, the format `sha256sum -c` checks."""
    return "".join(f"{info.sha256}  {info.name}\n" for info in infos)


class _Sink(Output, Protocol):
    def flush(self) -> None: ...


class _Tally:
    """A binary output that passes what is written on, counting its bytes and lines and hashing it."""

    def __init__(self, out: _Sink) -> None:
        self.out, self.sha256, self.bytes, self.lines = out, hashlib.sha256(), 0, 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.sha256.update(data)
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        return len(data)

    def flush(self) -> None:
        self.out.flush()


class Dumps:
    """The dumps folder of one store."""

    def __init__(self, store: Store, folder: Path, wait_s: float = 5.0) -> None:
        self.store, self.folder, self.wait_s = store, folder, wait_s
        self._lock = threading.Lock()
        self._written = threading.Condition(self._lock)
        self._generation: int | None = None  # of the files on disk
        self._writer: threading.Thread | None = None
        self._writer_started = 0.0
        self.failure: str | None = None  # why the last writing failed, if it did

    def manifest(self) -> list[DumpInfo]:
        """The dump files, after waiting up to `wait_s` for them to be written again if the store changed since;
        the previous ones (or none, the first time) if that takes longer."""
        with self._lock:
            if not self._current():
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write_until_current, daemon=True, name="circe-kg-dumps"
                    )
                    self._writer_started = time.monotonic()
                    self._writer.start()
                # Within wait_s of the change, not on every visit while a long writing goes on.
                self._written.wait_for(
                    lambda: self._current() or self._writer is None,
                    timeout=max(0.0, self._writer_started + self.wait_s - time.monotonic()),
                )
            listed = self.folder / "dumps.json"
            data = json.loads(listed.read_text()) if listed.exists() else []
        return [DumpInfo(**item) for item in data]

    @property
    def updating(self) -> bool:
        """Whether newer dumps are being written (the listed ones are of an earlier version of the data)."""
        with self._lock:
            return self._writer is not None

    def path(self, name: str) -> Path | None:
        self.manifest()
        return self.folder / name if name in BY_NAME else None

    def _current(self) -> bool:
        return self._generation == self.store.generation and (self.folder / "dumps.json").exists()

    def _write_until_current(self) -> None:
        """The writer thread: write every dump, again if the store changed meanwhile, then stop."""
        try:
            while True:
                generation = self.store.generation
                self._write_all()
                with self._lock:
                    self._generation, self.failure = generation, None
                    if self._current():
                        return
        except Exception as error:  # noqa: BLE001 - the store went away, the disk is full: said on /dumps/
            with self._lock:
                self.failure = f"{type(error).__name__}: {error}"
        finally:
            with self._lock:
                self._writer = None
                self._written.notify_all()

    def _write_all(self) -> None:
        """Each dump streamed to a temporary file (never whole in memory: 10^7 triples are gigabytes), counted and
        hashed on the way; then all renamed into place, and the manifest written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        infos, distinct, kept_quads = [], {False: 0, True: 0}, 0
        illustrative = self._illustrative()
        for fmt in FORMATS:
            written, content = self._write_one(fmt, illustrative)
            if fmt.rdf_format == ox.RdfFormat.N_TRIPLES:
                distinct[fmt.sourced_only] = content.lines  # one line a triple, duplicates across graphs merged
            elif fmt.rdf_format == ox.RdfFormat.N_QUADS and fmt.sourced_only:
                kept_quads = content.lines
            infos.append(
                DumpInfo(
                    name=fmt.name,
                    title=fmt.title,
                    mime=fmt.mime,
                    compression="gzip" if fmt.gzip else None,
                    bytes=written.bytes,
                    triples=0,
                    sha256=written.sha256.hexdigest(),
                    modified=datetime.now(UTC).replace(microsecond=0).isoformat(),
                    sourced_only=fmt.sourced_only,
                )
            )
        quads = self.store.count()
        for info in infos:
            if BY_NAME[info.name].rdf_format == ox.RdfFormat.N_QUADS:
                info.triples = kept_quads if info.sourced_only else quads
            else:
                info.triples = distinct[info.sourced_only]
        for fmt in FORMATS:
            os.replace(self._tmp(fmt.name), self.folder / fmt.name)
        tmp = self.folder / ".dumps.json.tmp"
        tmp.write_text(json.dumps([asdict(i) for i in infos], indent=2))
        os.replace(tmp, self.folder / "dumps.json")

    def _tmp(self, name: str) -> Path:
        return self.folder / f".{name}.tmp"

    def _illustrative(self) -> frozenset[str]:
        """The IRIs of the resources marked illustrative: what the sourced-only dumps leave out (SOURCED)."""
        found = self.store.query(SOURCED)
        assert isinstance(found, ox.QuerySolutions)  # a SELECT query
        return frozenset(row["resource"].value for row in found)

    def _write_one(self, fmt: DumpFormat, illustrative: frozenset[str] = frozenset()) -> tuple[_Tally, _Tally]:
        """Write one dump to its temporary file: the file's tally (bytes and hash, compressed for a .gz) and the
        content's (its lines). A dump `made_from` an N-Triples one (Turtle, JSON-LD) is read from that one's
        temporary file (JSON-LD written compact, serialization.write_jsonld); a dump `filtered_from` a full one
        keeps its statements that neither start nor end at an `illustrative` resource, streamed."""
        # The ignored arg-types: pyoxigraph and Store.dump read from and write to any file-like object, but their
        # types name IO[bytes] (BinaryIO), which GzipFile and _Tally are not nominally.
        with self._tmp(fmt.name).open("wb") as raw:
            written = _Tally(raw)
            packed = gzip.GzipFile(fileobj=written, mode="wb", mtime=0) if fmt.gzip else None
            with packed or contextlib.nullcontext():
                content = _Tally(packed) if packed else written  # the RDF's bytes and lines
                if fmt.filtered_from is not None:
                    full = BY_NAME[fmt.filtered_from]
                    with (gzip.open if full.gzip else open)(self._tmp(full.name), "rb") as source:
                        statements = ox.parse(source, format=full.rdf_format)  # type: ignore[arg-type]
                        kept = (s for s in statements if not _touches(s, illustrative))
                        ox.serialize(kept, content, format=fmt.rdf_format)  # type: ignore[arg-type]
                elif fmt.made_from is None:
                    self.store.dump(fmt.rdf_format, output=content)  # type: ignore[arg-type]
                else:
                    with gzip.open(self._tmp(fmt.made_from), "rb") as source:
                        triples = ox.parse(source, format=ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
                        if fmt.rdf_format == ox.RdfFormat.JSON_LD:
                            write_jsonld(triples, content, JSONLD_CONTEXT)
                        else:
                            ox.serialize(triples, content, format=fmt.rdf_format, prefixes=PREFIXES)  # type: ignore[arg-type]
        return written, content


def _touches(statement: ox.Triple | ox.Quad, illustrative: frozenset[str]) -> bool:
    """Whether the statement is about an illustrative resource, or points at one."""
    return any(
        isinstance(term, ox.NamedNode) and term.value in illustrative for term in (statement.subject, statement.object)
    )
