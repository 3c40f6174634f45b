"""Interface languages (English and the eight partner languages) and content labels in the reader's language
with a fallback mark."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

TRANSLATIONS = Path(__file__).resolve().parents[1] / "circe_kg" / "translations"
PARTNER_LANGUAGES = ["bg", "ca", "es", "fr", "it", "nl", "pl", "sl"]


@pytest.mark.slow
def test_accept_language_chooses_italian(client):
    page = client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert '<html lang="it">' in text and "Il grafo della conoscenza di CircE" in text and "pratiche" in text
    assert page.headers["Content-Language"] == "it" and "Accept-Language" in page.headers["Vary"]


@pytest.mark.slow
def test_lang_parameter_wins_and_is_remembered(client):
    first = client.get("/?lang=it", headers={"Accept-Language": "en"})
    assert "Cerca" in first.get_data(as_text=True) and "lang=it" in first.headers["Set-Cookie"]
    again = client.get("/search", headers={"Accept-Language": "en"})  # the cookie carries the choice
    assert "Cerca pratiche" in again.get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "CircE knowledge graph" in english
    client.delete_cookie("lang")


def test_unknown_language_falls_back_to_english(client):
    text = client.get("/?lang=xx", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="en">' in text


@pytest.mark.slow
def test_switch_links_keep_the_page_and_its_parameters(client):
    text = client.get("/search?q=textile&lang=en").get_data(as_text=True)
    assert 'href="/search?q=textile&amp;lang=it"' in text
    client.delete_cookie("lang")


def test_resource_labels_follow_the_language_with_a_visible_fallback(client):
    italian = client.get("/page/practice/albergo-diffuso?lang=it").get_data(as_text=True)
    assert "<h1>Albergo diffuso</h1>" in italian and "Mostrato in inglese" not in italian
    fallback = client.get("/page/barrier/sos-public-procurement?lang=it").get_data(as_text=True)
    assert '<h1 lang="en">Public procurement</h1>' in fallback and "Mostrato in inglese" in fallback
    client.delete_cookie("lang")


@pytest.mark.slow
def test_search_result_count_is_translated_with_plurals(client):
    text = client.get("/search?q=albergo&lang=it").get_data(as_text=True)
    found = re.search(r"(\d+) risultati per “albergo”\.", text)
    assert found and int(found.group(1)) >= 2  # the plural form, whatever the data holds
    one = client.get("/search?q=prinsenhof&lang=it").get_data(as_text=True)
    assert "1 risultato per “prinsenhof”." in one
    client.delete_cookie("lang")


def test_every_partner_language_has_a_catalogue():
    assert sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir()) == PARTNER_LANGUAGES


@pytest.mark.parametrize("language", PARTNER_LANGUAGES)
def test_every_interface_text_is_translated_and_marked_for_review(language):
    """Complete against the committed template (scripts/translations.sh extracts it), nothing fuzzy, the plural
    forms the language has, the placeholders of the English — and the header says a native speaker has not
    reviewed it yet."""
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    assert "awaiting review by a native speaker" in catalog.header_comment
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    assert template <= set(translated), template - set(translated)
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for key, message in translated.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and "fuzzy" not in message.flags, key
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, key
            wanted = set(placeholder.findall(message.id[1]))
            assert all(set(placeholder.findall(s)) <= wanted for s in strings), key
            assert set(placeholder.findall(strings[-1])) == wanted, key
        else:
            assert set(placeholder.findall(message.string)) == set(placeholder.findall(message.id)), key


@pytest.mark.slow
def test_faceted_list_in_italian(client):
    page = client.get("/list/practices?lang=it").get_data(as_text=True)
    assert "<h1>Pratiche</h1>" in page and "Settore" in page and "Fatti con fonte" in page
    client.delete_cookie("lang")


def _translation(language: str, text: str) -> str:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)[text].string


@pytest.mark.parametrize("language", PARTNER_LANGUAGES)
def test_every_language_offered_is_a_language_served(client, language):
    page = client.get(f"/page/practice/albergo-diffuso?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert f">{_translation(language, 'Transfer questions')}</a>" in page  # the menu, in that language
    if language != "it":  # the practice has an Italian name only: elsewhere the English one, marked as such
        assert _translation(language, "Shown in English: no label in your language yet.") in page
    client.delete_cookie("lang")


def test_slovene_content_in_the_slovene_interface(client):
    page = client.get("/page/organisation/sos?lang=sl").get_data(as_text=True)
    assert "<h1>Skupnost občin Slovenije</h1>" in page and '<html lang="sl">' in page  # the name from the data
    client.delete_cookie("lang")


@pytest.mark.slow
def test_steward_pages_in_italian(client):
    assert "Valida un file Turtle" in client.get("/validate?lang=it").get_data(as_text=True)
    assert "Cronologia" in client.get("/history?lang=it").get_data(as_text=True)
    assert "Bozze in attesa di revisione" in client.get("/review?lang=it").get_data(as_text=True)
    assert "Il tuo token di scrittura" in client.get("/edit/practice/albergo-diffuso?lang=it").get_data(as_text=True)
    assert "Scarica l'intero grafo" in client.get("/dumps/?lang=it", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    client.delete_cookie("lang")


@pytest.mark.slow
def test_question_pages_name_things_in_the_reader_s_language(client):
    """The answers come from queries that name things in English; the page shows the reader's names where the
    graph has them, and says when some stay in English."""
    italian = client.get("/questions/practices-for-barrier?barrier=kirchherr:regulatory&lang=it").get_data(as_text=True)
    assert "Ostacoli normativi" in italian and "Regulatory barriers" not in italian
    assert "Alcuni nomi sono mostrati in inglese" in italian  # not every practice has an Italian name
    again = client.get("/questions/practices-for-barrier?barrier=kirchherr:regulatory&lang=it").get_data(as_text=True)
    assert again == italian, "a second visit (its rows kept) names things and says so the same way"
    listed = client.get("/list/practices?lang=it").get_data(as_text=True)
    assert "Alcuni nomi sono mostrati in inglese" in listed
    assert client.get("/list/practices?lang=it").get_data(as_text=True) == listed  # its facets kept
    english = client.get("/questions/practices-for-barrier?barrier=kirchherr:regulatory&lang=en").get_data(as_text=True)
    assert "Regulatory barriers" in english and "shown in English" not in english
    transfers = client.get("/questions/transfers?lang=it").get_data(as_text=True)
    assert "Regione Lombardia" in transfers and "Trasferimenti tra partner" in transfers
    gaps = client.get("/questions/gaps?lang=it").get_data(as_text=True)
    assert "settore:" in gaps and "sector:" not in gaps
    home = client.get("/?lang=it").get_data(as_text=True)
    assert "Lombardia" in home
    client.delete_cookie("lang")


def test_the_language_menu_names_each_language_in_itself(client):
    page = client.get("/?lang=pl").get_data(as_text=True)
    named = dict(re.findall(r'hreflang="(\w+)" lang="\w+">([^<]+)</a>', page))
    assert named == {
        "en": "English",
        "it": "Italiano",
        "ca": "Català",
        "es": "Español",
        "nl": "Nederlands",
        "fr": "Français",
        "bg": "Български",
        "sl": "Slovenščina",
    }
    assert "<strong>Polski</strong>" in page  # the language chosen
