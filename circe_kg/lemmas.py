"""Words and their lemmas in the partners' languages, for search that meets "naročila" with "naročilo".

One module holds the lemmatiser (simplemma: dictionaries shipped in the package, offline), so it can be swapped.
Words are compared folded: lower case, accents removed as SQLite FTS5's `remove_diacritics 2` removes them, so a
lemma written here matches the index's tokens.

>>> words("Javna naročila, v turizmu!")
['javna', 'naročila', 'v', 'turizmu']
>>> fold("Naročila")
'narocila'
>>> lemma("naročila", "sl")
'narocilo'
>>> sorted(query_lemmas("contrataciones"))[:2]
['contratacion', 'contrataciones']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from simplemma import Lemmatizer
from simplemma.strategies.default import DefaultStrategy
from simplemma.strategies.dictionaries import StreamDictionaryFactory

# The nine languages CircE's partners speak; simplemma has a dictionary for each.
LANGUAGES = ("en", "it", "ca", "es", "pl", "nl", "fr", "bg", "sl")
# Its low-memory dictionaries: the default ones take several times the memory, and their cache holds only eight
# languages, so the ninth would be read again and again.
_LEMMATIZER = Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(
    dictionary_factory=StreamDictionaryFactory(cache_max_size=len(LANGUAGES))))
WORD = re.compile(r"\w+", flags=re.UNICODE)
MAX_WORD = 40  # characters: longer "words" are not language (hashes, URLs run together) and are not lemmatised


def words(text: str) -> list[str]:
    """The words of `text`, lower case, accents kept (the lemmatiser needs them)."""
    return [w.lower() for w in WORD.findall(text)]


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """`word` in lower case without diacritics (ž -> z, é -> e, й -> и), as the search index stores it."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@lru_cache(maxsize=262144)
def lemma(word: str, language: str) -> str:
    """The folded lemma of `word` in `language`; the folded word itself where the language is not one of
    LANGUAGES, the word is too long, or the dictionary does not know it."""
    if language not in LANGUAGES or len(word) > MAX_WORD or word.isdigit():
        return fold(word)
    return fold(_LEMMATIZER.lemmatize(word, lang=language))


def lemmas_of(text: str, language: str) -> str:
    """The text as its lemmas, folded, space-separated: what the index matches lemmas against."""
    base = language.split("-")[0].lower() if language else "en"
    return " ".join(lemma(w, base) for w in words(text))


def query_lemmas(word: str, languages: tuple[str, ...] = LANGUAGES) -> frozenset[str]:
    """Every folded lemma `word` may have in `languages`, and the folded word itself: a query's language is not
    known for sure (a Slovene officer may type English), so each word is read in every partner language."""
    return frozenset({fold(word), *(lemma(word, language) for language in languages)})


def load() -> None:
    """Read every language's dictionary now, so that no search waits for it."""
    for language in LANGUAGES:
        lemma("circular", language)
