"""Search over every label and description, in every language: the reader's words, their lemmas, and the concepts
they name, each hit saying why it matched.

A label scan with CONTAINS grows with the graph (PLATFORM.md), so the texts of queries/app/search-documents.rq are
kept in an SQLite FTS5 index in memory, each with its lemmas (circe_kg.lemmas: "naročila" is indexed as
"narocilo" too), and the concepts of queries/app/search-concepts.rq in a concept graph beside it
(circe_kg.search_concepts). A query finds, in this order of relevance:
1. words: texts with every word of the query (as prefixes; accents and case folded);
2. lemmas: texts with every word in some form (each query word read in every partner language);
3. concepts: resources tagged with a concept the query names in any language (a sector, a topic, a NACE item…),
   and texts that use that concept's labels in the other languages.
Within each, the project's sourced records come first, then another party's (ECESP's good practices), then
illustrative examples; and a text in the reader's language before others.
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
from typing import NamedTuple

import pyoxigraph as ox

from . import lemmas, meaning, queries
from .facets import N_
from .lemmas import fold, lemma, lemmas_of, query_lemmas, romanised, words
from .namespaces import BASE, CIRCE
from .search_concepts import RELATIONS, Concept, ConceptGraph, Label, Match
from .search_meaning import MeaningIndex, Nearness
from .spelling import Vocabulary
from .store import Store

MAX_QUERY = 200  # characters: a search box, not a document
MAX_TERMS = 8  # words of a query that are searched; the page says when a query had more
METHODS = frozenset({"words", "lemmas", "concepts", "meaning"})
# How a hit matched, in order of relevance: every word; every word in some form; through a concept the query
# names (the concept itself 2, a text naming it in another language 3, a resource filed under it 4 or under a
# related concept 5); some of the words of a long query; only by meaning.
TIERS = {"words": 0, "lemmas": 1, "concepts": 2, "some-words": 6, "meaning": 7}
CANDIDATES = 100  # hits the meaning step orders, whatever the page shows
LONG_QUESTION = 4  # words of four letters or more: a question whose partial matches are ranked by meaning alone
NEAR_ENOUGH = 0.80  # similarity from which a text no other method reached is shown, by meaning alone
MEANING_HITS = 10  # at most this many of those
STANDS_OUT = 4.0  # standard deviations nearer than the average resource, for those when no other method found any
RRF_K = 60  # reciprocal rank fusion's constant, as its authors set it
SNIPPET_WORDS = 24
# The kinds of things the graph holds, as the index names them (the classes' English labels): marked so that the
# search page shows each group's heading in the reader's language. A class added later is shown by its own label.
KIND_NAMES = (
    N_("Action"),
    N_("Action plan"),
    N_("Barrier"),
    N_("Barrier category"),
    N_("Circular strategy"),
    N_("Good practice"),
    N_("Known unknown"),
    N_("Monitoring observation"),
    N_("Opportunity"),
    N_("Partner meeting"),
    N_("Partnership"),
    N_("Policy instrument"),
    N_("Practice"),
    N_("Prioritisation criterion"),
    N_("Project"),
    N_("Project event"),
    N_("Sector"),
    N_("Stakeholder"),
    N_("Stakeholder meeting"),
    N_("Study visit"),
    N_("Transfer"),
)
MAX_TAGGED = 2000  # resources filed under one named concept that a query ranks (the page says when there are more)
PREFIX_FROM = 6  # letters: a query lemma this long also matches longer words it begins
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
    order: tuple[float, ...] = (0,)  # see SearchIndex.search
    similarity: float | None = None  # how close in meaning the resource's nearest passage is (0–1), when measured


@dataclass
class Results:
    query: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    # What the search did that the reader should know (words left out, a word read as another): a message to
    # translate (marked with N_) and its values.
    notes: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(hits) for hits in self.groups.values())

    def ranked(self) -> list[Hit]:
        """Every hit, best first, across the groups."""
        return sorted((hit for hits in self.groups.values() for hit in hits), key=lambda h: h.order)


def terms_of(text: str) -> list[str]:
    """The words of a search, as FTS5 quoted prefix terms ("word"*), so no FTS syntax gets through."""
    return ['"' + w.replace('"', '""') + '"*' for w in re.findall(r"\w+", text[:MAX_QUERY])[:MAX_TERMS]]


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def marked(text: str, language: str, prefixes: frozenset[str], lemmas: frozenset[str]) -> str:
    r"""`text` cut to about SNIPPET_WORDS words around its first match, with \x01 … \x02 around each word that
    starts with one of `prefixes` or has one of `lemmas` (in `language`): the page marks them.

    >>> marked("Javna naročila so ključna", "sl", frozenset(), frozenset({"narocilo"}))
    'Javna \x01naročila\x02 so ključna'
    """
    spans = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    base = (language or "en").split("-")[0]
    hits = [
        i
        for i, (a, b) in enumerate(spans)
        if any(fold(text[a:b]).startswith(p) for p in prefixes)
        or fold(text[a:b]) in lemmas
        or lemma(text[a:b].lower(), base) in lemmas
    ]
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


class Parts(NamedTuple):
    """What a search reads: the texts (SQLite FTS5), the concepts, the known words."""

    db: sqlite3.Connection
    concepts: ConceptGraph
    vocabulary: Vocabulary
    meaning: MeaningIndex | None  # None where the model is not installed


# A resource's standing, ranked in this order at equal relevance: the CircE project's sourced records, sourced records
# of another party's dataset (e.g. ECESP's good practices), illustrative examples.
OWN, OTHER_DATASET, ILLUSTRATIVE = 0, 1, 2


def _standing(row: queries.Row) -> int:
    if row["illustrative"].value == "true":
        return ILLUSTRATIVE
    return OTHER_DATASET if "other" in row and row["other"].value == "true" else OWN


class SearchIndex:
    def __init__(self, store: Store, vectors: meaning.VectorCache | None = None) -> None:
        self.store = store
        self._vectors = vectors
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._parts: Parts | None = None

    def _current(self) -> Parts:
        with self._lock:
            generation = self.store.generation
            if self._parts is None or self._generation is None:
                self._parts = self._build()
            elif generation != self._generation:
                changed = self.store.changed_subjects(self._generation)
                resources = sorted(s for s in changed or () if s.startswith(BASE + "id/"))
                if (
                    changed is None
                    or len(resources) > MAX_CAUGHT_UP
                    or any(s.startswith(str(CIRCE)) for s in changed)
                    or any(s in self._parts.concepts.concepts for s in changed)
                ):
                    if self._parts.meaning is not None:
                        self._parts.meaning.stop()
                    self._parts = self._build()
                elif resources:
                    self._catch_up(self._parts, resources)
            self._generation = generation
            return self._parts

    def _build(self) -> Parts:
        lemmas.load()
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(text, lemmas, resource UNINDEXED, field UNINDEXED, "
            "language UNINDEXED, tokenize='unicode61 remove_diacritics 2')"
        )
        db.execute(
            "CREATE TABLE resources (resource TEXT PRIMARY KEY, kind TEXT, kind_label TEXT, label TEXT, "
            "standing INTEGER)"
        )
        # Which rows of docs belong to a resource: FTS5 cannot look up an UNINDEXED column without a full scan.
        db.execute("CREATE TABLE doc_rows (doc INTEGER PRIMARY KEY, resource TEXT)")
        db.execute("CREATE INDEX doc_rows_by_resource ON doc_rows (resource)")
        vocabulary = Vocabulary()
        self._insert(db, queries.stream(self.store, "search-documents"), vocabulary)
        concepts = ConceptGraph()
        concepts.add_labels(_as_text(queries.stream(self.store, "search-concepts"), language_of="label"))
        concepts.add_links(_as_text(queries.stream(self.store, "search-concept-links")))
        vocabulary.add(
            fold(w) for concept in concepts.concepts.values() for label in concept.labels for w in words(label.text)
        )
        vectors = None
        if meaning.available():
            if self._vectors is None:
                self._vectors = meaning.VectorCache()
            vectors = MeaningIndex(self._vectors)
            vectors.add(db.execute("SELECT resource, text, language FROM docs"))
        return Parts(db, concepts, vocabulary, vectors)

    def _catch_up(self, parts: Parts, resources: list[str]) -> None:
        """Index `resources` again from the store: their old rows out, their current ones in, in one transaction;
        their tags in the concept graph likewise."""
        rows = queries.stream(self.store, "search-documents", {"resource": resources})
        db = parts.db
        with db:
            for resource in resources:
                db.execute("DELETE FROM docs WHERE rowid IN (SELECT doc FROM doc_rows WHERE resource = ?)", (resource,))
                db.execute("DELETE FROM doc_rows WHERE resource = ?", (resource,))
                db.execute("DELETE FROM resources WHERE resource = ?", (resource,))
            self._insert(db, rows, parts.vocabulary)
        links = list(_as_text(queries.stream(self.store, "search-concept-links", {"resource": resources})))
        parts.concepts.forget(resources)
        parts.concepts.add_links(row for row in links if row["property"] not in RELATIONS)
        if parts.meaning is not None:
            parts.meaning.remove(resources)
            parts.meaning.add(
                db.execute(
                    "SELECT d.resource, d.text, d.language FROM docs d JOIN doc_rows r ON r.doc = d.rowid "
                    f"WHERE r.resource IN ({','.join('?' * len(resources))})",
                    resources,
                )
            )

    @staticmethod
    def _insert(db: sqlite3.Connection, rows: Iterable[queries.Row], vocabulary: Vocabulary) -> None:
        first = db.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM doc_rows").fetchone()[0]
        docs: list[tuple[int, str, str, str, str, str]] = []
        kinds: dict[str, tuple[str, str, str, int]] = {}
        for number, row in enumerate(rows, start=first):
            if len(docs) >= BATCH:  # in batches: the rows of 10^7 triples need not all be held at once
                SearchIndex._write_docs(db, docs)
                docs.clear()
            resource, text = row["resource"].value, row["text"].value
            language = (row["text"].language if isinstance(row["text"], ox.Literal) else None) or ""
            docs.append((number, text, lemmas_of(text, language), resource, row["field"].value, language))
            vocabulary.add(fold(w) for w in words(text))
            kind = row["kind"].value if "kind" in row else ""
            previous = kinds.get(resource)
            label = text if row["field"].value == "label" and language == "en" else (previous[2] if previous else "")
            if previous is None or (not previous[0] and kind) or (label and not previous[2]):
                kinds[resource] = (
                    kind or (previous[0] if previous else ""),
                    row["kindLabel"].value if "kindLabel" in row else (previous[1] if previous else ""),
                    label,
                    _standing(row),
                )
        SearchIndex._write_docs(db, docs)
        db.executemany(
            "INSERT INTO resources VALUES (?, ?, ?, ?, ?)",
            [(r, k, kl, lab, standing) for r, (k, kl, lab, standing) in kinds.items()],
        )

    @staticmethod
    def _write_docs(db: sqlite3.Connection, docs: list[tuple[int, str, str, str, str, str]]) -> None:
        db.executemany(
            "INSERT INTO docs (rowid, text, lemmas, resource, field, language) VALUES (?, ?, ?, ?, ?, ?)", docs
        )
        db.executemany("INSERT INTO doc_rows VALUES (?, ?)", [(doc[0], doc[3]) for doc in docs])

    def prepare(self, meaning_timeout: float | None = 0) -> int:
        """Build the index now (or catch it up), before a search needs it; how many texts it holds. With a
        `meaning_timeout` other than 0, wait that long (None: as long as it takes) for every passage to be read by
        the meaning model."""
        parts = self._current()
        if parts.meaning is not None and meaning_timeout != 0:
            parts.meaning.wait(meaning_timeout)
        return int(parts.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def meaning_pending(self) -> int | None:
        """Passages the meaning model has still to read (None where there is no model)."""
        vectors = self._current().meaning
        return None if vectors is None else vectors.pending

    def search(
        self, text: str, limit: int = 100, any_word: bool = False, lang: str = "en", methods: frozenset[str] = METHODS
    ) -> Results:
        """Resources that match `text` by the `methods` asked for (METHODS: words, lemmas, concepts, meaning), best
        first: a name before a description, then by how they matched (every word, every word in some form, through
        a concept, some of the words), then the project's sourced records, another dataset's, illustrative ones,
        then a text in `lang` (the reader's language) before others. With meaning, the records' standing first,
        then that order fused with closeness in meaning (_by_meaning). A word the index does not know is searched
        as the known word one letter away, and the results say so (notes). With any_word, a text needs only one
        of the words."""
        results = Results(text)
        query_words = words(text[:MAX_QUERY])
        if len(query_words) > MAX_TERMS:
            results.notes.append((N_("only the first %(count)s words were searched"), {"count": str(MAX_TERMS)}))
            query_words = query_words[:MAX_TERMS]
        if not query_words:
            return results
        db, concepts, vocabulary, vectors = self._current()
        near: Nearness | None = None
        if "meaning" in methods and vectors is not None:
            near = vectors.nearest(meaning.query(" ".join(query_words)))
            pending = vectors.pending
            if pending:
                results.notes.append(
                    (
                        N_("%(count)s texts are still being read for their meaning: results by meaning are incomplete"),
                        {"count": str(pending)},
                    )
                )
        if methods != {"words"}:
            query_words = self._corrected(query_words, vocabulary, results)
        found: dict[str, Hit] = {}
        reached: dict[str, int] = {}  # how many of the searched expressions reached each resource
        unmarked: dict[str, tuple[str, str, frozenset[str], frozenset[str]]] = {}  # a text hit's snippet, to mark
        wanted = max(limit, CANDIDATES) if near is not None else limit
        cap = wanted * 3
        prefixes = frozenset(fold(w) for w in query_words) | frozenset(romanised(w) for w in query_words)
        groups = [query_lemmas(w) for w in query_words]
        every_lemma = frozenset().union(*groups)

        def collect(
            expression: str,
            match: str,
            lemmas: frozenset[str],
            via: Callable[[str], Via] | None = None,
            tier: int | None = None,
        ) -> None:
            rows = db.execute(
                "SELECT d.resource, d.text, d.language, d.field, r.kind, r.kind_label, r.label, "
                "r.standing FROM docs d JOIN resources r ON r.resource = d.resource "
                "WHERE docs MATCH ? ORDER BY rank LIMIT ?",
                (expression, cap),
            ).fetchall()
            for rank, (resource, matched, language, field_name, kind, kind_label, label, standing) in enumerate(rows):
                reached[resource] = reached.get(resource, 0) + 1
                # A name before a description, then by how it matched, then sourced first, then the reader's
                # language, then the index's own ranking.
                order = (
                    int(field_name != "label"),
                    TIERS[match] if tier is None else tier,
                    standing,
                    int((language or "en").split("-")[0] != lang),
                    rank,
                )
                hit = found.get(resource)
                if hit is None or order < hit.order:
                    # The snippet is marked once the hits are ranked, for those shown only (below).
                    starts = prefixes if match == "words" else frozenset(x for x in lemmas if len(x) >= PREFIX_FROM)
                    unmarked[resource] = (matched, language, starts, lemmas)
                    found[resource] = Hit(
                        resource,
                        kind,
                        kind_label or "other",
                        label or matched,
                        matched,
                        standing == ILLUSTRATIVE,
                        match,
                        language,
                        via(language) if via else None,
                        order,
                    )

        def word_terms(word: str) -> str:
            forms = {word, romanised(word)}
            return "(" + " OR ".join('"' + f.replace('"', '""') + '"*' for f in sorted(forms) if f) + ")"

        def lemma_terms(group: frozenset[str]) -> str:
            # A long lemma also as a prefix: the lemmatiser may leave an inflected form as it is ("razprseni").
            return (
                "lemmas : ("
                + " OR ".join(_quoted(x) + ("*" if len(x) >= PREFIX_FROM else "") for x in sorted(group))
                + ")"
            )

        if "words" in methods:
            joiner = " OR " if any_word else " AND "
            collect("text : (" + joiner.join(word_terms(w) for w in query_words) + ")", "words", frozenset())
        if "lemmas" in methods:
            collect((" OR " if any_word else " AND ").join(lemma_terms(g) for g in groups), "lemmas", every_lemma)
        if "concepts" in methods:
            for named in concepts.named_in(" ".join(query_words), lang):
                self._through_concept(db, concepts, named, lang, found, collect, unmarked, results.notes)
        # A long question rarely has all its words in one text: then the texts with most of them, ranked below.
        content = [g for w, g in zip(query_words, groups, strict=True) if len(w) > 3]
        if len(query_words) >= 3 and len(content) >= 2 and len(found) < wanted and "lemmas" in methods:
            collect(" OR ".join(lemma_terms(g) for g in content), "some-words", every_lemma)
        # Between resources reached the same way, the one more of the query's expressions reached comes first
        # (a text naming a concept in three of its names before one naming it once).
        for hit in found.values():
            hit.order = (*hit.order[:3], -reached.get(hit.resource, 0), *hit.order[3:])
        if near is not None:
            self._by_meaning(db, near, found, unmarked, prefixes, every_lemma, len(content))
            if len(content) >= LONG_QUESTION and found:
                results.notes.append(
                    (N_("in a question this long, texts with only some of its words are ordered by meaning"), {})
                )
        hits = sorted(found.values(), key=lambda h: h.order)[:limit]
        if len(found) > limit:
            results.notes.append(
                (
                    N_("only the %(count)s best results are shown: add a word to narrow the search"),
                    {"count": str(limit)},
                )
            )
        for hit in hits:
            if hit.resource in unmarked:
                hit.snippet = marked(*unmarked[hit.resource])
            results.groups.setdefault(hit.kind_label, []).append(hit)
        return results

    @staticmethod
    def _by_meaning(
        db: sqlite3.Connection,
        near: Nearness,
        found: dict[str, Hit],
        unmarked: dict[str, tuple[str, str, frozenset[str], frozenset[str]]],
        prefixes: frozenset[str],
        every_lemma: frozenset[str],
        content_words: int,
    ) -> None:
        """Order `found` by reciprocal rank fusion of two rankings — the words', lemmas' and concepts' order, and
        closeness in meaning — after the records' standing (the project's sourced ones, another dataset's,
        illustrative ones): each hit scores 1 / (RRF_K + its rank) in each ranking it is in. For a long question
        (LONG_QUESTION words that say something) the first ranking holds only the texts with all its words (in some
        form): a concept named by one of its words, or some of its words, is weak evidence, ranked by meaning
        alone. The nearest passages no other method reached (at most MEANING_HITS, from NEAR_ENOUGH and nearer
        than any text with all the words) join with their rank in meaning alone — when the other methods found
        nothing, only those that stand out (STANDS_OUT), so that a string of letters finds nothing. Ranks, not
        scores, are fused because a similarity and a word match have no common scale, and neither kind of
        evidence may bury the other (Cormack, Clarke & Büttcher 2009)."""
        by_words = sorted(found.values(), key=lambda h: h.order)
        for hit in by_words:
            hit.similarity = near.similarity(hit.resource)
        gate = STANDS_OUT if not found else float("-inf")
        # A text with all the words sets the bar: a name found by its words brings no vaguely similar texts along.
        floor = max([NEAR_ENOUGH] + [h.similarity or 0.0 for h in by_words if h.match in ("words", "lemmas")])
        added: list[Hit] = []
        for nearness in near.top(MEANING_HITS):
            if (
                nearness.resource in found
                or nearness.similarity < floor
                or near.standing_out(nearness.similarity) < gate
            ):
                continue
            row = db.execute(
                "SELECT kind, kind_label, label, standing FROM resources WHERE resource = ?", (nearness.resource,)
            ).fetchone()
            if row is None:
                continue
            kind, kind_label, label, standing = row
            unmarked[nearness.resource] = (nearness.passage, nearness.language, prefixes, every_lemma)
            added.append(
                Hit(
                    nearness.resource,
                    kind,
                    kind_label or "other",
                    label or nearness.passage,
                    nearness.passage,
                    standing == ILLUSTRATIVE,
                    "meaning",
                    nearness.language,
                    None,
                    (TIERS["meaning"], standing),
                    nearness.similarity,
                )
            )
        by_meaning = sorted([*by_words, *added], key=lambda h: -(h.similarity or 0.0))
        fused = {hit.resource: 1 / (RRF_K + rank) for rank, hit in enumerate(by_meaning)}
        whole = content_words < LONG_QUESTION
        for rank, hit in enumerate(h for h in by_words if whole or h.match in ("words", "lemmas")):
            fused[hit.resource] += 1 / (RRF_K + rank)
        for hit in by_words:
            hit.order = (hit.order[2], -fused[hit.resource], *hit.order)  # order[2]: its standing
        for hit in added:
            hit.order = (hit.order[1], -fused[hit.resource], *hit.order)
            found[hit.resource] = hit

    @staticmethod
    def _corrected(query_words: list[str], vocabulary: Vocabulary, results: Results) -> list[str]:
        """The query's words, each unknown one replaced by the known word one letter away (noted in results)."""
        out = []
        for word in query_words:
            folded = fold(word)
            known = (
                folded in vocabulary
                or romanised(word) in vocabulary
                or any(lemma in vocabulary for lemma in query_lemmas(word))
            )
            correction = None if known else vocabulary.correct(folded)
            if correction:
                results.notes.append(
                    (N_("“%(typed)s” was searched as “%(known)s”"), {"typed": word, "known": correction})
                )
                out.append(correction)
            else:
                out.append(word)
        return out

    @staticmethod
    def _through_concept(
        db: sqlite3.Connection,
        concepts: ConceptGraph,
        named: Match,
        lang: str,
        found: dict[str, Hit],
        collect: Callable[..., None],
        unmarked: dict[str, tuple[str, str, frozenset[str], frozenset[str]]],
        notes: list[tuple[str, dict[str, str]]],
    ) -> None:
        """The resources a named concept reaches: the concept itself where it is a resource of the graph, the texts
        that use its names in the other languages, then the resources filed under it (or a related concept) — at
        most MAX_TAGGED of those, said in `notes` when there are more."""
        shown = named.concept.label_in(lang) or named.label
        tier = TIERS["concepts"]
        tagged = concepts.resources_about(named.related)
        own = {named.concept.iri} | concepts.matches.get(named.concept.iri, set())
        itself = db.execute(
            "SELECT resource, kind, kind_label, label, standing FROM resources "
            f"WHERE resource IN ({','.join('?' * len(own))})",
            sorted(own),
        ).fetchall()
        ordered = sorted(tagged, key=lambda r: (tagged[r] not in own, r))
        if len(ordered) > MAX_TAGGED:
            notes.append(
                (
                    N_("only %(count)s of the %(total)s records filed under “%(concept)s” were ranked"),
                    {"count": str(MAX_TAGGED), "total": str(len(ordered)), "concept": shown.text},
                )
            )
            ordered = ordered[:MAX_TAGGED]
        rows = itself + [
            row
            for start in range(0, len(ordered), 500)
            for row in db.execute(
                "SELECT resource, kind, kind_label, label, standing FROM resources "
                f"WHERE resource IN ({','.join('?' * len(ordered[start : start + 500]))})",
                ordered[start : start + 500],
            )
        ]
        position = {resource: n for n, resource in enumerate(ordered)}
        for resource, kind, kind_label, label, standing in rows:
            filed: Concept | None
            if resource in own:
                filed, sub = concepts.concepts.get(resource, named.concept), 0
            else:
                filed, sub = concepts.concepts.get(tagged[resource]), 2 if tagged[resource] in own else 3
            name = (filed.label_in(lang) if filed else None) or shown
            via = Via(
                filed.iri if filed else named.concept.iri,
                filed.kind if filed else named.concept.kind,
                name.text,
                named.label.text,
                named.label.language,
                tagged=True,
            )
            order = (int(sub > 0), tier + sub, standing, 0, position.get(resource, 0))
            if resource not in found or order < found[resource].order:
                unmarked.pop(resource, None)
                found[resource] = Hit(
                    resource,
                    kind,
                    kind_label or "other",
                    label,
                    label,
                    standing == ILLUSTRATIVE,
                    "concepts",
                    "",
                    via,
                    order,
                )
        for alike in named.bridges:
            near = " ".join(_quoted(term) for term in alike[0].terms)

            def via_in(language: str, alike: list[Label] = alike) -> Via:
                # Of the names spelt alike, the one in the language of the text that uses it.
                name = next((b for b in alike if b.language == (language or "en").split("-")[0]), alike[0])
                return Via(named.concept.iri, named.concept.kind, shown.text, name.text, name.language, tagged=False)

            collect(f"lemmas : NEAR({near}, {2 * len(alike[0].terms)})", "concepts", alike[0].lemmas, via_in, tier + 1)

    def suggestions(self, limit: int = 8) -> list[str]:
        """Labels worth trying when a search finds nothing: the kinds of things the graph holds."""
        db = self._current()[0]
        return [
            row[0]
            for row in db.execute(
                "SELECT kind_label FROM resources WHERE kind_label != '' GROUP BY kind_label ORDER BY COUNT(*) DESC "
                "LIMIT ?",
                (limit,),
            )
        ]

    def suggest(self, prefix: str, lang: str = "en", limit: int = 10) -> list[dict[str, object]]:
        """Concepts whose name (in any language) starts with the words typed: each with its name in `lang`, the
        name that matched, and its names in the other languages — the search box's suggestions."""
        concepts = self._current()[1]
        out: list[dict[str, object]] = []
        for concept, label in concepts.suggest(prefix[:MAX_QUERY], limit):
            shown = concept.label_in(lang) or label
            others: dict[str, str] = {}
            for other in concept.labels:
                others.setdefault(other.language, other.text)
            out.append(
                {
                    "concept": concept.iri,
                    "scheme": concept.scheme_label,
                    "label": shown.text,
                    "language": shown.language,
                    "matched": label.text,
                    "matchedLanguage": label.language,
                    "names": others,
                }
            )
        return out


def _as_text(rows: Iterable[queries.Row], language_of: str | None = None) -> Iterator[dict[str, str]]:
    """Query rows as text; `language_of` names a variable whose language tag is wanted as {name}Language."""
    for row in rows:
        values = {k: v.value for k, v in row.items()}
        if language_of and language_of in row:
            values[f"{language_of}Language"] = getattr(row[language_of], "language", None) or ""
        yield values
