"""Search by meaning (circe_kg.meaning, circe_kg.search_meaning): a question finds a text that says the same thing in
other words and another language, says so on the result, orders a long question's matches, stays current after a
write, and is off with "my words only"; the shipped vectors cover the shipped texts."""

from __future__ import annotations

import sqlite3

import numpy as np
import pyoxigraph as ox
import pytest

from circe_kg import meaning, queries
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.search import METHODS, SearchIndex
from circe_kg.search_meaning import MeaningIndex
from circe_kg.store import EmbeddedStore
from circe_kg.web.services import services_of

ID = "https://w3id.org/circe-kg/id/"
DESCRIPTION = ox.NamedNode("http://purl.org/dc/terms/description")
ALBERGO = ox.NamedNode(ID + "practice/albergo-diffuso")
BICYCLES = "Bicycles abandoned at the railway station are given a new saddle and lent to refugees for a year."
QUESTION = "biciclette abbandonate in stazione prestate ai rifugiati"  # Italian: no word of it is in the text
WITHOUT_MEANING = METHODS - {"meaning"}

pytestmark = pytest.mark.skipif(not meaning.available(), reason="the meaning model is not installed")


@pytest.fixture(scope="module")
def shipped():
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    yield store
    store.close()


@pytest.fixture(scope="module")
def index(shipped):
    index = SearchIndex(shipped)
    index.prepare(meaning_timeout=None)
    return index


def ranked(index: SearchIndex, text: str, lang: str, methods=METHODS, limit: int = 10) -> list[str]:
    return [hit.resource for hit in index.search(text, lang=lang, methods=methods, limit=limit).ranked()]


def test_passages_are_cut_at_sentences_and_at_most_chunk_words():
    first = " ".join(["alpha"] * 25) + "."
    second = " ".join(["beta"] * 25) + "."
    assert meaning.chunks(f"{first}  {second}") == [first, second], "two sentences that do not fit together"
    assert meaning.chunks("One. Two three.") == ["One. Two three."], "short sentences stay together"
    long = " ".join(f"w{n}" for n in range(90))  # one sentence longer than a passage
    parts = meaning.chunks(long)
    assert [len(p.split()) for p in parts] == [40, 40, 10]
    assert " ".join(parts) == long, "no word is lost or repeated"
    assert meaning.chunks("") == []


@pytest.mark.slow
def test_the_shipped_vectors_cover_every_passage_of_the_shipped_texts(shipped):
    texts = [row["text"].value for row in queries.stream(shipped, "search-documents")]
    keys = {meaning.key(p) for text in texts for p in meaning.chunks(text)}
    with np.load(meaning.SHIPPED) as data:
        have = set(data["keys"].tolist())
        assert data["vectors"].shape == (len(data["keys"]), meaning.DIMENSIONS)
    missing = keys - have
    assert not missing, (
        f"{len(missing)} passages of the shipped texts have no shipped vector: "
        "run .venv/bin/python scripts/search_vectors.py and commit circe_kg/search-vectors.npz"
    )


@pytest.mark.slow
def test_a_question_in_another_language_finds_a_new_text_by_meaning_after_a_write(shipped):
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    index = SearchIndex(store)
    index.prepare(meaning_timeout=None)
    assert ALBERGO.value not in ranked(index, QUESTION, "it")
    graph = next(q.graph_name.value for q in store._store.quads_for_pattern(ALBERGO, None, None))
    store.replace_graphs(
        {graph: [*store.triples(graph), ox.Triple(ALBERGO, DESCRIPTION, ox.Literal(BICYCLES, language="en"))]}
    )
    results = index.search(QUESTION, lang="it", limit=10)
    [hit] = [h for h in results.ranked() if h.resource == ALBERGO.value]
    assert hit.match == "meaning" and hit.via is None
    assert hit.language == "en" and "Bicycles" in hit.snippet, "the passage that matched, in its language"
    assert hit.similarity is not None and 0.8 <= hit.similarity <= 1
    assert ALBERGO.value not in ranked(index, QUESTION, "it", WITHOUT_MEANING), "no other method finds it"
    assert ALBERGO.value not in ranked(index, QUESTION, "it", frozenset({"words"})), "my words only: no meaning"
    store.close()


@pytest.mark.slow
def test_a_long_question_ranks_its_partial_matches_by_meaning(index):
    question = "welke regels belemmeren het gebruik van circulaire alternatieve materialen"
    expected = ID + "practice/gelderland-secondary-biobased-building-materials-schemes"
    with_meaning = ranked(index, question, "nl", limit=100)
    without = ranked(index, question, "nl", WITHOUT_MEANING, limit=100)
    assert with_meaning.index(expected) < 3 < without.index(expected)
    notes = [note for note, _ in index.search(question, lang="nl").notes]
    assert "in a question this long, texts with only some of its words are ordered by meaning" in notes


@pytest.mark.slow
def test_a_name_found_by_its_words_brings_no_vaguely_similar_texts(index):
    results = index.search("prinsenhof", lang="it")
    assert [h.match for h in results.ranked()] == ["words"]


def test_a_short_question_in_another_language_finds_the_text_by_meaning(index):
    hits = index.search("wyludnianie się wsi górskich", lang="pl").ranked()  # Polish: rural depopulation
    [found] = [h for h in hits if h.resource == ID + "barrier/depopulation-of-mountain-villages"]
    assert found.match == "meaning" and found.language not in ("", "pl"), "a text in another language"
    assert hits.index(found) == 0


@pytest.mark.slow
def test_with_meaning_sourced_records_still_come_first(index):
    ranked = index.search("textile recycling", 2000, lang="en").ranked()
    standings = [hit.order[0] for hit in ranked]  # the project's own, another dataset's, illustrative
    assert standings == sorted(standings) and len(set(standings)) > 1


def test_the_word_order_and_the_meaning_order_are_fused_by_their_ranks(index):
    """Reciprocal rank fusion: among records of one standing, a hit's place follows the sum of 1 / (60 + rank) over
    the two rankings — so a text both rankings put high beats one that only one of them does."""
    from circe_kg.search import RRF_K

    hits = index.search("textile waste", 2000, lang="en").ranked()
    by_words = sorted((h for h in hits if h.match != "meaning"), key=lambda h: h.order[2:])
    by_meaning = sorted(hits, key=lambda h: -(h.similarity or 0.0))
    own = [h for h in hits if h.order[0] == hits[0].order[0]]
    assert [h for h in by_words if h in own] != own != [h for h in by_meaning if h in own], "neither order alone"
    for hit in hits[:20]:  # (further down, ties in either order make a rank uncertain by a few places)
        score = 1 / (RRF_K + by_meaning.index(hit))
        score += 1 / (RRF_K + by_words.index(hit)) if hit in by_words else 0
        assert abs(-hit.order[1] - score) < 1 / RRF_K**2, hit.resource


@pytest.mark.slow
def test_a_question_of_no_known_words_finds_nothing_by_meaning(index):
    for text in ("qwertyuiop", "asdf", "zzzqqqxxy"):
        assert [h.match for h in index.search(text, lang="en").ranked() if h.match == "meaning"] == [], text


@pytest.mark.slow
def test_a_long_question_puts_its_exact_matches_first_then_everything_by_nearness(index):
    hits = index.search("difficoltà di accesso alle tecnologie verdi", lang="it").ranked()
    kinds = [h.match for h in hits]
    exact = [n for n, kind in enumerate(kinds) if kind in ("words", "lemmas")]
    rest = [h for h in hits if h.match not in ("words", "lemmas")]
    assert not exact or max(exact) < len(exact), "texts with all the words (in some form) come first"
    assert {"meaning", "some-words"} <= {h.match for h in rest}, kinds
    own = [h.similarity or 0.0 for h in rest if not h.illustrative and "/ecesp-" not in h.resource]
    assert own == sorted(own, reverse=True), "the project's records past them, nearest first, whatever the kind"
    data = index.search("interoperacyjność danych w łańcuchu wartości", lang="pl").ranked()  # data interoperability
    [found] = [h for h in data if h.resource == ID + "opportunity/catalonia-ict-data-interoperability"]
    assert found.match == "meaning" and data.index(found) < 10, "found by meaning alone, among the first"


@pytest.mark.slow
def test_the_search_page_says_a_result_matched_by_meaning(tmp_path):
    from circe_kg.web import create_app

    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    graph = next(q.graph_name.value for q in store._store.quads_for_pattern(ALBERGO, None, None))
    store.replace_graphs(
        {graph: [*store.triples(graph), ox.Triple(ALBERGO, DESCRIPTION, ox.Literal(BICYCLES, language="en"))]}
    )
    app = create_app(store=store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"})
    try:
        client = app.test_client()
        page = client.get("/search", query_string={"q": QUESTION, "lang": "en"}).get_data(as_text=True)
        assert "Why: close in meaning to your search, in other words or another language (similarity 0." in page
        assert "Bicycles" in page
        exact = client.get("/search", query_string={"q": QUESTION, "lang": "en", "exact": "1"}).get_data(as_text=True)
        assert "Bicycles" not in exact and "close in meaning" not in exact
        sl = client.get("/search", query_string={"q": QUESTION, "lang": "sl"}).get_data(as_text=True)
        assert "Zakaj: po pomenu blizu vašemu iskanju" in sl, "the explanation in the reader's language"
    finally:
        services_of(app).sandbox.close()
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    ["😀😀😀", "\x00\x07 control", "ᚠᛇᚻ᛫ᛒᛦᚦ runes", "ملف العربية mixed Кирилица", "the of and a " * 40, "x" * 200],
)
def test_odd_questions_get_a_page_not_an_error(client, text):
    response = client.get("/search", query_string={"q": text[:200], "lang": "sl"})
    assert response.status_code == 200


def test_passages_the_cache_lacks_are_read_in_the_background_and_counted_meanwhile(tmp_path, monkeypatch):
    import circe_kg.search_meaning as search_meaning

    monkeypatch.setattr(search_meaning, "SYNC_AT_MOST", 0)
    cache = meaning.VectorCache(tmp_path / "vectors.sqlite", shipped=None)
    vectors = MeaningIndex(cache)
    vectors.stop()  # the background reader stops before it reads anything
    vectors.add([("r1", "Reuse centres repair furniture.", "en"), ("r2", "Zbiranje bioloških odpadkov.", "sl")])
    assert vectors.pending == 2
    assert vectors.nearest(meaning.query("furniture repair")).top(5) == []
    fresh = MeaningIndex(cache)
    fresh.add([("r1", "Reuse centres repair furniture.", "en"), ("r2", "Zbiranje bioloških odpadkov.", "sl")])
    assert fresh.wait(timeout=60) and fresh.pending == 0
    assert [near.resource for near in fresh.nearest(meaning.query("repairing furniture")).top(2)] == ["r1", "r2"]
    rows = sqlite3.connect(tmp_path / "vectors.sqlite").execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    assert rows == 2, "what the model read is kept for the next time"
    again = MeaningIndex(meaning.VectorCache(tmp_path / "vectors.sqlite", shipped=None))
    again.stop()
    again.add([("r1", "Reuse centres repair furniture.", "en")])
    assert again.pending == 0, "read from the cache, not the model"


@pytest.mark.slow
def test_a_cache_that_cannot_be_written_still_serves(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cache = meaning.VectorCache(blocker / "vectors.sqlite", shipped=None)  # its folder cannot be made
    cache.put({"k": np.ones(meaning.DIMENSIONS, dtype=np.float32)})  # nothing raised, nothing kept
    assert cache.get(["k"]) == {}
    vectors = MeaningIndex(cache)
    vectors.add([("r1", "Reuse centres repair furniture.", "en")])  # read by the model, kept in memory only
    assert vectors.pending == 0 and vectors.nearest(meaning.query("furniture")).top(1)[0].resource == "r1"


def test_writes_change_the_rows_they_touch_and_leave_a_search_under_way_as_it_was(tmp_path):
    cache = meaning.VectorCache(tmp_path / "vectors.sqlite", shipped=None)
    vectors = MeaningIndex(cache)
    texts = [(f"r{i}", text, "en") for i, text in enumerate(["Reuse centres repair furniture.", "Food waste."])]
    vectors.add(texts)
    assert vectors.wait(timeout=60)
    before = vectors.nearest(meaning.query("repairing furniture"))
    for round_ in range(60):  # small writes: one resource renamed, then one added (the arrays grow past their room)
        vectors.remove(["r0"])
        vectors.add([("r0", "Reuse centres repair furniture and bicycles.", "en"), (f"n{round_}", "Textiles.", "en")])
    assert vectors.wait(timeout=60)
    after = vectors.nearest(meaning.query("repairing furniture"))
    assert after.top(1)[0].resource == "r0" and after.top(1)[0].passage.endswith("bicycles.")
    assert len(after.top(100)) == 62, "each resource once, the removed rows not among them"
    assert [near.resource for near in before.top(2)] == ["r0", "r1"] and before.top(1)[0].passage.endswith("furniture.")
    assert before.similarity("n59") is None, "a resource added after the search began is not in it"
