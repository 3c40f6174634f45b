"""Search across the partners' languages, and why each hit matched: each method on its own (words, lemmas,
concepts, spelling), the explanation shown for each kind, "my words only", sourced before illustrative, the
reader's language first, the concept tags kept current after a write, and input that is not a search."""

from __future__ import annotations

import doctest
import re

import pyoxigraph as ox
import pytest

from circe_kg import lemmas, search, search_concepts, spelling
from circe_kg.config import shipped_files
from circe_kg.loader import load_files
from circe_kg.search import SearchIndex
from circe_kg.store import EmbeddedStore

ID = "https://w3id.org/circe-kg/id/"


@pytest.fixture(scope="module")
def index():
    store = EmbeddedStore(None)
    load_files(store, shipped_files())
    yield SearchIndex(store)
    store.close()


# The tiers of the word, lemma and concept matches, on their own (tests/test_search_meaning.py: ordered by meaning).
BRIDGES = search.METHODS - {"meaning"}


def hits(index: SearchIndex, text: str, lang: str = "en", methods=BRIDGES, limit: int = 100) -> dict[str, search.Hit]:
    return {h.resource: h for h in index.search(text, limit, lang=lang, methods=frozenset(methods)).ranked()}


def test_the_modules_examples_run():
    for module in (lemmas, spelling, search, search_concepts):
        assert doctest.testmod(module).failed == 0, module.__name__


@pytest.mark.slow
def test_lemmas_meet_another_form_of_the_same_word(index):
    """The Slovene label 'Razpršeni krožni hotel' is found by 'razpršenega hotela' (genitive), by lemma only."""
    pilot = ID + "action/sos-dispersed-circular-hotel-pilot"
    assert pilot not in hits(index, "razpršenega hotela", "sl", {"words"})
    hit = hits(index, "razpršenega hotela", "sl", {"words", "lemmas"})[pilot]
    assert hit.match == "lemmas" and hit.language == "sl"
    assert "\x01Razpršeni\x02" in hit.snippet and "\x01hotel\x02" in hit.snippet


def test_a_concept_named_in_one_language_reaches_texts_in_another(index):
    procurement = ID + "barrier/sos-public-procurement"
    for query, language in [
        ("appalti pubblici", "it"),
        ("javna naročila", "sl"),
        ("zamówień publicznych", "pl"),
        ("обществени поръчки", "bg"),
        ("marchés publics", "fr"),
        ("contractació pública", "ca"),
    ]:
        assert procurement not in hits(index, query, language, {"words", "lemmas"}), query
        hit = hits(index, query, language)[procurement]
        assert hit.match == "concepts" and hit.via is not None, query
        assert hit.via.kind == "topic" and not hit.via.tagged and hit.language == "en"
        assert hit.via.matched.lower() in ("public procurement", "procurement")  # the English name the text uses
        assert "\x01procurement\x02" in hit.snippet.lower()  # marked


def test_a_concept_reaches_the_resources_filed_under_it(index):
    found = hits(index, "tekstil", "sl")
    sector = found[ID + "sector/textile"]
    assert sector.match == "concepts" and sector.order[:2] == (0, search.TIERS["concepts"])  # the concept itself
    pact = found[ID + "practice/circular-fashion-pact"]
    assert pact.match == "concepts"
    # A NACE item named in Slovene reaches the sector that matches its division, and the practices filed under it.
    weaving = hits(index, "tkanje tekstilij", "sl", limit=2000)  # past the practices the topic bridge reaches
    assert ID + "sector/textile" in weaving
    filed = [h for h in weaving.values() if h.via and h.via.tagged and h.resource != ID + "sector/textile"]
    assert filed and all(h.via.kind == "sector" for h in filed)


def test_a_misspelt_word_is_searched_as_the_known_word_and_the_results_say_so(index):
    results = index.search("recyclimg plant", lang="en")
    assert ("“%(typed)s” was searched as “%(known)s”", {"typed": "recyclimg", "known": "recycling"}) in results.notes
    assert ID + "practice/sofia-glass-recycling-plant" in {h.resource for h in results.ranked()}
    assert index.search("recyclimg plant", lang="en", methods=frozenset({"words"})).count == 0


def test_a_name_typed_in_cyrillic_meets_its_latin_spelling(index):
    assert ID + "practice/han-bogrov-biowaste-facility" in hits(index, "Хан Богров", "bg")


@pytest.mark.slow
def test_my_words_only_turns_every_bridge_off(client):
    bridged = client.get("/search", query_string={"q": "appalti pubblici", "lang": "it"}).get_data(as_text=True)
    assert "/id/barrier/sos-public-procurement" in bridged
    exact = client.get("/search", query_string={"q": "appalti pubblici", "lang": "it", "exact": "1"})
    assert "/id/barrier/sos-public-procurement" not in exact.get_data(as_text=True)
    assert 'id="exact" name="exact" value="1" checked' in exact.get_data(as_text=True)


@pytest.mark.slow
def test_every_hit_says_why_it_matched(client):
    def why(query: str, lang: str) -> list[str]:
        page = client.get("/search", query_string={"q": query, "lang": lang}).get_data(as_text=True)
        return [re.sub(r"<[^>]+>", "", w) for w in re.findall(r'<small class="why">(.*?)</small>', page, re.S)]

    assert any(w.startswith("Why: the same words") for w in why("textile", "en"))
    assert any(w.startswith("Why: the same words in another form") for w in why("razpršenega hotela", "en"))
    bridged = why("javna naročila", "en")
    assert any("“Public procurement”, the English name of the topic" in w and "text in English" in w for w in bridged)
    filed = [w for w in why("tekstil", "en") if w.startswith("Why: filed under the sector “Textile")]
    assert filed and all("reached from “Tekstil” in your search" in w for w in filed)
    italian = why("javna naročila", "it")  # the language named in the reader's language (CLDR)
    assert any("inglese" in w for w in italian)
    client.delete_cookie("lang")


def test_sourced_hits_come_before_illustrative_ones_of_the_same_kind_of_match(index):
    ranked = index.search("textile", lang="en", methods=BRIDGES).ranked()
    by_tier: dict[tuple[int, ...], list[bool]] = {}
    for hit in ranked:  # equal relevance: a name or not, and the same kind of match
        by_tier.setdefault(hit.order[:2], []).append(hit.illustrative)
    assert any(True in marks for marks in by_tier.values()), "the query should reach an illustrative example"
    assert all(marks == sorted(marks) for marks in by_tier.values())


def test_the_projects_records_come_before_another_datasets_of_the_same_kind_of_match(index):
    """ECESP's good practices answer too, after CircE's own records at equal relevance, and are not illustrative."""
    ranked = index.search("textile recycling", 2000, lang="en", methods=BRIDGES).ranked()
    ecesp = [h for h in ranked if "/practice/ecesp-" in h.resource]
    own = [h for h in ranked if "/practice/" in h.resource and "/practice/ecesp-" not in h.resource]
    assert ecesp and own and not any(h.illustrative for h in ecesp)
    standing = {"own": search.OWN, "other": search.OTHER_DATASET}
    assert {h.order[2] for h in ecesp} == {standing["other"]}
    by_tier: dict[tuple[int, ...], list[int]] = {}
    for hit in ranked:
        by_tier.setdefault(hit.order[:2], []).append(hit.order[2])
    assert all(marks == sorted(marks) for marks in by_tier.values())
    assert any(standing["own"] in marks and standing["other"] in marks for marks in by_tier.values())


def test_a_text_in_the_readers_language_is_the_one_shown(index):
    catalan = hits(index, "Catalunya Circular", "ca")[ID + "practice/catalunya-circular"]
    assert catalan.language == "ca"
    english = hits(index, "Circular Catalonia", "en")[ID + "practice/catalunya-circular"]
    assert english.language == "en"


def test_a_concept_tag_follows_a_write(index):
    store = index.store
    practice = ox.NamedNode(ID + "practice/valles-circular")
    assert practice.value not in hits(index, "turizem", "sl")
    graph = next(q.graph_name for q in store._store.quads_for_pattern(practice, None, None))
    triples = [
        ox.Triple(q.subject, q.predicate, q.object) for q in store._store.quads_for_pattern(None, None, None, graph)
    ]
    tagged = triples + [
        ox.Triple(
            practice, ox.NamedNode("https://w3id.org/circe-kg/ontology#sector"), ox.NamedNode(ID + "sector/tourism")
        )
    ]
    store.replace_graphs({graph.value: tagged})
    hit = hits(index, "turizem", "sl")[practice.value]
    assert hit.via is not None and hit.via.tagged and hit.via.kind == "sector"
    store.replace_graphs({graph.value: triples})
    assert practice.value not in hits(index, "turizem", "sl")


@pytest.mark.parametrize(
    "query",
    [
        "🙂🙂",
        "the and of",
        "中文 检索",
        "Aльбeрго mixed скрипт",
        "\x00\x07 tab\there",
        "a" * 200,
        "word " * 39,
        "\u202e\u200b",
        "'\"*()-:^",
    ],
)
def test_input_that_is_no_search_gets_a_page_not_a_500(client, query):
    response = client.get("/search", query_string={"q": query, "lang": "sl"})
    assert response.status_code == 200, query
    client.delete_cookie("lang")


@pytest.mark.slow
def test_a_query_longer_than_the_limit_says_so(client, index):
    response = client.get("/search", query_string={"q": "word " * 60}, headers={"Accept": "application/json"})
    assert response.status_code == 400 and "at most 200 characters" in response.get_json()["message"]
    results = index.search(" ".join(["textile"] * 12))
    assert results.notes[0] == ("only the first %(count)s words were searched", {"count": str(search.MAX_TERMS)})
    page = client.get("/search", query_string={"q": " ".join(["textile"] * 12)}).get_data(as_text=True)
    assert "Note: only the first 8 words were searched." in page


def test_suggestions_name_concepts_in_the_readers_language(client):
    answer = client.get("/search/suggest", query_string={"q": "tekst", "lang": "it"}).get_json()
    first = answer["suggestions"][0]
    assert first["concept"] == ID + "concept/topic/textiles"
    assert first["label"] == "Tessile" and first["matched"] == "Tekstil" and first["names"]["bg"] == "Текстил"
    assert client.get("/search/suggest", query_string={"q": ""}).get_json()["suggestions"] == []
    too_long = client.get("/search/suggest", query_string={"q": "x" * 201})
    assert too_long.status_code == 400
    bad = client.get("/search", query_string={"q": "textile", "exact": "maybe"}, headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "exact is a checkbox" in bad.get_json()["message"]
    client.delete_cookie("lang")


def test_the_kinds_of_results_are_named_in_the_readers_language(client):
    page = client.get("/search", query_string={"q": "javna naročila", "lang": "it"}).get_data(as_text=True)
    headings = re.findall(r'<h2 id="kind-\d+">([^<]+) \(\d+\)</h2>', page)
    assert "Ostacolo" in headings and "Barrier" not in headings, headings
    nothing = client.get("/search", query_string={"q": "qwertyuiop", "lang": "sl"}).get_data(as_text=True)
    assert re.search(r'<a href="/search\?q=Practice[^"]*">Praksa</a>', nothing), "what to try, named in Slovene"
    client.delete_cookie("lang")
