"""The embedded store's folder: generations of the Oxigraph (RocksDB) database and a `current` link to one.

Why generations: Oxigraph writes a big graph several times faster with its bulk loader than in a transaction
(bench/README.md, "The bulk loader"), but its bulk loader is not atomic. So a big write is made in a *new generation* —
a RocksDB checkpoint of the current one (hard links, milliseconds) or a fresh database — that nobody reads, and becomes
visible by one `rename(2)` of the `current` link. A process killed before that rename leaves the old generation current
(the unfinished one is removed at the next open); after it, the new one. Never a mix.

    var/store/            the folder a user names (--store, CIRCE_KG_STORE)
      current -> g000003  the live database
      g000003/            RocksDB files
      lock                held (flock) by the one process that has the store open
      loaded-files.json   which file each graph was last loaded from, with its SHA-256 (loader.py)

A folder written by an earlier circe-kg (the RocksDB files directly in it) is moved into its first generation
when it is opened, by the same rename: nothing to do by hand.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from pathlib import Path

import pyoxigraph as ox

CURRENT = "current"
_GENERATION = re.compile(r"^g(\d{6})$")
_ROCKSDB_FILE = re.compile(
    r"^(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+(\.dbtmp)?"
    r"|\d+\.(sst|log|blob))$"
)


class StoreFolder:
    """Owns the folder while open (an exclusive lock), names the current generation and publishes new ones."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: int | None = None
        path.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise OSError("another process has it open") from None
        if not (path / CURRENT).is_symlink():
            self._adopt_legacy_layout()
        self.collect_garbage()

    def current(self) -> Path:
        return self.path / os.readlink(self.path / CURRENT)

    def new_generation(self, from_store: ox.Store | None) -> Path:
        """A folder for the next generation: a checkpoint of `from_store`, or empty (a database to fill)."""
        numbers = [int(m.group(1)) for p in self.path.iterdir() if (m := _GENERATION.match(p.name))]
        folder = self.path / f"g{max(numbers, default=0) + 1:06d}"
        if from_store is not None:
            from_store.flush()
            from_store.backup(str(folder))
        else:
            folder.mkdir()
        return folder

    def publish(self, generation: Path) -> None:
        """Make `generation` the current one, atomically (a new link renamed over the old)."""
        link = self.path / (CURRENT + ".new")
        link.unlink(missing_ok=True)
        link.symlink_to(generation.name)
        os.replace(link, self.path / CURRENT)
        descriptor = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # the rename itself survives a power cut, not just a killed process
        finally:
            os.close(descriptor)

    def collect_garbage(self, keep: Path | None = None) -> None:
        """Remove every generation but the current one (and `keep`: the one readers in this process may still
        hold): unfinished writes of killed processes, and generations replaced earlier."""
        live = {self.current().name, keep.name if keep is not None else None}
        for entry in self.path.iterdir():
            if _GENERATION.match(entry.name) and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the file drops the flock
            self._lock = None

    def __del__(self) -> None:  # a store dropped without close() lets go of the folder, as RocksDB's lock does
        self.release()

    def _adopt_legacy_layout(self) -> None:
        """Move the RocksDB files of an earlier layout (none in a new store) into generation 1. Only RocksDB's
        own files move: a folder named by mistake keeps everything else where it was."""
        first = self.path / "g000001"
        first.mkdir(exist_ok=True)  # a move interrupted earlier goes on where it stopped
        for entry in self.path.iterdir():
            if _ROCKSDB_FILE.match(entry.name) and entry.is_file():
                os.replace(entry, first / entry.name)
        self.publish(first)
