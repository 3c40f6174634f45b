"""The lemma dictionaries are built once into a folder of tries and opened from it: the same lemmas as
simplemma's own dictionaries, each trie file written whole."""

from __future__ import annotations

import pytest
from simplemma import Lemmatizer

from circe_kg import lemmas


@pytest.fixture
def fresh_tries(tmp_path, monkeypatch):
    """lemmas.py over an empty trie folder of this test's own; its caches emptied before and after."""
    monkeypatch.setenv("CIRCE_KG_LEMMA_CACHE", str(tmp_path))
    lemmas._lemmatizer.cache_clear()
    lemmas.lemma.cache_clear()
    yield tmp_path
    lemmas._lemmatizer.cache_clear()
    lemmas.lemma.cache_clear()


def test_a_trie_is_built_in_the_folder_named_and_gives_simplemmas_lemmas(fresh_tries):
    words = ["naročila", "turizmu", "odpadki", "krožno", "gospodarstvo"]
    assert [lemmas.lemma(word, "sl") for word in words] == [
        lemmas.fold(Lemmatizer().lemmatize(word, lang="sl")) for word in words
    ]
    folder = lemmas.trie_folder()
    assert folder.parent == fresh_tries
    assert sorted(path.name for path in folder.iterdir()) == ["sl.dic"]  # no partial file left beside it


def test_a_second_process_opens_the_trie_instead_of_building_it(fresh_tries):
    lemmas.lemma("naročila", "sl")
    built = lemmas.trie_folder() / "sl.dic"
    stamp = built.stat().st_mtime_ns
    lemmas._lemmatizer.cache_clear()
    lemmas.lemma.cache_clear()
    assert lemmas.lemma("naročila", "sl") == "narocilo"
    assert built.stat().st_mtime_ns == stamp
