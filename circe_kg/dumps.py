"""Downloadable dumps of the whole graph, regenerated from the store whenever it has changed.

Each dump is written to a temporary name and renamed into place, so a download never sees half a file.
A manifest (dumps.json) records each file's media type, size, triple count, SHA-256 and modification time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from .store import Store


@dataclass(frozen=True)
class DumpFormat:
    name: str
    title: str
    mime: str  # of the content (before compression)
    rdf_format: ox.RdfFormat
    gzip: bool = False
    file_type: str = ""  # EU file-type authority code (for DCAT-AP)


FORMATS = [
    DumpFormat("circe-kg.ttl", "Turtle, all graphs merged", "text/turtle", ox.RdfFormat.TURTLE,
               file_type="RDF_TURTLE"),
    DumpFormat("circe-kg.nt.gz", "N-Triples (gzip), all graphs merged", "application/n-triples",
               ox.RdfFormat.N_TRIPLES, gzip=True, file_type="RDF_N_TRIPLES"),
    DumpFormat("circe-kg.nq", "N-Quads, one named graph per source file", "application/n-quads",
               ox.RdfFormat.N_QUADS, file_type="RDF_N_QUADS"),
    DumpFormat("circe-kg.jsonld", "JSON-LD, all graphs merged", "application/ld+json", ox.RdfFormat.JSON_LD,
               file_type="JSON_LD"),
]
BY_NAME = {f.name: f for f in FORMATS}


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


class Dumps:
    """The dumps folder of one store."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store, self.folder = store, folder
        self._lock = threading.Lock()
        self._generation: int | None = None

    def manifest(self) -> list[DumpInfo]:
        """Current dump files, regenerated first if the store changed since they were written."""
        with self._lock:
            if self._generation != self.store.generation or not (self.folder / "dumps.json").exists():
                self._write_all()
                self._generation = self.store.generation
            data = json.loads((self.folder / "dumps.json").read_text())
        return [DumpInfo(**item) for item in data]

    def path(self, name: str) -> Path | None:
        self.manifest()
        return self.folder / name if name in BY_NAME else None

    def _write_all(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        triples = self.store.count()
        distinct = len({q for q in self.store.dump(ox.RdfFormat.N_TRIPLES).splitlines() if q.strip()})
        infos = []
        for fmt in FORMATS:
            data = self.store.dump(fmt.rdf_format)
            if fmt.gzip:
                data = gzip.compress(data, mtime=0)
            tmp = self.folder / f".{fmt.name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.folder / fmt.name)
            infos.append(DumpInfo(
                name=fmt.name, title=fmt.title, mime=fmt.mime, compression="gzip" if fmt.gzip else None,
                bytes=len(data), triples=triples if fmt.rdf_format == ox.RdfFormat.N_QUADS else distinct,
                sha256=hashlib.sha256(data).hexdigest(),
                modified=datetime.now(UTC).replace(microsecond=0).isoformat()))
        tmp = self.folder / ".dumps.json.tmp"
        tmp.write_text(json.dumps([asdict(i) for i in infos], indent=2))
        os.replace(tmp, self.folder / "dumps.json")
