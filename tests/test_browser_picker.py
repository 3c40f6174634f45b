"""The edit forms' link pickers in a real browser (Debian's Chromium driven by Playwright) against a real
`circe-kg serve` on the embedded store: search a long list by typing, choose with the keyboard, see what is chosen
and remove it, be stopped when the typed text names nothing — and, without JavaScript, the plain list still works.
The pickers pass axe's WCAG 2.1 A/AA rules at every impact."""

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_browser_steward import sign_in

TOKEN = secrets.token_urlsafe(24)
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.parametrize("served", ["embedded"], indirect=True)  # the widget, not the backends


@pytest.fixture(scope="module")
def base(served):
    return served(CIRCE_KG_WRITE_TOKEN=TOKEN, CIRCE_KG_WRITE_AGENT="Picker steward")


@pytest.fixture
def page(base, context):  # the server started first
    return sign_in(context.new_page(), base, TOKEN, "Picker steward")


def new_practice(page, base, slug: str, name: str) -> None:
    page.goto(base + "new/practice?lang=en")
    page.get_by_label("Short name").fill(slug)
    page.locator("#field-f0 textarea").first.fill(name)
    page.get_by_label("Illustrative example").check()


def test_a_link_is_found_by_typing_and_chosen_with_the_keyboard(base, page):
    new_practice(page, base, "picker-keyboard-demo", "Picker keyboard demo")
    barrier = page.get_by_role("combobox", name="Addresses barrier")
    expect(page.locator("select[name=f10]")).to_be_hidden()  # the list it enhances stays in the form, hidden
    barrier.focus()
    page.keyboard.type("procurem")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options.filter(has_text="Public procurement")).to_have_count(1)
    expect(options.filter(has_text="Limited circular procurement")).to_have_count(1)  # every word, anywhere
    page.keyboard.type(" publ")  # the words in any order narrow it down
    expect(options).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    chosen = page.get_by_role("list", name="Chosen: Addresses barrier")
    expect(chosen).to_contain_text("Public procurement")
    expect(page.locator("#field-f10 .picker-status")).to_contain_text("Added: Public procurement")
    expect(page.get_by_role("combobox", name="Addresses barrier")).to_be_focused()  # ready for the next one
    expect(page.get_by_role("combobox", name="Addresses barrier")).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Picker keyboard demo")
    expect(page.locator("main")).to_contain_text("Public procurement")


def test_several_links_are_listed_and_one_is_removed(base, page):
    new_practice(page, base, "picker-remove-demo", "Picker remove demo")
    barrier = page.get_by_role("combobox", name="Addresses barrier")
    for typed in ("public procurem", "consumer"):
        barrier = page.get_by_role("combobox", name="Addresses barrier")
        barrier.fill(typed)
        page.get_by_role("listbox").get_by_role("option").first.click()
    chosen = page.get_by_role("list", name="Chosen: Addresses barrier").get_by_role("listitem")
    expect(chosen).to_have_count(2)
    first = chosen.first.inner_text().replace("×", "").strip()
    second = chosen.last.inner_text().replace("×", "").strip()
    page.get_by_role("button", name=f"Remove {first}").click()
    expect(chosen).to_have_count(1)
    expect(page.locator("#field-f10 .picker-status")).to_contain_text(f"Removed: {first}")
    expect(page.get_by_role("combobox", name="Addresses barrier")).to_be_focused()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Picker remove demo")
    links = page.locator("main").inner_text()
    name = lambda label: label.removesuffix(" (illustrative)")  # the pickers say so; the page marks it its own way
    assert name(second) in links and name(first) not in links


def test_typed_text_that_names_nothing_stops_the_save_on_its_field(base, page):
    new_practice(page, base, "picker-nothing-demo", "Picker nothing demo")
    page.get_by_role("combobox", name="Addresses barrier").fill("no barrier is called this")
    page.keyboard.press("Escape")
    address = page.url
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-f10 .picker-error")).to_contain_text(
        "“no barrier is called this” is not one of the choices"
    )
    assert page.url == address  # nothing was sent
    assert page.request.get(base + "page/practice/picker-nothing-demo").status == 404


def test_an_edit_form_lists_the_links_already_stored(base, page):
    page.goto(base + "edit/practice/albergo-diffuso?lang=en")
    stored = page.locator("select[name=f10] option:checked").all_inner_texts()
    assert stored, "the record links barriers"
    chosen = page.get_by_role("list", name="Chosen: Addresses barrier")
    for label in stored:
        expect(chosen).to_contain_text(label.strip())


def test_without_javascript_the_plain_list_works(base, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "new/practice?lang=en")
    page.get_by_label("Short name").fill("picker-no-script-demo")
    page.locator("#field-f0 textarea").first.fill("Picker no-script demo")
    page.get_by_label("Illustrative example").check()
    page.get_by_label("Addresses barrier").select_option(label="Public procurement")
    page.get_by_label("Your write token").fill(TOKEN)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Picker no-script demo")
    expect(page.locator("main")).to_contain_text("Public procurement")
    context.close()


def test_the_pickers_pass_wcag_2_1_a_and_aa(base, browser):
    context = browser.new_context(bypass_csp=True)  # axe is injected inline; the page's CSP would refuse it
    page = context.new_page()
    page.goto(base + "edit/practice/albergo-diffuso?lang=en")
    page.get_by_role("combobox", name="Addresses barrier").fill("proc")  # the menu open, too
    expect(page.get_by_role("listbox").first).to_be_visible()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    details = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]
    assert not result["violations"], "\n".join(details)
    context.close()


def test_a_whole_name_typed_without_choosing_counts(base, page):
    new_practice(page, base, "picker-typed-demo", "Picker typed demo")
    page.get_by_role("combobox", name="Addresses barrier").fill("public procurement")  # lower case, menu ignored
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Picker typed demo")
    expect(page.locator("main")).to_contain_text("Public procurement")
