"""Search over every label and description, in every language: the reader's words, their lemmas, and the concepts
they name, each hit saying why it matched.

A label scan with CONTAINS grows with the graph (PLATFORM.md), so the texts of queries/search-documents.rq are
kept in an SQLite FTS5 index in memory, each with its lemmas (circe_kg.lemmas: "naročila" is indexed as
"narocilo" too), and the concepts of queries/search-concepts.rq in a concept graph beside it
(circe_kg.search_concepts). A query finds, in this order of relevance:
1. words: texts with every word of the query (as prefixes; accents and case folded);
2. lemmas: texts with every word in some form (each query word read in every partner language);
3. concepts: resources tagged with a concept the query names in any language (a sector, a topic, a NACE item…),
   and texts that use that concept's labels in the other languages.
Within each, sourced resources come before illustrative ones and a text in the reader's language before others.
After a write the index catches up with the resources the write changed (Store.changed_subjects); it is rebuilt
whole only when that is not known, when a write changed more than MAX_CAUGHT_UP resources, or the ontology or
a concept. The person's words are searched as quoted terms, so FTS syntax in them is just text.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from . import lemmas, queries
from .lemmas import fold, lemma, lemmas_of, query_lemmas, words
from .namespaces import BASE, CIRCE
from .search_concepts import ConceptGraph, Match
from .store import Store

MAX_QUERY = 200  # characters: a search box, not a document
MAX_TERMS = 8  # words of a query that are searched; the page says when a query had more
METHODS = frozenset({"words", "lemmas", "concepts"})
TIERS = {"words": 0, "lemmas": 1, "concepts": 2}
SNIPPET_WORDS = 24
BATCH = 10_000  # rows written to the index at once
MAX_CAUGHT_UP = queries.MAX_LIST  # resources a write may change for the index to catch up rather than rebuild


@dataclass
class Via:
    """The concept a hit was reached through."""
    concept: str
    kind: str  # what the concept is: topic, sector, barrier category… (search_concepts.SCHEME_KINDS)
    label: str  # the concept's name in the reader's language (or English)
    matched: str  # the label the query named, in its own language
    matched_language: str
    tagged: bool  # True: the resource is tagged with the concept; False: its text uses one of the concept's names


@dataclass
class Hit:
    resource: str
    kind: str
    kind_label: str
    label: str
    snippet: str  # the matched text with \x01 … \x02 around the matching words (the page marks them)
    illustrative: bool
    match: str = "words"  # words, lemmas or concepts: how it matched
    language: str = ""  # the language of the text that matched ("" where no text did: a tag)
    via: Via | None = None
    order: tuple[int, int, int, int] = (0, 0, 0, 0)  # tier, illustrative, not in the reader's language, rank


@dataclass
class Results:
    query: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # limits the search met (words left out, expansions cut)

    @property
    def count(self) -> int:
        return sum(len(hits) for hits in self.groups.values())

    def ranked(self) -> list[Hit]:
        """Every hit, best first, across the groups."""
        return sorted((hit for hits in self.groups.values() for hit in hits), key=lambda h: h.order)


def terms_of(text: str) -> list[str]:
    """The words of a search, as FTS5 quoted prefix terms ("word"*), so no FTS syntax gets through."""
    return ['"' + w.replace('"', '""') + '"*' for w in words(text[:MAX_QUERY])[:MAX_TERMS]]


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def marked(text: str, language: str, prefixes: frozenset[str], lemmas: frozenset[str]) -> str:
    """`text` cut to about SNIPPET_WORDS words around its first match, with \x01 … \x02 around each word that
    starts with one of `prefixes` or has one of `lemmas` (in `language`): the page marks them.

    >>> marked("Javna naročila so ključna", "sl", frozenset(), frozenset({"narocilo"}))
    'Javna \x01naročila\x02 so ključna'
    """
    spans = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    base = (language or "en").split("-")[0]
    hits = [i for i, (a, b) in enumerate(spans)
            if any(fold(text[a:b]).startswith(p) for p in prefixes) or lemma(text[a:b].lower(), base) in lemmas]
    if not spans:
        return text
    first = hits[0] if hits else 0
    start = max(0, first - SNIPPET_WORDS // 3)
    end = min(len(spans), start + SNIPPET_WORDS)
    out, position = [], spans[start][0]
    for i in range(start, end):
        a, b = spans[i]
        out.append(text[position:a])
        out.append("\x01" + text[a:b] + "\x02" if i in hits else text[a:b])
        position = b
    tail = text[position:] if end == len(spans) else ""
    return ("…" if start else "") + "".join(out) + tail + ("…" if end < len(spans) else "")


class SearchIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._db: sqlite3.Connection | None = None
        self._concepts = ConceptGraph()

    def _current(self) -> tuple[sqlite3.Connection, ConceptGraph]:
        with self._lock:
            generation = self.store.generation
            if self._db is None or self._generation is None:
                self._db, self._concepts = self._build()
            elif generation != self._generation:
                changed = self.store.changed_subjects(self._generation)
                resources = sorted(s for s in changed or () if s.startswith(BASE + "id/"))
                if (changed is None or len(resources) > MAX_CAUGHT_UP or any(s.startswith(str(CIRCE)) for s in changed)
                        or any(s in self._concepts.concepts for s in changed)):
                    self._db, self._concepts = self._build()
                elif resources:
                    self._catch_up(self._db, resources)
            self._generation = generation
            return self._db, self._concepts

    def _build(self) -> tuple[sqlite3.Connection, ConceptGraph]:
        lemmas.load()
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(text, lemmas, resource UNINDEXED, field UNINDEXED, "
                   "language UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
        db.execute("CREATE TABLE resources (resource TEXT PRIMARY KEY, kind TEXT, kind_label TEXT, label TEXT, "
                   "illustrative INTEGER)")
        # Which rows of docs belong to a resource: FTS5 cannot look up an UNINDEXED column without a full scan.
        db.execute("CREATE TABLE doc_rows (doc INTEGER PRIMARY KEY, resource TEXT)")
        db.execute("CREATE INDEX doc_rows_by_resource ON doc_rows (resource)")
        self._insert(db, queries.stream(self.store, "search-documents"))
        concepts = ConceptGraph()
        concepts.add_labels(_as_text(queries.stream(self.store, "search-concepts"), language_of="label"))
        concepts.add_links(_as_text(queries.stream(self.store, "search-concept-links")))
        return db, concepts

    def _catch_up(self, db: sqlite3.Connection, resources: list[str]) -> None:
        """Index `resources` again from the store: their old rows out, their current ones in, in one transaction;
        their tags in the concept graph likewise."""
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
        links = [row for row in _as_text(queries.stream(self.store, "search-concept-links", {"resource": resources}))
                 if row["resource"] in wanted]
        self._concepts.forget(resources)
        self._concepts.add_links(row for row in links if row["relation"] == "tag")

    @staticmethod
    def _insert(db: sqlite3.Connection, rows: Iterable[queries.Row]) -> None:
        first = db.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM doc_rows").fetchone()[0]
        docs: list[tuple[int, str, str, str, str, str]] = []
        kinds: dict[str, tuple[str, str, str, bool]] = {}
        for number, row in enumerate(rows, start=first):
            if len(docs) >= BATCH:  # in batches: the rows of 10^7 triples need not all be held at once
                SearchIndex._write_docs(db, docs)
                docs.clear()
            resource, text = row["resource"].value, row["text"].value
            language = row["text"].language or ""
            docs.append((number, text, lemmas_of(text, language), resource, row["field"].value, language))
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
    def _write_docs(db: sqlite3.Connection, docs: list[tuple[int, str, str, str, str, str]]) -> None:
        db.executemany("INSERT INTO docs (rowid, text, lemmas, resource, field, language) VALUES (?, ?, ?, ?, ?, ?)",
                       docs)
        db.executemany("INSERT INTO doc_rows VALUES (?, ?)", [(doc[0], doc[3]) for doc in docs])

    def prepare(self) -> int:
        """Build the index now (or catch it up), before a search needs it; how many texts it holds."""
        return int(self._current()[0].execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def search(self, text: str, limit: int = 100, any_word: bool = False, lang: str = "en",
               methods: frozenset[str] = METHODS) -> Results:
        """Resources that match `text` by the `methods` asked for (METHODS: words, lemmas, concepts), best first:
        by method (words before lemmas before concepts), then sourced before illustrative, then a text in `lang`
        (the reader's language) before others. With any_word, a text needs only one of the words."""
        results = Results(text)
        query_words = words(text[:MAX_QUERY])
        if len(query_words) > MAX_TERMS:
            results.notes.append(f"only the first {MAX_TERMS} words were searched")
            query_words = query_words[:MAX_TERMS]
        if not query_words:
            return results
        db, concepts = self._current()
        found: dict[str, Hit] = {}
        cap = limit * 3
        joiner = " OR " if any_word else " AND "
        prefixes = frozenset(fold(w) for w in query_words)
        groups = [query_lemmas(w) for w in query_words]
        every_lemma = frozenset().union(*groups)

        def collect(expression: str, match: str, lemmas: frozenset[str], via: Via | None = None) -> None:
            rows = db.execute("SELECT d.resource, d.text, d.language, r.kind, r.kind_label, r.label, r.illustrative "
                              "FROM docs d JOIN resources r ON r.resource = d.resource WHERE docs MATCH ? "
                              "ORDER BY rank LIMIT ?", (expression, cap)).fetchall()
            for rank, (resource, matched, language, kind, kind_label, label, illustrative) in enumerate(rows):
                order = (TIERS[match], int(illustrative), int((language or "en").split("-")[0] != lang), rank)
                hit = found.get(resource)
                if hit is None or order < hit.order:
                    snippet = marked(matched, language, prefixes if match == "words" else frozenset(), lemmas)
                    found[resource] = Hit(resource, kind, kind_label or "other", label or matched, snippet,
                                          bool(illustrative), match, language, via, order)

        if "words" in methods:
            collect("text : (" + joiner.join('"' + w.replace('"', '""') + '"*' for w in query_words) + ")",
                    "words", frozenset())
        if "lemmas" in methods:
            collect(joiner.join("lemmas : (" + " OR ".join(_quoted(x) for x in sorted(g)) + ")" for g in groups),
                    "lemmas", every_lemma)
        if "concepts" in methods:
            for named in concepts.named_in(text[:MAX_QUERY]):
                self._through_concept(db, concepts, named, lang, found, collect)
        hits = sorted(found.values(), key=lambda h: h.order)[:limit]
        for hit in hits:
            results.groups.setdefault(hit.kind_label, []).append(hit)
        return results

    @staticmethod
    def _through_concept(db: sqlite3.Connection, concepts: ConceptGraph, named: Match, lang: str, found: dict[str, Hit],
                         collect: Callable[[str, str, frozenset[str], Via | None], None]) -> None:
        """The resources a named concept reaches: those tagged with it (or a related concept), and those whose texts
        use its labels in the other languages."""
        shown = named.concept.label_in(lang) or named.label
        tagged = concepts.resources_about(named.related)
        ordered = sorted(tagged)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            rows = db.execute("SELECT resource, kind, kind_label, label, illustrative FROM resources "
                              f"WHERE resource IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            for resource, kind, kind_label, label, illustrative in rows:
                order = (TIERS["concepts"], int(illustrative), 0, 0)
                if resource not in found or order < found[resource].order:
                    filed = concepts.concepts.get(tagged[resource])
                    name = (filed.label_in(lang) if filed else None) or shown
                    via = Via(tagged[resource], filed.kind if filed else named.concept.kind, name.text,
                              named.label.text, named.label.language, tagged=True)
                    found[resource] = Hit(resource, kind, kind_label or "other", label, label, bool(illustrative),
                                          "concepts", "", via, order)
        for bridge in named.bridges:
            collect(f"lemmas : {_quoted(bridge.phrase)}", "concepts", bridge.lemmas,
                    Via(named.concept.iri, named.concept.kind, shown.text, bridge.text, bridge.language,
                        tagged=False))

    def suggestions(self, limit: int = 8) -> list[str]:
        """Labels worth trying when a search finds nothing: the kinds of things the graph holds."""
        db = self._current()[0]
        return [row[0] for row in db.execute(
            "SELECT kind_label FROM resources WHERE kind_label != '' GROUP BY kind_label ORDER BY COUNT(*) DESC "
            "LIMIT ?", (limit,))]

    def suggest(self, prefix: str, lang: str = "en", limit: int = 10) -> list[dict[str, object]]:
        """Concepts whose name (in any language) starts with the words typed: each with its name in `lang`, the
        name that matched, and its names in the other languages — the search box's suggestions."""
        concepts = self._current()[1]
        out = []
        for concept, label in concepts.suggest(prefix[:MAX_QUERY], limit):
            shown = concept.label_in(lang) or label
            others: dict[str, str] = {}
            for other in concept.labels:
                others.setdefault(other.language, other.text)
            out.append({"concept": concept.iri, "scheme": concept.scheme_label, "label": shown.text,
                        "language": shown.language, "matched": label.text, "matchedLanguage": label.language,
                        "names": others})
        return out


def _as_text(rows: Iterable[queries.Row], language_of: str | None = None) -> Iterator[dict[str, str]]:
    """Query rows as text; `language_of` names a variable whose language tag is wanted as {name}Language."""
    for row in rows:
        values = {k: v.value for k, v in row.items()}
        if language_of and language_of in row:
            values[f"{language_of}Language"] = getattr(row[language_of], "language", None) or ""
        yield values
