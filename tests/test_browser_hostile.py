"""Hostile strings end to end, in Debian's Chromium: data whose labels and texts are script, markup, a
javascript: link, a SPARQL fragment, Unicode controls, a NUL and a 1 MB text is written through the steward
API of a real `circe-kg serve`, then every page that shows it is opened — and no script runs, no element is
injected, and the text is shown as it was written."""

import secrets

import pytest
import requests
from playwright.sync_api import expect

# A served app's journey on the embedded store (Oxigraph's engine) and on Virtuoso (the remote store's path, another
# engine): an Oxigraph server would add neither (tests/conftest.py). The check of the stored text drives no browser
# but shares the journey's app, slow to start with its hostile data: it is marked browser to run with the journey.
pytestmark = [pytest.mark.embedded_and_virtuoso, pytest.mark.browser]

TEST_BEARER = secrets.token_urlsafe(24)
SCRIPT = "<script>window.pwned = 1</script>"
MARKUP = '"><img src=x onerror="window.pwned = 2"><b>bold</b>'
SPARQL = '"} ; DROP ALL ; { x'
CONTROLS = "\u202eevil\u200f\u0007 right-to-left"
BIG = "A long text. " * 80_000  # about 1 MB
PRACTICE = "https://w3id.org/circe-kg/id/practice/hostile-example"
GRAPH = "https://w3id.org/circe-kg/graph/data/hostile-example"


def _turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\u0007", "\\u0007") + '"'


NUL_TEXT = SPARQL + " nul:\u0000:end"
DESCRIPTION = _turtle_string(SPARQL)[:-1] + ' nul:\\u0000:end"'  # Turtle's escape for NUL
DATA = f"""@prefix circe: <https://w3id.org/circe-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{PRACTICE}> a circe:Practice ;
    skos:prefLabel {_turtle_string(SCRIPT + " pwnlabel")}@en , {_turtle_string(MARKUP)}@it ,
        {_turtle_string(CONTROLS)}@sl ;
    dct:description {DESCRIPTION}@en , {_turtle_string(BIG)}@fr ;
    skos:exactMatch <javascript:window.pwned=3> ;
    circe:illustrative true ;
    circe:illustrativeNote "Written by the hostile-strings test."@en ;
    circe:addresses <https://w3id.org/circe-kg/id/concept/kirchherr-2018/market> .
"""


@pytest.fixture(scope="module")
def base(served):
    url = served(CIRCE_KG_WRITE_TOKEN=TEST_BEARER, CIRCE_KG_WRITE_AGENT="Hostile test")
    response = requests.put(
        url + "graphs",
        params={"graph": GRAPH},
        data=DATA.encode(),
        headers={"Authorization": f"Bearer {TEST_BEARER}", "Content-Type": "text/turtle"},
        timeout=120,
    )
    assert response.status_code in (200, 201, 204), response.text[:2000]
    return url


@pytest.fixture(scope="module")
def page(base, browser):
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def _assert_inert(page):
    assert page.evaluate("window.pwned") is None
    assert page.dialogs == []
    assert page.locator("main img[src='x'], main b").count() == 0  # no element came from the data
    assert page.locator("a[href^='javascript:'], a[href^='data:']").count() == 0


@pytest.mark.parametrize(
    "path, shown",
    [
        ("page/practice/hostile-example?lang=en", SCRIPT + " pwnlabel"),
        ("page/practice/hostile-example?lang=it", MARKUP),
        ("page/practice/hostile-example?lang=sl", "evil"),
        ("search?q=pwnlabel&lang=en", SCRIPT),
        ("list/practices?source=illustrative&lang=it", MARKUP),
        ("questions/practices-for-barrier?barrier=kirchherr%3Amarket&lang=en", SCRIPT),
        ("edit/practice/hostile-example?lang=en", None),
    ],
)
def test_hostile_data_is_shown_as_text_and_never_runs(base, page, path, shown):
    response = page.goto(base + path)
    assert response.status == 200, path
    if shown:
        expect(page.locator("main")).to_contain_text(shown)
    _assert_inert(page)


def test_the_edit_form_keeps_the_hostile_values_as_values(base, page):
    page.goto(base + "edit/practice/hostile-example?lang=en")
    values = page.locator("textarea").evaluate_all("areas => areas.map(a => a.value)")
    assert any(SPARQL in value for value in values) and any(MARKUP == value for value in values)
    _assert_inert(page)


def test_the_stored_text_is_exactly_what_was_written(base):
    """The SPARQL fragment stayed a literal (nothing was dropped) and the 1 MB text came back whole."""
    query = f"SELECT ?d WHERE {{ <{PRACTICE}> <http://purl.org/dc/terms/description> ?d }}"
    answer = requests.get(
        base + "sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    ).json()
    descriptions = {b["d"]["value"] for b in answer["results"]["bindings"]}
    assert NUL_TEXT in descriptions and BIG in descriptions
    count = requests.get(
        base + "sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()
    assert int(count["results"]["bindings"][0]["n"]["value"]) > 4000  # DROP ALL did not run
