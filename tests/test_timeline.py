"""Progress as a timeline: the layout (circe_kg/web/timeline.py), the action and action-plan pages that show it,
the progress question's links to it, and the drawing in Debian's Chromium (bounding boxes, not assumptions)."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect

from circe_kg.web.timeline import PROJECT_YEARS, Observation, chart, mark_of, progress
from tests.test_accessibility import AXE
from tests.test_browser_journey import SCREENSHOTS, base, page  # noqa: F401 - the journey's served app and browser

HOTEL = "/page/action/sos-dispersed-circular-hotel-pilot"
FASHION_PACT = "/page/action/catalonia-circular-fashion-pact-pilot"
REFILLABLE = "/page/action/catalonia-refillable-beverage-packaging-pilot"  # an action with no observation
SOS_PLAN = "/page/action-plan/sos"
SOS_ACTIONS = {
    "sos-dispersed-circular-hotel-pilot",
    "sos-public-procurement-recommendations",
    "sos-recommendations-cohesion-op-calls",
}


def observed(day: str, status: str = "In progress (partly implemented)", mark: str = "illustrative") -> Observation:
    return Observation(f"urn:x:observation:{day}:{status}", day, f"urn:x:status:{status}", status, mark)


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two boxes (left, top, right, bottom) share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# ---- the layout ------------------------------------------------------------------------------------------------
def test_points_are_ordered_by_date_and_placed_on_the_axis():
    drawn = chart([observed("2021-06-30"), observed("2019-12-31", "Not started"), observed("2020-12-15")])
    assert [p.observation.date for p in drawn.points] == ["2019-12-31", "2020-12-15", "2021-06-30"]
    xs = [p.x for p in drawn.points]
    assert xs == sorted(xs) and all(drawn.axis_left <= x <= drawn.axis_right for x in xs)
    # Placed by date, day by day, on an axis from 1 January of the project's first year to the end of its last.
    start, end = date(PROJECT_YEARS[0], 1, 1), date(PROJECT_YEARS[1] + 1, 1, 1)
    share = (date(2019, 12, 31) - start).days / (end - start).days
    assert drawn.points[0].x == pytest.approx(drawn.axis_left + share * (drawn.axis_right - drawn.axis_left))


def test_the_axis_shows_every_project_year_and_reaches_later_observations():
    drawn = chart([observed("2019-12-31")])
    labelled = [t.year for t in drawn.ticks if t.label_x is not None]
    assert labelled == list(range(2017, 2023))
    assert [t.year for t in drawn.ticks] == list(range(2017, 2024))  # 1 January of each year, and the axis's end
    assert drawn.ticks[0].x == drawn.axis_left and drawn.ticks[-1].x == drawn.axis_right
    later = chart([observed("2019-12-31"), observed("2025-03-01", "Implemented")])
    assert [t.year for t in later.ticks if t.label_x is not None][-1] == 2025
    assert later.points[-1].x <= later.axis_right
    for tick, following in itertools.pairwise(later.ticks):  # each year's label in the middle of its own span
        assert tick.label_x is None or tick.x < tick.label_x < following.x


def test_years_narrower_than_their_labels_are_labelled_every_other_year():
    drawn = chart([observed("1990-01-01"), observed("2030-01-01")])
    labelled = [t.label_x for t in drawn.ticks if t.label_x is not None]
    assert 0 < len(labelled) < len(drawn.ticks) - 1
    assert min(b - a for a, b in itertools.pairwise(labelled)) >= 36


def test_close_points_get_their_labels_stacked_without_overlap():
    days = ["2020-12-15", "2020-12-16", "2020-12-20", "2021-01-10", "2021-02-01"]
    drawn = chart([observed(day) for day in days])
    assert len({p.level for p in drawn.points}) > 1
    for a, b in itertools.combinations(drawn.points, 2):
        assert not overlap(a.box, b.box), (a.observation.date, b.observation.date)


@settings(max_examples=150, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=12 * 365), min_size=1, max_size=12),
    statuses=st.lists(
        st.sampled_from(["Not started", "In progress (partly implemented)", "In corso (parzialmente attuata)", "X"]),
        min_size=12,
        max_size=12,
    ),
)
def test_no_label_overlaps_another_nor_crosses_a_leader_line(offsets, statuses):
    days = [(date(2015, 1, 1) + timedelta(days=n)).isoformat() for n in offsets]
    drawn = chart([observed(day, status) for day, status in zip(days, statuses, strict=False)])
    for a, b in itertools.permutations(drawn.points, 2):
        assert not overlap(a.box, b.box)
        # a's leader line runs from the axis up to a's label: no other label lies across it
        left, top, right, bottom = b.box
        assert not (left < a.x < right and top < drawn.axis_y and a.label_top < bottom), (a, b)
    assert max(p.box[2] for p in drawn.points) <= drawn.width  # the labels fit in the drawing
    assert all(p.box[1] >= 0 for p in drawn.points)


def test_no_observation_draws_no_chart():
    assert chart([]) is None
    assert chart([observed("not a date")]) is None
    empty = progress([{"action": "urn:x:action", "actionLabel": "An action"}], plan=False)
    assert empty.rows[0].observations == () and empty.rows[0].chart is None and empty.marks == ()


def test_marks_and_sources_are_read_as_the_rest_of_the_site_reads_them():
    assert mark_of(illustrative=True, editorial=True) == "illustrative"
    assert mark_of(illustrative=False, editorial=True) == "editorial"
    assert mark_of(illustrative=False, editorial=False) == "sourced"
    row = {
        "action": "urn:x:b",
        "actionLabel": "B",
        "observation": "urn:x:o",
        "date": "2022-06-07Z",  # as a server may write an xsd:date
        "status": "urn:x:status",
        "statusLabel": "Implemented",
        "illustrative": "false",
        "editorial": "false",
    }
    rows = [
        {**row, "source": "https://example.org/one"},
        {**row, "source": "javascript:alert(1)"},
        {"action": "urn:x:a", "actionLabel": "a first", "actionIllustrative": "true"},
    ]
    found = progress(rows, plan=True)
    assert [r.label for r in found.rows] == ["a first", "B"]
    (observation,) = found.rows[1].observations
    assert observation.date == "2022-06-07" and observation.mark == "sourced"
    assert observation.source_links == (
        ("https://example.org/one", "example.org", True),
        ("javascript:alert(1)", "javascript:alert(1)", False),
    )
    assert found.marks == ("sourced",)


def test_a_plans_charts_share_their_years_and_width():
    rows = [
        {"action": "urn:x:a", "observation": "urn:x:1", "date": "2019-01-01", "status": "urn:x:s", "statusLabel": "S"},
        {
            "action": "urn:x:b",
            "observation": "urn:x:2",
            "date": "2026-06-30",
            "status": "urn:x:s",
            "statusLabel": "In progress (partly implemented)",
        },
    ]
    charts = [r.chart for r in progress(rows, plan=True).rows]
    assert charts[0].ticks == charts[1].ticks and charts[0].width == charts[1].width
    assert charts[0].ticks[-1].year == 2027


# ---- the pages -------------------------------------------------------------------------------------------------
def _timeline(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    found = re.search(r'<section class="timeline" id="timeline".*?</section>', html, re.DOTALL)
    assert found, f"{path} shows no timeline"
    return found.group(0)


def test_an_actions_page_draws_each_observation_with_its_date_status_and_mark(client):
    section = _timeline(client, HOTEL)
    assert 'role="img"' in section and "<title" in section and "<desc" in section
    assert section.count('<g class="point illustrative">') == 3
    for day, status in [("2019-12-31", "Not started"), ("2020-12-15", "In progress"), ("2021-06-30", "Implemented")]:
        assert f'<time datetime="{day}">{day}</time>' in section
        assert f'class="date">{day}</tspan>' in section
        assert status in section
    assert section.count('<span class="badge illustrative">illustrative</span>') >= 3
    assert "None: this is an illustrative example." in section
    for year in range(2017, 2023):
        assert f">{year}</text>" in section


def test_a_sourced_status_links_its_source_and_says_the_editors_read_it(client):
    section = _timeline(client, FASHION_PACT)
    assert '<g class="point editorial">' in section and "2022-06-07" in section
    assert '<span class="badge editorial">classified by the circe-kg editors</span>' in section
    assert re.search(
        r'<a href="https://unilateral\.cat/2022/06/07/[^"]+" rel="external"[^>]*>unilateral\.cat</a>', section
    )


def test_the_status_is_named_in_the_readers_language(client):
    section = _timeline(client, HOTEL + "?lang=it")
    assert "Non avviata" in section and "Attuata" in section and "Not started" not in section


def test_an_action_with_no_observation_says_so(client):
    section = _timeline(client, REFILLABLE)
    assert "No status has been recorded yet." in section and "<svg" not in section


def test_a_plans_page_shows_one_linked_row_per_action(client):
    section = _timeline(client, SOS_PLAN)
    linked = set(re.findall(r'<h3><a href="/id/action/([^"#]+)#timeline">', section))
    assert linked == SOS_ACTIONS
    assert section.count('<svg class="timeline-chart"') == 3
    widths = set(re.findall(r'<svg class="timeline-chart" viewBox="0 0 ([\d.]+) ', section))
    assert len(widths) == 1  # one axis for every row
    catalonia = _timeline(client, "/page/action-plan/catalonia")
    assert "Pilot of refillable beverage packaging" in catalonia and "No status has been recorded yet." in catalonia


def test_other_resources_have_no_timeline(client):
    html = client.get("/page/practice/albergo-diffuso").get_data(as_text=True)
    assert 'id="timeline"' not in html


@pytest.mark.slow
def test_the_progress_question_links_each_actions_timeline(client):
    html = client.get("/questions/progress").get_data(as_text=True)
    linked = set(re.findall(r'href="/id/action/([^"#]+)#timeline"', html))
    assert SOS_ACTIONS <= linked and "catalonia-refillable-beverage-packaging-pilot" in linked
    assert 'href="/id/action-plan/sos#timeline"' in html


# ---- in the browser --------------------------------------------------------------------------------------------
LABEL_BOXES = """svg => [...svg.querySelectorAll('text.label')].map(t => {
  const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def _check_drawing(svg) -> None:
    box = svg.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 40
    axis = svg.locator("line.axis").bounding_box()
    markers = svg.locator(".marker")
    assert markers.count() >= 1
    for n in range(markers.count()):
        marker = markers.nth(n).bounding_box()
        centre = marker["x"] + marker["width"] / 2
        assert axis["x"] - 0.5 <= centre <= axis["x"] + axis["width"] + 0.5
        assert marker["y"] <= axis["y"] + axis["height"] / 2 <= marker["y"] + marker["height"]
    labels = svg.evaluate(LABEL_BOXES)
    assert len(labels) == markers.count()
    for a, b in itertools.combinations(labels, 2):
        assert not overlap(a, b), (a, b)
        assert all(value > 0 for value in (a[2] - a[0], a[3] - a[1]))


@pytest.mark.parametrize("width", [1100, 420])
def test_the_timeline_is_drawn_with_its_points_on_the_axis_and_no_label_over_another(base, page, width):  # noqa: F811 - the journey's fixtures
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(base + HOTEL.lstrip("/") + "?lang=en")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_role("img")).to_have_count(1)
    _check_drawing(timeline.locator("svg.timeline-chart"))
    expect(timeline.get_by_role("table")).to_contain_text("2020-12-15")
    page.goto(base + SOS_PLAN.lstrip("/"))
    charts = page.locator("#timeline svg.timeline-chart")
    expect(charts).to_have_count(3)
    axes = []
    for n in range(3):
        _check_drawing(charts.nth(n))
        axes.append(charts.nth(n).locator("line.axis").bounding_box())
    assert len({(round(a["x"]), round(a["width"])) for a in axes}) == 1  # the rows share one axis
    page.screenshot(path=SCREENSHOTS / f"timeline-plan-{width}.png", full_page=True)
    page.get_by_role("link", name="Pilot of a dispersed circular hotel").first.click()
    expect(page.get_by_role("heading", level=2, name="Progress over time")).to_be_in_viewport()
    page.set_viewport_size({"width": 1100, "height": 900})


def test_the_timeline_pages_have_no_serious_accessibility_violation(base, page):  # noqa: F811 - the journey's fixtures
    checker = page.context.browser.new_page(bypass_csp=True)  # axe is injected inline; the pages' CSP refuses that
    try:
        for path in (HOTEL, FASHION_PACT, SOS_PLAN, REFILLABLE, "/questions/progress"):
            checker.goto(base + path.lstrip("/"))
            checker.add_script_tag(path=str(AXE))
            result = checker.evaluate("axe.run(document, {resultTypes: ['violations']})")
            serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
            assert not serious, (path, serious)
    finally:
        checker.close()
