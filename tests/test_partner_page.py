"""The partner page to print for a meeting (/partner/<slug>): it lists what the graph holds about the partner —
checked against SPARQL written here, not the page's own query — with each item's mark and source on the item,
names in the reader's language, and a print stylesheet."""

from __future__ import annotations

import re

import pytest

# What people see of the pages: the queries under them run on every backend in tests/test_queries.py.
pytestmark = pytest.mark.embedded_only

ID = "https://w3id.org/circe-kg/id/"
SOS = ID + "organisation/sos"
PREFIXES = """PREFIX circe: <https://w3id.org/circe-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
# What each section of the page should list for SOS, asked directly of the store (?x: the items).
EXPECTED = {
    "region": f"SELECT ?x WHERE {{ <{SOS}> circe:inRegion ?x }}",
    "instrument": f"""SELECT ?x WHERE {{ {{ ?p circe:partner <{SOS}> ; circe:addressesInstrument ?x }}
                      UNION {{ ?plan circe:actionPlanOf <{SOS}> ; circe:improves ?x }} }}""",
    "sector": f"SELECT ?x WHERE {{ ?p a circe:Partnership ; circe:partner <{SOS}> ; circe:sector ?x }}",
    "barrier": f"SELECT ?x WHERE {{ ?x circe:identifiedBy <{SOS}> ; a/rdfs:subClassOf* circe:Barrier }}",
    "opportunity": f"SELECT ?x WHERE {{ ?x circe:identifiedBy <{SOS}> ; a/rdfs:subClassOf* circe:Opportunity }}",
    "practice-shown": f"""SELECT ?x WHERE {{ {{ ?x circe:practiceOwner <{SOS}> }}
                          UNION {{ ?v circe:visitedPractice ?x ; circe:partOfMeeting/circe:hostedBy <{SOS}> }} }}""",
    "practice-seen": f"""SELECT ?x WHERE {{ ?v circe:visitedPractice ?x ; circe:partOfMeeting ?m .
                         ?m a circe:PartnerMeeting FILTER NOT EXISTS {{ ?m circe:hostedBy <{SOS}> }} }}""",
    "transfer-in": f"SELECT ?x WHERE {{ ?x circe:toOrganisation <{SOS}> }}",
    "transfer-out": f"SELECT ?x WHERE {{ ?x circe:fromOrganisation <{SOS}> }}",
    "plan": f"SELECT ?x WHERE {{ ?x circe:actionPlanOf <{SOS}> }}",
    "action": f"SELECT ?x WHERE {{ ?x circe:partOfPlan/circe:actionPlanOf <{SOS}> }}",
    "stakeholder": f"SELECT ?x WHERE {{ ?x circe:stakeholderOf <{SOS}> }}",
}


def _section(html: str, key: str) -> str:
    match = re.search(rf'<section class="partner-section" id="{key}".*?</section>', html, re.S)
    assert match, key
    return match.group(0)


def _path(iri: str) -> str:
    """The address the page links an item by."""
    if iri.startswith(ID):
        return "/" + iri[len("https://w3id.org/circe-kg/") :]
    return "uri=" + iri.replace(":", "%3A").replace("/", "%2F")


@pytest.fixture(scope="module")
def sos_page(app):
    return app.test_client().get("/partner/sos?lang=en").get_data(as_text=True)


@pytest.fixture(scope="module")
def sos_twin(app):
    """The page's machine twin: each section's items as data (web/pages.py)."""
    twin = app.test_client().get("/partner/sos?lang=en&format=json").get_json()
    return {key: items for key, _heading, items in twin["sections"]}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_section_lists_what_the_graph_holds_for_sos(loaded_store, sos_page, sos_twin, key):
    expected = {row[0].value for row in loaded_store.query(PREFIXES + EXPECTED[key])}
    listed = [item["iri"] for item in sos_twin[key]]
    assert len(listed) == len(expected) and set(listed) == expected, (key, listed)
    section = _section(sos_page, key)
    for iri in expected:
        assert _path(iri) in section, (key, iri)
    if not expected:
        assert "Not recorded." in section


def test_the_sections_that_matter_for_sos_are_not_empty(loaded_store, sos_page):
    """SOS's data holds barriers, opportunities, sectors, an instrument, a plan with actions and a transfer in."""
    for key in ("region", "instrument", "sector", "barrier", "opportunity", "transfer-in", "plan", "action"):
        assert "<li class=" in _section(sos_page, key), key
    assert "Slovenia" in _section(sos_page, "region")
    assert "/id/transfer/lombardy-to-sos-dispersed-circular-hotel" in _section(sos_page, "transfer-in")


@pytest.mark.parametrize("slug", ["sos", "sofia-municipality"])  # Sofia's page has illustrative items too
def test_each_item_carries_its_mark_and_its_source(client, slug):
    page = client.get(f"/partner/{slug}?lang=en").get_data(as_text=True)
    items = re.findall(r'<li class="(sourced|editorial|illustrative)">(.*?)</li>', page, re.S)
    assert items and (slug == "sos" or any(mark == "illustrative" for mark, _ in items))
    for mark, item in items:
        assert f'<span class="badge {mark}">' in item, item[:200]
        if mark == "illustrative":
            assert "None: this is an illustrative example." in item
        elif mark == "editorial":
            assert 'rel="external"' in item or "the editors" in item
        else:
            assert re.search(r'<a href="https?://[^"]+" rel="external"', item), item[:200]


def test_a_fact_with_its_own_source_cites_that_source(sos_page):
    """SOS's tourism sector has its own source (an rdf:Statement): the page cites it, not the partnership's."""
    tourism = next(i for i in _section(sos_page, "sector").split("<li ") if "/id/sector/tourism" in i)
    assert "alpine-space.eu/project-news-details/en/7269" in tourism and "the source of this fact" in tourism
    assert "kohesio.eu" not in tourism


def test_the_action_plan_progress_is_drawn_per_action(sos_page):
    timeline = sos_page.split('id="timeline"', 1)[1]
    assert timeline.count('<div class="timeline-row"') == 3  # SOS's plan has three actions
    assert '<svg class="timeline-chart"' in timeline


def test_an_unknown_slug_and_an_organisation_that_is_no_partner_are_not_found(client):
    assert client.get("/partner/no-such-partner").status_code == 404
    assert client.get("/partner/anpar").status_code == 404  # a stakeholder, not a CircE partner
    assert client.get("/partner/a%20b%3E").status_code == 404  # not even a name an IRI can end with


def test_italian_labels_with_lang_it(client):
    page = client.get("/partner/sos?lang=it").get_data(as_text=True)
    assert '<html lang="it">' in page
    assert "<h1>Associazione dei Comuni e Città della Slovenia (SOS)</h1>" in page
    assert ">Turismo</a>" in _section(page, "sector")
    # A name the graph has only in English stays English, and says so.
    assert re.search(r'<a href="/id/barrier/sos-public-procurement\?lang=it" lang="en">Public procurement</a>', page)
    client.delete_cookie("lang")


def test_the_print_stylesheet_is_linked_and_served(client, sos_page):
    assert re.search(r'<link rel="stylesheet" href="/static/print.css" media="print">', sos_page)
    with client.get("/static/print.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        text = css.get_data(as_text=True)
    assert "header, footer, nav" in text and "display: none" in text  # no site chrome
    assert 'content: " <" attr(href) ">"' in text  # the address after each link
    assert "break-before: page" in text and "break-inside: avoid-page" in text  # timelines on a new page
    # its contrast on paper: tests/test_accessibility.py::test_a_printed_page_has_the_contrast_of_print


def test_the_partner_page_is_linked_from_the_organisation_and_the_home_page(client):
    organisation = client.get("/page/organisation/sos?lang=en").get_data(as_text=True)
    assert 'href="/partner/sos' in organisation
    home = client.get("/?lang=en").get_data(as_text=True)
    assert 'href="/partner/sos' in home.split('<ol class="partners">')[1].split("</ol>")[0]
    stakeholder = client.get("/page/organisation/anpar?lang=en").get_data(as_text=True)
    assert 'href="/partner/' not in stakeholder
