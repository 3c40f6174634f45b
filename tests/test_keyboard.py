"""Keyboard only, in a real browser (Debian's Chromium driven by Playwright) against a real `circe-kg serve`:
with Tab, Shift+Tab, Enter, Space and the arrow keys (and typing words into a field), a reader searches from the
home page and opens a result, answers a transfer question and opens a practice, and switches the site to
Italian. At every stop the focused element shows a visible focus style, and the first Tab stop of a page is a
"Skip to content" link that moves the reader to the page's main content (WCAG 2.1: 2.1.1, 2.4.1, 2.4.7)."""

import pytest

pytestmark = pytest.mark.parametrize("served", ["embedded"], indirect=True)  # the pages, not the backends
MAX_STOPS = 400  # Tab presses before giving up on reaching an element

# What the focused element is, and whether its focus can be seen: an outline (the browser's own ring or the
# site's), a box shadow, or (for the skip link) being on screen at all with its own colours.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {
    tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || '').trim().slice(0, 80),
    href: e.getAttribute('href'), hreflang: e.getAttribute('hreflang'), id: e.id, cls: e.className,
    inMain: !!e.closest('main'), inFooter: !!e.closest('footer'), inAnswers: !!e.closest('.answers, .hits'),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== 'none',
    onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
      && r.left < window.innerWidth && r.top < window.innerHeight,
  };
}"""


@pytest.fixture(scope="module")
def base(served):
    return served()


def focused(page) -> dict:
    found = page.evaluate(FOCUSED)
    assert found is not None, "the focus was lost (on the page's body)"
    assert found["onScreen"], f"the focused element is not on screen: {found}"
    assert found["outline"] or found["shadow"], f"no visible focus style on {found}"
    return found


def press(page, key: str) -> dict:
    page.keyboard.press(key)
    return focused(page)


def tab_to(page, wanted, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab) until the focused element is the wanted one, checking each stop on the way."""
    now = page.evaluate(FOCUSED)
    if now is not None and wanted(now):
        return focused(page)
    for _ in range(MAX_STOPS):
        found = press(page, key)
        if wanted(found):
            return found
    raise AssertionError(f"{key} never reached the element on {page.url}")


def skip_to_content(page) -> None:
    """The first Tab stop is the skip link, visible when focused; Enter on it moves the focus into <main>."""
    first = press(page, "Tab")
    assert first["cls"] == "skip" and first["href"] == "#main", f"the first Tab stop is {first}"
    assert first["text"]
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    after = press(page, "Tab")
    assert after["inMain"], f"after skipping, Tab went to {after}, not into the main content"


def test_search_from_the_home_page_and_open_a_result(base, page):
    page.goto(base)
    skip_to_content(page)
    page.goto(base)
    tab_to(page, lambda e: e["href"] and e["href"].startswith("/search") and not e["inMain"])  # the header's link
    page.keyboard.press("Enter")
    page.wait_for_url("**/search**")
    skip_to_content(page)  # every page has it first
    tab_to(page, lambda e: e["id"] == "q")
    page.keyboard.type("textile")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?*q=textile*")
    result = tab_to(page, lambda e: e["inAnswers"] and e["tag"] == "a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/**")
    assert result["href"].rsplit("/id/", 1)[-1] in page.url  # a resource's IRI goes to its page


def test_answer_a_transfer_question_and_open_a_practice(base, page):
    page.goto(base + "questions/practices-for-barrier")
    skip_to_content(page)
    tab_to(page, lambda e: e["id"] == "barrier")
    chosen = "https://w3id.org/circe-kg/id/concept/kirchherr-2018/regulatory"  # practices address it
    for _ in range(MAX_STOPS):  # a closed select changes its choice with the arrow keys
        if page.input_value("#barrier") == chosen:
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#barrier") == chosen
    tab_to(page, lambda e: e["tag"] == "button" and e["inMain"])
    page.keyboard.press("Space")
    page.wait_for_url("**/questions/practices-for-barrier?*barrier=*")
    assert page.input_value("#barrier") == chosen
    practice = tab_to(page, lambda e: e["inAnswers"] and "/practice/" in (e["href"] or ""))
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/practice/**")
    assert practice["href"].rsplit("/id/", 1)[-1] in page.url


def test_switch_the_language_to_italian(base, page):
    page.goto(base + "questions/")
    assert page.get_attribute("html", "lang") == "en"
    # The language switcher is in the footer, at the end of the page: back from the top with Shift+Tab.
    tab_to(page, lambda e: e["hreflang"] == "it" and e["inFooter"], key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "it"
    assert "/questions/" in page.url
    skip_to_content(page)  # the skip link is first in Italian too
