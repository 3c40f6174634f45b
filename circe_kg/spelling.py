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
        candidates = set(self._by_delete.get(word, ()))  # a letter too many
        for form in _deletes(word):
            if form in self.counts:
                candidates.add(form)  # a letter missing
            candidates |= self._by_delete.get(form, set())  # a letter wrong (or swapped with a neighbour's)
        candidates = {c for c in candidates if _one_edit(word, c)}
        return max(sorted(candidates), key=lambda c: self.counts[c]) if candidates else None


def _one_edit(a: str, b: str) -> bool:
    """True if `b` is `a` with one letter changed, added or removed."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
