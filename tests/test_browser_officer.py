"""What a policy officer sees, in a real browser (Debian's Chromium driven by Playwright) against a real
`circe-kg serve` on the embedded store: a shared link keeps its language without any cookie, and every mark
(sourced / illustrative) sits on the item it belongs to, with that item's link beside it."""

import pytest

pytestmark = pytest.mark.parametrize("served", ["embedded"], indirect=True)  # what people see, not the backends

# Each mark's item (the closest list item, table row, timeline row or paragraph) holds exactly one mark: never two
# items' marks in one place, never a mark away from its item. A key explaining the marks (.legend) is no item.
MARKS_ON_ITEMS = """() => [...document.querySelectorAll('main .badge')].filter(b => !b.closest('.legend'))
.map(badge => {
  const item = badge.closest('li, tr, .timeline-row, dd, p');
  return {text: badge.textContent.trim(), marks: item ? item.querySelectorAll('.badge').length : 0,
          links: item ? item.querySelectorAll('a').length : 0, item: item ? item.tagName : null};
})"""


@pytest.fixture(scope="module")
def officer(served, browser):
    """The served app's address and one browser context for the module's pages."""
    base = served()
    context = browser.new_context()
    yield base, context
    context.close()


def test_a_shared_link_keeps_its_language_without_cookies(officer):
    base, browser_context = officer
    page = browser_context.new_page()
    page.goto(base + "id/practice/albergo-diffuso?lang=sl")  # a link someone sent: /id/ redirects to the page
    assert page.locator("html").get_attribute("lang") == "sl"
    for _ in range(3):  # three clicks on, with no cookie to remember the choice
        browser_context.clear_cookies()
        link = page.locator("main a[href^='/']:not([hreflang])").first
        link.click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "sl", page.url
    browser_context.clear_cookies()
    page.get_by_role("navigation").first.locator("a").nth(1).click()  # the menu too
    assert page.locator("html").get_attribute("lang") == "sl", page.url
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "questions/transfers",
        "questions/practices-for-barrier?barrier=kirchherr:regulatory",
        "questions/who-solved?sector=sector:textile",
        "questions/similar-regions?partner=organisation:sos",
        "questions/progress",
        "page/organisation/sofia-municipality",
        "partner/sos",
    ],
)
def test_every_mark_sits_on_its_own_item(officer, path):
    base, browser_context = officer
    page = browser_context.new_page()
    page.goto(base + path + ("&" if "?" in path else "?") + "lang=en")
    marks = page.evaluate(MARKS_ON_ITEMS)
    assert marks, f"{path} shows no marks"
    wrong = [m for m in marks if m["marks"] != 1]
    assert any(m["links"] for m in marks), "the marked items link to their records"
    assert not wrong, wrong[:5]
    page.close()
