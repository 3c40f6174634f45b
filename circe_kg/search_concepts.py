"""The concepts a search can go through: their labels in every language, how they link to each other and which
resources are tagged with them — kept in memory beside the search index (circe_kg.search).

A query that names a concept in any language (a topic, a sector, a NACE item, a barrier category, a circular
strategy, a region) reaches (1) the resources tagged with that concept, a concept it matches, or a narrower
one, and (2) the texts that use the concept's labels in the other languages. Each way is explained to the
reader ("via sector Waste collection — Zbiranje odpadkov").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from os.path import commonprefix

from .facets import N_
from .lemmas import LANGUAGES, fold, lemma_terms, query_lemmas, words

ID = "https://w3id.org/circe-kg/id/"


# What a concept is, in a word the explanation of a hit can use ("via the sector …"), by its scheme.
SCHEME_KINDS = {
    ID + "scheme/circe-topics": N_("topic"),
    ID + "scheme/circe-sectors": N_("sector"),
    "http://data.europa.eu/ux2/nace2/nace2": N_("economic activity (NACE)"),
    ID + "scheme/kirchherr-2018": N_("barrier category"),
    ID + "scheme/emf-barrier-types": N_("barrier category"),
    ID + "scheme/resolve": N_("circular strategy"),
    ID + "scheme/r-ladder": N_("circular strategy"),
    "http://data.europa.eu/nuts/scheme/2016": N_("region"),
}
SKOS = "http://www.w3.org/2004/02/skos/core#"
RELATIONS = {SKOS + "closeMatch": "match", SKOS + "exactMatch": "match", SKOS + "broader": "broader"}
MAX_BRIDGES = 80  # labels of other languages searched for one query: a bound on the work a query may cause
MAX_CONCEPTS = 12  # concepts one query may go through
NEAR_FROM = 5  # letters two forms of a word share at least at their beginning (_near)


@dataclass(frozen=True)
class Label:
    text: str
    language: str
    terms: tuple[str, ...]  # the folded lemma of each of its words, in order
    lemmas: frozenset[str]


@dataclass
class Concept:
    iri: str
    scheme: str
    scheme_label: str
    labels: list[Label] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """What the concept is, in a word: topic, sector, barrier category…"""
        return SCHEME_KINDS.get(self.scheme, N_("concept"))

    def label_in(self, language: str) -> Label | None:
        """The label in `language`, else English, else any: preferred labels were added first."""
        by_language: dict[str, Label] = {}
        for label in self.labels:
            by_language.setdefault(label.language, label)
        return by_language.get(language) or by_language.get("en") or (self.labels[0] if self.labels else None)


@dataclass
class Match:
    """A concept a query named, through which label, and what it reaches."""

    concept: Concept
    label: Label  # the label the query matched
    related: set[str]  # the concept, the concepts it matches, and every narrower one
    bridges: list[list[Label]]  # its labels (and its matches'), those spelt alike together (Textile en, fr)


class ConceptGraph:
    def __init__(self) -> None:
        self.concepts: dict[str, Concept] = {}
        self.matches: dict[str, set[str]] = defaultdict(set)
        self.narrower: dict[str, set[str]] = defaultdict(set)
        self.broader: dict[str, set[str]] = defaultdict(set)
        self.tagged: dict[str, set[str]] = defaultdict(set)  # concept -> resources tagged with it
        self.tags_of: dict[str, set[str]] = defaultdict(set)  # resource -> concepts (to forget a resource's tags)
        # The labels by each of their lemmas and by its first NEAR_FROM letters (built when first asked, after
        # labels are added): a query looks at the labels that can match it, not at every label.
        self._by_lemma: dict[str, list[tuple[Concept, Label]]] | None = None
        self._by_beginning: dict[str, list[tuple[Concept, Label]]] = {}

    def add_labels(self, rows: Iterable[dict[str, str]]) -> None:
        """Rows of queries/app/search-concepts.rq as text: concept, scheme, schemeLabel, label, labelLanguage,
        labelKind. Preferred labels first, so that label_in() picks them."""
        for row in sorted(rows, key=lambda r: r.get("labelKind") != "pref"):
            concept = self.concepts.setdefault(
                row["concept"], Concept(row["concept"], row["scheme"], row.get("schemeLabel", ""))
            )
            language = row.get("labelLanguage", "") or "en"
            terms = lemma_terms(row["label"], language)
            if terms and all(label.text != row["label"] or label.language != language for label in concept.labels):
                concept.labels.append(Label(row["label"], language, terms, frozenset(terms)))
        self._by_lemma = None

    def _candidates(self, vocabulary: frozenset[str]) -> list[tuple[Concept, Label]]:
        """The labels that may match a query of these lemmas: those with one of them, or with a word that begins
        as one of them does (the most a near word can differ in), in the order the labels were added."""
        if self._by_lemma is None:
            self._by_lemma, self._by_beginning = defaultdict(list), defaultdict(list)
            for concept in self.concepts.values():
                for label in concept.labels:
                    for lemma in label.lemmas:
                        self._by_lemma[lemma].append((concept, label))
                        if len(lemma) >= NEAR_FROM:
                            self._by_beginning[lemma[:NEAR_FROM]].append((concept, label))
        found: dict[tuple[str, str, str], tuple[Concept, Label]] = {}
        for form in vocabulary:
            for concept, label in self._by_lemma.get(form, []) + (
                self._by_beginning.get(form[:NEAR_FROM], []) if len(form) >= NEAR_FROM else []
            ):
                found.setdefault((concept.iri, label.text, label.language), (concept, label))
        return list(found.values())

    def add_links(self, rows: Iterable[dict[str, str]]) -> None:
        """Rows of queries/app/search-concept-links.rq as text: resource, property, object. A close or exact match
        links two concepts both ways, skos:broader a concept to a broader one, any other property tags a
        resource with a concept."""
        for row in rows:
            subject, target = row["resource"], row["object"]
            relation = RELATIONS.get(row["property"], "tag")
            if relation == "match":
                self.matches[subject].add(target)
                self.matches[target].add(subject)
            elif relation == "broader":
                self.broader[subject].add(target)
                self.narrower[target].add(subject)
            else:
                self.tagged[target].add(subject)
                self.tags_of[subject].add(target)

    def forget(self, resources: Iterable[str]) -> None:
        """Drop the tags of `resources` (before they are read again after a write)."""
        for resource in resources:
            for concept in self.tags_of.pop(resource, set()):
                self.tagged[concept].discard(resource)

    def _below(self, concepts: set[str]) -> set[str]:
        """`concepts` and every concept narrower than one of them."""
        return set(concepts) | _reachable(concepts, self.narrower)

    def _above(self, concept: str) -> set[str]:
        """Every concept broader than `concept`."""
        return _reachable({concept}, self.broader)

    def related(self, concept: str) -> set[str]:
        """The concept, the concepts it (or a broader one) matches, and every concept narrower than those: what a
        resource may be tagged with to be about it (a NACE group reaches the sector its division matches)."""
        near = {concept} | self.matches.get(concept, set())
        for parent in self._above(concept):
            near |= self.matches.get(parent, set())
        near = self._below(near)
        for other in list(near):
            near |= self.matches.get(other, set())
        return self._below(near)

    def resources_about(self, related: set[str]) -> dict[str, str]:
        """Each resource tagged with one of the `related` concepts, and the concept it is tagged with."""
        return {resource: concept for concept in sorted(related) for resource in self.tagged.get(concept, ())}

    def named_in(self, query: str, lang: str = "en") -> list[Match]:
        """The concepts whose label the query contains, in any language (every word of the label, as a lemma),
        longest labels first; at most MAX_CONCEPTS. Of a concept's labels that the query contains, the one it
        names is the longest, spelt exactly rather than nearly, in the reader's language (`lang`) if a tie."""
        query_words = [query_lemmas(w) for w in words(query)]
        if not query_words:
            return []
        vocabulary = frozenset().union(*query_words)
        found: dict[str, tuple[Label, tuple[int, int, int, str]]] = {}
        for concept, label in self._candidates(vocabulary):
            missing = label.lemmas - vocabulary
            # Every word of the label in the query, as a lemma; a word the lemmatiser read otherwise ("zamówień"
            # as the verb "zamówić") may be near a query word instead, once another word of the label is exact
            # or the label is one long word.
            if not missing or (
                (len(missing) < len(label.lemmas) or len(next(iter(missing))) >= 6)
                and all(any(_near(word, form) for form in vocabulary) for word in missing)
            ):
                key = (-len(label.lemmas), len(missing), int(label.language != lang), label.text)
                best = found.get(concept.iri)
                if best is None or key < best[1]:
                    found[concept.iri] = (label, key)
        ranked = sorted(found.items(), key=lambda item: (item[1][1][:2], item[0]))[:MAX_CONCEPTS]
        matches = []
        for iri, (label, _) in ranked:
            concept = self.concepts[iri]
            bridges = [
                other
                for iri2 in {iri} | self.matches.get(iri, set())
                if iri2 in self.concepts
                for other in self.concepts[iri2].labels
                if other.language in LANGUAGES and other.lemmas != label.lemmas
            ]
            alike: dict[tuple[str, ...], list[Label]] = {}
            # English first (most texts are in English), then shorter names (a text uses a short one more often).
            for bridge in sorted(bridges, key=lambda b: (b.language != "en", len(b.terms), b.text)):
                alike.setdefault(bridge.terms, []).append(bridge)
            unique = list(alike.values())[:MAX_BRIDGES]
            matches.append(Match(concept, label, self.related(iri), unique))
        return matches

    def suggest(self, prefix: str, limit: int = 10) -> list[tuple[Concept, Label]]:
        """Concepts with a label (in any language) whose words start with the words of `prefix`, shortest first."""
        wanted = [fold(w) for w in words(prefix)]
        if not wanted:
            return []
        found: dict[str, Label] = {}
        for concept in self.concepts.values():
            for label in concept.labels:
                folded = [fold(w) for w in words(label.text)]
                if all(any(f.startswith(w) for f in folded) for w in wanted):
                    best = found.get(concept.iri)
                    if best is None or len(label.text) < len(best.text):
                        found[concept.iri] = label
        ranked = sorted(found.items(), key=lambda item: (len(item[1].text), item[1].text))[:limit]
        return [(self.concepts[iri], label) for iri, label in ranked]


def _reachable(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    """The nodes reached from `start` by one or more `edges` (start itself only if a cycle leads back)."""
    found: set[str] = set()
    todo = list(start)
    while todo:
        for following in edges.get(todo.pop(), ()):
            if following not in found:
                found.add(following)
                todo.append(following)
    return found


def _near(a: str, b: str) -> bool:
    """Two folded words that share a long beginning and differ only in an ending of a few letters ("zamowienie",
    "zamowien"; "odpadek", "odpaden"): the same word in another form, as far as a search is concerned.

    >>> _near("zamowienie", "zamowien"), _near("public", "publication")
    (True, False)
    """
    common = len(commonprefix((a, b)))
    return common >= NEAR_FROM and common >= min(len(a), len(b)) - 2 and abs(len(a) - len(b)) <= 3
