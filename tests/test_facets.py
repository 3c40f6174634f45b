"""Faceted lists: filters in the URL, counts on every value, CSV of the current list, clear errors."""

import csv
import io
import random
import re
from collections import Counter

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS

from circe_kg.config import DATA_DIR, ONTOLOGY_DIR
from circe_kg.errors import BadParameter
from circe_kg.facets import DIMENSIONS, Listing, facet
from circe_kg.namespaces import CIRCE

TEXTILE = "https://w3id.org/circe-kg/id/sector/textile"
MARKET = "https://w3id.org/circe-kg/id/concept/kirchherr-2018/market"


@pytest.mark.parametrize("kind", ["partners", "practices", "barriers", "opportunities", "instruments", "actions"])
def test_every_list_renders_with_facets_and_counts(client, kind):
    page = client.get(f"/list/{kind}").get_data(as_text=True)
    assert "<fieldset><legend>" in page and 'class="count">(' in page and "Download as CSV" in page


def test_filters_narrow_the_list_and_stay_in_the_url(client):
    everything = client.get("/list/practices").get_data(as_text=True)
    textile = client.get("/list/practices", query_string={"sector": TEXTILE}).get_data(as_text=True)

    def results(page: str) -> int:
        return int(re.search(r"(\d+) results", page).group(1))

    assert 0 < results(textile) < results(everything)
    assert f'value="{TEXTILE}" checked' in textile
    assert "Circular Fashion Pact" in textile


@pytest.mark.slow
def test_a_barrier_category_reaches_its_sub_barriers(client):
    # The oracle, read from the files with rdflib: the barriers filed under the category or one narrower.
    graph = rdflib.Graph()
    for path in [*DATA_DIR.glob("*.ttl"), *ONTOLOGY_DIR.glob("*.ttl")]:
        graph.parse(path)
    market = rdflib.URIRef(MARKET)
    categories = {market, *graph.transitive_subjects(rdflib.SKOS.broader, market)}
    expected = {str(b) for c in categories for b in graph.subjects(CIRCE.barrierCategory, c)}
    assert len(categories) > 1 and len(expected) > 2
    page = client.get("/list/barriers", query_string={"category": MARKET}).get_data(as_text=True)
    assert int(re.search(r"(\d+) results", page).group(1)) == len(expected)
    for barrier in expected:
        assert 'href="/id/' + barrier.split("/id/")[1] + '"' in page, barrier


def test_source_facet_separates_facts_from_examples(client):
    sourced = client.get("/list/practices", query_string={"source": "sourced"}).get_data(as_text=True)
    assert "badge illustrative" not in sourced.split('class="results"')[1]


def test_csv_is_the_current_list(client):
    response = client.get("/list/practices", query_string={"sector": TEXTILE, "format": "csv"})
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and all("Textile" in row["sector"] for row in rows)


@pytest.mark.parametrize("query", [{"sector": "nope"}, {"colour": "red"}, {"source": "<script>"}])
def test_unknown_facets_and_values_are_400_with_a_message(client, query):
    response = client.get("/list/practices", query_string=query, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["message"]
    assert client.get("/list/nothing", headers={"Accept": "text/html"}).status_code == 404


def test_counts_ignore_the_facets_own_selection():
    rows = [
        {"resource": "a", "label": "A", "illustrative": "false", "sector": "s1", "sectorLabel": "S1"},
        {"resource": "b", "label": "B", "illustrative": "true", "sector": "s2", "sectorLabel": "S2"},
    ]
    items, facets = facet(rows, {"sector": ["s1"]})
    assert [i.resource for i in items] == ["a"]
    sector = next(f for f in facets if f.name == "sector")
    assert {v.value: v.count for v in sector.values} == {"s1": 1, "s2": 1}
    with pytest.raises(BadParameter):
        facet(rows, {"sector": ["s3"]})


def _facet_by_reading_every_item(listing: Listing, chosen: dict[str, list[str]]) -> tuple[list, dict]:
    """What Listing.facet answers, found the plain way: every item read for the list and for each count."""
    filters = {name: values for name, values in chosen.items() if values}

    def keeps(item, skip=None):
        return all(any(v in item.dimensions.get(n, {}) for v in vs) for n, vs in filters.items() if n != skip)

    every = listing.ordered()
    counts = {}
    for name in listing.labels:
        pool = [item for item in every if keeps(item, skip=name)]
        counts[name] = Counter(v for item in pool for v in item.dimensions.get(name, {}))
    return [item.resource for item in every if keeps(item)], counts


def _random_row(rng: random.Random) -> dict[str, str]:
    row = {
        "resource": f"r{rng.randrange(30)}",
        "label": f"R{rng.randrange(5)}",
        "illustrative": rng.choice(["true", "false"]),
    }
    for name in ("sector", "region", "barrier"):
        if rng.random() < 0.7:
            row[name] = f"{name}{rng.randrange(4)}"
    return row


@pytest.mark.parametrize("seed", range(20))
def test_filtered_lists_and_counts_followed_across_writes_equal_those_read_from_every_item(seed):
    rng = random.Random(seed)
    rows = [_random_row(rng) for _ in range(40)]
    listing = Listing(rows)
    for _ in range(15):  # a write: rows added and taken back, stepped on a copy
        before = {name: {v: set(held) for v, held in values.items()} for name, values in listing.holders.items()}
        shown_before = listing.facet({})
        following = listing.copy()
        for _ in range(rng.randrange(1, 4)):
            if rows and rng.random() < 0.5:
                gone = rows.pop(rng.randrange(len(rows)))
                following.step(gone, -1)
            else:
                rows.append(_random_row(rng))
                following.step(rows[-1], 1)
        assert {n: {v: set(h) for v, h in values.items()} for n, values in listing.holders.items()} == before
        assert [i.resource for i in listing.facet({})[0]] == [i.resource for i in shown_before[0]], "left as it was"
        listing = following
        for _ in range(4):
            chosen = {
                name: rng.sample(sorted(listing.labels[name]), rng.randrange(1, 3))
                for name in rng.sample(sorted(listing.labels), rng.randrange(0, 3))
                if name in DIMENSIONS
            }
            items, facets = listing.facet(chosen)
            resources, counts = _facet_by_reading_every_item(Listing(rows), chosen)
            assert [item.resource for item in items] == resources
            for found in facets:
                assert {v.value: v.count for v in found.values} == {
                    v.value: counts[found.name][v.value] for v in found.values
                }


@pytest.mark.slow
def test_long_lists_come_in_pages_that_keep_the_filters(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LIST_PAGE_SIZE", 12)
    shipped = len(practices_in_data_files())  # good-practice records included: they are practices
    assert shipped > 36
    pages, on_last = -(-shipped // 12), shipped - 12 * (-(-shipped // 12) - 1)
    whole = client.get("/list/practices", query_string={"format": "csv"}).get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(whole)))) == shipped  # the CSV is the whole list, every page
    first = client.get("/list/practices").get_data(as_text=True)
    assert f"page 1 of {pages}" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/list/practices", query_string={"page": str(pages)}).get_data(as_text=True)
    assert f"page {pages} of {pages}" in last and 'rel="prev"' in last and 'rel="next"' not in last
    assert last.count('<li><a href="/id/practice') == on_last
    filtered = client.get("/list/practices", query_string={"source": "sourced"}).get_data(as_text=True)
    next_link = re.search(r'href="([^"]*)" rel="next"', filtered).group(1)
    assert "source=sourced" in next_link and "page=2" in next_link
    for bad in ("0", str(pages + 1), "two", "1e9", "-1"):
        response = client.get("/list/practices", query_string={"page": bad}, headers={"Accept": "application/json"})
        assert response.status_code == 400 and f"pages are numbered 1 to {pages}" in response.get_json()["hint"]


def practices_in_data_files() -> set:
    graph = rdflib.Graph()
    for path in [*DATA_DIR.glob("*.ttl"), *ONTOLOGY_DIR.glob("*.ttl")]:
        graph.parse(path)
    kinds = set(graph.transitive_subjects(RDFS.subClassOf, CIRCE.Practice))
    return {r for kind in kinds for r in graph.subjects(RDF.type, kind)}


def test_a_facet_with_many_values_shows_the_most_frequent_and_the_chosen():
    rows = [
        {
            "resource": f"r{i}",
            "label": f"R{i}",
            "illustrative": "false",
            "partner": f"p{i}",
            "partnerLabel": f"P{i:03d}",
        }
        for i in range(40)
    ]
    rows.append({"resource": "r99", "label": "R99", "illustrative": "false", "partner": "p0", "partnerLabel": "P000"})
    _, facets = facet(rows, {"partner": ["p39"]})
    partner = next(f for f in facets if f.name == "partner")
    assert len(partner.values) == 26 and partner.more == 14
    assert partner.values[0].value == "p0" and any(v.value == "p39" and v.selected for v in partner.values)


def test_the_partners_list_has_the_eight_by_project_country_and_sector(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/list/partners?format=csv").get_data(as_text=True))))
    assert len(rows) == 8 and {r["country"] for r in rows} >= {"Italy", "Slovenia"}
    assert all(r["project"].startswith("CircE") for r in rows)
    textile = client.get("/list/partners", query_string={"sector": TEXTILE}).get_data(as_text=True)
    assert 0 < textile.count('<li><a href="/id/organisation/') < 8


def test_the_csv_comes_a_chunk_of_rows_at_a_time():
    from circe_kg.facets import to_csv

    rows = [
        {"resource": f"r{i}", "label": f"R{i}", "illustrative": "false", "sector": "s", "sectorLabel": "S"}
        for i in range(5)
    ]
    items, _ = facet(rows, {})
    chunks = list(to_csv(items, rows_per_chunk=2))
    assert len(chunks) == 3 and all(chunks)
    parsed = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert [r["uri"] for r in parsed] == [f"r{i}" for i in range(5)] and parsed[0]["sector"] == "S"


ECESP = "https://w3id.org/circe-kg/id/dataset/ecesp-good-practices"
CZECHIA = "http://data.europa.eu/nuts/code/CZ"


def test_ecesp_practices_are_found_by_search_sector_and_country_and_say_what_they_are(client):
    """ECESP's good practices are in the graph as their own dataset: a facet of the list, found by country and
    sector and by search, and each page says it is not a CircE record."""
    listed = client.get("/list/practices", query_string={"dataset": ECESP, "country": CZECHIA}).get_data(as_text=True)
    assert "Hydal Coffee: cascade recycling of spent coffee grounds" in listed
    assert "not a CircE record" in listed and "circular-fashion-pact" not in listed
    textile = client.get("/list/practices", query_string={"dataset": ECESP, "sector": TEXTILE}).get_data(as_text=True)
    assert int(re.search(r"(\d+) results", textile).group(1)) > 20
    found = client.get("/search", query_string={"q": "Hydal Coffee"}).get_data(as_text=True)
    assert "/id/practice/ecesp-hydal-coffee-cascade-recycling-spent-coffee-grounds" in found
    page = client.get("/page/practice/ecesp-hydal-coffee-cascade-recycling-spent-coffee-grounds-and-coffee-capsules")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "From the dataset ECESP good practices" in text and "not a CircE record" in text
    assert "https://circulareconomy.europa.eu/platform/en/good-practices/hydal-coffee" in text
