"""Interface languages (English, Italian) and content labels in the reader's language with a fallback mark."""

import re


def test_accept_language_chooses_italian(client):
    page = client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert '<html lang="it">' in text and "Il grafo della conoscenza di CircE" in text and "pratiche" in text
    assert page.headers["Content-Language"] == "it" and "Accept-Language" in page.headers["Vary"]


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


def test_search_result_count_is_translated_with_plurals(client):
    text = client.get("/search?q=albergo&lang=it").get_data(as_text=True)
    found = re.search(r"(\d+) risultati per “albergo”\.", text)
    assert found and int(found.group(1)) >= 2  # the plural form, whatever the data holds
    one = client.get("/search?q=prinsenhof&lang=it").get_data(as_text=True)
    assert "1 risultato per “prinsenhof”." in one
    client.delete_cookie("lang")


def test_every_interface_text_has_its_italian_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[1] / "circe_kg" / "translations"
    with open(folder / "messages.pot", "rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(folder / "it" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    assert template <= set(translated), template - set(translated)
    for key, message in translated.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and "fuzzy" not in message.flags, key


def test_faceted_list_in_italian(client):
    page = client.get("/list/practices?lang=it").get_data(as_text=True)
    assert "<h1>Pratiche</h1>" in page and "Settore" in page and "Fatti con fonte" in page
    client.delete_cookie("lang")


def test_content_in_a_language_the_interface_does_not_speak(client):
    page = client.get("/page/organisation/sos?lang=sl").get_data(as_text=True)
    assert "<h1>Skupnost občin Slovenije</h1>" in page  # the Slovene name, from the data
    assert '<html lang="en">' in page and "the interface in English" in page
    fallback = client.get("/page/practice/albergo-diffuso?lang=sl").get_data(as_text=True)
    assert "Shown in English" in fallback
    client.delete_cookie("lang")


def test_steward_pages_in_italian(client):
    assert "Valida un file Turtle" in client.get("/validate?lang=it").get_data(as_text=True)
    assert "Cronologia" in client.get("/history?lang=it").get_data(as_text=True)
    assert "Bozze in attesa di revisione" in client.get("/review?lang=it").get_data(as_text=True)
    assert "Il tuo token di scrittura" in client.get("/edit/practice/albergo-diffuso?lang=it").get_data(as_text=True)
    assert "Scarica l'intero grafo" in client.get("/dumps/?lang=it", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    client.delete_cookie("lang")


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
