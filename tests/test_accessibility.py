"""Accessibility to the legal bar (WCAG 2.1 AA, as EN 301 549 requires of public-sector sites), checked not
assumed: axe-core (from npm) runs in Debian's Chromium with the WCAG 2.1 A and AA rules, on a sample of every page
type the app serves to people, and the test fails on any violation, whatever its impact. Another test fails when
a GET route has neither a sample page here nor a reasoned place in the list of machine endpoints."""

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from circe_kg.store import EmbeddedStore
from circe_kg.web.services import services_of

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TOKEN = secrets.token_urlsafe(24)
pytestmark = pytest.mark.parametrize("served", ["embedded"], indirect=True)  # the pages, not the backends

ID = "https://w3id.org/circe-kg/id/"
BARRIER = ID + "concept/kirchherr-2018/regulatory"
# Each GET route that serves HTML to people, with the sample pages that show it (paths from the site's root):
# answers with results, empty answers, other languages, and each class of resource /page/ shows.
PAGES: dict[str, list[str]] = {
    "/": ["", "?lang=it"],
    "/accessibility": ["accessibility", "accessibility?lang=it"],
    "/search": ["search", "search?q=textile", "search?q=qwertyuiop"],
    "/questions/": ["questions/"],
    "/questions/practices-for-barrier": [
        "questions/practices-for-barrier",
        f"questions/practices-for-barrier?barrier={BARRIER}",
        f"questions/practices-for-barrier?barrier={BARRIER}&sourced=1",
    ],
    "/questions/transfers": ["questions/transfers"],
    "/questions/progress": ["questions/progress"],
    "/questions/gaps": ["questions/gaps"],
    "/questions/who-solved": ["questions/who-solved", f"questions/who-solved?sector={ID}sector/textile"],
    "/questions/similar-regions": [
        "questions/similar-regions",
        f"questions/similar-regions?partner={ID}organisation/sos",
    ],
    "/questions/compare": [
        "questions/compare",
        f"questions/compare?a={ID}organisation/sos&b={ID}organisation/regione-lombardia",
    ],
    "/list/<kind>": [
        "list/partners",
        "list/practices",
        "list/barriers",
        "list/opportunities",
        "list/instruments",
        "list/actions",
        f"list/practices?sector={ID}sector/plastics&sourced=1",  # filtered
    ],
    "/page/<path:rest>": [
        "page/practice/valles-circular",
        "page/practice/albergo-diffuso",
        "page/barrier/sos-public-procurement",
        "page/opportunity/lower-silesia-support-for-crafts",
        "page/organisation/sos",
        "page/organisation/sos?lang=sl",
        "page/organisation/municipality-of-kocevje",
        "page/action/sos-dispersed-circular-hotel-pilot",
        "page/action-plan/sofia",
        "page/instrument/sofia-eea-separate-collection-pilot-project",
        "page/observation/sofia-biowaste-separate-collection-2021-06-30",
        "page/transfer/lombardy-to-sos-dispersed-circular-hotel",
        "page/meeting/sofia-bansko-2019",
        "page/sector/textile",
        "page/concept/kirchherr-2018/regulatory",
        "page/scheme/prioritisation-criteria",
        "page/gap/cd2e-outputs-in-french-sources",
        "page/project/circe",
        "page/statement/si0-long",
    ],
    "/partner/<slug>": ["partner/sos", "partner/regione-lombardia?lang=it"],
    "/resource": [
        "resource?uri=http://data.europa.eu/nuts/code/ES51",  # a region
        "resource?uri=http://data.europa.eu/ux2/nace2/38",  # a NACE activity
    ],
    "/ontology": ["ontology"],
    "/dumps/": ["dumps/"],
    "/truth": ["truth"],
    "/validate": ["validate"],
    "/void": ["void"],  # a browser asks for text/html: the dataset's description for people
    "/query": ["query", "query?example=practices-for-barrier&run=1"],
    "/history": ["history"],
    "/history/<int:number>": ["history/1"],
    "/review": ["review"],
    "/import": ["import"],
    "/sign-in": ["sign-in"],
    "/edit/<path:rest>": ["edit/practice/albergo-diffuso"],
    "/new/<kind>": ["new/practice"],
    "/reconcile/preview": ["reconcile/preview?id=practice:albergo-diffuso"],  # shown in OpenRefine's frame
}
NOT_FOUND = ["no-such-page", "list/no-such-kind", "page/practice/no-such-practice", "history/999"]  # 404 pages
# Pages seen signed in as a steward (the same routes show forms, drafts and buttons then).
STEWARD_PAGES = [
    "history",
    "history/1",
    "review",
    "import",
    "sign-in",
    *(f"edit/{kind}" for kind in ("practice/albergo-diffuso", "action/sos-dispersed-circular-hotel-pilot")),
    *(
        f"new/{kind}"
        for kind in (
            "practice",
            "barrier",
            "opportunity",
            "organisation",
            "instrument",
            "plan",
            "action",
            "observation",
            "transfer",
            "meeting",
        )
    ),
]
# GET routes for machines, or files, not pages for people — no sample page, each for its reason.
MACHINE_ROUTES = {
    "/sparql",  # the SPARQL protocol endpoint (results and its service description as RDF); people use /query
    "/graphs",  # the Graph Store protocol: RDF
    "/context.jsonld",  # the JSON-LD context
    "/data/<path:rest>.<extension>",  # a resource's data as RDF files
    "/id/<path:rest>",  # a resource's IRI: a 303 redirect to /page/… or /data/…
    "/dumps/<name>",  # dump files
    "/dumps/SHA256SUMS",  # their checksums, as text
    "/export/<name>.<extension>",  # spreadsheets and CSV files
    "/templates/<name>.xlsx",  # empty spreadsheet templates
    "/drafts",  # the write API's drafts, as JSON
    "/drafts/<int:number>",  # one draft, as JSON (people review drafts on /review)
    "/reconcile",  # the OpenRefine reconciliation API, JSON
    "/reconcile/view",  # a redirect to the resource's page
    "/reconcile/suggest/entity",  # JSON
    "/reconcile/suggest/property",  # JSON
    "/reconcile/suggest/type",  # JSON
    "/search/suggest",  # the search box's suggestions, JSON
    "/static/<path:filename>",  # the site's stylesheet and scripts
    "/vendor/<package>/<path:filename>",  # npm packages' scripts and stylesheets
}
SAMPLES = [(path, "reader") for paths in PAGES.values() for path in paths] + [
    *((path, "reader") for path in NOT_FOUND),
    *((path, "steward") for path in STEWARD_PAGES),
]


def test_every_page_type_has_a_sample(served):  # the module pins `served`; nothing is started here
    from circe_kg.web import create_app

    app = create_app(store=EmbeddedStore(None), config={"TESTING": True})
    try:
        routes = {rule.rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    finally:
        services_of(app).sandbox.close()
    missing = routes - PAGES.keys() - MACHINE_ROUTES
    assert not missing, f"GET routes with no sample page in PAGES (or reason in MACHINE_ROUTES): {sorted(missing)}"
    gone = (PAGES.keys() | MACHINE_ROUTES) - routes
    assert not gone, f"routes listed here that the app no longer has: {sorted(gone)}"
    assert not PAGES.keys() & MACHINE_ROUTES


@pytest.fixture(scope="module")
def browsers(served, browser):
    """A reader's page and a signed-in steward's page, in one browser, against one served app with writes on."""
    base = served(CIRCE_KG_WRITE_TOKEN=TOKEN, CIRCE_KG_WRITE_AGENT="Accessibility steward")
    # axe is injected as an inline script, which the pages' CSP refuses (script-src 'self'): the tool, not the
    # page, bypasses it (tests/test_security_headers.py checks the pages under the policy).
    contexts = [browser.new_context(bypass_csp=True) for _ in ("reader", "steward")]
    reader, steward = (context.new_page() for context in contexts)
    steward.goto(base + "sign-in")
    steward.get_by_label("Your write token").fill(TOKEN)
    steward.get_by_role("button", name="Sign in").click()
    expect(steward.locator("header")).to_contain_text("Signed in as Accessibility steward")
    yield base, {"reader": reader, "steward": steward}
    for context in contexts:
        context.close()


# The one finding left in third-party code, by rule and the element's selector: the query editor (Yasqe, on
# CodeMirror 5) scrolls its text in .CodeMirror-scroll, while its caret lives in a textarea outside that box; a
# keyboard user types and moves in that textarea, which scrolls the box, but axe sees a scrolling box with nothing
# focusable in it. The accessibility statement lists it.
THIRD_PARTY = {"scrollable-region-focusable": ".CodeMirror-scroll"}


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now (scripts run), at every impact level."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_21_AA
    )
    found = []
    for v in result["violations"]:
        nodes = [n["target"] for n in v["nodes"] if THIRD_PARTY.get(v["id"], "\0") not in str(n["target"][-1])]
        if nodes:
            found.append(f"{v['id']} ({v['impact']}): {v['help']} — {nodes[:4]}")
    return found


@pytest.mark.parametrize(("path", "who"), SAMPLES, ids=[f"{who}:{path}" for path, who in SAMPLES])
def test_no_wcag_21_aa_violation(browsers, path, who):
    base, pages = browsers
    page = pages[who]
    response = page.goto(base + path)
    assert response is not None and response.status == (404 if path in NOT_FOUND else 200)  # the page type, shown
    page.wait_for_load_state("networkidle")  # the scripts' enhancements (pickers, the query editor) are in place
    found = violations(page)
    assert not found, "\n".join(found)
    if not path.startswith("reconcile/preview"):  # a frame in OpenRefine, not a page of the site
        statement = page.locator('footer a[href^="/accessibility"]:not([hreflang])')  # not the language links
        expect(statement).to_have_count(1)  # the statement, linked from every page


def test_a_printed_page_has_the_contrast_of_print(browsers):
    """On paper (print.css) every text has at least WCAG's enhanced contrast, 7:1 (AAA): axe-core's rule, run
    with the print stylesheet applied."""
    base, pages = browsers
    page = pages["reader"]
    page.emulate_media(media="print")
    try:
        page.goto(base + "partner/sos")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast-enhanced']},"
            " resultTypes: ['violations', 'passes']})"
        )
    finally:
        page.emulate_media(media="screen")
    assert result["violations"] == [], [n["target"] for v in result["violations"] for n in v["nodes"]][:8]
    assert result["passes"], "axe found text to check"


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_accessibility_statement_follows_the_model(served, lang):  # the module pins `served`; unused here
    from circe_kg.web import create_app

    issues = "https://tracker.example.org/circe-kg/issues"
    app = create_app(store=EmbeddedStore(None), config={"TESTING": True, "ISSUES_URL": issues})
    try:
        reply = app.test_client().get(f"/accessibility?lang={lang}")
    finally:
        services_of(app).sandbox.close()
    assert reply.status_code == 200
    text = reply.get_data(as_text=True)
    # The sections of Commission Implementing Decision (EU) 2018/1523's model statement, in its order.
    sections = ['id="status"', 'id="non-accessible"', 'id="preparation"', 'id="feedback"', 'id="enforcement"']
    assert [text.index(s) for s in sections] == sorted(text.index(s) for s in sections)
    assert "2016/2102" in text and "WCAG 2.1" in text and "axe-core" in text  # the directive, in any language
    assert f'href="{issues}"' in text  # feedback goes to the issue tracker…
    assert "mailto:" not in text and "@" not in text.split("<main", 1)[1]  # …not to anyone's mailbox
    if lang == "en":  # the words (translations may come)
        assert "partially compliant" in text  # honest: not everything is known to pass
        assert "native speakers" in text and "Yasgui" in text  # the known non-accessible content
        assert "keyboard" in text and "December 6, 2026" in text  # how and when it was prepared
        assert "national enforcement body" in text
    if lang != "en" and "<h1>Accessibility statement</h1>" in text:  # not translated yet: said to be English
        assert '<div class="statement" lang="en">' in text
