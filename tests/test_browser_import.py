"""The spreadsheet import in a real browser (Debian's Chromium driven by Playwright) against a real
`circe-kg serve`: an editor fills in the practice template the server serves, uploads it with three broken cells
and sees them marked with their problems, uploads the fixed file, confirms and gets a draft; a reviewer publishes
the draft, and the new practice has its page."""

import datetime as dt
import io
import secrets
import urllib.request

import openpyxl
import pytest
from playwright.sync_api import expect

# A served app's journey on the embedded store (Oxigraph's engine) and on Virtuoso (the remote store's path, another
# engine): an Oxigraph server would add neither (tests/conftest.py).
pytestmark = pytest.mark.embedded_and_virtuoso

# Made for each run: write tokens are never written into the repository, not even a test's.
EDITOR_TOKEN = secrets.token_urlsafe(24)
REVIEWER_TOKEN = secrets.token_urlsafe(24)
NAME = "Sheet-imported repair café (demo)"
SLUG = "sheet-imported-repair-cafe-demo"


@pytest.fixture(scope="module")
def base(served, tmp_path_factory):
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    tokens.write_text(
        f"# name token role\nEd-Itor {EDITOR_TOKEN} editor\nRev-Iewer {REVIEWER_TOKEN} reviewer\n", encoding="utf-8"
    )
    return served(CIRCE_KG_TOKENS_FILE=str(tokens))


@pytest.fixture(scope="module")
def page(base, browser):  # a fresh browser context, without cookies, for each backend
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def sheets(base, tmp_path_factory):
    """The practice template as the server serves it, filled in twice: with three broken cells, and fixed."""
    with urllib.request.urlopen(base + "templates/practice.xlsx?lang=en", timeout=60) as response:
        template = response.read()
    folder = tmp_path_factory.mktemp("sheets")

    def filled(owner: str, start: object, source: str) -> tuple[str, dict[str, str]]:
        book = openpyxl.load_workbook(io.BytesIO(template))
        ws = book["Practices"]
        keys = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
        cells = {
            "skos:prefLabel@en": NAME,
            "skos:prefLabel@it": "Repair café importato (demo)",
            "circe:practiceOwner": owner,
            "schema:startDate": start,
            "dct:source": source,
        }
        for key, value in cells.items():
            ws.cell(3, keys[key]).value = value
        path = folder / f"practices-{len(list(folder.iterdir()))}.xlsx"
        book.save(path)
        return str(path), {k: openpyxl.utils.get_column_letter(keys[k]) for k in cells}

    broken, letters = filled("Nobody Org", "03/04/2021", "see the leaflet")
    fixed, _ = filled("Lombardy Region", dt.date(2021, 4, 3), "https://example.org/repair-cafe")
    return {"broken": broken, "fixed": fixed, "letters": letters}


def _upload(page, base, path):
    page.goto(base + "import")
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(path)
    page.get_by_label("Your write token").fill(EDITOR_TOKEN)
    page.get_by_role("button", name="Preview").click()


def test_broken_cells_are_marked_with_their_problems(base, page, sheets):
    _upload(page, base, sheets["broken"])
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("3 problems: nothing will be stored until they are fixed in the file.")
    letters = sheets["letters"]
    cells = page.locator("table.problems tbody tr td:first-child")
    expect(cells).to_have_text(
        [f"Practices!{letters[k]}3" for k in ("schema:startDate", "circe:practiceOwner", "dct:source")]
    )
    bad = page.locator("td.bad-cell")
    expect(bad).to_have_count(3)
    expect(bad.filter(has_text="Nobody Org")).to_contain_text("is not in the list of this column")
    expect(bad.filter(has_text="03/04/2021")).to_contain_text("write it as YYYY-MM-DD")
    expect(bad.filter(has_text="see the leaflet")).to_contain_text("not a web address")
    expect(page.get_by_role("button", name="Confirm the import")).to_have_count(0)


def test_the_fixed_file_is_previewed_confirmed_and_held_as_a_draft(base, page, sheets):
    _upload(page, base, sheets["fixed"])
    expect(page.locator("main")).to_contain_text("1 to create, 0 to update")
    expect(page.locator("td.bad-cell")).to_have_count(0)
    diff = page.locator("table.diff-table")
    expect(diff).to_contain_text(f"practice:{SLUG}")
    expect(diff.locator("tr", has_text="Start date")).to_contain_text("2021-04-03")
    expect(diff.locator("tr", has_text="Owner")).to_contain_text("Lombardy Region")
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted as draft")
    response = page.request.get(base + f"page/practice/{SLUG}")
    assert response.status == 404  # a draft is not published


def test_a_reviewer_publishes_the_draft(base, page):
    page.goto(base + "review")
    page.get_by_label("Your reviewer token").fill(REVIEWER_TOKEN)
    page.get_by_role("button", name="Show drafts").click()
    draft = page.locator("article.draft", has_text="import by Ed-Itor")
    expect(draft).to_have_count(1)
    expect(draft).to_contain_text(SLUG)
    draft.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("published as version")
    expect(page.locator("main")).to_contain_text("No draft is waiting.")

    page.goto(base + f"page/practice/{SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.locator("main")).to_contain_text("Lombardy Region")
    expect(page.locator("main")).to_contain_text("https://example.org/repair-cafe")
