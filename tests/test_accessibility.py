"""Accessibility, checked not assumed: axe-core (from npm) runs in Debian's Chromium on every main page and
the test fails on any serious or critical violation."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.test_browser_edit import CHROMIUM_ARGS

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "",
    "truth",
    "page/practice/valles-circular",
    "page/barrier/sos-public-procurement",
    "questions/practices-for-barrier?barrier=https://w3id.org/circe-kg/id/concept/kirchherr-2018/regulatory&sourced=1",
    "search?q=textile",
    "search?q=qwertyuiop",
    "questions/",
    "questions/practices-for-barrier?barrier=https://w3id.org/circe-kg/id/concept/kirchherr-2018/regulatory",
    "questions/transfers",
    "questions/progress",
    "questions/gaps",
    "list/practices",
    "list/actions",
    "page/practice/albergo-diffuso",
    "page/practice/no-such-practice",
    "ontology",
    "dumps/",
    "validate",
    "history",
    "review",
    "edit/practice/albergo-diffuso",
    "?lang=it",
    "questions/who-solved?sector=https://w3id.org/circe-kg/id/sector/textile",
    "questions/similar-regions?partner=https://w3id.org/circe-kg/id/organisation/sos",
    "questions/compare?a=https://w3id.org/circe-kg/id/organisation/sos"
    "&b=https://w3id.org/circe-kg/id/organisation/regione-lombardia",
    "resource?uri=http://data.europa.eu/nuts/code/ES51",
    "page/organisation/sos?lang=sl",
]


@pytest.fixture(scope="module")
def browser_page(served):
    base = served()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # axe is injected as an inline script, which the pages' CSP refuses (script-src 'self'): the tool, not the
        # page, bypasses it (tests/test_security_headers.py checks the pages under the policy).
        yield base, browser.new_page(bypass_csp=True)
        browser.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_accessibility_violation(browser_page, path):
    base, page = browser_page
    page.goto(base + path)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in serious]
    assert not serious, "\n".join(details)
