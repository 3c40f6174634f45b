"""The steward journeys as they were found, in a real browser (Debian's Chromium driven by Playwright) against a
real `circe-kg serve` on the embedded store: sign in once, open the same record in two tabs, save in both — the
second save is refused with her input kept and the stored value shown, she merges and nothing is lost; then she
records a monitoring status for an action and sees it on the action's timeline."""

import secrets

import pytest
from playwright.sync_api import expect

TOKEN = secrets.token_urlsafe(24)
pytestmark = pytest.mark.parametrize("served", ["embedded"], indirect=True)  # the journey, not the backends


@pytest.fixture(scope="module")
def base(served):
    return served(CIRCE_KG_WRITE_TOKEN=TOKEN, CIRCE_KG_WRITE_AGENT="Two-tab steward")


def sign_in(page, base: str, token: str, name: str):
    """The page signed in with `token` (the session cookie then holds for its whole browser context)."""
    page.goto(base + "sign-in?lang=en")
    page.get_by_label("Your write token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header")).to_contain_text(f"Signed in as {name}")
    return page


@pytest.fixture(scope="module")
def browser_context(base, browser):
    context = browser.new_context()
    sign_in(context.new_page(), base, TOKEN, "Two-tab steward").close()
    yield context
    context.close()


def add_name(page, text: str, language: str) -> None:
    name = page.locator("#field-f0")
    name.locator("textarea").last.fill(text)
    name.locator("select").last.select_option(language)


def test_two_tabs_on_one_record_lose_nothing(base, browser_context):
    first, second = browser_context.new_page(), browser_context.new_page()
    for tab in (first, second):
        tab.goto(base + "edit/practice/albergo-diffuso")
        expect(tab.get_by_label("Your write token")).to_have_count(0)  # signed in: no token to retype
    add_name(first, "Razpršeni hotel", "sl")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_role("status")).to_contain_text("Saved as version")

    summary = second.locator("#field-f1")
    summary.locator("textarea").last.fill("Un albergo diffuso nei borghi di montagna.")
    summary.locator("select").last.select_option("it")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_role("alert").first).to_contain_text("someone saved this record after you opened it")
    typed = second.locator("#field-f1 textarea").evaluate_all("areas => areas.map(a => a.value)")
    assert "Un albergo diffuso nei borghi di montagna." in typed  # her input is kept
    expect(second.locator("#field-f0")).to_contain_text("Stored now:")
    expect(second.locator("#field-f0")).to_contain_text("Razpršeni hotel")

    add_name(second, "Razpršeni hotel", "sl")  # she merges what the other tab saved
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_role("status")).to_contain_text("Saved as version")
    second.goto(base + "page/practice/albergo-diffuso?lang=sl")
    expect(second.locator("main")).to_contain_text("Razpršeni hotel")
    second.goto(base + "page/practice/albergo-diffuso?lang=it")
    expect(second.locator("main")).to_contain_text("Un albergo diffuso nei borghi di montagna.")
    for tab in (first, second):
        tab.close()


def test_a_steward_records_a_status_and_sees_it_on_the_timeline(base, browser_context):
    page = browser_context.new_page()
    page.goto(base + "page/action/sos-dispersed-circular-hotel-pilot?lang=en")  # the other test left Italian
    before = page.locator("#timeline .point").count()
    page.get_by_role("link", name="Record a status for this action").click()
    page.wait_for_url("**/new/observation?**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("New observation")
    page.get_by_label("Short name").fill("hotel-pilot-status-2023")
    page.locator("#field-f0 textarea").first.fill("Hotel pilot status, 2023 (browser test)")
    page.locator("main form").get_by_label("Date", exact=False).first.fill("2023-03-01")
    status = page.get_by_label("Status", exact=False).first
    status.select_option(index=1)
    chosen = status.locator("option:checked").inner_text()
    page.get_by_label("Illustrative example").check()
    note = page.locator("label", has_text="Why illustrative").first
    if note.count():
        page.get_by_label("Why illustrative", exact=False).first.fill("Recorded by a browser test.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version")
    page.goto(base + "page/action/sos-dispersed-circular-hotel-pilot")
    expect(page.locator("#timeline .point")).to_have_count(before + 1)
    expect(page.locator("#timeline table")).to_contain_text("2023-03-01")
    expect(page.locator("#timeline table")).to_contain_text(chosen.strip())
    page.close()
