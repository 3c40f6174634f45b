"""Full-text search over every label and description, in every language, tolerant of case and accents.

A label scan with CONTAINS grows with the graph (PLATFORM.md), so the texts of queries/search-documents.rq
are kept in an SQLite FTS5 index (standard library; `remove_diacritics 2` folds "reutilización" to
"reutilizacion") in memory. After a write the index catches up with the resources the write changed (the
store's journal: Store.changed_subjects); it is rebuilt whole only when that is not known, when a write changed
more than MAX_CAUGHT_UP resources, or when it changed the ontology (whose class names every row shows). At 10^6
triples a rebuild takes 11 s; catching up with one edited practice, milliseconds. The person's words are
searched as quoted prefix terms, so FTS syntax in them is just text.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import queries
from .namespaces import BASE, CIRCE
from .store import Store

MAX_QUERY = 200  # characters: a search box, not a document
MAX_TERMS = 8
BATCH = 10_000  # rows written to the index at once
MAX_CAUGHT_UP = queries.MAX_LIST  # resources a write may change for the index to catch up rather than rebuild


@dataclass
class Hit:
    resource: str
    kind: str
    kind_label: str
    label: str
    snippet: str  # HTML-escaped text with <mark> around the matches
    illustrative: bool


@dataclass
class Results:
    query: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(hits) for hits in self.groups.values())


def terms_of(text: str) -> list[str]:
    """The words of a search, as FTS5 quoted prefix terms ("word"*), so no FTS syntax gets through."""
    words = re.findall(r"\w+", text[:MAX_QUERY], flags=re.UNICODE)[:MAX_TERMS]
    return ['"' + w.replace('"', '""') + '"*' for w in words]


class SearchIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._db: sqlite3.Connection | None = None

    def _current(self) -> sqlite3.Connection:
        with self._lock:
            generation = self.store.generation
            if self._db is None or self._generation is None:
                self._db = self._build()
            elif generation != self._generation:
                changed = self.store.changed_subjects(self._generation)
                resources = sorted(s for s in changed or () if s.startswith(BASE + "id/"))
                if changed is None or len(resources) > MAX_CAUGHT_UP or any(s.startswith(str(CIRCE)) for s in changed):
                    self._db = self._build()
                elif resources:
                    self._catch_up(self._db, resources)
            self._generation = generation
            return self._db

    def _build(self) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(text, resource UNINDEXED, field UNINDEXED, "
                   "language UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
        db.execute("CREATE TABLE resources (resource TEXT PRIMARY KEY, kind TEXT, kind_label TEXT, label TEXT, "
                   "illustrative INTEGER)")
        # Which rows of docs belong to a resource: FTS5 cannot look up an UNINDEXED column without a full scan.
        db.execute("CREATE TABLE doc_rows (doc INTEGER PRIMARY KEY, resource TEXT)")
        db.execute("CREATE INDEX doc_rows_by_resource ON doc_rows (resource)")
        self._insert(db, queries.stream(self.store, "search-documents"))
        return db

    def _catch_up(self, db: sqlite3.Connection, resources: list[str]) -> None:
        """Index `resources` again from the store: their old rows out, their current ones in, in one transaction."""
        wanted = set(resources)
        # Virtuoso 7 answers a VALUES list holding an IRI that matches nothing (a resource the write removed) with
        # the rows of every resource (tests/test_backends.py): only the rows of the resources asked for are kept.
        rows = (row for row in queries.stream(self.store, "search-documents", {"resource": resources})
                if row["resource"].value in wanted)
        with db:
            for resource in resources:
                db.execute("DELETE FROM docs WHERE rowid IN (SELECT doc FROM doc_rows WHERE resource = ?)", (resource,))
                db.execute("DELETE FROM doc_rows WHERE resource = ?", (resource,))
                db.execute("DELETE FROM resources WHERE resource = ?", (resource,))
            self._insert(db, rows)

    @staticmethod
    def _insert(db: sqlite3.Connection, rows: Iterable[queries.Row]) -> None:
        first = db.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM doc_rows").fetchone()[0]
        docs: list[tuple[int, str, str, str, str]] = []
        kinds: dict[str, tuple[str, str, str, bool]] = {}
        for number, row in enumerate(rows, start=first):
            if len(docs) >= BATCH:  # in batches: the rows of 10^7 triples need not all be held at once
                SearchIndex._write_docs(db, docs)
                docs.clear()
            resource, text = row["resource"].value, row["text"].value
            language = row["text"].language or ""
            docs.append((number, text, resource, row["field"].value, language))
            kind = row["kind"].value if "kind" in row else ""
            previous = kinds.get(resource)
            label = text if row["field"].value == "label" and language == "en" else (previous[2] if previous else "")
            if previous is None or (not previous[0] and kind) or (label and not previous[2]):
                kinds[resource] = (kind or (previous[0] if previous else ""),
                                   row["kindLabel"].value if "kindLabel" in row else (previous[1] if previous else ""),
                                   label, row["illustrative"].value == "true")
        SearchIndex._write_docs(db, docs)
        db.executemany("INSERT INTO resources VALUES (?, ?, ?, ?, ?)",
                       [(r, k, kl, lab, int(ill)) for r, (k, kl, lab, ill) in kinds.items()])

    @staticmethod
    def _write_docs(db: sqlite3.Connection, docs: list[tuple[int, str, str, str, str]]) -> None:
        db.executemany("INSERT INTO docs (rowid, text, resource, field, language) VALUES (?, ?, ?, ?, ?)", docs)
        db.executemany("INSERT INTO doc_rows VALUES (?, ?)", [(doc[0], doc[2]) for doc in docs])

    def prepare(self) -> int:
        """Build the index now (or catch it up), before a search needs it; how many texts it holds."""
        return int(self._current().execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def search(self, text: str, limit: int = 100, any_word: bool = False) -> Results:
        """Resources whose texts have every word of `text` (or, with any_word, at least one), best first."""
        results = Results(text)
        terms = terms_of(text)
        if not terms:
            return results
        db = self._current()
        match = (" OR " if any_word else " ").join(terms)
        rows = db.execute(
            "SELECT d.resource, r.kind, r.kind_label, r.label, r.illustrative, "
            "snippet(docs, 0, char(1), char(2), '…', 24) FROM docs d JOIN resources r ON r.resource = d.resource "
            "WHERE docs MATCH ? ORDER BY rank LIMIT ?", (match, limit * 3)).fetchall()
        seen: set[str] = set()
        for resource, kind, kind_label, label, illustrative, marked in rows:
            if resource in seen:
                continue
            seen.add(resource)
            hit = Hit(resource, kind, kind_label or "other", label or marked.replace("\x01", "").replace("\x02", ""),
                      marked, bool(illustrative))
            results.groups.setdefault(hit.kind_label, []).append(hit)
            if len(seen) >= limit:
                break
        return results

    def suggestions(self, limit: int = 8) -> list[str]:
        """Labels worth trying when a search finds nothing: the kinds of things the graph holds."""
        db = self._current()
        return [row[0] for row in db.execute(
            "SELECT kind_label FROM resources WHERE kind_label != '' GROUP BY kind_label ORDER BY COUNT(*) DESC "
            "LIMIT ?", (limit,))]
