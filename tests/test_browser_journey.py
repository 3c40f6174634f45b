"""A policy officer's journey in Debian's Chromium: search → practice → its barrier → which practices
address this barrier → the transfer diagram. Screenshots go to test-output/ for a reviewer to look at."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

# A served app's journey on the embedded store (Oxigraph's engine) and on Virtuoso (the remote store's path, another
# engine): an Oxigraph server would add neither (tests/conftest.py).
pytestmark = pytest.mark.embedded_and_virtuoso

SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output"


@pytest.fixture(scope="module")
def base(served):
    return served()


@pytest.fixture(scope="module")
def page(base, browser):  # a fresh browser context, without cookies, for each backend
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def test_from_search_to_the_transfer_diagram(base, page):
    page.goto(base)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.get_by_label("Search practices").fill("public procurement")
    page.get_by_role("button", name="Search").click()
    page.screenshot(path=SCREENSHOTS / "search.png", full_page=True)
    page.get_by_role("link", name="Recommendations to improve public procurement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("procurement")
    page.get_by_role("link", name="Public procurement", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Public procurement")
    page.screenshot(path=SCREENSHOTS / "barrier.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfer questions").click()
    page.get_by_role("link", name="Which practices address this barrier?").click()
    page.get_by_label("Barrier or barrier category").select_option(label="Public procurement")
    page.get_by_role("button", name="Show practices").click()
    expect(page.locator(".answers li").first).to_contain_text("Path:")
    page.screenshot(path=SCREENSHOTS / "practices-for-barrier.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfer questions").click()
    page.get_by_role("link", name="What was transferred from where to where?").click()
    expect(page.locator("svg .arrow .hit")).to_have_count(3)
    page.screenshot(path=SCREENSHOTS / "transfers.png", full_page=True)
    page.get_by_role("table").get_by_role("link", name="Transfer of the albergo diffuso").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transfer of the albergo diffuso")


def test_a_hostile_search_is_shown_as_text(base, page):
    page.goto(base + "search?q=%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E")
    expect(page.locator("main")).to_contain_text("<script>window.pwned=1</script>")
    assert page.evaluate("window.pwned") is None


def _italian(text: str) -> str:
    from babel.messages.pofile import read_po

    with open(Path(__file__).resolve().parents[1] / "circe_kg/translations/it/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f)[text].string


def test_switch_to_italian_and_see_italian_labels(base, page):
    page.goto(base + "page/practice/albergo-diffuso")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Italiano").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Albergo diffuso")
    main_menu = _italian("Main")  # the menu's name is in the reader's language too
    expect(page.get_by_role("navigation", name=main_menu)).to_contain_text(_italian("Transfer questions"))
    page.goto(base + "page/barrier/sos-public-procurement")  # the choice is remembered
    expect(page.locator("main")).to_contain_text("Mostrato in inglese")
    page.screenshot(path=SCREENSHOTS / "italian.png", full_page=True)
    # The transfer questions name things in Italian too, where the graph has the names.
    page.goto(base + "questions/transfers")
    expect(page.locator("svg")).to_contain_text("Regione Lombardia")
    page.screenshot(path=SCREENSHOTS / "transfers-italian.png", full_page=True)
    page.goto(base + "?lang=en")


def test_the_map_marks_partners_in_their_regions_and_facts_cite_their_sources(base, page):
    page.goto(base + "?lang=en")
    expect(page.locator("figure.map circle")).to_have_count(8)
    page.screenshot(path=SCREENSHOTS / "home.png", full_page=True)
    page.locator("ol.partners").get_by_role("link", name="Lombardy", exact=True).click()
    latitude = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="latitude"))
    latitude.get_by_role("link", name="source 2").click()
    expect(page.locator("#source-2")).to_contain_text("naturalearthdata.com")
    page.screenshot(path=SCREENSHOTS / "region-sources.png", full_page=True)
