"""The search page as a policy officer uses it, in a real browser (Debian's Chromium driven by Playwright) against
a real `circe-kg serve` on the embedded store: typing a partner's word suggests the concept in the page's language,
naming the word that matched; without JavaScript the same form still searches; each result says how a Slovene
search reached it on the Italian page; and "my words only" leaves out what only another language found."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.parametrize("served", ["embedded"], indirect=True)  # what people see, not the backends

BOX = "Cerca pratiche, ostacoli, partner, strumenti… in qualsiasi lingua"  # the box's label on the Italian page
MY_WORDS_ONLY = "Solo le mie parole (nessun’altra forma, nessun’altra lingua)"
STATED = re.compile(r"(\d+) risultat[oi] per “(.*)”\.")  # "41 risultati per “javna naročila”."


@pytest.fixture(scope="module")
def base(served):
    return served()


@pytest.fixture
def page(base, context):  # the server started first
    """A fresh browser page, with JavaScript, that fails the test on any script error or failed request."""
    page = context.new_page()
    errors: list[str] = []

    def console(message) -> None:
        if message.type == "error":
            errors.append(f"{message.text} at {message.location.get('url')}")

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", console)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page
    context.close()
    assert not errors, errors


def search(page, base: str, query: str, *, my_words_only: bool = False) -> None:
    """Open the Italian search page, type the query in the box, tick "my words only" if asked, and press Search."""
    page.goto(base + "search?lang=it")
    page.get_by_role("combobox", name=BOX).fill(query)
    if my_words_only:
        page.get_by_label(MY_WORDS_ONLY).check()
    with page.expect_response(lambda r: r.request.resource_type == "document" and "q=" in r.url) as answer:
        page.get_by_role("button", name="Cerca", exact=True).click()
    page.wait_for_load_state()
    assert answer.value.status == 200, answer.value.url


def results(page) -> tuple[int | None, list]:
    """The count the page states ("41 risultati per …"; None when it found nothing) and the results shown."""
    main = page.get_by_role("main")
    stated = main.get_by_text(STATED)
    count = int(STATED.search(stated.inner_text())[1]) if stated.count() else None
    return count, main.get_by_role("region").get_by_role("listitem").all()


@pytest.mark.parametrize(
    ("typed", "matched", "language"),
    [("javna naroč", "Javna naročila", "sl"), ("обществени", "Обществени поръчки", "bg")],
)
def test_a_partners_word_suggests_the_concept_in_the_pages_language(base, page, typed, matched, language):
    page.goto(base + "search?lang=it")
    box = page.get_by_role("combobox", name=BOX)
    options = page.locator("datalist#q-suggestions option")
    expect(options).to_have_count(0)  # nothing suggested before typing
    # Key by key, as a person types: each key is an input event. On a slow machine a pause between keys may ask
    # for the words so far first (the script shows the later answer when both come): wait for the whole text's.
    with page.expect_response(lambda response: parse_qs(urlsplit(response.url).query).get("q") == [typed]):
        box.press_sequentially(typed, delay=30)
    expect(options.first).to_have_attribute("label", f"Appalti pubblici — {matched} ({language})", timeout=10_000)
    shown = options.evaluate_all("os => os.map(o => ({value: o.value, label: o.label}))")
    values = [o["value"] for o in shown]
    # The concept's Italian name is what goes into the box, never the Slovene or Bulgarian word typed.
    assert values[0] == "Appalti pubblici", shown
    assert "Appalti pubblici verdi" in values, shown  # green public procurement starts with the same words
    # Each option names, beside the Italian name, the partner-language name that matched what was typed.
    assert shown[0]["label"] == f"Appalti pubblici — {matched} ({language})", shown
    for option in shown:
        assert option["value"] != option["label"], option
        assert option["label"].startswith(option["value"] + " — "), option
        assert option["label"].endswith(f" ({language})"), option
        assert typed.split()[0].casefold() in option["label"].casefold(), option
    assert not any(typed.split()[0].casefold() in value.casefold() for value in values), values
    # The suggestions follow the text typed: typing something else asks again and replaces them.
    box.fill("")
    box.press_sequentially("spreco alim", delay=30)
    expect(options.first).to_have_attribute("value", "Spreco alimentare", timeout=10_000)
    assert "Appalti pubblici" not in options.evaluate_all("os => os.map(o => o.value)")


def test_without_javascript_the_form_still_searches(base, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    search(page, base, "javna naročila")
    assert page.locator("html").get_attribute("lang") == "it"  # the hidden lang field kept the page's language
    assert "q=javna+naro%C4%8Dila" in page.url, page.url
    expect(page.get_by_role("combobox", name=BOX)).to_have_value("javna naročila")  # the query stays in the box
    count, shown = results(page)
    assert count and count >= 1, page.get_by_role("main").inner_text()[:500]
    assert len(shown) == count  # the stated count is what is listed
    expect(page.get_by_role("heading", level=1)).to_have_text("Cerca")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("Nessun risultato")).to_have_count(0)
    expect(page.locator("datalist#q-suggestions option")).to_have_count(0)  # no suggestions without the script
    context.close()


def test_a_slovene_search_on_the_italian_page_says_how_each_result_matched(base, page):
    search(page, base, "javna naročila")
    count, shown = results(page)
    assert count and shown, page.get_by_role("main").inner_text()[:500]
    first = shown[0]
    why = first.get_by_text(re.compile(r"^Perché:"))
    expect(why).to_be_visible()
    explanation = why.inner_text()
    # Nothing in the data says "javna naročila": the result is reached through the topic the words name, named
    # here in Italian, and the explanation quotes the name the result's text really contains, and its language.
    said = re.match(
        r"Perché: dice “(?P<name>[^”]+)”, il nome in (?P<language>\w+) del concetto “Appalti pubblici” \(tema\), "
        r"che la tua ricerca nomina · testo in (?P<text_language>\w+)$",
        explanation,
    )
    assert said, explanation
    text = first.inner_text().split("Perché:")[0]  # the result's name and the snippet above the explanation
    assert said["name"].casefold() in text.casefold(), (said["name"], text)
    assert said["language"] == said["text_language"] == "inglese", explanation
    # Every result, not only the first, says why it is there.
    unexplained = [
        hit.get_by_role("link").first.inner_text()
        for hit in shown
        if not re.match(r"Perché: \S", hit.locator(".why").inner_text().strip())
    ]
    assert not unexplained, f"{len(unexplained)} of {len(shown)} results do not say why they matched: {unexplained}"


@pytest.mark.parametrize(
    ("query", "same_words_count"),
    [
        ("javna naročila", 0),  # Slovene words that no text holds: only the topic they name found anything
        ("procurement", None),  # English words some texts hold: fewer, but still some
    ],
)
def test_my_words_only_leaves_out_what_other_forms_and_languages_found(base, page, query, same_words_count):
    search(page, base, query)
    everything, _ = results(page)
    assert everything and everything > 0
    search(page, base, query, my_words_only=True)
    expect(page.get_by_label(MY_WORDS_ONLY)).to_be_checked()  # the choice stays on with the results
    assert "exact=1" in page.url, page.url
    own_words, shown = results(page)
    if same_words_count == 0:
        assert own_words is None and not shown
        expect(page.get_by_role("main").get_by_text(f"Nessun risultato per “{query}”.")).to_be_visible()
    else:
        assert own_words and 0 < own_words < everything, (own_words, everything)
        assert len(shown) == own_words
        # What is left was found by the words themselves: no explanation through a concept or another form.
        same_words = re.compile(r"^Perché: le stesse parole( ·|$)")
        for hit in shown:
            expect(hit.locator(".why")).to_have_text(same_words)
