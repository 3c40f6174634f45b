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

import os
import re
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import simplemma
from simplemma import Lemmatizer
from simplemma.strategies.default import DefaultStrategy
from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory

from . import settings

# The nine languages CircE's partners speak; simplemma has a dictionary for each.
LANGUAGES = ("en", "it", "ca", "es", "pl", "nl", "fr", "bg", "sl")
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
    return fold(_lemmatizer().lemmatize(word, lang=language))


class _AtomicTries(TrieDictionaryFactory):
    """simplemma's trie dictionaries (marisa-trie), each written to its file whole: a process that finds a trie
    file finds a complete one, even while another one is still writing it."""

    def _write_trie_to_disk(self, lang: str, trie: Any) -> None:
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._cache_dir, prefix=f".{lang}-", delete=False) as part:
            partial = Path(part.name)
        try:
            trie.save(str(partial))
            os.replace(partial, self._cache_dir / f"{lang}.dic")
        finally:
            partial.unlink(missing_ok=True)


def trie_folder() -> Path:
    """CIRCE_KG_LEMMA_CACHE, or circe-kg/lemma-tries in the user's cache folder (XDG_CACHE_HOME), with simplemma's
    version in the name (a new version's dictionaries are built anew)."""
    named = settings.value("LEMMA_CACHE")
    base = Path(named) if named is not None else _user_cache() / "circe-kg" / "lemma-tries"
    return base / f"simplemma-{simplemma.__version__}"


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


@lru_cache(maxsize=1)
def _lemmatizer() -> Lemmatizer:
    """The lemmatiser over tries kept on disk: built from simplemma's dictionaries once per machine (`load`, which
    scripts/setup.sh runs), then opened in milliseconds by each process, with lookups as fast as simplemma's
    in-memory dictionaries and a fraction of their memory (bench/README.md)."""
    tries = _AtomicTries(cache_max_size=len(LANGUAGES), disk_cache_dir=str(trie_folder()))
    return Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=tries))


# Bulgarian Cyrillic in Latin letters (the Streamlined System of the Bulgarian transliteration law), so that a
# name typed in Cyrillic meets its Latin spelling in the texts ("Хан Богров" -> "han bogrov").
_ROMAN = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sht",
        "ъ": "a",
        "ь": "y",
        "ю": "yu",
        "я": "ya",
    }
)


def romanised(word: str) -> str:
    """`word` in Latin letters where it is written in Cyrillic, folded (other scripts unchanged).

    >>> romanised("Богров")
    'bogrov'
    """
    return fold(word.lower().translate(_ROMAN))


def lemmas_of(text: str, language: str) -> str:
    """The text as the index matches it: each word folded, followed by its lemma where that differs (a
    lemmatiser's reading may be wrong — "hotel" read as the Slovene verb "hoteti" — so the word stays too).

    >>> lemmas_of("Javna naročila", "sl")
    'javna javen narocila narocilo'
    """
    base = _base(language)
    out = []
    for word in words(text):
        folded, its_lemma = fold(word), lemma(word, base)
        out.append(folded if folded == its_lemma else f"{folded} {its_lemma}")
    return " ".join(out)


def lemma_terms(text: str, language: str) -> tuple[str, ...]:
    """The lemma of each word of `text`, in order: what a concept's label must be found as."""
    return tuple(lemma(word, _base(language)) for word in words(text))


def _base(language: str) -> str:
    """The primary language of a tag ("sl-SI" -> "sl"); English for a text with no tag."""
    return language.split("-")[0].lower() if language else "en"


def query_lemmas(word: str, languages: tuple[str, ...] = LANGUAGES) -> frozenset[str]:
    """Every folded lemma `word` may have in `languages`, and the folded word itself: a query's language is not
    known for sure (a Slovene officer may type English), so each word is read in every partner language."""
    return frozenset({fold(word), *(lemma(word, language) for language in languages)})


def load() -> None:
    """Open every language's dictionary now (building its trie file the first time), so that no search waits for
    it."""
    for language in LANGUAGES:
        lemma("circular", language)
