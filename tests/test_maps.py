"""Maps that carry the story (issue 20, item 6): the home map's transfer arrows and practice points, the
transfer diagram's layout (no arrow ever covers a label: checked as geometry on web/diagram.py's output, and
in Chromium on what it draws), and every page readable at phone width (360 px, no horizontal page scroll)."""

import math
import random
import re

import pytest

from circe_kg.web import diagram

LABELS = [
    "Lombardy Region",
    "Marshal's Office of the Lower Silesian Voivodeship",
    "Association of Municipalities and Towns of Slovenia",
    "Sofia Municipality",
    "Province of Gelderland",
    "London Waste and Recycling Board (LWARB)",
    "cd2e",
]


def _synthetic(count: int, seed: int) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """`count` partners with real-length labels, random transfers and transfers both ways between neighbours."""
    rng = random.Random(seed)
    partners = [(f"p{i:02}", rng.choice(LABELS)) for i in range(count)]
    rows = []
    for _ in range(count * 3 if count > 1 else 0):
        a, b = rng.sample(range(count), 2)
        rows.append({"from": f"p{a:02}", "to": f"p{b:02}", "illustrative": rng.choice(["true", "false"])})
    for i in range(count if count > 2 else 0):
        j = (i + 1) % count
        rows += [{"from": f"p{i:02}", "to": f"p{j:02}"}, {"from": f"p{j:02}", "to": f"p{i:02}"}]
    return partners, rows


def _distance_to_box(x: float, y: float, box: diagram.Box) -> float:
    dx = max(box.left - x, 0.0, x - box.right)
    dy = max(box.top - y, 0.0, y - box.bottom)
    return math.hypot(dx, dy)


def _curve_points(arrow: diagram.Arrow, steps: int = 400) -> list[tuple[float, float]]:
    """The arrow sampled densely, independently of diagram.Arrow.points."""
    (x0, y0), (x1, y1) = arrow.start, arrow.end
    cx, cy = arrow.control if arrow.control else ((x0 + x1) / 2, (y0 + y1) / 2)
    return [
        ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1, (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1)
        for t in (i / steps for i in range(steps + 1))
    ]


LAYOUTS = [(count, seed) for count in (1, 2, 3, 5, 8, 12, 24) for seed in (1, 2)]


@pytest.mark.parametrize(("count", "seed"), LAYOUTS)
def test_no_arrow_touches_a_label_box(count, seed):
    """Every arrow keeps half its arrowhead's width (plus its stroke) away from every label's estimated box."""
    layout = diagram.layout(*_synthetic(count, seed))
    for arrow in layout.arrows:
        for x, y in _curve_points(arrow):
            for node in layout.nodes:
                assert _distance_to_box(x, y, node.box) > diagram.ARROW_CLEARANCE - 0.01, (arrow.row, node.label)
    assert diagram.crossings(layout) == [] and diagram.collisions(layout) == []


@pytest.mark.parametrize(("count", "seed"), LAYOUTS)
def test_no_arrow_passes_over_another_partner(count, seed):
    """A straight line would cross the circle of a partner between its two ends: it curves towards the centre."""
    layout = diagram.layout(*_synthetic(count, seed))
    for arrow in layout.arrows:
        ends = {arrow.row["from"], arrow.row["to"]}
        for x, y in _curve_points(arrow):
            for node in layout.nodes:
                assert node.iri in ends or math.hypot(x - node.x, y - node.y) > diagram.NODE_RADIUS, (
                    arrow.row,
                    node.iri,
                )


@pytest.mark.parametrize(("count", "seed"), LAYOUTS)
def test_labels_sit_outside_the_circle_anchored_away_from_the_centre(count, seed):
    layout = diagram.layout(*_synthetic(count, seed))
    radius = math.hypot(layout.nodes[0].x, layout.nodes[0].y)
    for node in layout.nodes:
        assert _distance_to_box(0, 0, node.box) > radius  # wholly outside the circle the nodes are on
        if node.anchor == "start":
            assert node.x > 0 and node.box.left >= node.x + diagram.NODE_RADIUS
        elif node.anchor == "end":
            assert node.x < 0 and node.box.right <= node.x - diagram.NODE_RADIUS
        else:
            assert node.box.bottom <= node.y - diagram.NODE_RADIUS or node.box.top >= node.y + diagram.NODE_RADIUS
        # The box is as wide as its longest line at CHAR_WIDTH × the font size a character.
        width = max(len(line) for line in node.lines) * diagram.FONT_SIZE * diagram.CHAR_WIDTH
        assert node.box.right - node.box.left == pytest.approx(width)
        for other in layout.nodes:  # no label on another label or on a node
            assert other is node or not node.box.overlaps(other.box)
            assert not node.box.overlaps(diagram.node_box(other))
        v = layout.view
        assert v.left <= node.box.left and node.box.right <= v.right and v.top <= node.box.top <= v.bottom


def test_arrows_stop_at_the_node_circles_and_two_ways_bow_apart():
    partners = [("a", "Lombardy Region"), ("b", "Sofia Municipality"), ("c", "Province of Gelderland")]
    rows = [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}, {"from": "a", "to": "c"}]
    layout = diagram.layout(partners, rows)
    at = {n.iri: n for n in layout.nodes}
    for arrow in layout.arrows:
        a, b = at[arrow.row["from"]], at[arrow.row["to"]]
        assert math.hypot(arrow.start[0] - a.x, arrow.start[1] - a.y) == pytest.approx(diagram.NODE_RADIUS + 2)
        assert math.hypot(arrow.end[0] - b.x, arrow.end[1] - b.y) == pytest.approx(diagram.NODE_RADIUS + 3)
    there, back, single = layout.arrows
    assert single.control is None and " L " in single.path
    assert there.control and back.control and " Q " in there.path
    assert math.dist(there.control, back.control) > 2 * diagram.BOW - 1  # on either side of the straight line


def test_transfer_page_draws_the_layout(client):
    page = client.get("/questions/transfers").get_data(as_text=True)
    svg = page.split('<svg class="transfer-diagram"')[1].split("</svg>")[0]
    assert 'role="group"' in svg and 'aria-describedby="diagram-desc"' in svg and '<desc id="diagram-desc">' in svg
    assert svg.count('class="arrow-line"') == 3 and svg.count('class="node-label"') == 5
    assert svg.count('class="arrow illustrative"') == 2 and svg.count('class="arrow sourced"') == 1
    for arrow in re.findall(r'<a [^>]*class="arrow (\w+)">(.*?)</a>', svg):
        mark, body = arrow
        assert ("stroke-dasharray" in body) == (mark == "illustrative") and f"— {mark}</title>" in body
    anchors = set(re.findall(r'text-anchor="(\w+)"', svg))
    assert anchors == {"start", "end", "middle"}  # five partners: one on top, two each side


def _figure(page: str) -> str:
    return page.split('<div class="map-story"')[1].split("</figure>")[0]


@pytest.mark.slow
def test_home_map_draws_each_transfer_as_an_arrow_with_its_mark(client):
    page = client.get("/").get_data(as_text=True)
    figure = _figure(page)
    arrows = re.findall(r'<a href="([^"]+)" class="map-arrow (\w+)"><path d="M [^"]+ Q [^"]+"([^>]*)/><title>', figure)
    assert len(arrows) == 3
    assert {href for href, _, _ in arrows} >= {"/id/transfer/lombardy-to-sos-dispersed-circular-hotel"}
    for _, mark, attributes in arrows:
        assert ("stroke-dasharray" in attributes) == (mark == "illustrative")
    assert [m for _, m, _ in arrows].count("illustrative") == 2
    # The same transfers as a table, in a scrolling box that a keyboard can reach, each with its mark.
    box = page.split('<div class="table-scroll" role="region" tabindex="0" aria-labelledby="map-table-caption">')[1]
    table = box.split("</table>")[0]
    assert '<caption id="map-table-caption">' in table and table.count("<tr>") == 4  # a header and 3 transfers
    assert table.count('class="badge illustrative"') == 2 and table.count('class="badge sourced"') == 1
    assert "https://" not in figure  # the list links escape their IRIs whole


@pytest.mark.slow
def test_home_map_partners_open_their_practices(client):
    page = client.get("/").get_data(as_text=True)
    links = re.findall(r'<a href="(/list/practices\?partner=[^"]+)" class="map-partner">', _figure(page))
    assert len(links) >= 5
    for link in links:
        listed = client.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200, link
    catalonia = client.get(
        "/list/practices?partner=https%3A%2F%2Fw3id.org%2Fcirce-kg%2Fid%2Forganisation%2Fgeneralitat-de-catalunya"
    )
    assert catalonia.status_code == 200 and "Government of Catalonia" in catalonia.get_data(as_text=True)


def test_home_map_shows_practices_as_points_when_asked(client):
    page = client.get("/?map=practices").get_data(as_text=True)
    figure = _figure(page)
    assert 'class="map-arrow' not in figure and 'href="/#map"' in page  # the link back to the transfers
    sourced = re.findall(r'<a href="([^"]+)" class="map-point sourced"><circle class="marker"', figure)
    illustrative = re.findall(r'<a href="([^"]+)" class="map-point illustrative"><rect class="marker"', figure)
    assert len(sourced) > 10 and illustrative  # the ECESP practices by country, CircE's by region
    assert all("source=sourced" in s for s in sourced) and all("source=illustrative" in s for s in illustrative)
    for link in [sourced[0], *illustrative[:3]]:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link
    region = "/list/practices?region=http%3A%2F%2Fdata.europa.eu%2Fnuts%2Fcode%2FNL22&amp;source=illustrative"
    assert region in figure  # Gelderland's illustrative practices, at its region's point
    table = page.split('<caption id="map-table-caption">')[1].split("</table>")[0]
    assert "Gelderland" in table and region in table
    assert "?map=practices" in client.get("/").get_data(as_text=True)  # the toggle, a plain link


# In a real browser ---------------------------------------------------------------------------------------------

# The browser tests pin the served app to the embedded store (pytestmark would also pin the tests above, which
# take no `served`).
in_chromium = pytest.mark.parametrize("served", ["embedded"], indirect=True)
PAGES = ["", "?map=practices", "questions/transfers", "list/practices", "page/practice/albergo-diffuso"]


@pytest.fixture(scope="module")
def phone(served, browser):
    base = served()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    yield base, context.new_page()
    context.close()


@in_chromium
@pytest.mark.parametrize("path", PAGES)
def test_no_horizontal_page_scroll_at_phone_width(phone, path):
    base, page = phone
    assert page.goto(base + path).status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for svg in page.locator("main svg.europe-map, main svg.transfer-diagram").all():  # scaled to the width
        assert svg.bounding_box()["width"] <= 360
    for box in page.locator(".table-scroll").all():
        assert box.get_attribute("role") == "region" and box.get_attribute("tabindex") == "0"
        assert box.evaluate("b => getComputedStyle(b).overflowX") == "auto"


@in_chromium
@pytest.mark.parametrize(("path", "arrows"), [("", "a.map-arrow"), ("questions/transfers", "a.arrow")])
def test_arrows_are_drawn_with_their_marks(phone, path, arrows):
    base, page = phone
    page.goto(base + path)
    drawn = page.locator(f"{arrows} path[marker-end]")
    assert drawn.count() == 3
    for i in range(drawn.count()):
        line = drawn.nth(i)
        mark = line.evaluate("p => p.parentElement.classList.contains('illustrative') ? 'illustrative' : 'sourced'")
        dashes = line.evaluate("p => getComputedStyle(p).strokeDasharray")
        assert (dashes != "none") == (mark == "illustrative")
        assert (
            line.evaluate("p => p.getTotalLength()") > 10
            and line.evaluate("p => p.getBBox().width + p.getBBox().height") > 0
        )


@in_chromium
def test_no_arrow_covers_a_label_in_the_browser(phone):
    """With the browser's own text measures (getBBox of each label) and each arrow's points (getPointAtLength):
    no arrow comes within its stroke of a label, and every label fits the box that diagram.py estimated."""
    base, page = phone
    page.goto(base + "questions/transfers")
    found = page.evaluate(
        """() => {
          const labels = [...document.querySelectorAll('svg.transfer-diagram text.node-label')].map(t => {
            const b = t.getBBox(), e = t.dataset.box.split(' ').map(Number);
            return {x: b.x, y: b.y, right: b.x + b.width, bottom: b.y + b.height, estimate: e, text: t.textContent};
          });
          const hits = [];
          for (const path of document.querySelectorAll('svg.transfer-diagram path.arrow-line')) {
            const length = path.getTotalLength(), width = parseFloat(getComputedStyle(path).strokeWidth);
            for (let s = 0; s <= length; s += 1) {
              const p = path.getPointAtLength(s);
              for (const l of labels) {
                if (p.x > l.x - width && p.x < l.right + width && p.y > l.y - width && p.y < l.bottom + width)
                  hits.push([l.text, p.x, p.y]);
              }
            }
          }
          return {labels, hits};
        }"""
    )
    assert found["labels"] and found["hits"] == []
    for label in found["labels"]:
        left, top, right, bottom = label["estimate"]
        assert right - left >= label["right"] - label["x"] - 0.5, label  # the estimate is never narrower
        assert left - 1.5 <= label["x"] and label["right"] <= right + 1.5, label  # glyphs' side bearings
        assert top - 2 <= label["y"] and label["bottom"] <= bottom + 2, label


def test_sourced_only_switch_leaves_illustrative_arrows_and_points_out(client):
    figure = _figure(client.get("/?sourced=1").get_data(as_text=True))
    assert figure.count('class="map-arrow sourced"') == 1 and 'class="map-arrow illustrative"' not in figure
    points = _figure(client.get("/?map=practices&sourced=1").get_data(as_text=True))
    assert 'class="map-point sourced"' in points and 'class="map-point illustrative"' not in points


def test_a_label_pushed_away_from_its_node_gets_a_leader_line():
    layout = diagram.layout(*_synthetic(24, 1))
    pushed = [n for n in layout.nodes if n.push >= diagram.LEADER_AFTER]
    assert pushed and all(n.leader is None for n in layout.nodes if n.push < diagram.LEADER_AFTER)
    for node in pushed:
        (x0, y0), (x1, y1) = node.leader
        assert math.hypot(x0 - node.x, y0 - node.y) == pytest.approx(diagram.NODE_RADIUS)
        assert _distance_to_box(x1, y1, node.box) < 0.01  # it ends at the label


@pytest.mark.slow
def test_the_map_links_exactly_the_places_the_list_of_practices_has(loaded_store):
    """queries/app/practice-places.rq (what the home map may link to) gives the partners, regions and countries of
    queries/questions/list-practices.rq, without running the whole list on the home page."""
    from circe_kg import queries

    def places(name: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {"partner": set(), "region": set(), "country": set()}
        for row in queries.run(loaded_store, name, {}).rows:
            for key, values in found.items():
                if key in row:
                    values.add(row[key].value)
        return found

    assert places("practice-places") == places("list-practices")
