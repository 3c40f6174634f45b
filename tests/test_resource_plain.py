"""Resource pages in plain words (/page/…): the facts by the names the edit forms give them (the shapes' sh:name,
in the reader's language), grouped as the forms group them, each citing its own source or the record's; the
plumbing (rdf:type, repeated names, sources as rows) left to "Show as data" (?view=data), which keeps the full
table of the graph's statements; and no Edit link where writing is not enabled."""

from __future__ import annotations

import re

import pytest

from circe_kg.web import create_app
from circe_kg.web.services import services_of

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only


def _rows(html: str) -> dict[str, str]:
    """The plain view's facts: name of the fact -> the rest of its row."""
    return {
        re.sub(r"<[^>]+>", "", m.group(1)).strip(): m.group(2)
        for m in re.finditer(r'<tr(?: class="not-recorded")?><th scope="row">(.*?)</th>(.*?)</tr>', html, re.S)
    }


def test_facts_are_named_in_plain_words_not_by_their_iris(client):
    page = client.get("/page/practice/albergo-diffuso?lang=en").get_data(as_text=True)
    rows = _rows(page)
    assert "Summary" in rows and "Owner" in rows and "Sector" in rows
    for technical in ("dct:description", "rdf:type", "skos:altLabel", "dct:source", "circe:", "void:inDataset"):
        assert not any(technical in name for name in rows), technical
    assert "<caption>What the graph says</caption>" not in page  # the graph's table is one link away


def test_names_follow_the_reader_s_language(client):
    page = client.get("/page/practice/albergo-diffuso?lang=it").get_data(as_text=True)
    rows = _rows(page)
    assert "Sintesi" in rows and "Settore" in rows and "Summary" not in rows
    assert "Un albergo diffuso" in rows["Sintesi"] or 'lang="en"' in rows["Sintesi"]  # Italian, or marked English
    client.delete_cookie("lang")


def test_facts_are_grouped_as_the_edit_forms_group_their_fields(client):
    page = client.get("/page/practice/albergo-diffuso?lang=en").get_data(as_text=True)
    headings = re.findall(r'<h2 id="facts-group-\d+">([^<]+)</h2>', page)
    assert headings[:3] == ["What it is", "Good-practice fields", "Links"]
    links = page.split(">Links</h2>", 1)[1].split("</section>", 1)[0]
    assert "Owner" in links and "Sector" in links and "Summary" not in links


def test_names_that_repeat_the_name_are_left_to_the_data_view(client):
    plain = client.get("/page/practice/catalunya-circular?lang=en").get_data(as_text=True)
    also = _rows(plain).get("Also known as", "")
    assert "Catalunya Circular</span>" not in also  # the same as its Catalan name: not "also known as"
    assert "Observatori" in also and 'lang="ca"' in also  # another name, marked as Catalan
    data = client.get("/page/practice/catalunya-circular?lang=en&view=data").get_data(as_text=True)
    assert '<span lang="en">Catalunya Circular</span>' in data


def test_each_fact_cites_its_own_source_or_the_record_s_once(client):
    region = client.get("/resource", query_string={"uri": "http://data.europa.eu/nuts/code/ITC4", "lang": "en"})
    rows = _rows(region.get_data(as_text=True))
    assert 'aria-label="source 2">[2]</a>' in rows["latitude"]  # its own source: Natural Earth
    assert 'href="#source-1"' in rows["Code"] and 'href="#source-2"' not in rows["Code"]  # the record's one
    sos = client.get("/page/organisation/sos?lang=en").get_data(as_text=True)
    summary = _rows(sos)["Summary"]
    assert summary.count("<a href=") == 1 and 'href="#sources"' in summary and "[1–8]" in summary
    assert '<h2 id="sources">' in sos and 'id="source-8"' in sos


def test_show_as_data_keeps_the_full_table(client):
    plain = client.get("/page/practice/albergo-diffuso?lang=en").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">Show as data</a>', plain).group(1).replace("&amp;", "&")
    assert "view=data" in link
    data = client.get(link).get_data(as_text=True)
    assert "<caption>What the graph says</caption>" in data
    names = _rows(data)
    assert "rdf:type" in names and "dct:source" in names and "Summary" not in names
    assert "Show in plain words" in data


def test_a_region_s_data_view_works_too(client):
    data = client.get("/resource", query_string={"uri": "http://data.europa.eu/nuts/code/ITC4", "view": "data"})
    assert data.status_code == 200 and "skos:notation" in data.get_data(as_text=True)


def test_no_edit_link_without_writes(client):
    page = client.get("/page/practice/albergo-diffuso?lang=en").get_data(as_text=True)
    assert "/edit/practice/albergo-diffuso" not in page


@pytest.fixture
def writable(loaded_store, tmp_path):
    app = create_app(
        store=loaded_store, config={"TESTING": True, "WRITE_TOKENS": {"t" * 24: "tester"}, "DUMPS_DIR": tmp_path}
    )
    yield app
    services_of(app).sandbox.close()


def test_an_edit_link_where_writes_are_enabled(writable):
    page = writable.test_client().get("/page/practice/albergo-diffuso?lang=en").get_data(as_text=True)
    assert "/edit/practice/albergo-diffuso" in page


def test_links_named_in_english_on_a_page_in_another_language_say_so(client):
    page = client.get("/page/organisation/sos?lang=it").get_data(as_text=True)
    assert re.search(r'<a href="/resource\?uri=[^"]+SI0[^"]*" lang="en">Slovenia</a>', page)
    client.delete_cookie("lang")


MANY_LANGUAGES = """@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://w3id.org/circe-kg/id/practice/plain-words-example> a circe:Practice ;
    skos:prefLabel "Plain words example"@en ;
    dct:description "An English summary."@en , "Una sintesi italiana."@it , "Un résumé français."@fr ;
    circe:illustrative true ;
    circe:illustrativeNote "Written by tests/test_resource_plain.py."@en .
"""


@pytest.fixture
def many_languages(loaded_disk_store, tmp_path):
    from circe_kg.loader import load_files

    extra = tmp_path / "plain-words.ttl"
    extra.write_text(MANY_LANGUAGES, encoding="utf-8")
    load_files(loaded_disk_store, [extra])
    app = create_app(store=loaded_disk_store, config={"TESTING": True, "DUMPS_DIR": tmp_path / "dumps"})
    yield app.test_client()
    services_of(app).sandbox.close()
    loaded_disk_store.close()


@pytest.mark.slow
def test_a_text_in_the_reader_s_language_first_and_the_others_folded_away(many_languages):
    italian = many_languages.get("/page/practice/plain-words-example?lang=it").get_data(as_text=True)
    summary = _rows(italian)["Sintesi"]
    shown, folded = summary.split('<details class="other-languages">', 1)
    assert '<span lang="it">Una sintesi italiana.</span>' in shown and "English" not in shown
    assert '<span lang="en">An English summary.</span>' in folded and '<span lang="fr">Un résumé' in folded
    polish = many_languages.get("/page/practice/plain-words-example?lang=pl").get_data(as_text=True)
    shown = _rows(polish)["Summary"].split("<details", 1)[0]  # no Polish text: the English one
    assert "An English summary." in shown and "italiana" not in shown
