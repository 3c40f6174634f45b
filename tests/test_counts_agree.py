"""Every count agrees with what it counts: each number on the home page and the truth page that links to a list
opens a list of exactly that many (on the page and in its CSV), split counts (sourced · illustrative) too; a
class's count includes the members of its subclasses; and the progress page's sentence about its statuses is
what the statuses shown are."""

import csv
import html
import io
import re

import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF

from circe_kg.namespaces import CIRCE
from tests.test_truth import members, shipped_graph

COUNT_LINK = re.compile(r'<a href="(/list/[^"]+)">(\d+)\b[^<]*</a>')
RESULTS = re.compile(r"(\d+) results?\b")
TRUE = rdflib.Literal(True)


def count_links(client, page: str) -> list[tuple[str, int]]:
    """The links on `page` whose text is a number (or starts with one, "786 practices") and that open a list."""
    text = client.get(page, query_string={"lang": "en"}).get_data(as_text=True)
    return [(html.unescape(href), int(number)) for href, number in COUNT_LINK.findall(text)]


def listed(client, href: str) -> tuple[int, int]:
    """How many records the list at `href` says it shows, and how many rows its CSV has."""
    page = client.get(href)
    assert page.status_code == 200, href
    shown = RESULTS.search(page.get_data(as_text=True))
    assert shown, href
    data = client.get(href + ("&" if "?" in href else "?") + "format=csv").data.decode("utf-8-sig")
    return int(shown.group(1)), len(list(csv.reader(io.StringIO(data)))) - 1


@pytest.mark.slow
@pytest.mark.parametrize("page", ["/", "/truth"])
def test_every_count_link_opens_a_list_of_exactly_that_many(client, page):
    links = count_links(client, page)
    assert any("source=sourced" in href for href, _ in links) and any("source=illustrative" in h for h, _ in links)
    assert any("source=" not in href and "classified=" not in href for href, _ in links)  # totals too
    for href, number in links:
        assert number > 0, f"{href}: a link to an empty list (a filter no record has is refused)"
        assert listed(client, href) == (number, number), href


@pytest.mark.slow
def test_home_counts_split_into_sourced_and_illustrative_and_include_subclasses(client):
    """Issue 23's bug on Virtuoso: it answered the record kinds' flags (`BOUND` in an OPTIONAL form) as 1/0, with
    other rows than Oxigraph, and the home page's sourced/illustrative split was wrong."""
    graph = shipped_graph()
    home = client.get("/", query_string={"lang": "en", "format": "json"}).get_json()  # the page's machine twin
    rows = {count["label"]: [count["total"], count["sourced"], count["illustrative"]] for count in home["counts"]}
    for label, cls in [
        ("practices", CIRCE.Practice),
        ("barriers", CIRCE.Barrier),
        ("opportunities", CIRCE.Opportunity),
        ("policy instruments", CIRCE.PolicyInstrument),
        ("actions", CIRCE.Action),
        ("meetings and visits", CIRCE.Meeting),
    ]:
        resources = members(graph, cls)  # every subclass's members: good-practice records are practices
        illustrative = {r for r in resources if (r, CIRCE.illustrative, TRUE) in graph}
        sourced = {r for r in resources if (r, DCTERMS.source, None) in graph}
        assert rows[label] == [len(resources), len(sourced), len(illustrative)], label
        assert len(sourced) + len(illustrative) == len(resources), label
    typed_practice = set(graph.subjects(RDF.type, CIRCE.Practice))
    assert members(graph, CIRCE.GoodPractice) - typed_practice and rows["practices"][0] > len(typed_practice)


@pytest.mark.parametrize("kind", ["partners", "practices", "barriers", "opportunities", "instruments", "actions"])
def test_a_lists_split_counts_match_the_list_filtered_the_same_way(client, kind):
    page = client.get(f"/list/{kind}", query_string={"lang": "en"}).get_data(as_text=True)
    found = re.findall(
        r'name="(source|classified)" value="([^"]+)">\s*<label[^>]*>[^<]*<span class="count">\((\d+)\)', page
    )
    assert {value for _, value, _ in found} >= {"sourced"}
    total = int(RESULTS.search(page).group(1))
    assert sum(int(n) for name, _, n in found if name == "source") == total
    for name, value, number in found:
        assert listed(client, f"/list/{kind}?{name}={value}") == (int(number), int(number)), (name, value)


def latest_statuses(graph: rdflib.Graph) -> tuple[list[rdflib.term.Node], int]:
    """The latest observation with a status of each action of an action plan, from the data files; and how many
    of those actions have none."""
    editorial = set()
    latest, without = [], 0
    for marker in graph.subjects(RDF.type, CIRCE.EditorialClassification):
        editorial.add(graph.value(marker, RDF.subject))
    for plan in graph.subjects(RDF.type, CIRCE.ActionPlan):
        for action in graph.subjects(CIRCE.partOfPlan, plan):
            dated = [(o, graph.value(o, DCTERMS.date)) for o in graph.subjects(CIRCE.observedAction, action)]
            dated = [(o, d.toPython()) for o, d in dated if d is not None]
            last = max((d for _, d in dated), default=None)
            shown = [o for o, d in dated if d == last and graph.value(o, CIRCE.status) is not None]
            latest += shown
            without += not shown
    return latest, without


@pytest.mark.slow
def test_the_progress_sentence_says_how_many_statuses_are_sourced_and_illustrative(client):
    graph = shipped_graph()
    latest, without = latest_statuses(graph)
    illustrative = [o for o in latest if (o, CIRCE.illustrative, TRUE) in graph]
    sourced = [o for o in latest if o not in illustrative]
    editorial = {graph.value(m, RDF.subject) for m in graph.subjects(RDF.type, CIRCE.EditorialClassification)}
    assert sourced and illustrative  # the shipped data has both: a sentence saying "every status" would lie

    page = client.get("/questions/progress", query_string={"lang": "en"}).get_data(as_text=True)
    sentence = " ".join(re.sub(r"<[^>]+>", " ", page.split('id="status-truth">')[1].split("</p>")[0]).split())
    said = {
        "sourced": int(re.search(r"(\d+) (?:is|are) sourced", sentence).group(1)),
        "illustrative": int(re.search(r"(\d+) (?:is an illustrative example|are illustrative examples)", sentence)[1]),
        "not recorded": int(re.search(r"(\d+) actions? (?:has|have) no status recorded", sentence).group(1)),
        "editorial": int(m.group(1)) if (m := re.search(r"(\d+) of them classified", sentence)) else 0,
    }
    assert said == {
        "sourced": len(sourced),
        "illustrative": len(illustrative),
        "not recorded": without,
        "editorial": len(set(sourced) & editorial),
    }, sentence
    assert "Every status" not in page
    # ... and the page's own marks say the same (every plan fits on one page)
    assert page.count("<progress") == len(latest) and page.count("illustrative status</span>") == len(illustrative)
    assert page.count('class="not-recorded">Status not recorded') == without
