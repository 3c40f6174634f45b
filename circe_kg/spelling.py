"""Words spelt nearly like a known word: "recyclimg" is searched as "recycling".

A symmetric-delete index (the method of SymSpell): every known word is filed under itself and each form with one
letter left out; a typed word with one letter wrong, missing or extra shares one of those forms with the word
meant. Looking a word up costs its own length in dictionary reads, whatever the vocabulary's size.

>>> vocabulary = Vocabulary()
>>> vocabulary.add(["recycling", "recycled", "plant"])
>>> vocabulary.correct("recyclimg")
'recycling'
>>> vocabulary.correct("plant") is None  # known words are left alone
True
>>> vocabulary.correct("xq") is None  # too short to guess
True
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Iterable

MIN_LENGTH = 4  # shorter words are too often another real word one letter away


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Vocabulary:
    """The folded words of the index's texts and concept labels, with how often each occurs."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._by_delete: dict[str, set[str]] = defaultdict(set)

    def add(self, folded_words: Iterable[str]) -> None:
        for word in folded_words:
            if word not in self.counts and len(word) >= MIN_LENGTH and not word.isdigit():
                for form in _deletes(word):
                    self._by_delete[form].add(word)
            self.counts[word] += 1

    def __contains__(self, word: object) -> bool:
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """The known word one edit away from `word` (the most frequent, if several), or None if `word` is known,
        too short, or has no such neighbour."""
        if word in self.counts or len(word) < MIN_LENGTH or word.isdigit():
            return None
        candidates = self.one_edit_from(word)
        return max(sorted(candidates), key=lambda c: self.counts[c]) if candidates else None

    def one_edit_from(self, word: str) -> set[str]:
        """Every known word one letter changed, added or removed away from `word` (not `word` itself)."""
        candidates = set(self._by_delete.get(word, ()))  # a letter too many
        for form in _deletes(word):
            if form in self.counts:
                candidates.add(form)  # a letter missing
            candidates |= self._by_delete.get(form, set())  # a letter wrong (or swapped with a neighbour's)
        return {c for c in candidates if c != word and _one_edit(word, c)}


class Names:
    """Names a person may have misspelt (terms of the ontology, identifiers, labels as slugs), indexed once for
    any number of `nearest` look-ups."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))
        self._vocabulary = Vocabulary()
        self._vocabulary.add(self.names)

    def nearest(self, word: str, cutoff: float = 0.75) -> str | None:
        """The name that `word` most likely misspells, or None when `word` is one of them or none is near.

        First the names one letter changed, added or removed away (as `Vocabulary.correct` finds them; of several,
        the most similar by difflib's ratio, then the first in order); else, for words too short for that or
        further off, the most similar with a ratio of at least `cutoff`."""
        if word in self._vocabulary:
            return None
        close = self._vocabulary.one_edit_from(word) if len(word) >= MIN_LENGTH else set()
        if close:
            return max(sorted(close), key=lambda c: difflib.SequenceMatcher(None, word, c).ratio())
        found = difflib.get_close_matches(word, self.names, n=1, cutoff=cutoff)
        return found[0] if found else None


def nearest(word: str, known: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The known name that `word` most likely misspells, or None (see `Names.nearest`). Used for names a person
    typed into data: a property (circe:sectr -> circe:sector), a class, a linked resource's identifier.

    >>> nearest("sectr", ["sector", "Sector", "status"])
    'sector'
    >>> nearest("Practise", ["Practice", "Project"])
    'Practice'
    >>> nearest("sector", ["sector"]) is None
    True
    """
    return Names(known).nearest(word, cutoff)


def _one_edit(a: str, b: str) -> bool:
    """True if `b` is `a` with one letter changed, added or removed."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
